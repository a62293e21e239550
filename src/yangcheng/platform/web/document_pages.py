"""Pages that scenarios declare as data (`DocumentPage`): versioned documents edited as YAML.

The console knows nothing about what the documents mean. Every read and write
goes through the capabilities the page names, exactly as ``/console/try``
calls them: one ``admit`` per request (scope, rate limit, quota), the caller
passed on so authors and approvers are recorded, the call metered under the
capability, and the capability's own errors shown as the API would report them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic_core import PydanticUndefined
from starlette.concurrency import run_in_threadpool

from yangcheng.platform.catalog import Capability, DocumentPage
from yangcheng.platform.web import documents, forms
from yangcheng.platform.web.capability_calls import Refused, admit_call, call, capability_for
from yangcheng.platform.web.documents import Document
from yangcheng.platform.web.render import is_htmx, not_found, render
from yangcheng.platform.web.session import Viewer, ViewerDep, current_viewer, platform_of

router = APIRouter(prefix="/console/pages", include_in_schema=False)

# Request fields the page fills in itself; the test form shows the rest.
OWN_FIELDS = ("name", "version")


def nav_key(page: DocumentPage) -> str:
    return f"page:{page.slug}"


def page_url(page: DocumentPage, name: str | None = None, version: int | None = None) -> str:
    url = f"/console/pages/{quote(page.slug, safe='')}"
    if name is not None:
        url += f"/{quote(name, safe='')}"
        if version is not None:
            url += f"?version={version}"
    return url


class Missing(Exception):
    """No such document or version: the console's 404 page."""

    def __init__(self, what: str, name: str) -> None:
        super().__init__(name)
        self.what = what
        self.name = name


def _documents(request: Request, viewer: Viewer, page: DocumentPage) -> list[Document]:
    listing = call(viewer, capability_for(request, page.list_capability), {})
    return [documents.document_from(d, page.actions) for d in documents.documents_of(listing)]


def _document(request: Request, viewer: Viewer, page: DocumentPage, name: str) -> Document:
    found = next((d for d in _documents(request, viewer, page) if d.name == name), None)
    if found is None:
        raise Missing("document", f"{page.title}: {name}")
    return found


def _version(raw: str | int | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1


# --- the test form, generated from the test capability's request schema ---------------


def _test_spec(cap: Capability) -> forms.FormSpec:
    spec = forms.form_spec(cap.request_model.model_json_schema())
    return forms.FormSpec(tuple(f for f in spec.fields if f.name not in OWN_FIELDS))


def _test_defaults(cap: Capability, spec: forms.FormSpec) -> dict[str, str]:
    defaults = {
        name: info.default
        for name, info in cap.request_model.model_fields.items()
        if info.default is not PydanticUndefined and info.default is not None
    }
    return forms.example_values(spec, defaults)


@dataclass
class Workspace:
    """Everything the document view shows; each POST fills in its own part."""

    page: DocumentPage
    doc: Document
    version: int
    text: str
    editor_errors: list[forms.FieldError]
    yaml_problem: documents.YamlProblem | None = None
    pointer: documents.Pointer | None = None
    saved: str = ""
    action_errors: list[forms.FieldError] | None = None
    action_message: str = ""
    test_spec: forms.FormSpec | None = None
    test_title: str = ""
    test_values: dict[str, str] | None = None
    test_version: int | None = None
    report: documents.Report | None = None
    test_errors: list[forms.FieldError] | None = None

    @property
    def viewed(self) -> documents.VersionRow | None:
        return self.doc.row(self.version)


def _workspace(
    request: Request,
    viewer: Viewer,
    page: DocumentPage,
    name: str,
    version: int | None,
    text: str | None = None,
) -> Workspace:
    """List the document, fetch one version and show it as YAML (or keep ``text``)."""
    doc = _document(request, viewer, page, name)
    chosen = version if version is not None else doc.default_version
    if chosen is None or doc.row(chosen) is None:
        raise Missing("version", f"{name} v{version}")
    if text is None:
        got = call(
            viewer, capability_for(request, page.get_capability), {"name": name, "version": chosen}
        )
        text = documents.to_yaml(got.get("content", got))
    ws = Workspace(page=page, doc=doc, version=chosen, text=text, editor_errors=[])
    if page.test_capability:
        test_cap = platform_of(request).registry.capabilities.get(page.test_capability)
        if test_cap is not None:
            ws.test_spec = _test_spec(test_cap)
            ws.test_title = test_cap.summary
            ws.test_values = _test_defaults(test_cap, ws.test_spec)
            ws.test_version = chosen
    return ws


def _page_or_none(request: Request, slug: str) -> DocumentPage | None:
    return platform_of(request).registry.pages.get(slug)


def _base(viewer: Viewer, page: DocumentPage) -> dict[str, Any]:
    return {
        "viewer": viewer,
        "nav": nav_key(page),
        "page": page,
        "page_url": page_url,
        "d": documents,
        "ws": None,
        "errors": [],
        "status": 200,
        "oob": False,
    }


def _refused(request: Request, out: Outcome, target: str) -> Response:
    """A refusal (scope, rate limit, quota) shown where the form's result goes, text kept."""
    return render(
        request,
        "_doc_refused.html",
        out.ctx,
        status_code=out.status,
        headers={"HX-Retarget": target, "HX-Reswap": "innerHTML"},
    )


# --- list view ---------------------------------------------------------------------------


@router.get("/{slug}")
def list_page(request: Request, slug: str, viewer: ViewerDep) -> Response:
    page = _page_or_none(request, slug)
    if page is None:
        return not_found(request, viewer, "page", f"/console/pages/{slug}", "/console")
    ctx = _base(viewer, page)
    ctx["documents"] = []
    try:
        cap = capability_for(request, page.list_capability)
        admit_call(request, viewer, cap)
        ctx["documents"] = _documents(request, viewer, page)
    except Refused as exc:
        ctx.update(errors=exc.errors, status=exc.status)
    return render(request, "doc_list.html", ctx, status_code=ctx["status"])


# --- document view -----------------------------------------------------------------------


def _document_view(
    request: Request, viewer: Viewer, slug: str, name: str, version: int | None
) -> Response:
    page = _page_or_none(request, slug)
    if page is None:
        return not_found(request, viewer, "page", f"/console/pages/{slug}", "/console")
    ctx = _base(viewer, page)
    ctx["name"] = name
    try:
        admit_call(request, viewer, capability_for(request, page.get_capability))
        ctx["ws"] = _workspace(request, viewer, page, name, version)
    except Missing as exc:
        return not_found(request, viewer, exc.what, exc.name, page_url(page))
    except Refused as exc:
        ctx.update(errors=exc.errors, status=exc.status)
    return render(request, "doc_page.html", ctx, status_code=ctx["status"])


@router.get("/{slug}/{name}")
def document_page(
    request: Request, slug: str, name: str, viewer: ViewerDep, version: str | None = None
) -> Response:
    return _document_view(request, viewer, slug, name, _version(version))


# --- save a draft ------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a POST produced: the context to render, or where to send the browser."""

    status: int
    ctx: dict[str, Any]
    redirect: str | None = None
    missing: Missing | None = None


def _save(
    request: Request, viewer: Viewer, page: DocumentPage, name: str, form: dict[str, str]
) -> Outcome:
    ctx = _base(viewer, page)
    ctx["name"] = name
    text = form.get("content", "").replace("\r\n", "\n")
    based_on = _version(form.get("version"))
    try:
        cap = capability_for(request, page.save_capability)
        admit_call(request, viewer, cap)
        _document(request, viewer, page, name)  # an unknown document is a 404, not a new one
        content, errors, problem = documents.parse_yaml(text)
        status = 422
        if content is not None:
            try:
                saved = call(viewer, cap, {"name": name, "content": content})
            except Refused as exc:
                errors, status = exc.errors, exc.status
            else:
                version = documents.as_int(saved.get("version"))
                ws = _workspace(request, viewer, page, name, version)
                ws.saved = f"Saved as draft v{version} by {viewer.email}." if version else "Saved."
                ctx["ws"] = ws
                return Outcome(200, ctx, redirect=page_url(page, name, version))
        ws = _workspace(request, viewer, page, name, based_on, text=text)
        ws.editor_errors = errors
        ws.yaml_problem = problem
        ws.pointer = next(
            (p for p in (documents.pointer_for(e.message, text) for e in errors) if p), None
        )
        ctx.update(ws=ws, status=status)
        return Outcome(status, ctx)
    except Missing as exc:
        return Outcome(404, ctx, missing=exc)
    except Refused as exc:
        ctx.update(errors=exc.errors, status=exc.status)
        return Outcome(exc.status, ctx)


@router.post("/{slug}/{name}/save")
async def save_draft(request: Request, slug: str, name: str) -> Response:
    return await _post(request, slug, name, _save, "#editor-errors", "_doc_workspace.html")


# --- life-cycle actions ------------------------------------------------------------------


def _action(
    request: Request, viewer: Viewer, page: DocumentPage, name: str, form: dict[str, str]
) -> Outcome:
    ctx = _base(viewer, page)
    ctx["name"] = name
    action = form.get("action", "")
    version = _version(form.get("version"))
    viewing = _version(form.get("viewing"))
    try:
        cap = capability_for(request, page.action_capability)
        admit_call(request, viewer, cap)
        status, errors, message = 200, [], ""
        if action not in page.actions:
            status, errors = 422, [forms.FieldError("action", f"unknown action {action!r}")]
        else:
            payload: dict[str, Any] = {"name": name, "action": action}
            if version is not None:
                payload["version"] = version if version > 0 else form.get("version")
            share = form.get("share", "").strip()
            if share:
                payload["share"] = share
            try:
                call(viewer, cap, payload)
            except Refused as exc:
                status, errors = exc.status, exc.errors
        ws = _workspace(request, viewer, page, name, viewing if viewing and viewing > 0 else None)
        if status == 200:
            message = documents.action_message(action, version, ws.doc)
        ws.action_errors = errors
        ws.action_message = message
        ctx.update(ws=ws, status=status)
        return Outcome(status, ctx)
    except Missing as exc:
        return Outcome(404, ctx, missing=exc)
    except Refused as exc:
        ctx.update(errors=exc.errors, status=exc.status)
        return Outcome(exc.status, ctx)


async def _post(
    request: Request,
    slug: str,
    name: str,
    work: Callable[[Request, Viewer, DocumentPage, str, dict[str, str]], Outcome],
    refused_target: str,
    fragment: str,
    oob: bool = False,
) -> Response:
    """The shared shape of a workspace form post: run `work`, then answer page or fragment."""
    viewer = await run_in_threadpool(current_viewer, request)
    page = _page_or_none(request, slug)
    if page is None:
        return not_found(request, viewer, "page", f"/console/pages/{slug}", "/console")
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    out = await run_in_threadpool(work, request, viewer, page, name, form)
    if out.missing is not None:
        return not_found(request, viewer, out.missing.what, out.missing.name, page_url(page))
    if not is_htmx(request):
        if out.redirect:
            return RedirectResponse(out.redirect, status_code=303)
        return render(request, "doc_page.html", out.ctx, status_code=out.status)
    if out.ctx["ws"] is None:
        return _refused(request, out, refused_target)
    if oob:
        out.ctx["oob"] = True
    headers = {"HX-Push-Url": out.redirect} if out.redirect else None
    return render(request, fragment, out.ctx, status_code=out.status, headers=headers)


@router.post("/{slug}/{name}/action")
async def run_action(request: Request, slug: str, name: str) -> Response:
    return await _post(
        request, slug, name, _action, "#action-errors", "_doc_versions.html", oob=True
    )


# --- test a version ----------------------------------------------------------------------


def _test(
    request: Request, viewer: Viewer, page: DocumentPage, name: str, form: dict[str, str]
) -> Outcome:
    ctx = _base(viewer, page)
    ctx["name"] = name
    version = _version(form.get("version"))
    viewing = _version(form.get("viewing"))
    try:
        if not page.test_capability:
            raise Missing("test", f"{page.title}: tests")
        cap = capability_for(request, page.test_capability)
        admit_call(request, viewer, cap)
        spec = _test_spec(cap)
        payload, errors = forms.to_payload(spec, form)
        report = None
        status = 422
        if not errors:
            payload = {**payload, "name": name}
            if version is not None:
                payload["version"] = version if version > 0 else form.get("version")
            try:
                report = documents.report_from(call(viewer, cap, payload))
                status = 200
            except Refused as exc:
                errors, status = exc.errors, exc.status
        ws = _workspace(request, viewer, page, name, viewing if viewing and viewing > 0 else None)
        ws.test_values = {k: v for k, v in form.items() if k not in (*OWN_FIELDS, "viewing")}
        ws.test_version = version
        ws.report = report
        ws.test_errors = errors
        ctx.update(ws=ws, status=status)
        return Outcome(status, ctx)
    except Missing as exc:
        return Outcome(404, ctx, missing=exc)
    except Refused as exc:
        ctx.update(errors=exc.errors, status=exc.status)
        return Outcome(exc.status, ctx)


@router.post("/{slug}/{name}/test")
async def run_test(request: Request, slug: str, name: str) -> Response:
    return await _post(request, slug, name, _test, "#test-result", "_doc_report.html")
