"""Security on the platform: the simulator's bags and fixed test sets in the catalog.

The detector (issue 6) will add capabilities here; the datasets are listed already so that a
developer can see which bags every reported detector figure was measured on.
"""

from __future__ import annotations

from yangcheng.platform.catalog import Registry
from yangcheng.security import service_simulate
from yangcheng.security.dataset import HARD_TEST, STANDARD_TEST


def register(registry: Registry) -> None:
    """Entry point `yangcheng.capabilities:security`."""
    for cap in service_simulate.CAPABILITIES:
        registry.add_capability(cap)
    for dataset in (STANDARD_TEST, HARD_TEST):
        registry.add_dataset(dataset.card())
