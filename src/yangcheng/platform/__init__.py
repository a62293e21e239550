"""The open platform: catalog, accounts and keys, metering, jobs, API and console."""

from yangcheng.platform.app import create_app
from yangcheng.platform.catalog import (
    Capability,
    DashboardPage,
    DatasetCard,
    DocumentPage,
    ModelCard,
    Registry,
    ReviewPage,
)

__all__ = [
    "Capability",
    "DashboardPage",
    "DatasetCard",
    "DocumentPage",
    "ModelCard",
    "Registry",
    "ReviewPage",
    "create_app",
]
