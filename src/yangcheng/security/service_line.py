"""The sorting line on the platform: run a line, watch it, and judge its alarms.

``security.line.run`` feeds a line of simulated scanners through supervised worker
processes into this installation's line store (run it as a job: it takes as long as the belt
does). The line's dashboard (``security.line.status``) and the operators' review queue
(``security.line.reviews`` / ``review_item`` / ``verdict``) read and write the same store, and
``security.line.labels`` hands the verdicts back as labels for retraining the detector. Test
threats projected into cleared bags (``tip_every``, `security.line.tip`) wait in the same
queue; their verdicts are revealed and scored apart (``security.line.tips``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yangcheng.config import Settings
from yangcheng.platform.catalog import (
    Caller,
    Capability,
    DashboardPage,
    InvalidInput,
    ReviewPage,
)
from yangcheng.platform.panels import (
    Chart,
    Dashboard,
    ReviewItem,
    ReviewQueue,
    ReviewSummary,
    Series,
    Table,
    Tile,
)
from yangcheng.security.line import (
    VERDICTS,
    Conveyor,
    LineConfigError,
    LineScanner,
    LineStore,
    ProcessWorkers,
    ReviewError,
    RoutingPolicy,
    ScanError,
    Tip,
    TipConfigError,
    TipPolicy,
    WorkerConfig,
    build_pool,
    item_feed,
    run_line,
)
from yangcheng.security.line.metrics import line_figures
from yangcheng.security.line.tip import policy_of, project_for_review
from yangcheng.security.service_detect import operator_picture
from yangcheng.security.service_simulate import AnnotatedImageOut, ImageBoxOut, png_base64
from yangcheng.security.threat_library import default_library_folder

_home: Path | None = None
_stores: dict[str, LineStore] = {}
_lock = threading.Lock()
POOL_BAGS = 64
REVIEW_REASONS = (
    "prohibited item found as shown",
    "prohibited item found, other class",
    "benign look-alike (bottle, tool, electronics)",
    "clutter or overlap, nothing found",
    "image unclear, bag searched, nothing found",
)


def configure(home: Path) -> None:
    global _home
    _home = Path(home)


def line_folder() -> Path:
    return (_home or Settings().home) / "security" / "line"


def line_location() -> str:
    """Where the line store lives: the platform's PostgreSQL when it runs on one (so lane
    actors on other hosts reach it), else a SQLite file in the data folder."""
    url = Settings().database_url or ""
    if url.startswith(("postgresql", "postgres://")):
        return url
    return str(line_folder() / "line.db")


def store() -> LineStore:
    """This installation's line store, opened once per process."""
    location = line_location()
    with _lock:
        if location not in _stores:
            _stores[location] = LineStore(location)
        return _stores[location]


# ---- security.line.run ------------------------------------------------------------------


class LineRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: int = Field(default=200, ge=1, le=100_000)
    rate_per_h: float = Field(default=7200, gt=0, le=200_000, description="Items/hour, all lanes.")
    lanes: int = Field(default=2, ge=1, le=32)
    workers: int = Field(default=2, ge=1, le=16, description="Worker processes on this host.")
    source: Literal["simulated", "pool"] = Field(
        default="simulated",
        description="simulated: scan each bag when its worker takes it (~0.3 s CPU a bag); "
        f"pool: replay {POOL_BAGS} bags scanned once in advance, as a scanner hands over images.",
    )
    hard_fraction: float = Field(default=0.2, ge=0, le=1)
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="Alarm threshold; default the model's validated one."
    )
    realtime: bool = Field(default=True, description="False: feed as fast as workers take items.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    tip_every: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="Threat image projection: about one cleared bag in tip_every lends its "
        "picture to a projected threat, put among the operators' alarms to test them "
        "(security.line.tips reports the hits). 0: none.",
    )
    tip_classes: list[str] | None = Field(
        default=None, description="Threat classes to project; default every prohibited class."
    )
    tip_library: bool = Field(
        default=False,
        description="Project the site's own captured threats (its threat library, "
        "`yangcheng security threats add`) instead of the simulator's.",
    )
    select_every: int = Field(
        default=0,
        ge=0,
        le=100_000,
        description="About one cleared bag in select_every goes before the operators as it "
        "is: projections the detector missed hide among them, and verdicts on them find what "
        "the detector lets through. 0: none.",
    )


class LineRunResponse(BaseModel):
    items: int
    decided: int
    duplicates: int
    routes: dict[str, int]
    items_per_h: float
    offered_per_h: float | None
    latency_p50_ms: float
    latency_p99_ms: float
    deadline_s: float
    late: int
    stalls: int
    stall_s: float
    restarts: int
    reclaimed: int
    fail_safe: int
    truth: dict[str, float]
    tips: int = Field(description="Test threats projected into cleared bags (tip_every).")
    wall_s: float


def run(req: LineRunRequest) -> LineRunResponse:
    conveyor = Conveyor()
    try:
        events = list(
            item_feed(
                items=req.items,
                rate_per_h=req.rate_per_h,
                lanes=req.lanes,
                conveyor=conveyor,
                seed=req.seed,
                hard_fraction=req.hard_fraction,
                source=req.source,
            )
        )
    except LineConfigError as exc:
        raise InvalidInput(exc.field, exc.reason) from None
    try:
        tip = TipPolicy(
            every=req.tip_every,
            classes=None if req.tip_classes is None else tuple(req.tip_classes),
            select_every=req.select_every,
            library=str(default_library_folder(_home or Settings().home))
            if req.tip_library
            else None,
        )
    except TipConfigError as exc:
        raise InvalidInput(exc.field, exc.reason) from None
    pool = None
    if req.source == "pool":
        pool = str(build_pool(line_folder() / "pool", POOL_BAGS, hard_fraction=req.hard_fraction))
    config = WorkerConfig(
        store_location=line_location(),
        deadline_s=conveyor.decision_deadline_s,
        policy=RoutingPolicy(threshold=req.threshold),
        pool=pool,
        home=str(_home or Settings().home),
        tip=tip,
    )
    t0 = time.perf_counter()
    report = run_line(
        config.store_location, events, ProcessWorkers(config, req.workers), realtime=req.realtime
    )
    out = asdict(report)
    if out["offered_per_h"] != out["offered_per_h"]:  # NaN: not paced
        out["offered_per_h"] = None
    return LineRunResponse(
        **out, deadline_s=conveyor.decision_deadline_s, wall_s=time.perf_counter() - t0
    )


# ---- security.line.status ---------------------------------------------------------------


class LineStatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_min: float = Field(default=15, gt=0, le=24 * 60)


class LaneOut(BaseModel):
    lane: str
    decided: int
    items_per_h: float
    alarm_rate: float
    stop_belt: int
    latency_p99_ms: float
    late: int


class LineStatusResponse(BaseModel):
    decided: int
    items_per_h: float
    backlog: int
    alarm_rate: float
    routes: dict[str, int]
    latency_p50_ms: float
    latency_p99_ms: float
    late: int
    pending_reviews: int
    reviews_per_h: float
    false_alarm_share: float | None
    stalls: int
    lanes: list[LaneOut]
    dashboard: Dashboard


def status(req: LineStatusRequest) -> LineStatusResponse:
    f = line_figures(store(), window_s=req.window_min * 60)
    lanes = [LaneOut(**asdict(lane)) for lane in f.lanes]
    late_level = "alarm" if f.late else "ok"
    tiles = [
        Tile(
            label="Throughput",
            value=round(f.items_per_h),
            unit="items/h",
            hint=f"decided in the last {req.window_min:g} min, as an hourly rate",
        ),
        Tile(
            label="Queue",
            value=f.backlog,
            unit="items",
            level="warn" if f.backlog > 50 else "ok",
            hint="scanned, not yet decided",
        ),
        Tile(
            label="Alarm rate",
            value=f"{100 * f.alarm_rate:.1f}",
            unit="%",
            hint="diverted or belt stopped",
        ),
        Tile(
            label="Belt stops",
            value=f.routes["stop_belt"],
            unit="",
            level="alarm" if f.routes["stop_belt"] else "ok",
            hint="firearm or explosive detected",
        ),
        Tile(
            label="Scan→decision p99",
            value=round(f.latency_p99_ms),
            unit="ms",
            level=late_level,
            hint=f"{f.late} decided after the diverter",
        ),
        Tile(
            label="Awaiting review",
            value=f.pending_reviews,
            unit="alarms",
            level="warn" if f.pending_reviews > 20 else "ok",
            hint=f"{f.reviews_per_h:.0f} verdicts/h in the window",
        ),
    ]
    charts = []
    if f.per_minute:
        charts = [
            Chart(
                title="Items decided per minute",
                y_unit="items",
                series=[
                    Series(name=k.split("/", 1)[1], points=v)
                    for k, v in f.per_minute.items()
                    if k.startswith("items/")
                ],
            ),
            Chart(
                title="Alarms per minute",
                y_unit="alarms",
                kind="bar",
                series=[Series(name="alarms", points=f.per_minute["alarms"])],
            ),
            Chart(
                title="Queue (scanned, undecided)",
                y_unit="items",
                series=[Series(name="queue", points=f.per_minute["queue"])],
            ),
            Chart(
                title="Scan-to-decision latency, p99 per minute",
                y_unit="ms",
                series=[Series(name="p99", points=f.per_minute["latency_p99_ms"])],
            ),
        ]
    table = Table(
        title="Lanes",
        columns=["lane", "decided", "items/h", "alarm %", "belt stops", "p99 ms", "late"],
        rows=[
            [
                lane.lane,
                lane.decided,
                round(lane.items_per_h),
                round(100 * lane.alarm_rate, 1),
                lane.stop_belt,
                round(lane.latency_p99_ms),
                lane.late,
            ]
            for lane in f.lanes
        ],
    )
    return LineStatusResponse(
        decided=f.decided,
        items_per_h=f.items_per_h,
        backlog=f.backlog,
        alarm_rate=f.alarm_rate,
        routes=f.routes,
        latency_p50_ms=f.latency_p50_ms,
        latency_p99_ms=f.latency_p99_ms,
        late=f.late,
        pending_reviews=f.pending_reviews,
        reviews_per_h=f.reviews_per_h,
        false_alarm_share=f.false_alarm_share,
        stalls=f.stalls,
        lanes=lanes,
        dashboard=Dashboard(
            title="Sorting line",
            generated_at=f.now,
            tiles=tiles,
            charts=charts,
            tables=[table],
            note=""
            if f.decided
            else "No item decided in this window: run a line "
            "(security.line.run, as a job) or widen the window.",
        ),
    )


# ---- review: queue, item, verdict, labels -----------------------------------------------


class ReviewsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=0, le=500)


def reviews(req: ReviewsRequest) -> ReviewQueue:
    total, pending = store().pending_reviews(limit=req.limit)
    return ReviewQueue(
        pending=total,
        items=[
            ReviewSummary(
                id=d.tracking_id,
                title=f"{d.route.replace('_', ' ')} · {d.lane} · {_top(d.detections)}",
                level="alarm" if d.route == "stop_belt" else "warn",
                facts={"lane": d.lane, "route": d.route, "score": round(d.bag_score, 3)},
                created_at=d.decided_at,
            )
            for d in pending
        ],
    )


def _top(detections: list[dict[str, Any]]) -> str:
    alarms = [d for d in detections if d.get("alarm")] or detections
    return ", ".join(str(d["class_name"]) for d in alarms[:2]) or "no box"


class ReviewItemRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)


def review_item(req: ReviewItemRequest) -> ReviewItem:
    line = store()
    tip = line.tip_of(req.id)
    decision = tip.shown() if tip is not None else line.decision(req.id)
    source = line.item_source(tip.of_tracking_id if tip is not None else req.id)
    if decision is None or source is None:
        raise InvalidInput("id", f"no decided item {req.id!r}")
    pool = line_folder() / "pool"
    try:
        scanner = LineScanner(pool if source.get("kind") == "pool" else None, _home)
        bag = scanner.scan(source)
        low, high = bag.low, bag.high
        if tip is not None:
            projected = project_for_review(
                low,
                high,
                tip.seed,
                policy_of(tip.projection),
                tip.projection.get("library_threat"),
            )
            low, high = projected.image.low, projected.image.high
        picture = operator_picture(low, high)
        height, width = low.shape[:2]
        boxes = [
            ImageBoxOut(
                x=d["box_xywh"][0],
                y=d["box_xywh"][1],
                w=d["box_xywh"][2],
                h=d["box_xywh"][3],
                label=str(d["class_name"]),
                alarm=bool(d["alarm"]),
                score=float(d["score"]),
            )
            for d in decision.detections
        ]
        if tip is not None and tip.verdict is not None:  # revealed: where the test threat was
            x, y, w, h = tip.threat_box
            boxes.append(
                ImageBoxOut(x=x, y=y, w=w, h=h, label=f"TIP: {tip.threat_class}", alarm=True)
            )
        image = AnnotatedImageOut(
            png_base64=png_base64(picture), width=width, height=height, boxes=boxes
        ).model_dump()
    except (ScanError, ValueError):
        image = None  # the images are gone (a real scanner's files moved); facts remain
    verdict = line.review_of(req.id)
    return ReviewItem(
        id=decision.tracking_id,
        title=f"{decision.route.replace('_', ' ')} · lane {decision.lane}",
        level="alarm" if decision.route == "stop_belt" else "warn",
        facts={
            "route": decision.route,
            "reasons": "; ".join(decision.reasons),
            "alarm score": round(decision.bag_score, 3),
            "threshold": round(decision.threshold, 4),
            "scan→decision ms": round(decision.latency_ms, 1),
            "decided": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(decision.decided_at)),
            "worker": decision.worker,
        },
        annotated_image=image,
        verdict=verdict.verdict if verdict else None,
        verdict_reason=verdict.reason if verdict else None,
        verdict_by=verdict.operator if verdict else None,
        notice=tip_notice(tip) if tip is not None and tip.verdict is not None else None,
    )


def tip_notice(tip: Tip) -> str:
    """What the operator is told once they have judged a projected test threat."""
    x, y, w, h = (round(v) for v in tip.threat_box)
    found = "a hit" if tip.hit else "a miss: the threat was there"
    machine = (
        "the detector had alarmed on it"
        if tip.detector_alarmed
        else ("the detector had not alarmed on it")
    )
    return (
        f"Threat image projection: this was a test. A {tip.threat_class.replace('_', ' ')} was "
        f"projected into a cleared bag at x {x}, y {y} ({w} x {h} px); {machine}. Your verdict "
        f"'{tip.verdict}' is {found}. The real bag's decision stands, and this verdict is not "
        "a label."
    )


class VerdictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    verdict: Literal["accept", "reject"] = Field(
        description="accept: the alarm was right, a prohibited item was found; "
        "reject: a false alarm."
    )
    reason: str = Field(min_length=1, max_length=500)


class TipReveal(BaseModel):
    threat_class: str
    threat_box_xywh: list[float]
    hit: bool
    detector_alarmed: bool


class VerdictResponse(BaseModel):
    id: str
    verdict: str
    reason: str
    operator: str
    reviewed_at: float
    notice: str | None = Field(
        default=None, description="Set when the item was a projected test threat: the reveal."
    )
    tip: TipReveal | None = None


def verdict(req: VerdictRequest, caller: Caller) -> VerdictResponse:
    line = store()
    try:
        review = line.review(req.id, req.verdict, req.reason, caller.email)
    except ReviewError as exc:
        raise InvalidInput(exc.field, exc.reason) from None
    tip = line.tip_of(req.id)
    return VerdictResponse(
        id=review.tracking_id,
        verdict=review.verdict,
        reason=review.reason,
        operator=review.operator,
        reviewed_at=review.reviewed_at,
        notice=None if tip is None else tip_notice(tip),
        tip=None
        if tip is None
        else TipReveal(
            threat_class=tip.threat_class,
            threat_box_xywh=tip.threat_box,
            hit=bool(tip.hit),
            detector_alarmed=tip.detector_alarmed,
        ),
    )


class LabelsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=1000, ge=1, le=100_000)


class LabelsResponse(BaseModel):
    count: int
    labels: list[dict[str, Any]] = Field(
        description="Per judged item: its source (to regenerate or re-read the images), what "
        "the detector said, and the operator's verdict (threat_present) and reason."
    )


def labels(req: LabelsRequest) -> LabelsResponse:
    rows = []
    for row in store().labels():
        rows.append(row)
        if len(rows) >= req.limit:
            break
    return LabelsResponse(count=len(rows), labels=rows)


_GROUP = "security"
CAPABILITIES = (
    Capability(
        name="security.line.run",
        version="1.0.0",
        group=_GROUP,
        summary="Run a sorting line: items scanned, detected and routed by supervised workers",
        description="Feeds a line of simulated scanners at rate_per_h (Poisson, over the lanes) "
        "into this installation's line store; worker processes lease items, detect and route "
        "them (clear / divert to manual inspection / stop the belt for firearms and "
        "explosives). A killed worker is restarted and its items are taken over; none is lost "
        "or decided twice. With tip_every, cleared bags lend their pictures to projected test "
        "threats for the operators (security.line.tips reports them); with select_every, "
        "cleared bags are also shown to operators as they are. Returns throughput, latency and "
        "routes. It runs as a job (the console's Try submits one).",
        request_model=LineRunRequest,
        response_model=LineRunResponse,
        handler=run,
        jobs_only=True,
        examples=({"items": 20, "rate_per_h": 7200, "lanes": 2, "workers": 2},),
    ),
    Capability(
        name="security.line.status",
        version="1.0.0",
        group=_GROUP,
        summary="The line's dashboard: throughput, queue, alarms, latency, operator workload",
        request_model=LineStatusRequest,
        response_model=LineStatusResponse,
        handler=status,
        examples=({"window_min": 15},),
    ),
    Capability(
        name="security.line.reviews",
        version="1.0.0",
        group=_GROUP,
        summary="Alarms waiting for an operator's verdict, oldest first",
        request_model=ReviewsRequest,
        response_model=ReviewQueue,
        handler=reviews,
        examples=({"limit": 20},),
    ),
    Capability(
        name="security.line.review_item",
        version="1.0.0",
        group=_GROUP,
        summary="One alarmed item as the operator sees it: image with boxes and the decision",
        request_model=ReviewItemRequest,
        response_model=ReviewItem,
        handler=review_item,
    ),
    Capability(
        name="security.line.verdict",
        version="1.0.0",
        group=_GROUP,
        summary="Record an operator's verdict on an alarm (accept or reject, with a reason)",
        request_model=VerdictRequest,
        response_model=VerdictResponse,
        handler=verdict,
        needs_caller=True,
    ),
    Capability(
        name="security.line.labels",
        version="1.0.0",
        group=_GROUP,
        summary="Operators' verdicts as labels for retraining the detector",
        request_model=LabelsRequest,
        response_model=LabelsResponse,
        handler=labels,
        examples=({"limit": 100},),
    ),
)

DASHBOARD = DashboardPage(
    slug="security-line",
    title="Line",
    group=_GROUP,
    description="Live sorting line: throughput, queue, alarms, latency, operator workload.",
    status_capability="security.line.status",
    refresh_s=5,
)
REVIEWS = ReviewPage(
    slug="security-alarms",
    title="Alarms",
    group=_GROUP,
    description="Operators judge the line's alarms; verdicts become retraining labels.",
    queue_capability="security.line.reviews",
    item_capability="security.line.review_item",
    verdict_capability="security.line.verdict",
    verdicts=VERDICTS,
    reasons=REVIEW_REASONS,
)
