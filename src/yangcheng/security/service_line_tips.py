"""Threat image projection on the platform: how operators and the detector do on test threats.

``security.line.tips`` reads the line store's projected test threats (`security.line.tip`,
switched on with ``security.line.run``'s ``tip_every``) over a window and reports each
operator's hit rate, and the detector's catch rate on this site's own bags, per class. The
console shows it as the "Threat tests" dashboard.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

from yangcheng.platform.catalog import Capability, DashboardPage
from yangcheng.platform.panels import Dashboard, Table, Tile
from yangcheng.security.line.tip_figures import Rate, TipFigures, tip_figures
from yangcheng.security.service_line import store


class TipsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_days: float = Field(default=30, gt=0, le=3660)
    target_hit_rate: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="The site's required hit rate: an operator whose hit rate's 95 % interval "
        "lies wholly below it is flagged (below_target).",
    )


class RateOut(BaseModel):
    k: int
    n: int
    share: float | None
    ci95: tuple[float, float] | None = Field(description="Exact (Clopper-Pearson) interval.")


class OperatorOut(BaseModel):
    operator: str
    hits: RateOut
    below_target: bool | None = Field(
        default=None, description="With target_hit_rate: below it beyond chance."
    )
    hits_where_detector_alarmed: RateOut
    hits_where_detector_missed: RateOut


class ClassOut(BaseModel):
    threat_class: str
    projected: int
    detector: RateOut
    operators: RateOut


class TipsResponse(BaseModel):
    projected: int
    pending: int = Field(description="Projected, not yet judged.")
    detector: RateOut = Field(description="Projections the detector alarmed on.")
    operators: RateOut = Field(description="Judged projections operators accepted (hits).")
    operators_where_detector_missed: RateOut
    by_operator: list[OperatorOut]
    by_class: list[ClassOut]
    selected: int = Field(description="Real cleared bags put before the operators as they are.")
    found_in_selected: RateOut = Field(
        description="Judged selected bags in which operators found a prohibited item (accept): "
        "what the detector let through."
    )
    dashboard: Dashboard


def _out(rate: Rate) -> RateOut:
    return RateOut(k=rate.k, n=rate.n, share=rate.share, ci95=rate.interval)


def tips(req: TipsRequest) -> TipsResponse:
    now = time.time()
    since = now - req.window_days * 86_400
    line = store()
    f = tip_figures(line.tips(since=since))
    selected = line.selected_count(since=since)
    verdicts = line.selected_reviews(since=since)
    found = Rate(sum(r.verdict == "accept" for r in verdicts), len(verdicts))
    return TipsResponse(
        projected=f.projected,
        pending=f.pending,
        detector=_out(f.detector),
        operators=_out(f.operators),
        operators_where_detector_missed=_out(f.operators_where_detector_missed),
        by_operator=[
            OperatorOut(
                operator=o.operator,
                hits=_out(o.hits),
                below_target=None
                if req.target_hit_rate is None
                else o.hits.below(req.target_hit_rate),
                hits_where_detector_alarmed=_out(o.hits_where_detector_alarmed),
                hits_where_detector_missed=_out(o.hits_where_detector_missed),
            )
            for o in f.by_operator
        ],
        by_class=[
            ClassOut(
                threat_class=c.threat_class,
                projected=c.projected,
                detector=_out(c.detector),
                operators=_out(c.operators),
            )
            for c in f.by_class
        ],
        selected=selected,
        found_in_selected=_out(found),
        dashboard=_dashboard(f, req.window_days, now, selected, found, req.target_hit_rate),
    )


def _share_tile(label: str, rate: Rate, hint: str) -> Tile:
    share = rate.share
    return Tile(
        label=label,
        value="-" if share is None else f"{100 * share:.1f}",
        unit="" if share is None else "%",
        level="info" if share is None else ("ok" if share >= 0.9 else "warn"),
        hint=f"{hint}: {rate.k} of {rate.n}",
    )


def _dashboard(
    f: TipFigures,
    window_days: float,
    now: float,
    selected: int,
    found: Rate,
    target: float | None,
) -> Dashboard:
    tiles = [
        Tile(
            label="Test threats",
            value=f.projected,
            hint=f"projected into cleared bags in the last {window_days:g} days",
        ),
        Tile(
            label="Awaiting a verdict",
            value=f.pending,
            level="warn" if f.pending > 20 else "ok",
            hint="in the operators' queue among the alarms",
        ),
        _share_tile("Operators' hit rate", f.operators, "judged test threats accepted"),
        _share_tile(
            "Hits where the detector missed",
            f.operators_where_detector_missed,
            "judged test threats the detector had not alarmed on, accepted",
        ),
        _share_tile("Detector catch rate", f.detector, "test threats the detector alarmed on"),
        Tile(
            label="Found in cleared bags",
            value=found.k,
            unit=f"of {found.n}",
            level="alarm" if found.k else "ok",
            hint=f"prohibited items operators found in real cleared bags put before them "
            f"({selected} selected in the window)",
        ),
    ]
    flagged = [] if target is None else [o.operator for o in f.by_operator if o.hits.below(target)]
    if target is not None:
        tiles.append(
            Tile(
                label="Below target",
                value=len(flagged),
                unit="operators",
                level="alarm" if flagged else "ok",
                hint=f"hit rate below {100 * target:.0f} % beyond chance (95 % interval)",
            )
        )
    operators = Table(
        title="Operators (hit rate, 95 % interval)",
        columns=["operator", "all tests", "detector alarmed", "detector missed"]
        + ([] if target is None else [f"below {100 * target:.0f} %"]),
        rows=[
            [
                o.operator,
                o.hits.text(),
                o.hits_where_detector_alarmed.text(),
                o.hits_where_detector_missed.text(),
            ]
            + ([] if target is None else ["yes" if o.operator in flagged else "no"])
            for o in f.by_operator
        ],
    )
    classes = Table(
        title="Threat classes",
        columns=["class", "projected", "detector alarmed", "operators hit"],
        rows=[
            [c.threat_class, c.projected, c.detector.text(), c.operators.text()] for c in f.by_class
        ],
    )
    return Dashboard(
        title="Threat image projection",
        generated_at=now,
        tiles=tiles,
        tables=[operators, classes],
        note=""
        if f.projected
        else "No test threat in this window: run a line with tip_every (security.line.run) "
        "or widen the window.",
    )


CAPABILITIES = (
    Capability(
        name="security.line.tips",
        version="1.0.0",
        group="security",
        summary="Threat image projection: operators' hit rates and the detector's catch rate "
        "on test threats projected into the line's cleared bags",
        request_model=TipsRequest,
        response_model=TipsResponse,
        handler=tips,
        examples=({"window_days": 30},),
    ),
)

DASHBOARD = DashboardPage(
    slug="security-tips",
    title="Threat tests",
    group="security",
    description="Threat image projection: how operators and the detector do on test threats.",
    status_capability="security.line.tips",
    refresh_s=30,
)
