"""The open platform: catalog, accounts and keys, metering, jobs, API and console."""

from yangcheng.platform.app import create_app
from yangcheng.platform.catalog import Capability, DatasetCard, DocumentPage, ModelCard, Registry

__all__ = ["Capability", "DatasetCard", "DocumentPage", "ModelCard", "Registry", "create_app"]
