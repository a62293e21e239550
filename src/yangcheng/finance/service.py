"""Finance capabilities on the platform: the only bridge from `yangcheng.finance`."""

from __future__ import annotations

from yangcheng.finance import (
    service_biometrics,
    service_decide,
    service_identity,
    service_recording,
)
from yangcheng.platform.catalog import Registry


def register(registry: Registry) -> None:
    """Entry point `yangcheng.capabilities:finance`."""
    for cap in (
        *service_identity.CAPABILITIES,
        *service_biometrics.CAPABILITIES,
        *service_recording.CAPABILITIES,
        *service_decide.CAPABILITIES,
    ):
        registry.add_capability(cap)
    for card in (*service_decide.model_cards(), *service_recording.MODEL_CARDS):
        registry.add_model(card)
    for dataset in service_decide.DATASETS:
        registry.add_dataset(dataset)
    registry.add_page(service_decide.FLOWS_PAGE)
    registry.on_configure(service_decide.configure)
    registry.on_configure(service_biometrics.configure)
