"""Finance capabilities on the platform: the only bridge from `yangcheng.finance`."""

from __future__ import annotations

from yangcheng.finance import service_decide, service_identity
from yangcheng.platform.catalog import Registry


def register(registry: Registry) -> None:
    """Entry point `yangcheng.capabilities:finance`."""
    for cap in (*service_identity.CAPABILITIES, *service_decide.CAPABILITIES):
        registry.add_capability(cap)
    for card in service_decide.model_cards():
        registry.add_model(card)
    for dataset in service_decide.DATASETS:
        registry.add_dataset(dataset)
    registry.add_page(service_decide.FLOWS_PAGE)
    registry.on_configure(service_decide.configure)
