"""The Python client against a real server on loopback."""

from __future__ import annotations

import pytest

from tests.conftest import KeyMaker
from yangcheng.client import ApiError, Client
from yangcheng.finance.service_identity import DocumentCheckRequest, DocumentCheckResponse
from yangcheng.platform.schemas import KeyCreate


def test_client_covers_the_api(live_server: str, make_key: KeyMaker) -> None:
    admin = make_key("*")
    with Client(live_server, admin) as yc:
        assert yc.health().status == "ok"
        assert "finance.identity.documents" in [c.name for c in yc.catalog().capabilities]
        typed = yc.invoke_typed(
            "finance.identity.documents",
            DocumentCheckRequest(resident_id="440304199003071248", declared_sex="female"),
            DocumentCheckResponse,
        )
        assert typed.all_valid and typed.checks[0].facts["birth_date"] == "1990-03-07"

        job = yc.submit_job("finance.identity.documents", [{"mobile": "13800138000"}] * 12)
        done = yc.wait(job.id, timeout_s=60)
        assert done.state == "succeeded" and done.done == 12
        assert len(yc.job_results(job.id, limit=5).rows) == 5
        assert [j.id for j in yc.jobs()] == [job.id]

        created = yc.create_key(
            KeyCreate(email="new@school.example.cn", organisation="School", scopes=["education"])
        )
        assert created.key.startswith("yc_")
        assert created.id in [k.id for k in yc.list_keys()]
        assert yc.revoke_key(created.id).revoked_at is not None

        stats = yc.stats()
        assert stats.tasks_completed == 1 and stats.developers_onboarded == 2
        assert yc.usage(days=3).days[-1].calls > 0
        assert yc.me().scopes == ["*"]


def test_client_raises_api_errors_with_the_servers_words(
    live_server: str, make_key: KeyMaker
) -> None:
    with Client(live_server, make_key("finance", rate_limit_per_minute=1)) as yc:
        with pytest.raises(ApiError) as bad:
            yc.invoke("finance.identity.documents", {"mobile": 13800138000})
        assert bad.value.status_code == 422
        assert bad.value.detail[0]["loc"] == ["body", "mobile"]
        with pytest.raises(ApiError) as limited:
            yc.invoke("finance.identity.documents", {"mobile": "13800138000"})
        assert limited.value.status_code == 429 and limited.value.retry_after_s
    with Client(live_server) as anonymous, pytest.raises(ApiError) as denied:
        anonymous.stats()
    assert denied.value.status_code == 401
