"""The site's planning board in the console: last days' arrivals, the forecast, the staffing.

A duty manager's view of ``security.site.forecast`` for a generated 1 M items/day site (or
any generated site the request describes): the recent arrivals next to the coming hours'
forecast, the lanes and review operators each hour needs, and how the forecast did on the
held-back week. The answer is cached per request and hour, since it changes once an hour.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from yangcheng.platform.catalog import Capability, DashboardPage
from yangcheng.platform.panels import Chart, Dashboard, Series, Table, Tile
from yangcheng.security.service_site import (
    GeneratedSite,
    SiteForecastRequest,
    SiteForecastResponse,
    site_forecast,
)
from yangcheng.security.site.arrivals import generate_arrivals

HISTORY_SHOWN_H = 72
_cache: dict[str, tuple[float, SiteStatusResponse]] = {}
_lock = threading.Lock()


class SiteStatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: GeneratedSite = Field(default_factory=GeneratedSite)
    horizon_hours: int = Field(default=48, ge=1, le=24 * 7)


class SiteStatusResponse(BaseModel):
    forecast: SiteForecastResponse
    dashboard: Dashboard


def _epoch(hour: str) -> float:
    """Chart time: the site's clock drawn as if UTC, as the console labels its axes."""
    return datetime.fromisoformat(hour).replace(tzinfo=UTC).timestamp()


def _day_hour(hour: str) -> str:
    return datetime.fromisoformat(hour).strftime("%a %H:%M")


def site_status(req: SiteStatusRequest) -> SiteStatusResponse:
    key = req.model_dump_json()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and time.time() - hit[0] < 3600:
            return hit[1]
    out = site_forecast(SiteForecastRequest(generated=req.site, horizon_hours=req.horizon_hours))
    g = req.site
    history = generate_arrivals(g.days, g.daily_items, g.checkpoints, seed=g.seed)
    site = history.groupby("ds")["y"].sum().iloc[-HISTORY_SHOWN_H:]
    arrivals = [(_epoch(ts.strftime("%Y-%m-%dT%H:%M")), float(v)) for ts, v in site.items()]
    hours = [_epoch(h) for h in out.hours]
    bt = out.backtest
    peak = max(range(len(hours)), key=lambda i: out.site_forecast_count[i])
    tiles = [
        Tile(
            label="Next 24 h",
            value=round(sum(out.site_forecast_count[:24])),
            unit="items",
            hint="forecast, all checkpoints",
        ),
        Tile(
            label="Peak hour",
            value=round(out.site_forecast_count[peak]),
            unit="items/h",
            hint=_day_hour(out.hours[peak]),
        ),
        Tile(
            label="Lanes at peak",
            value=out.site_lanes[peak],
            unit="lanes",
            hint=f"95 % wait <= target; sized x{out.peak_factor:.2f} for the busiest "
            f"quarter-hour, +{100 * out.forecast_margin:.0f} % forecast margin",
        ),
        Tile(label="Review operators at peak", value=out.site_operators[peak], unit="people"),
    ]
    if bt is not None:
        better = bt.model_mape_pct < bt.seasonal_naive_mape_pct
        tiles.append(
            Tile(
                label="Forecast error (held-back week)",
                value=f"{bt.model_mape_pct:.1f}",
                unit="% MAPE",
                level="ok" if better else "warn",
                hint=f"seasonal naive {bt.seasonal_naive_mape_pct:.1f} %; "
                f"{bt.hours_counted} of {bt.hours_total} hours counted",
            )
        )
    charts = [
        Chart(
            title="Arrivals and forecast, whole site",
            y_unit="items/h",
            series=[
                Series(name="arrived", points=arrivals),
                Series(
                    name=f"forecast ({out.model})",
                    points=list(zip(hours, out.site_forecast_count, strict=True)),
                ),
            ],
        ),
        Chart(
            title="Forecast per checkpoint",
            y_unit="items/h",
            series=[
                Series(name=c.checkpoint, points=list(zip(hours, c.forecast_count, strict=True)))
                for c in out.checkpoints
            ],
        ),
        Chart(
            title="Lanes to open",
            y_unit="lanes",
            kind="bar",
            series=[
                Series(
                    name="lanes", points=list(zip(hours, map(float, out.site_lanes), strict=True))
                )
            ],
        ),
        Chart(
            title="Review operators",
            y_unit="people",
            kind="bar",
            series=[
                Series(
                    name="operators",
                    points=list(zip(hours, map(float, out.site_operators), strict=True)),
                )
            ],
        ),
    ]
    table = Table(
        title="Checkpoints",
        columns=[
            "checkpoint",
            "peak hour",
            "peak items/h",
            "peak lanes",
            "peak operators",
            "lane-hours",
            "operator-hours",
        ],
        rows=[
            [
                c.checkpoint,
                _day_hour(c.peak_hour),
                round(c.peak_forecast_count),
                c.peak_lanes,
                c.peak_operators,
                c.lane_hours,
                c.operator_hours,
            ]
            for c in out.checkpoints
        ],
    )
    response = SiteStatusResponse(
        forecast=out,
        dashboard=Dashboard(
            title="Site plan",
            generated_at=time.time(),
            tiles=tiles,
            charts=charts,
            tables=[table],
            note=f"Generated site: {g.daily_items:,.0f} items/day over {g.checkpoints} "
            f"checkpoints, {g.days} days of history (seed {g.seed}). Send a real history to "
            "security.site.forecast for your own site.",
        ),
    )
    with _lock:
        _cache[key] = (time.time(), response)
    return response


SITE_STATUS = Capability(
    name="security.site.status",
    version="1.0.0",
    group="security",
    summary="Site planning board: arrivals, forecast, lanes and operators for the coming hours",
    request_model=SiteStatusRequest,
    response_model=SiteStatusResponse,
    handler=site_status,
    examples=({"horizon_hours": 48},),
)
CAPABILITIES = (SITE_STATUS,)

DASHBOARD = DashboardPage(
    slug="security-site",
    title="Site",
    group="security",
    description="Site flow: arrivals, forecast, and the lanes and operators to staff.",
    status_capability="security.site.status",
    refresh_s=600,
)
