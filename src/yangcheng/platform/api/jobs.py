"""Data-service tasks over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request

from yangcheng.platform.api.deps import PlatformDep, PrincipalDep, admit, scoped
from yangcheng.platform.api.invoke import caller_of
from yangcheng.platform.auth import Principal
from yangcheng.platform.catalog import UnknownCapability
from yangcheng.platform.jobs import InvalidJob, JobNotFound
from yangcheng.platform.schemas import JobCreate, JobInfo, JobResultRow, JobResults
from yangcheng.platform.store.models import Job

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
JobId = Annotated[str, Path(min_length=1, max_length=64)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such job (or not yours)"}}


def _progress(job: Job) -> float:
    """Records done, plus the share of the record in flight that it reported itself."""
    if not job.total:
        return 0.0
    partial = 0.0
    if job.state == "running" and isinstance(job.result, dict):
        reported = job.result.get("record_progress")
        if isinstance(reported, int | float) and job.result.get("record") == job.done:
            partial = min(max(float(reported), 0.0), 0.999)
    return min((job.done + partial) / job.total, 1.0)


def job_info(job: Job) -> JobInfo:
    return JobInfo(
        id=job.id,
        kind=job.kind,
        capability=job.capability,
        state=job.state,
        total=job.total,
        done=job.done,
        failed_items=job.failed_items,
        progress=_progress(job),
        attempts=job.attempts,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _owner(principal: Principal) -> int | None:
    """Admins see every job; others only their own."""
    return None if principal.allows("admin") else principal.developer_id


@router.post("", response_model=JobInfo, status_code=202, summary="Submit a batch job")
def submit_job(
    body: JobCreate, request: Request, platform: PlatformDep, principal: PrincipalDep
) -> JobInfo:
    try:
        cap = platform.registry.get(body.capability)
    except UnknownCapability as exc:
        admit(platform, principal, "jobs")
        raise HTTPException(404, str(exc)) from exc
    request.state.capability = cap.name
    admit(platform, principal, "jobs", cap.group)
    try:
        job = platform.jobs.submit(
            body.capability,
            body.items,
            api_key_id=principal.key_id,
            developer_id=principal.developer_id,
            caller=caller_of(principal),
        )
    except InvalidJob as exc:
        raise HTTPException(422, exc.errors) from exc
    return job_info(job)


@router.get("", response_model=list[JobInfo], summary="Jobs, newest first")
def list_jobs(
    platform: PlatformDep,
    principal: Principal = scoped("jobs"),
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[JobInfo]:
    return [job_info(j) for j in platform.jobs.list(_owner(principal), limit, offset)]


@router.get("/{job_id}", response_model=JobInfo, responses=NOT_FOUND)
def get_job(job_id: JobId, platform: PlatformDep, principal: Principal = scoped("jobs")) -> JobInfo:
    try:
        return job_info(platform.jobs.get(job_id, _owner(principal)))
    except JobNotFound as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/{job_id}/results", response_model=JobResults, responses=NOT_FOUND)
def get_job_results(
    job_id: JobId,
    platform: PlatformDep,
    principal: Principal = scoped("jobs"),
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> JobResults:
    try:
        rows = platform.jobs.results(job_id, _owner(principal), offset, limit)
    except JobNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return JobResults(
        job_id=job_id,
        offset=offset,
        rows=[JobResultRow(index=r.index, ok=r.ok, output=r.output, error=r.error) for r in rows],
    )


@router.post("/{job_id}:cancel", response_model=JobInfo, responses=NOT_FOUND)
def cancel_job(
    job_id: JobId, platform: PlatformDep, principal: Principal = scoped("jobs")
) -> JobInfo:
    try:
        return job_info(platform.jobs.cancel(job_id, _owner(principal)))
    except JobNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
