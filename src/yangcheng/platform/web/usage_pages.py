"""Usage charts for the signed-in developer and the platform's headline counts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from yangcheng.platform import metering
from yangcheng.platform.web.charts import capability_chart, daily_chart
from yangcheng.platform.web.render import render
from yangcheng.platform.web.session import ViewerDep, platform_of

router = APIRouter(prefix="/console", include_in_schema=False)

USAGE_DAYS = 30

# Label and one-line meaning of each count, in the order a funding report reads.
STAT_CARDS = (
    ("developers_onboarded", "Developers onboarded", "Accounts holding an API key"),
    ("active_users_7d", "Active users, 7 days", "Developers who made a call this week"),
    ("active_users_30d", "Active users, 30 days", "Developers who made a call this month"),
    ("organisations_served", "Organisations served", "Organisations whose keys made calls"),
    ("organisations_registered", "Organisations registered", "Organisations with an account"),
    ("api_calls_total", "API calls", "Every metered call, all time"),
    ("tasks_completed", "Tasks completed", "Batch jobs that succeeded"),
    ("tasks_submitted", "Tasks submitted", "Batch jobs ever submitted"),
)


@router.get("/usage")
def usage_page(request: Request, viewer: ViewerDep) -> Response:
    platform_of(request).usage.flush()
    with platform_of(request).db.session() as s:
        days = metering.daily_usage(s, days=USAGE_DAYS, developer_id=viewer.owner_filter)
        caps = metering.usage_by_capability(s, developer_id=viewer.owner_filter)
    daily = daily_chart(days)
    called = [d for d in days if d.calls]
    mean_latency = (
        sum(d.mean_latency_ms * d.calls for d in called) / sum(d.calls for d in called)
        if called
        else 0.0
    )
    return render(
        request,
        "usage.html",
        {
            "viewer": viewer,
            "nav": "usage",
            "days": USAGE_DAYS,
            "daily": daily,
            "by_capability": capability_chart(caps),
            "mean_latency": mean_latency,
            "first_day": days[0].day,
            "last_day": days[-1].day,
        },
    )


@router.get("/stats")
def stats_page(request: Request, viewer: ViewerDep) -> Response:
    platform_of(request).usage.flush()
    with platform_of(request).db.session() as s:
        counts = metering.platform_stats(s)
    cards = [(label, counts.get(key, 0), note) for key, label, note in STAT_CARDS]
    return render(request, "stats.html", {"viewer": viewer, "nav": "stats", "cards": cards})
