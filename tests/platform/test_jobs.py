"""Data-service tasks: persisted, with progress, resumed after a crash, never lost."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import KeyMaker, wait_for_job
from yangcheng.config import Settings
from yangcheng.platform import create_app
from yangcheng.platform.catalog import discover
from yangcheng.platform.compute import LocalExecutor
from yangcheng.platform.jobs import JobService, run_job
from yangcheng.platform.store import Database, Job, JobResult, upgrade

CAP = "finance.identity.documents"
GOOD = {"resident_id": "11010519491231002X"}
BAD_SUBSTANCE = {"resident_id": "110105194912310021"}  # wrong check digit: a failed item


def items(n: int) -> list[dict]:
    return [GOOD if i % 3 else {"mobile": f"1380013{i:04d}"} for i in range(n)]


def test_submit_runs_to_completion_with_results_in_order(
    client: TestClient, make_key: KeyMaker
) -> None:
    h = {"X-API-Key": make_key("finance,jobs")}
    r = client.post(
        "/v1/jobs", json={"capability": CAP, "items": [*items(24), BAD_SUBSTANCE]}, headers=h
    )
    assert r.status_code == 202
    job = r.json()
    assert job["total"] == 25 and job["state"] in ("queued", "running", "succeeded")
    done = wait_for_job(client, job["id"], h)
    assert done["state"] == "succeeded"
    assert done["done"] == 25 and done["progress"] == 1.0
    assert done["result"] == {"records": 25, "ok": 25, "failed": 0}
    rows = client.get(f"/v1/jobs/{job['id']}/results?offset=20&limit=10", headers=h).json()["rows"]
    assert [row["index"] for row in rows] == [20, 21, 22, 23, 24]
    assert rows[-1]["output"]["all_valid"] is False  # a bad ID is an answer, not a crash
    listed = client.get("/v1/jobs", headers=h).json()
    assert [j["id"] for j in listed] == [job["id"]]


def test_invalid_records_are_refused_whole_naming_the_record(
    app, client: TestClient, make_key: KeyMaker
) -> None:
    h = {"X-API-Key": make_key("finance,jobs")}
    r = client.post(
        "/v1/jobs", json={"capability": CAP, "items": [GOOD, GOOD, {"mobile": 7}]}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "items", 2, "mobile"]
    with app.state.platform.db.session() as s:
        assert s.scalar(select(func.count(Job.id))) == 0
    assert (
        client.post("/v1/jobs", json={"capability": CAP, "items": []}, headers=h).status_code == 422
    )
    assert (
        client.post("/v1/jobs", json={"capability": "x.y", "items": [GOOD]}, headers=h).status_code
        == 404
    )


def test_jobs_need_both_the_jobs_scope_and_the_capability_scope(
    client: TestClient, make_key: KeyMaker
) -> None:
    body = {"capability": CAP, "items": [GOOD]}
    only_finance = {"X-API-Key": make_key("finance", email="f@b.cn")}
    only_jobs = {"X-API-Key": make_key("jobs,education", email="j@b.cn")}
    assert client.post("/v1/jobs", json=body, headers=only_finance).status_code == 403
    assert client.post("/v1/jobs", json=body, headers=only_jobs).status_code == 403


def test_developers_see_only_their_jobs(client: TestClient, make_key: KeyMaker) -> None:
    alice = {"X-API-Key": make_key("finance,jobs", email="alice@b.cn")}
    bob = {"X-API-Key": make_key("finance,jobs", email="bob@b.cn")}
    job = client.post("/v1/jobs", json={"capability": CAP, "items": [GOOD]}, headers=alice).json()
    assert client.get(f"/v1/jobs/{job['id']}", headers=bob).status_code == 404
    assert client.get(f"/v1/jobs/{job['id']}/results", headers=bob).status_code == 404
    assert client.get("/v1/jobs", headers=bob).json() == []
    assert client.get(f"/v1/jobs/{job['id']}", headers=alice).status_code == 200


def test_cancel_stops_a_queued_job(app, settings: Settings, make_key: KeyMaker) -> None:
    h = {"X-API-Key": make_key("finance,jobs")}
    platform = app.state.platform
    paused = _PausedExecutor()
    platform.jobs.executor = paused
    with TestClient(app) as c:
        job = c.post("/v1/jobs", json={"capability": CAP, "items": items(5)}, headers=h).json()
        r = c.post(f"/v1/jobs/{job['id']}:cancel", headers=h)
        assert r.status_code == 200 and r.json()["state"] == "cancelled"
        paused.release()
        assert c.get(f"/v1/jobs/{job['id']}", headers=h).json()["state"] == "cancelled"
        assert c.post("/v1/jobs/nope:cancel", headers=h).status_code == 404


class _PausedExecutor:
    """Holds tasks until released, so a test can act between submit and run."""

    name = "paused"

    def __init__(self) -> None:
        self.tasks: list = []

    def submit(self, fn, *args, on_error=None) -> None:
        self.tasks.append((fn, args))

    def release(self) -> None:
        for fn, args in self.tasks:
            fn(*args)
        self.tasks.clear()

    def shutdown(self) -> None:
        pass


def _crashed_job(db: Database, *, done: int, total: int, attempts: int) -> str:
    """A job as a crash leaves it: running, first `done` results committed."""
    registry = discover()
    cap = registry.get(CAP)
    records = items(total)
    with db.session() as s:
        s.add(
            Job(
                id="crashed",
                kind="batch",
                capability=CAP,
                params={"items": records},
                total=total,
                done=done,
                state="running",
                attempts=attempts,
                started_at=datetime.now(UTC),
            )
        )
        s.flush()
        for i in range(done):
            out = cap.invoke(records[i]).model_dump(mode="json")
            s.add(JobResult(job_id="crashed", index=i, ok=True, output=out))
    return "crashed"


def test_a_job_interrupted_by_a_crash_resumes_from_its_checkpoint(settings: Settings) -> None:
    upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    job_id = _crashed_job(db, done=20, total=45, attempts=1)
    app = create_app(settings)
    with TestClient(app):  # start-up recovers the job
        job = app.state.platform.jobs.get(job_id)
        deadline = 200
        while job.state == "running" and deadline:
            import time

            time.sleep(0.05)
            deadline -= 1
            job = app.state.platform.jobs.get(job_id)
    assert job.state == "succeeded"
    assert job.attempts == 2
    with db.session() as s:
        indexes = s.scalars(select(JobResult.index).where(JobResult.job_id == job_id)).all()
    assert sorted(indexes) == list(range(45))  # nothing redone, nothing lost
    db.dispose()


def test_a_job_out_of_attempts_is_marked_failed_not_lost(settings: Settings) -> None:
    upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    job_id = _crashed_job(db, done=3, total=10, attempts=settings.job_max_attempts)
    app = create_app(settings)
    with TestClient(app):
        job = app.state.platform.jobs.get(job_id)
    assert job.state == "failed"
    assert "interrupted" in (job.error or "")
    assert job.done == 3
    db.dispose()


def test_worker_resumes_without_duplicates_when_rerun(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    db = Database(url)
    job_id = _crashed_job(db, done=7, total=12, attempts=1)
    assert run_job(url, job_id, 4) == "succeeded"
    assert run_job(url, job_id, 4) == "succeeded"  # a second delivery is a no-op
    with db.session() as s:
        assert s.scalar(select(func.count(JobResult.id))) == 12
        job = s.get(Job, job_id)
        assert job is not None and job.result["records"] == 12
    db.dispose()


def _run_on(executor, settings: Settings, n: int = 30) -> Job:
    upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    service = JobService(db, discover(), executor, settings)
    job = service.submit(CAP, items(n))
    import time

    # Generous: starting Ray alone took over two minutes on two cores busy with other work.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        job = service.get(job.id)
        if job.state not in ("queued", "running"):
            break
        time.sleep(0.1)
    executor.shutdown()
    db.dispose()
    return job


def test_local_process_pool_runs_jobs(settings: Settings) -> None:
    job = _run_on(LocalExecutor("process", 1), settings)
    assert job.state == "succeeded" and job.done == 30


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed")
def test_ray_executor_runs_jobs(settings: Settings) -> None:
    from yangcheng.platform.compute import RayExecutor

    job = _run_on(RayExecutor(num_cpus=1), settings)
    assert job.state == "succeeded" and job.done == 30
