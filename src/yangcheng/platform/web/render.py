"""Template rendering for the console, with the headers every page must carry."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from yangcheng.platform.web.timeline import timeline_chart

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Nothing on these pages is inline or third-party, so the policy can be strict:
# an injected <script> or style attribute would simply not run.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages show per-developer data; a shared proxy or the back button must not replay them.
    "Cache-Control": "no-store",
}


def when(value: datetime | None) -> str:
    """Timestamps in UTC, to the second: the API reports UTC and so must the console."""
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def number(value: Any) -> str:
    """Thousands separators and short floats, so big-number cards stay legible."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["pretty_json"] = pretty_json
    env.filters["compact_json"] = compact_json
    env.filters["number"] = number
    env.filters["timeline_chart"] = timeline_chart
    return env


ENV = _environment()


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    platform = getattr(request.app.state, "platform", None)
    # Pages scenarios declare as data (`DocumentPage`) each get a nav entry.
    pages = list(platform.registry.pages.values()) if platform is not None else []
    ctx = {"request": request, "viewer": None, "nav": "", "console_pages": pages, **(context or {})}
    html = ENV.get_template(template).render(ctx)
    return HTMLResponse(
        html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )
