"""Persistence: SQLAlchemy 2 models, engine set-up and Alembic migrations."""

from yangcheng.platform.store.db import Database, upgrade
from yangcheng.platform.store.models import (
    ApiKey,
    Base,
    BenchmarkRun,
    Developer,
    Job,
    JobResult,
    Organisation,
    UsageEvent,
)

__all__ = [
    "ApiKey",
    "Base",
    "BenchmarkRun",
    "Database",
    "Developer",
    "Job",
    "JobResult",
    "Organisation",
    "UsageEvent",
    "upgrade",
]
