"""Storage on SQLite (WAL) and PostgreSQL: migrations, constraints, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from yangcheng.platform.store import Base, Database, Job, JobResult, Organisation, upgrade


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    db = Database(database_url)
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    db.dispose()


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    """A model change without a migration would show up here as a diff."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(database_url)
    db = Database(database_url)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == []


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_datetimes_come_back_aware_and_in_utc(database_url: str) -> None:
    upgrade(database_url)
    db = Database(database_url)
    shanghai = timezone(timedelta(hours=8))
    stamp = datetime(2026, 3, 1, 9, 30, tzinfo=shanghai)
    with db.session() as s:
        s.add(Organisation(name="Airport", created_at=stamp))
    with db.session() as s:
        org = s.scalar(select(Organisation).where(Organisation.name == "Airport"))
        assert org is not None
        assert org.created_at.tzinfo is not None
        assert org.created_at == stamp
        assert org.created_at.utcoffset() == timedelta(0)
    db.dispose()


def test_naive_datetimes_are_refused(database_url: str) -> None:
    upgrade(database_url)
    db = Database(database_url)
    with pytest.raises(Exception, match="naive"), db.session() as s:
        s.add(Organisation(name="School", created_at=datetime(2026, 1, 1)))
    db.dispose()


def test_a_job_result_is_written_once_and_a_failed_transaction_leaves_nothing(
    database_url: str,
) -> None:
    upgrade(database_url)
    db = Database(database_url)
    with db.session() as s:
        s.add(Job(id="j1", kind="batch", capability="x.y", params={"items": [{}]}, total=1))
    with db.session() as s:
        s.add(JobResult(job_id="j1", index=0, ok=True, output={"a": 1}))
    with pytest.raises(IntegrityError), db.session() as s:
        job = s.get(Job, "j1")
        assert job is not None
        job.done = 1
        s.add(JobResult(job_id="j1", index=0, ok=True, output={"a": 2}))
    with db.session() as s:
        job = s.get(Job, "j1")
        assert job is not None and job.done == 0
        rows = s.scalars(select(JobResult)).all()
        assert [r.output for r in rows] == [{"a": 1}]
        assert job.created_at <= datetime.now(UTC)
    db.dispose()


def test_daily_usage_groups_by_utc_day_in_the_database(database_url: str) -> None:
    from yangcheng.platform.metering import daily_usage
    from yangcheng.platform.store import UsageEvent

    upgrade(database_url)
    db = Database(database_url)
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=30, second=0, microsecond=0)
    yesterday_late = today - timedelta(hours=1)  # 23:30 UTC the day before
    shanghai = timezone(timedelta(hours=8))
    with db.session() as s:
        for at, status, latency in [
            (today, 200, 10.0),
            (today.astimezone(shanghai), 500, 30.0),  # same instant, other zone
            (yesterday_late, 200, 5.0),
            (now - timedelta(days=40), 200, 1.0),  # outside the window
        ]:
            s.add(
                UsageEvent(
                    method="GET",
                    path="/v1/x",
                    status_code=status,
                    latency_ms=latency,
                    created_at=at,
                )
            )
    with db.session() as s:
        days = daily_usage(s, days=7)
    db.dispose()
    assert len(days) == 7 and days[-1].day == now.date()
    assert (days[-1].calls, days[-1].errors, days[-1].mean_latency_ms) == (2, 1, 20.0)
    assert (days[-2].calls, days[-2].errors) == (1, 0)
    assert sum(d.calls for d in days) == 3
