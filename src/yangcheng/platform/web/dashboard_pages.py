"""Live dashboards that scenarios declare as data (`DashboardPage`).

The page draws whatever ``Dashboard`` the page's status capability answers with — tiles,
time-series charts, tables — and HTMX swaps in a fresh panel every ``refresh_s`` seconds.
Each draw is one call, made as the API would make it (see ``capability_calls``): a key
without the page's scope, a rate limit or a failing capability shows a message in the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from yangcheng.platform.catalog import DashboardPage
from yangcheng.platform.panels import Dashboard, Table
from yangcheng.platform.web.capability_calls import (
    Refused,
    admit_call,
    call_shielded,
    capability_for,
    shaped,
)
from yangcheng.platform.web.nav import live_url
from yangcheng.platform.web.render import render
from yangcheng.platform.web.session import Viewer, ViewerDep, platform_of

router = APIRouter(prefix="/console/live", include_in_schema=False)

STOP_POLLING = (401, 403, 503)
"""Refusals that another poll cannot cure: no scope, no such capability."""


def numeric_columns(table: Table) -> list[bool]:
    """Columns whose every filled cell is a number: right-aligned, heading and all."""
    width = max([len(table.columns), *(len(row) for row in table.rows)])
    flags = []
    for i in range(width):
        cells = [row[i] for row in table.rows if i < len(row) and row[i] is not None]
        flags.append(bool(cells) and all(isinstance(c, int | float) for c in cells))
    return flags


def _panel(request: Request, viewer: Viewer, page: DashboardPage) -> dict[str, Any]:
    """What the panel shows: the dashboard, or why there is none (and whether to keep asking)."""
    ctx: dict[str, Any] = {
        "viewer": viewer,
        "nav": f"live:{page.slug}",
        "page": page,
        "panel_url": live_url(page) + "/panel",
        "dash": None,
        "errors": [],
        "status": 200,
        "polling": True,
        "numeric_columns": numeric_columns,
    }
    try:
        cap = capability_for(request, page.status_capability)
        admit_call(request, viewer, cap)
        ctx["dash"] = shaped(Dashboard, call_shielded(viewer, cap, {}), cap, "dashboard")
    except Refused as exc:
        ctx.update(errors=exc.errors, status=exc.status, polling=exc.status not in STOP_POLLING)
    return ctx


def _view(request: Request, viewer: Viewer, slug: str, template: str) -> Response:
    page = platform_of(request).registry.dashboards.get(slug)
    if page is None:
        return render(
            request,
            "not_found.html",
            {"viewer": viewer, "what": "page", "name": f"/console/live/{slug}"},
            status_code=404,
        )
    ctx = _panel(request, viewer, page)
    return render(request, template, ctx, status_code=ctx["status"])


@router.get("/{slug}")
def dashboard_page(request: Request, slug: str, viewer: ViewerDep) -> Response:
    return _view(request, viewer, slug, "dashboard.html")


@router.get("/{slug}/panel")
def dashboard_panel(request: Request, slug: str, viewer: ViewerDep) -> Response:
    """The panel alone, polled by HTMX; it carries its own polling attributes."""
    return _view(request, viewer, slug, "_dashboard_panel.html")
