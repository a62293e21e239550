"""The open platform: catalog, accounts and keys, metering, jobs, API and console."""

from yangcheng.platform.app import create_app
from yangcheng.platform.catalog import Capability, DatasetCard, ModelCard, Registry

__all__ = ["Capability", "DatasetCard", "ModelCard", "Registry", "create_app"]
