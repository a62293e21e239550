"""The catalog, each capability's page, and trying a capability from the browser."""

from __future__ import annotations

import base64
import json
import shlex
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from yangcheng.platform.api.catalog import build_catalog
from yangcheng.platform.api.deps import admit
from yangcheng.platform.api.invoke import caller_of
from yangcheng.platform.catalog import SCOPE_GROUPS, Capability, InvalidInput
from yangcheng.platform.schemas import CapabilityInfo
from yangcheng.platform.web import forms
from yangcheng.platform.web.jobs_pages import submit as submit_job
from yangcheng.platform.web.render import is_htmx, render
from yangcheng.platform.web.session import Viewer, ViewerDep, current_viewer, platform_of

router = APIRouter(prefix="/console", include_in_schema=False)

MAX_UPLOAD_BYTES = 64 * 2**20
"""A file chosen in a try form; larger ones go through the API or a batch job."""

GROUP_TITLES = {
    "finance": "Finance risk control",
    "security": "X-ray security",
    "education": "Education",
    "radiotherapy": "Radiotherapy",
}


def group_capabilities(caps: list[CapabilityInfo]) -> list[tuple[str, str, list[CapabilityInfo]]]:
    """(group, title, capabilities) in the platform's scenario order, empty groups left out."""
    order = {g: i for i, g in enumerate(SCOPE_GROUPS)}
    groups: dict[str, list[CapabilityInfo]] = {}
    for cap in sorted(caps, key=lambda c: (order.get(c.group, 99), c.name)):
        groups.setdefault(cap.group, []).append(cap)
    return [(g, GROUP_TITLES.get(g, g.title()), items) for g, items in groups.items()]


@router.get("")
def catalog_page(request: Request, viewer: ViewerDep) -> Response:
    catalog = build_catalog(platform_of(request))
    return render(
        request,
        "catalog.html",
        {
            "viewer": viewer,
            "nav": "catalog",
            "groups": group_capabilities(catalog.capabilities),
            "catalog": catalog,
        },
    )


def _capability_or_404(request: Request, viewer: Viewer, name: str) -> Capability | Response:
    cap = platform_of(request).registry.capabilities.get(name)
    if cap is None:
        return render(
            request,
            "not_found.html",
            {"viewer": viewer, "nav": "catalog", "what": "capability", "name": name},
            status_code=404,
        )
    return cap


def _example(cap: Capability, spec: forms.FormSpec, index: int | None) -> dict[str, str]:
    if index is None or not 0 <= index < len(cap.examples):
        return {}
    return forms.example_values(spec, cap.examples[index])


def _page_context(
    request: Request, viewer: Viewer, cap: Capability, values: dict[str, str]
) -> dict[str, Any]:
    spec = forms.form_spec(cap.request_model.model_json_schema())
    return {
        "viewer": viewer,
        "nav": "catalog",
        "cap": cap,
        "spec": spec,
        "values": values,
        "allowed": viewer.may(cap.group),
        "result": None,
        "errors": [],
        "status": 200,
        "curl": None,
        "api_url": str(request.base_url).rstrip("/") + f"/v1/capabilities/{cap.name}:invoke",
    }


def _capability_view(
    request: Request, viewer: Viewer, name: str, example: int | None, template: str
) -> Response:
    cap = _capability_or_404(request, viewer, name)
    if isinstance(cap, Response):
        return cap
    ctx = _page_context(request, viewer, cap, {})
    ctx["values"] = _example(cap, ctx["spec"], example)
    return render(request, template, ctx)


@router.get("/capabilities/{name}")
def capability_page(
    request: Request, name: str, viewer: ViewerDep, example: int | None = None
) -> Response:
    return _capability_view(request, viewer, name, example, "capability.html")


@router.get("/capabilities/{name}/form")
def capability_form(
    request: Request, name: str, viewer: ViewerDep, example: int | None = None
) -> Response:
    """The try-it form alone, filled with an example, for HTMX to swap in place."""
    return _capability_view(request, viewer, name, example, "_try_form.html")


def run_capability(
    request: Request, viewer: Viewer, cap: Capability, form: dict[str, str]
) -> tuple[int, Any, list[forms.FieldError]]:
    """Invoke exactly as `POST /v1/capabilities/{name}:invoke` would, errors included."""
    request.state.principal = viewer.principal
    request.state.capability = cap.name
    spec = forms.form_spec(cap.request_model.model_json_schema())
    try:
        admit(platform_of(request), viewer.principal, cap.group)
    except HTTPException as exc:
        return exc.status_code, None, [forms.FieldError("(request)", str(exc.detail))]
    payload, errors = forms.to_payload(spec, form)
    if errors:
        return 422, None, errors
    if cap.jobs_only:
        return _submit_as_job(request, viewer, cap, payload)
    try:
        response = cap.invoke(payload, caller_of(viewer.principal))
    except ValidationError as exc:
        return 422, None, forms.validation_field_errors(exc)
    except InvalidInput as exc:
        return 422, None, forms.invalid_input_errors(exc)
    return 200, response.model_dump(mode="json"), []


def _submit_as_job(
    request: Request, viewer: Viewer, cap: Capability, payload: Any
) -> tuple[int, Any, list[forms.FieldError]]:
    """A long-running capability tried from the console becomes a one-record job."""
    status, outcome = submit_job(request, viewer, cap.name, json.dumps(payload))
    if status != 202:
        return status, None, [forms.FieldError("(job)", str(e)) for e in outcome]
    job = outcome.model_dump(mode="json")
    return 202, {"submitted_as_job": job["id"], "job": job}, []


async def _uploads(
    raw: FormData, spec: forms.FormSpec
) -> tuple[dict[str, str], list[forms.FieldError]]:
    """Each file picker's files as the API takes them: base64 for a ``file`` field, a JSON
    list of base64 for a ``files`` one (``forms`` reads it back). An empty picker sends
    nothing; a file over ``MAX_UPLOAD_BYTES`` is refused before it is read into memory."""
    out: dict[str, str] = {}
    errors = []
    for f in spec.fields:
        if f.kind not in ("file", "files"):
            continue
        files = [v for v in raw.getlist(f.name) if isinstance(v, UploadFile) and v.filename]
        encoded = []
        for upload in files:
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                errors.append(
                    forms.FieldError(
                        f.name, f"{upload.filename} is over {MAX_UPLOAD_BYTES // 2**20} MB"
                    )
                )
                break
            encoded.append(base64.b64encode(data).decode())
        if encoded and len(encoded) == len(files):
            out[f.name] = json.dumps(encoded) if f.kind == "files" else encoded[0]
    return out, errors


def _named_files(payload: Any, raw: FormData) -> Any:
    """The request for the curl line, with each uploaded file's base64 replaced by a note of
    its name: the real bytes would be megabytes of text on the page."""
    if not isinstance(payload, dict):
        return payload
    out = dict(payload)
    for name in set(raw.keys()):
        names = [v.filename for v in raw.getlist(name) if isinstance(v, UploadFile) and v.filename]
        if names and name in out:
            notes = [f"<base64 of {n}>" for n in names]
            out[name] = notes if isinstance(out[name], list) else notes[0]
    return out


def curl_command(url: str, payload: Any) -> str:
    """The same call over the API, so a developer can move from console to code."""
    body = json.dumps(payload, ensure_ascii=False)
    return (
        f"curl -X POST {shlex.quote(url)} \\\n"
        '  -H "Authorization: Bearer $YC_KEY" -H "Content-Type: application/json" \\\n'
        f"  -d {shlex.quote(body)}"
    )


@router.post("/try/{name}")
async def try_capability(request: Request, name: str) -> Response:
    viewer = await run_in_threadpool(current_viewer, request)
    cap = _capability_or_404(request, viewer, name)
    if isinstance(cap, Response):
        return cap
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    uploaded, errors = await _uploads(raw, forms.form_spec(cap.request_model.model_json_schema()))
    form.update(uploaded)
    status, result = 413, None
    if not errors:
        status, result, errors = await run_in_threadpool(run_capability, request, viewer, cap, form)
    shown = {k: v for k, v in form.items() if k not in uploaded}  # a picker cannot be refilled
    ctx = _page_context(request, viewer, cap, shown)
    ctx.update(result=result, errors=errors, status=status)
    if result is not None:
        payload, _ = forms.to_payload(ctx["spec"], form)
        ctx["curl"] = curl_command(ctx["api_url"], _named_files(payload, raw))
    template = "_try_result.html" if is_htmx(request) else "capability.html"
    return render(request, template, ctx, status_code=status)
