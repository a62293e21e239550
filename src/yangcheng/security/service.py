"""Security on the platform: simulator, detector, sorting line and site forecasting.

The detector's figures are measured on the test sets listed here, so a developer can see
which bags every reported figure comes from.
"""

from __future__ import annotations

from yangcheng.platform.catalog import Registry
from yangcheng.security import (
    service_detect,
    service_line,
    service_line_tips,
    service_scanner,
    service_simulate,
    service_site,
    service_site_status,
)
from yangcheng.security.dataset import HARD_TEST, STANDARD_TEST


def register(registry: Registry) -> None:
    """Entry point `yangcheng.capabilities:security`."""
    for cap in (
        *service_simulate.CAPABILITIES,
        *service_detect.CAPABILITIES,
        *service_scanner.CAPABILITIES,
        *service_line.CAPABILITIES,
        *service_line_tips.CAPABILITIES,
        *service_site.CAPABILITIES,
        *service_site_status.CAPABILITIES,
    ):
        registry.add_capability(cap)
    registry.on_configure(service_line.configure)
    registry.on_configure(service_scanner.configure)
    registry.add_dashboard(service_line.DASHBOARD)
    registry.add_dashboard(service_line_tips.DASHBOARD)
    registry.add_review_page(service_line.REVIEWS)
    registry.add_dashboard(service_site_status.DASHBOARD)
    registry.add_model(service_detect.model_card())
    for dataset in (STANDARD_TEST, HARD_TEST):
        registry.add_dataset(dataset.card())
