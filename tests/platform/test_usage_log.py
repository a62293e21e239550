"""Usage events are batched off the request path, and never lost across restarts of the app."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from yangcheng.platform.store import Database, UsageEvent, upgrade
from yangcheng.platform.usage_log import UsageRecorder


def event(i: int) -> dict:
    return {
        "api_key_id": None,
        "developer_id": None,
        "organisation_id": None,
        "method": "GET",
        "path": f"/v1/x/{i}",
        "capability": None,
        "status_code": 200,
        "latency_ms": 1.0,
        "created_at": datetime.now(UTC),
    }


def count(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count(UsageEvent.id))) or 0)


def test_flush_writes_everything_submitted_and_close_can_be_followed_by_more(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    upgrade(url)
    db = Database(url)
    recorder = UsageRecorder(db, interval_s=5.0, batch=7)
    for i in range(30):
        recorder.submit(event(i))
    recorder.flush()
    assert count(db) == 30
    recorder.close()
    recorder.submit(event(31))  # an app started again after a shutdown keeps metering
    recorder.close()
    assert count(db) == 31
    recorder.flush()
    db.dispose()
