"""Usage events, per-key quotas and rate limits, and the platform's counts.

Rate limits live in memory (they protect this process); daily quotas are
counted from the database so they survive restarts.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from yangcheng.platform.store.models import Developer, Job, Organisation, UsageEvent


@dataclass(frozen=True)
class Refusal:
    """Why a call was refused and when to try again."""

    reason: str
    retry_after_s: int


class RateLimiter:
    """Sliding one-minute window per key."""

    def __init__(self) -> None:
        self._calls: dict[int, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key_id: int, limit_per_minute: int, now: float | None = None) -> Refusal | None:
        if limit_per_minute <= 0:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._calls[key_id]
            while window and now - window[0] >= 60.0:
                window.popleft()
            if len(window) >= limit_per_minute:
                wait = max(1, math.ceil(60.0 - (now - window[0])))
                return Refusal(f"rate limit of {limit_per_minute} calls per minute", wait)
            window.append(now)
        return None


class QuotaTracker:
    """Calls admitted per key per UTC day, seeded from the usage table once a day."""

    def __init__(self) -> None:
        self._counts: dict[tuple[int, date], int] = {}
        self._lock = threading.Lock()

    def check(
        self,
        session: Session,
        key_id: int,
        quota: int,
        sync: Callable[[], None] | None = None,
    ) -> Refusal | None:
        """``sync`` writes pending usage events before the day's count is read."""
        if quota <= 0:
            return None
        now = datetime.now(UTC)
        today = now.date()
        slot = (key_id, today)
        with self._lock:
            count = self._counts.get(slot)
        if count is None:
            if sync is not None:
                sync()
            start = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
            count = (
                session.scalar(
                    select(func.count(UsageEvent.id)).where(
                        UsageEvent.api_key_id == key_id,
                        UsageEvent.created_at >= start,
                        UsageEvent.status_code != 429,
                    )
                )
                or 0
            )
        if count >= quota:
            midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            return Refusal(
                f"daily quota of {quota} calls", int((midnight - now).total_seconds()) + 1
            )
        with self._lock:
            self._counts = {k: v for k, v in self._counts.items() if k[1] == today}
            self._counts[slot] = count + 1
        return None


def record(session: Session, event: UsageEvent) -> None:
    session.add(event)


def platform_stats(session: Session, now: datetime | None = None) -> dict[str, int]:
    """The counts a funding body asks for."""
    now = now or datetime.now(UTC)

    def active_since(days: int) -> int:
        return (
            session.scalar(
                select(func.count(distinct(UsageEvent.developer_id))).where(
                    UsageEvent.developer_id.is_not(None),
                    UsageEvent.created_at >= now - timedelta(days=days),
                )
            )
            or 0
        )

    return {
        "developers_onboarded": session.scalar(select(func.count(Developer.id))) or 0,
        "organisations_registered": session.scalar(select(func.count(Organisation.id))) or 0,
        "organisations_served": session.scalar(
            select(func.count(distinct(UsageEvent.organisation_id))).where(
                UsageEvent.organisation_id.is_not(None)
            )
        )
        or 0,
        "active_users_7d": active_since(7),
        "active_users_30d": active_since(30),
        "api_calls_total": session.scalar(
            select(func.count(UsageEvent.id)).where(UsageEvent.api_key_id.is_not(None))
        )
        or 0,
        "tasks_completed": session.scalar(
            select(func.count(Job.id)).where(Job.state == "succeeded")
        )
        or 0,
        "tasks_submitted": session.scalar(select(func.count(Job.id))) or 0,
    }


@dataclass(frozen=True)
class DailyUsage:
    day: date
    calls: int
    errors: int
    mean_latency_ms: float


def daily_usage(
    session: Session, *, days: int = 30, developer_id: int | None = None
) -> list[DailyUsage]:
    """Calls per day for the last ``days`` days, zero-filled, oldest first."""
    today = datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    # Grouped in the database: a month of a busy platform is millions of events.
    # The UTC day: SQLite stores UTC text; PostgreSQL converts from its session zone.
    if session.get_bind().dialect.name == "postgresql":
        day_expr = func.date(func.timezone("UTC", UsageEvent.created_at))
    else:
        day_expr = func.date(UsageEvent.created_at)
    query = (
        select(
            day_expr,
            func.count(UsageEvent.id),
            func.sum(case((UsageEvent.status_code >= 400, 1), else_=0)),
            func.avg(UsageEvent.latency_ms),
        )
        .where(UsageEvent.created_at >= start)
        .group_by(day_expr)
    )
    if developer_id is not None:
        query = query.where(UsageEvent.developer_id == developer_id)
    per_day: dict[date, tuple[int, int, float]] = {}
    for day, calls, errors, mean in session.execute(query):
        key = day if isinstance(day, date) else date.fromisoformat(str(day))
        per_day[key] = (int(calls), int(errors or 0), float(mean or 0.0))
    out = []
    for i in range(days):
        day = first + timedelta(days=i)
        calls, errors, mean = per_day.get(day, (0, 0, 0.0))
        out.append(DailyUsage(day, calls, errors, mean))
    return out


def usage_by_capability(
    session: Session, *, developer_id: int | None = None
) -> list[tuple[str, int, float]]:
    """(capability, calls, mean latency ms), busiest first."""
    query = (
        select(UsageEvent.capability, func.count(UsageEvent.id), func.avg(UsageEvent.latency_ms))
        .where(UsageEvent.capability.is_not(None))
        .group_by(UsageEvent.capability)
        .order_by(func.count(UsageEvent.id).desc())
    )
    if developer_id is not None:
        query = query.where(UsageEvent.developer_id == developer_id)
    return [(str(c), int(n), float(m or 0.0)) for c, n, m in session.execute(query)]
