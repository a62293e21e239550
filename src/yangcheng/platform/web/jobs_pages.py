"""Batch jobs: submit JSON lines, watch progress, read the first results."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from yangcheng.platform.api.deps import admit
from yangcheng.platform.api.invoke import caller_of
from yangcheng.platform.api.jobs import job_info
from yangcheng.platform.jobs import ACTIVE_STATES, InvalidJob, JobNotFound
from yangcheng.platform.schemas import JobInfo
from yangcheng.platform.store.models import Developer
from yangcheng.platform.web.render import is_htmx, render
from yangcheng.platform.web.session import Viewer, ViewerDep, current_viewer, platform_of

router = APIRouter(prefix="/console/jobs", include_in_schema=False)

RESULTS_SHOWN = 50
JOBS_SHOWN = 50
MAX_LINE_ERRORS = 20


def _owners(request: Request, developer_ids: list[int | None]) -> list[str]:
    """E-mails of the jobs' owners, for the admin view of everyone's jobs."""
    ids = {d for d in developer_ids if d is not None}
    if not ids:
        return ["—"] * len(developer_ids)
    with platform_of(request).db.session() as s:
        query = select(Developer.id, Developer.email).where(Developer.id.in_(ids))
        emails: dict[int, str] = {row[0]: row[1] for row in s.execute(query)}
    return [emails.get(d, "—") if d is not None else "—" for d in developer_ids]


def _rows_context(request: Request, viewer: Viewer) -> dict[str, Any]:
    if not viewer.may("jobs"):
        return {"jobs": [], "owners": [], "active": False}
    raw = platform_of(request).jobs.list(viewer.owner_filter, JOBS_SHOWN, 0)
    jobs = [job_info(j) for j in raw]
    owners = _owners(request, [j.developer_id for j in raw]) if viewer.is_admin else []
    return {
        "jobs": jobs,
        "owners": owners,
        "active": any(j.state in ACTIVE_STATES for j in jobs),
    }


def _page_context(request: Request, viewer: Viewer, capability: str | None) -> dict[str, Any]:
    registry = platform_of(request).registry
    caps = sorted(registry.capabilities)
    chosen = capability if capability in registry.capabilities else (caps[0] if caps else "")
    lines = ""
    if capability in registry.capabilities:
        lines = "\n".join(
            json.dumps(e, ensure_ascii=False) for e in registry.capabilities[capability].examples
        )
    return {
        "viewer": viewer,
        "nav": "jobs",
        "capabilities": caps,
        "chosen": chosen,
        "lines": lines,
        "errors": [],
        "submitted": None,
        **_rows_context(request, viewer),
    }


@router.get("")
def jobs_page(request: Request, viewer: ViewerDep, capability: str | None = None) -> Response:
    return render(request, "jobs.html", _page_context(request, viewer, capability))


@router.get("/rows")
def jobs_rows(request: Request, viewer: ViewerDep) -> Response:
    """The table body alone: polled by HTMX while any job is still moving."""
    return render(request, "_job_rows.html", {"viewer": viewer, **_rows_context(request, viewer)})


def parse_lines(text: str) -> tuple[list[Any], list[int], list[str]]:
    """Records, the line each came from, and errors naming those lines."""
    items: list[Any] = []
    line_numbers: list[int] = []
    errors: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: not valid JSON: {exc.msg} (column {exc.colno})")
        else:
            if isinstance(item, dict):
                items.append(item)
                line_numbers.append(number)
            else:
                errors.append(f"line {number}: must be a JSON object, one request per line")
        if len(errors) >= MAX_LINE_ERRORS:
            break
    if not items and not errors:
        errors.append("paste at least one request, one JSON object per line")
    return items, line_numbers, errors


def _job_errors(exc: InvalidJob, line_numbers: list[int]) -> list[str]:
    """InvalidJob locates records by index; people count the lines they pasted."""
    out = []
    for err in exc.errors:
        loc = [p for p in err["loc"] if p != "body"]
        if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
            index = loc[1]
            line = line_numbers[index] if index < len(line_numbers) else index + 1
            field = ".".join(str(p) for p in loc[2:]) or "(request)"
            out.append(f"line {line}: {field}: {err['msg']}")
        else:
            out.append(f"{'.'.join(str(p) for p in loc) or 'request'}: {err['msg']}")
    return out


def submit(request: Request, viewer: Viewer, capability: str, lines: str) -> tuple[int, Any]:
    """Submit as `POST /v1/jobs` would; returns (status, job or error list)."""
    platform = platform_of(request)
    cap = platform.registry.capabilities.get(capability)
    if cap is None:
        return 422, [f"capability: no capability named {capability!r}"]
    if not viewer.may("jobs"):
        return 403, ["this key lacks the 'jobs' scope"]
    items, line_numbers, errors = parse_lines(lines)
    if errors:
        return 422, errors
    try:
        admit(platform, viewer.principal, cap.group)
    except HTTPException as exc:
        return exc.status_code, [str(exc.detail)]
    try:
        job = platform.jobs.submit(
            capability,
            items,
            api_key_id=viewer.principal.key_id,
            developer_id=viewer.principal.developer_id,
            caller=caller_of(viewer.principal),
        )
    except InvalidJob as exc:
        return 422, _job_errors(exc, line_numbers)
    return 202, job_info(job)


@router.post("")
async def submit_job(request: Request) -> Response:
    viewer = await run_in_threadpool(current_viewer, request)
    form = await request.form()
    capability = str(form.get("capability", ""))
    lines = str(form.get("lines", ""))
    status, outcome = await run_in_threadpool(submit, request, viewer, capability, lines)
    if not is_htmx(request):
        if isinstance(outcome, JobInfo):
            return RedirectResponse(f"/console/jobs/{outcome.id}", status_code=303)
        ctx = await run_in_threadpool(_page_context, request, viewer, None)
        ctx.update(chosen=capability, lines=lines, errors=outcome)
        return render(request, "jobs.html", ctx, status_code=status)
    if isinstance(outcome, JobInfo):
        return render(
            request,
            "_job_submitted.html",
            {"submitted": outcome, "errors": []},
            status_code=status,
            # Tells the jobs table to refresh now rather than at its next poll.
            headers={"HX-Trigger": "jobs-changed"},
        )
    return render(
        request, "_job_submitted.html", {"submitted": None, "errors": outcome}, status_code=status
    )


def _detail_context(request: Request, viewer: Viewer, job_id: str) -> dict[str, Any] | None:
    if not viewer.may("jobs"):
        return None
    jobs = platform_of(request).jobs
    try:
        job = job_info(jobs.get(job_id, viewer.owner_filter))
        rows = jobs.results(job_id, viewer.owner_filter, 0, RESULTS_SHOWN)
    except JobNotFound:
        return None
    return {
        "viewer": viewer,
        "nav": "jobs",
        "job": job,
        "rows": rows,
        "shown": RESULTS_SHOWN,
        "active": job.state in ACTIVE_STATES,
    }


def _job_or_404(request: Request, viewer: Viewer, job_id: str, template: str) -> Response:
    ctx = _detail_context(request, viewer, job_id)
    if ctx is None:
        return render(
            request,
            "not_found.html",
            {"viewer": viewer, "nav": "jobs", "what": "job", "name": job_id},
            status_code=404,
        )
    return render(request, template, ctx)


@router.get("/{job_id}")
def job_page(request: Request, job_id: str, viewer: ViewerDep) -> Response:
    return _job_or_404(request, viewer, job_id, "job.html")


@router.get("/{job_id}/status")
def job_status(request: Request, job_id: str, viewer: ViewerDep) -> Response:
    return _job_or_404(request, viewer, job_id, "_job_status.html")


@router.post("/{job_id}/cancel")
def cancel_job(request: Request, job_id: str, viewer: ViewerDep) -> Response:
    if viewer.may("jobs"):
        # An unknown job falls through to the 404 below.
        with contextlib.suppress(JobNotFound):
            platform_of(request).jobs.cancel(job_id, viewer.owner_filter)
    if is_htmx(request):
        return _job_or_404(request, viewer, job_id, "_job_status.html")
    return RedirectResponse(f"/console/jobs/{job_id}", status_code=303)
