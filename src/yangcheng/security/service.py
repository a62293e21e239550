"""Security on the platform: the simulator's bags and fixed test sets in the catalog.

The detector's figures are measured on the test sets listed here, so a developer can see
which bags every reported figure comes from.
"""

from __future__ import annotations

from yangcheng.platform.catalog import Registry
from yangcheng.security import service_detect, service_simulate
from yangcheng.security.dataset import HARD_TEST, STANDARD_TEST


def register(registry: Registry) -> None:
    """Entry point `yangcheng.capabilities:security`."""
    for cap in (*service_simulate.CAPABILITIES, *service_detect.CAPABILITIES):
        registry.add_capability(cap)
    registry.add_model(service_detect.model_card())
    for dataset in (STANDARD_TEST, HARD_TEST):
        registry.add_dataset(dataset.card())
