"""Review queues that scenarios declare as data (`ReviewPage`): items judged one at a time.

An operator opens the queue, judges an item from its picture and facts with one of the
page's verdicts (and a reason), and lands on the next pending item, unless the verdict's
answer carries a ``notice`` (the item was a test, say): then the judged item shows it first.
Every read and write is a call of the page's capabilities as the API would make it (see
``capability_calls``); the verdict is recorded with the signed-in developer as the caller,
and a verdict the capability refuses (already judged by someone else, a reason it requires)
is shown on the item with the capability's own words and a 4xx.

Like every console form, the verdict form is protected from cross-site posts by the key
cookie (SameSite=Strict: another site cannot make the browser send it) and by the pages'
``form-action 'self'`` policy; nothing here needs JavaScript.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from yangcheng.platform.catalog import ReviewPage
from yangcheng.platform.panels import ReviewItem, ReviewQueue
from yangcheng.platform.web import forms
from yangcheng.platform.web.capability_calls import (
    Refused,
    admit_call,
    call_shielded,
    capability_for,
    shaped,
)
from yangcheng.platform.web.nav import review_url
from yangcheng.platform.web.render import not_found, render
from yangcheng.platform.web.session import Viewer, ViewerDep, current_viewer, platform_of

router = APIRouter(prefix="/console/review", include_in_schema=False)

QUEUE_SHOWN = 50
"""Items listed on the queue page (the ``limit`` the queue capability is asked for)."""
REASON_MAX_CHARS = 500


class Missing(Exception):
    """The item capability refused the id itself: the console's 404 page."""


def _base(viewer: Viewer, page: ReviewPage) -> dict[str, Any]:
    return {
        "viewer": viewer,
        "nav": f"review:{page.slug}",
        "page": page,
        "review_url": review_url,
        "errors": [],
        "status": 200,
    }


def _page_or_none(request: Request, slug: str) -> ReviewPage | None:
    return platform_of(request).registry.reviews.get(slug)


def _queue(request: Request, viewer: Viewer, page: ReviewPage) -> ReviewQueue:
    cap = capability_for(request, page.queue_capability)
    return shaped(ReviewQueue, call_shielded(viewer, cap, {"limit": QUEUE_SHOWN}), cap)


def _item(request: Request, viewer: Viewer, page: ReviewPage, item_id: str) -> ReviewItem:
    cap = capability_for(request, page.item_capability)
    try:
        answer = call_shielded(viewer, cap, {"id": item_id})
    except Refused as exc:
        if exc.status == 422 and any(e.field == "id" for e in exc.errors):
            raise Missing(item_id) from exc
        raise
    return shaped(ReviewItem, answer, cap)


# --- the queue -----------------------------------------------------------------------------


@router.get("/{slug}")
def queue_page(request: Request, slug: str, viewer: ViewerDep, judged: str = "") -> Response:
    page = _page_or_none(request, slug)
    if page is None:
        return not_found(request, viewer, "page", f"/console/review/{slug}", "/console")
    ctx = _base(viewer, page)
    ctx.update(queue=None, judged=judged[:200], shown=QUEUE_SHOWN)
    try:
        admit_call(request, viewer, capability_for(request, page.queue_capability))
        ctx["queue"] = _queue(request, viewer, page)
    except Refused as exc:
        ctx.update(errors=exc.errors, status=exc.status)
    return render(request, "review_queue.html", ctx, status_code=ctx["status"])


# --- one item ------------------------------------------------------------------------------


def _item_context(
    request: Request, viewer: Viewer, page: ReviewPage, item_id: str
) -> dict[str, Any]:
    ctx = _base(viewer, page)
    ctx.update(item_id=item_id, item=None, judged="", form={})
    try:
        admit_call(request, viewer, capability_for(request, page.item_capability))
        ctx["item"] = _item(request, viewer, page, item_id)
    except Refused as exc:
        ctx.update(errors=exc.errors, status=exc.status)
    return ctx


@router.get("/{slug}/{item_id}")
def item_page(
    request: Request, slug: str, item_id: str, viewer: ViewerDep, judged: str = ""
) -> Response:
    page = _page_or_none(request, slug)
    if page is None:
        return not_found(request, viewer, "page", f"/console/review/{slug}", "/console")
    try:
        ctx = _item_context(request, viewer, page, item_id)
    except Missing:
        return not_found(request, viewer, "item", item_id, review_url(page))
    ctx["judged"] = judged[:200]
    item = ctx.get("item")
    if item is not None and item.notice and judged == item_id:
        # the operator reads the notice, then goes on where the verdict would have taken them
        ctx["next_url"] = _next_url(request, viewer, page, item_id)
    return render(request, "review_item.html", ctx, status_code=ctx["status"])


# --- a verdict -----------------------------------------------------------------------------


def reason_of(form: dict[str, str]) -> str:
    """The offered reason the operator chose and what they typed, as one string ('' if none)."""
    parts = [form.get("reason_choice", "").strip(), form.get("reason_text", "").strip()]
    return " — ".join(p for p in parts if p)


def _next_url(request: Request, viewer: Viewer, page: ReviewPage, judged_id: str) -> str:
    """The next pending item after ``judged_id``, or the queue when none is left."""
    after = f"?judged={quote(judged_id, safe='')}"
    try:
        queue = _queue(request, viewer, page)
    except Refused:
        return review_url(page) + after  # the queue page says what went wrong
    upcoming = next((i for i in queue.items if i.id != judged_id), None)
    return review_url(page, upcoming.id) + after if upcoming else review_url(page) + after


def _judge(
    request: Request, viewer: Viewer, page: ReviewPage, item_id: str, form: dict[str, str]
) -> tuple[str | None, dict[str, Any]]:
    """Record the verdict: (where to go next, {}) or (None, the item page to show again)."""
    verdict = form.get("verdict", "")
    payload = {"id": item_id, "verdict": verdict, "reason": reason_of(form)}
    try:
        cap = capability_for(request, page.verdict_capability)
        admit_call(request, viewer, cap)
        if verdict not in page.verdicts:
            raise Refused(
                422,
                [forms.FieldError("verdict", f"choose one of {', '.join(page.verdicts)}")],
            )
        if len(payload["reason"]) > REASON_MAX_CHARS:
            raise Refused(
                422, [forms.FieldError("reason", f"at most {REASON_MAX_CHARS} characters")]
            )
        answer = call_shielded(viewer, cap, payload)
    except Refused as exc:
        ctx = _base(viewer, page)
        ctx.update(item_id=item_id, item=None, judged="", form=form)
        ctx.update(errors=exc.errors, status=exc.status)
        if exc.status not in (401, 403, 429, 503):
            # Show the item as it is now: judged by someone else, or still pending.
            with contextlib.suppress(Refused):
                ctx["item"] = _item(request, viewer, page, item_id)
        return None, ctx
    if answer.get("notice"):
        # Something the operator must read first (a test item revealed): the item again.
        return review_url(page, item_id) + f"?judged={quote(item_id, safe='')}", {}
    return _next_url(request, viewer, page, item_id), {}


@router.post("/{slug}/{item_id}")
async def judge_item(request: Request, slug: str, item_id: str) -> Response:
    viewer = await run_in_threadpool(current_viewer, request)
    page = _page_or_none(request, slug)
    if page is None:
        return not_found(request, viewer, "page", f"/console/review/{slug}", "/console")
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    try:
        target, ctx = await run_in_threadpool(_judge, request, viewer, page, item_id, form)
    except Missing:
        return not_found(request, viewer, "item", item_id, review_url(page))
    if target is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "review_item.html", ctx, status_code=ctx["status"])
