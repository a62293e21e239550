"""The platform's long-lived parts, built once per app and shared by API and console."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yangcheng.config import Settings
from yangcheng.platform.auth import Authenticator
from yangcheng.platform.catalog import Registry
from yangcheng.platform.jobs import JobService
from yangcheng.platform.metering import QuotaTracker, RateLimiter
from yangcheng.platform.store.db import Database
from yangcheng.platform.usage_log import UsageRecorder


@dataclass
class Platform:
    settings: Settings
    db: Database
    registry: Registry
    jobs: JobService
    usage: UsageRecorder
    authenticator: Authenticator = field(default_factory=Authenticator)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    quotas: QuotaTracker = field(default_factory=QuotaTracker)
    # JSON schemas of the (immutable) registry, built once: generating them is ~ms per call.
    schema_cache: dict[str, Any] = field(default_factory=dict)
