"""Platform counts for the funding body, and the caller's usage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from yangcheng import __version__
from yangcheng.platform import metering
from yangcheng.platform.api.deps import PlatformDep, scoped
from yangcheng.platform.auth import Principal
from yangcheng.platform.schemas import CapabilityUsage, DayUsage, Health, Stats, Usage

router = APIRouter(tags=["platform"])


@router.get("/health", response_model=Health, summary="Liveness and configuration")
def health(platform: PlatformDep) -> Health:
    with platform.db.session() as s:
        s.connection().exec_driver_sql("SELECT 1")
    return Health(
        version=__version__,
        database=platform.db.engine.dialect.name,
        executor=platform.jobs.executor.name,
    )


@router.get("/v1/stats", response_model=Stats, summary="Developers, users, organisations, tasks")
def stats(platform: PlatformDep, _caller: Principal = scoped(None)) -> Stats:
    platform.usage.flush()
    with platform.db.session() as s:
        return Stats(**metering.platform_stats(s))


@router.get("/v1/usage", response_model=Usage, summary="Calls per day and per capability")
def usage(
    platform: PlatformDep,
    principal: Principal = scoped(None),
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Usage:
    who = None if principal.allows("admin") else principal.developer_id
    platform.usage.flush()
    with platform.db.session() as s:
        daily = metering.daily_usage(s, days=days, developer_id=who)
        caps = metering.usage_by_capability(s, developer_id=who)
    return Usage(
        days=[DayUsage(**d.__dict__) for d in daily],
        capabilities=[
            CapabilityUsage(capability=c, calls=n, mean_latency_ms=m) for c, n, m in caps
        ],
    )
