"""Every call is recorded; quotas and rate limits answer 429 with Retry-After."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import KeyMaker
from yangcheng.platform.metering import RateLimiter
from yangcheng.platform.store import UsageEvent

INVOKE = "/v1/capabilities/finance.identity.documents:invoke"
BODY = {"mobile": "13800138000"}


def test_rate_limiter_window_slides() -> None:
    limiter = RateLimiter()
    assert limiter.check(1, 2, now=0.0) is None
    assert limiter.check(1, 2, now=10.0) is None
    refusal = limiter.check(1, 2, now=20.0)
    assert refusal is not None and refusal.retry_after_s == 40
    assert limiter.check(2, 2, now=20.0) is None  # per key
    assert limiter.check(1, 2, now=60.5) is None  # first call left the window
    assert limiter.check(1, 0, now=61.0) is None  # 0 = unlimited


def test_rate_limit_returns_429_with_retry_after(client: TestClient, make_key: KeyMaker) -> None:
    headers = {"X-API-Key": make_key("finance", rate_limit_per_minute=3)}
    codes = [client.post(INVOKE, json=BODY, headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.post(INVOKE, json=BODY, headers=headers)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert "rate limit" in r.json()["detail"]


def test_daily_quota_returns_429_until_midnight(client: TestClient, make_key: KeyMaker) -> None:
    headers = {"X-API-Key": make_key("finance", daily_quota=2)}
    assert [client.post(INVOKE, json=BODY, headers=headers).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    r = client.get("/v1/me", headers=headers)
    assert r.status_code == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 86_401
    assert "quota" in r.json()["detail"]


def test_quota_survives_a_restart(app, settings, make_key: KeyMaker) -> None:
    from yangcheng.platform import create_app

    raw = make_key("finance", daily_quota=2)
    with TestClient(app) as c:
        assert c.post(INVOKE, json=BODY, headers={"X-API-Key": raw}).status_code == 200
    with TestClient(create_app(settings)) as c:
        assert c.post(INVOKE, json=BODY, headers={"X-API-Key": raw}).status_code == 200
        assert c.post(INVOKE, json=BODY, headers={"X-API-Key": raw}).status_code == 429


def test_every_call_is_recorded_with_who_what_latency_status(
    app, client: TestClient, make_key: KeyMaker
) -> None:
    raw = make_key("finance")
    client.post(INVOKE, json=BODY, headers={"X-API-Key": raw})
    client.post(INVOKE, json={"mobile": 5}, headers={"X-API-Key": raw})
    client.post(INVOKE, json=BODY)
    app.state.platform.usage.flush()  # events are written in batches, off the request path
    with app.state.platform.db.session() as s:
        events = s.scalars(select(UsageEvent).order_by(UsageEvent.id)).all()
    assert [e.status_code for e in events] == [200, 422, 401]
    assert all(e.capability == "finance.identity.documents" for e in events)
    assert events[0].api_key_id is not None and events[0].developer_id is not None
    assert events[2].api_key_id is None
    assert all(e.latency_ms > 0 for e in events)


def test_stats_count_developers_users_organisations_tasks(
    client: TestClient, make_key: KeyMaker
) -> None:
    a = make_key("*", email="a@bank.example.cn", organisation="Bank A")
    make_key("finance", email="b@bank.example.cn", organisation="Bank B")  # onboarded, idle
    c = make_key("*", email="c@school.example.cn", organisation="School C")
    for raw in (a, c):
        client.post(INVOKE, json=BODY, headers={"X-API-Key": raw})
    job = client.post(
        "/v1/jobs",
        json={"capability": "finance.identity.documents", "items": [BODY]},
        headers={"X-API-Key": a},
    ).json()
    from tests.conftest import wait_for_job

    assert wait_for_job(client, job["id"], {"X-API-Key": a})["state"] == "succeeded"
    stats = client.get("/v1/stats", headers={"X-API-Key": a}).json()
    assert stats["developers_onboarded"] == 3
    assert stats["organisations_registered"] == 3
    assert stats["organisations_served"] == 2
    assert stats["active_users_7d"] == 2
    assert stats["active_users_30d"] == 2
    assert stats["tasks_completed"] == 1
    assert stats["tasks_submitted"] == 1


def test_usage_per_day_and_capability(client: TestClient, make_key: KeyMaker) -> None:
    raw = make_key("finance")
    for _ in range(3):
        client.post(INVOKE, json=BODY, headers={"X-API-Key": raw})
    usage = client.get("/v1/usage?days=7", headers={"X-API-Key": raw}).json()
    assert len(usage["days"]) == 7
    assert usage["days"][-1]["calls"] >= 3
    assert usage["capabilities"][0]["capability"] == "finance.identity.documents"
    assert usage["capabilities"][0]["calls"] == 3
    assert client.get("/v1/usage?days=0", headers={"X-API-Key": raw}).status_code == 422
