"""Data-service tasks: batch work that is persisted, shows progress and survives crashes.

A batch job runs one capability over a list of records. Workers commit each
chunk's results together with the job's ``done`` counter, so a worker that
dies loses at most the chunk in flight; on restart the platform resumes every
unfinished job from that checkpoint, or marks it failed after
``job_max_attempts`` tries. A job is never silently lost.
"""

from __future__ import annotations

import builtins
import logging
import traceback
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import defer

from yangcheng.config import Settings
from yangcheng.platform.catalog import Caller, InvalidInput, Registry, discover
from yangcheng.platform.compute import Executor
from yangcheng.platform.progress import Reporter, listening
from yangcheng.platform.store.db import Database
from yangcheng.platform.store.models import Job, JobResult

log = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "running")
FINAL_STATES = ("succeeded", "failed", "cancelled")
MAX_ITEMS = 100_000


class InvalidJob(ValueError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


class JobNotFound(LookupError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job {job_id!r}")
        self.job_id = job_id


def _now() -> datetime:
    return datetime.now(UTC)


def run_job(
    database_url: str,
    job_id: str,
    chunk_size: int,
    registry: Registry | None = None,
    home: str | None = None,
) -> str:
    """Worker entry point: run (or resume) one job to the end. Returns its final state.

    A worker in another process discovers the capabilities itself and points
    them at the platform's data folder ``home``.
    """
    if registry is None:
        registry = discover()
        if home is not None:
            registry.configure(Path(home))
    db = Database(database_url)
    try:
        return _run(db, registry, job_id, chunk_size)
    finally:
        db.dispose()


def _run(db: Database, registry: Registry, job_id: str, chunk_size: int) -> str:
    with db.session() as s:
        job = s.get(Job, job_id)
        if job is None or job.state not in ACTIVE_STATES:
            return job.state if job else "missing"
        job.state = "running"
        job.started_at = job.started_at or _now()
        job.heartbeat_at = _now()
        items: list[dict[str, Any]] = list(job.params.get("items", []))
        caller_info = job.params.get("caller")
        caller = Caller(**caller_info) if caller_info else None
        capability = registry.get(job.capability)
        start = job.done
    try:
        for lo in range(start, len(items), chunk_size):
            rows = []
            for i in range(lo, min(lo + chunk_size, len(items))):
                with listening(_progress_writer(db, job_id, i)):
                    rows.append(_run_item(capability.invoke, i, items[i], caller))
            with db.session() as s:
                job = s.get(Job, job_id, with_for_update=True)
                if job is None or job.state != "running":
                    return job.state if job else "missing"
                s.add_all(JobResult(job_id=job_id, **row) for row in rows)
                job.done = rows[-1]["index"] + 1
                job.failed_items += sum(1 for r in rows if not r["ok"])
                job.heartbeat_at = _now()
        with db.session() as s:
            job = s.get(Job, job_id)
            assert job is not None
            if job.state != "running":
                return job.state
            job.state = "succeeded"
            job.finished_at = _now()
            job.result = {
                "records": job.total,
                "ok": job.total - job.failed_items,
                "failed": job.failed_items,
            }
            return job.state
    except Exception as exc:
        mark_failed(db, job_id, f"{type(exc).__name__}: {exc}")
        log.error("job %s failed\n%s", job_id, traceback.format_exc())
        return "failed"


def _progress_writer(db: Database, job_id: str, index: int) -> Reporter:
    """Record a long record's own progress in the running job's ``result``."""

    def write(fraction: float, stage: str) -> None:
        with db.session() as s:
            s.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == "running")
                .values(
                    result={"record": index, "record_progress": fraction, "stage": stage},
                    heartbeat_at=_now(),
                )
            )

    return write


def _run_item(
    invoke: Any, index: int, item: dict[str, Any], caller: Caller | None
) -> dict[str, Any]:
    try:
        out: BaseModel = invoke(item, caller)
        return {"index": index, "ok": True, "output": out.model_dump(mode="json"), "error": None}
    except (InvalidInput, ValidationError, ValueError) as exc:
        return {"index": index, "ok": False, "output": None, "error": str(exc)}


def mark_failed(db: Database, job_id: str, error: str) -> None:
    with db.session() as s:
        s.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(ACTIVE_STATES))
            .values(state="failed", error=error, finished_at=_now())
        )


def load_job(db: Database, job_id: str, developer_id: int | None = None) -> Job:
    """A detached job; JobNotFound also when it belongs to another developer."""
    with db.session() as s:
        job = s.get(Job, job_id, options=[defer(Job.params, raiseload=True)])
        if job is None or (developer_id is not None and job.developer_id != developer_id):
            raise JobNotFound(job_id)
        s.expunge(job)
        return job


def list_jobs(
    db: Database, developer_id: int | None = None, limit: int = 50, offset: int = 0
) -> list[Job]:
    with db.session() as s:
        query = (
            select(Job)
            .options(defer(Job.params, raiseload=True))
            .order_by(Job.created_at.desc())
            .limit(limit)
            .offset(offset)
        )
        if developer_id is not None:
            query = query.where(Job.developer_id == developer_id)
        jobs = list(s.scalars(query))
        s.expunge_all()
        return jobs


class JobService:
    """Submits, tracks, cancels and recovers jobs."""

    def __init__(
        self, db: Database, registry: Registry, executor: Executor, settings: Settings
    ) -> None:
        self.db = db
        self.registry = registry
        self.executor = executor
        self.settings = settings

    def submit(
        self,
        capability: str,
        items: list[Any],
        *,
        api_key_id: int | None = None,
        developer_id: int | None = None,
        caller: Caller | None = None,
    ) -> Job:
        cap = self.registry.get(capability)
        if not items:
            raise InvalidJob([{"loc": ["body", "items"], "msg": "must hold at least one record"}])
        if len(items) > MAX_ITEMS:
            raise InvalidJob(
                [{"loc": ["body", "items"], "msg": f"at most {MAX_ITEMS} records per job"}]
            )
        errors: list[dict[str, Any]] = []
        clean: list[dict[str, Any]] = []
        for i, item in enumerate(items):
            try:
                clean.append(cap.request_model.model_validate(item).model_dump(mode="json"))
            except ValidationError as exc:
                for err in exc.errors(include_url=False):
                    errors.append(
                        {
                            "loc": ["body", "items", i, *err["loc"]],
                            "msg": err["msg"],
                            "type": err["type"],
                        }
                    )
                if len(errors) >= 20:
                    break
        if errors:
            raise InvalidJob(errors)
        job = Job(
            id=str(uuid.uuid4()),
            kind="batch",
            capability=capability,
            params={"items": clean, "caller": asdict(caller) if caller else None},
            total=len(clean),
            api_key_id=api_key_id,
            developer_id=developer_id,
            attempts=0,
        )
        with self.db.session() as s:
            s.add(job)
        self._dispatch(job.id)
        return self.get(job.id)

    def _dispatch(self, job_id: str) -> None:
        with self.db.session() as s:
            s.execute(update(Job).where(Job.id == job_id).values(attempts=Job.attempts + 1))
        registry = self.registry if self.executor.name == "local-thread" else None
        self.executor.submit(
            run_job,
            self.db.url,
            job_id,
            self.settings.job_chunk_size,
            registry,
            str(self.settings.home),
            on_error=lambda exc: mark_failed(self.db, job_id, f"worker died: {exc!r}"),
        )

    def recover(self) -> tuple[list[str], list[str]]:
        """Resume jobs left unfinished by a crash; fail those out of attempts."""
        with self.db.session() as s:
            unfinished = s.execute(
                select(Job.id, Job.attempts).where(Job.state.in_(ACTIVE_STATES))
            ).all()
        resumed, failed = [], []
        for job_id, attempts in unfinished:
            if attempts >= self.settings.job_max_attempts:
                mark_failed(
                    self.db, job_id, f"interrupted {attempts} times; giving up (job_max_attempts)"
                )
                failed.append(job_id)
            else:
                self._dispatch(job_id)
                resumed.append(job_id)
        if resumed or failed:
            log.warning("jobs resumed: %s; marked failed: %s", resumed, failed)
        return resumed, failed

    def get(self, job_id: str, developer_id: int | None = None) -> Job:
        return load_job(self.db, job_id, developer_id)

    def list(
        self, developer_id: int | None = None, limit: int = 50, offset: int = 0
    ) -> builtins.list[Job]:
        return list_jobs(self.db, developer_id, limit, offset)

    def results(
        self, job_id: str, developer_id: int | None = None, offset: int = 0, limit: int = 100
    ) -> builtins.list[JobResult]:
        load_job(self.db, job_id, developer_id)
        with self.db.session() as s:
            rows = list(
                s.scalars(
                    select(JobResult)
                    .where(JobResult.job_id == job_id, JobResult.index >= offset)
                    .order_by(JobResult.index)
                    .limit(limit)
                )
            )
            s.expunge_all()
            return rows

    def cancel(self, job_id: str, developer_id: int | None = None) -> Job:
        self.get(job_id, developer_id)
        with self.db.session() as s:
            s.execute(
                update(Job)
                .where(Job.id == job_id, Job.state.in_(ACTIVE_STATES))
                .values(state="cancelled", finished_at=_now())
            )
        return self.get(job_id)
