"""Template rendering for the console, with the headers every page must carry."""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from yangcheng.platform.web.annotated_image import annotated_image, png_data_uri
from yangcheng.platform.web.nav import console_links
from yangcheng.platform.web.series_charts import series_chart
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


def epoch(value: float | None) -> str:
    """`when` for seconds since the epoch, as panels and review items carry them."""
    if value is None or not math.isfinite(value):
        return "—"
    return when(datetime.fromtimestamp(value, UTC))


def ago(value: float | None, now: float | None = None) -> str:
    """How long ago ``value`` (seconds since the epoch) was: '42 s', '5 min', '3 h', '2 d'."""
    if value is None or not math.isfinite(value):
        return "—"
    seconds = max(0.0, (time.time() if now is None else now) - value)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


ELIDE_BASE64_CHARS = 2000
"""Longer base64 images are left out of the JSON the console shows."""


def _elided(key: Any, item: Any) -> Any:
    """``item`` shortened for display, or None to show it as it is."""
    if not isinstance(key, str) or not key.endswith("_base64"):
        return None
    if isinstance(item, list) and any(isinstance(v, str) for v in item):  # files, e.g. DICOS
        return [_elided(key, v) or v for v in item]
    if not isinstance(item, str) or len(item) <= ELIDE_BASE64_CHARS:
        return None
    if key == "png_base64":  # an annotated image's, drawn above the JSON
        return f"<{len(item)} bytes of base64, drawn above>"
    return f"<{len(item)} bytes of base64, not shown here; the API returns it>"


def elide_base64(value: Any) -> Any:
    """A copy of ``value`` for display, with long base64 images replaced by their length.

    Hundreds of kilobytes of base64 would bury the JSON a reviewer came to read. Display
    only: API responses and job results keep every byte.
    """
    if isinstance(value, dict):
        return {key: (_elided(key, item) or elide_base64(item)) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [elide_base64(item) for item in value]
    return value


def display_json(value: Any) -> str:
    """`pretty_json` for the page: long base64 images elided (see `elide_base64`)."""
    return pretty_json(elide_base64(value))


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
    env.filters["epoch"] = epoch
    env.filters["ago"] = ago
    env.filters["series_chart"] = series_chart
    env.filters["pretty_json"] = pretty_json
    env.filters["compact_json"] = compact_json
    env.filters["display_json"] = display_json
    env.filters["elide_base64"] = elide_base64
    env.filters["number"] = number
    env.filters["png_data_uri"] = png_data_uri
    env.filters["timeline_chart"] = timeline_chart
    env.filters["annotated_image"] = annotated_image
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
    # Pages scenarios declare as data (documents, dashboards, review queues) each get a nav entry.
    links = console_links(platform.registry) if platform is not None else []
    ctx = {"request": request, "viewer": None, "nav": "", "console_links": links, **(context or {})}
    html = ENV.get_template(template).render(ctx)
    return HTMLResponse(
        html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})}
    )


def not_found(request: Request, viewer: Any, what: str, name: str, back: str) -> HTMLResponse:
    """The console's 404 page for a missing page, document or item, with a way back."""
    return render(
        request,
        "not_found.html",
        {"viewer": viewer, "what": what, "name": name, "back_url": back, "back_label": "Back"},
        status_code=404,
    )
