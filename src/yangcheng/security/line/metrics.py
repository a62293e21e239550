"""What the line's dashboard shows, computed from the store: per lane and per minute.

Throughput, queue length (scanned and not yet decided), alarm rate, scan-to-decision
latency and the operators' workload (alarms waiting for a verdict, verdicts an hour). Queue
length at a moment is recovered from the record itself: items scanned by then minus items
decided by then, so it needs no sampler running beside the line.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from yangcheng.security.line.store import Decision, LineStore


@dataclass
class LaneFigures:
    lane: str
    decided: int
    items_per_h: float
    alarm_rate: float
    stop_belt: int
    latency_p99_ms: float
    late: int


@dataclass
class LineFigures:
    window_s: float
    now: float
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
    """Of the alarms operators judged in the window, the share they rejected."""
    stalls: int
    stall_s: float
    lanes: list[LaneFigures] = field(default_factory=list)
    per_minute: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """'items/<lane>', 'alarms', 'queue', 'latency_p99_ms': (minute start, value)."""


def line_figures(
    store: LineStore, window_s: float = 900.0, now: float | None = None
) -> LineFigures:
    now = time.time() if now is None else now
    since = now - window_s
    decisions = store.decisions(since=since)
    reviews = store.reviews(since=since)
    pending, _ = store.pending_reviews(limit=0)
    stalls = store.stalls(since=since)
    span = _span(decisions, since, now)
    routes = Counter(d.route for d in decisions)
    lat = np.array([d.latency_ms for d in decisions]) if decisions else None
    judged = Counter(r.verdict for r in store.reviews(since=since, alarms_only=True))
    by_lane: dict[str, list[Decision]] = defaultdict(list)
    for d in decisions:
        by_lane[d.lane].append(d)
    lanes = [
        LaneFigures(
            lane=lane,
            decided=len(ds),
            items_per_h=len(ds) / span * 3600,
            alarm_rate=sum(d.route != "clear" for d in ds) / len(ds),
            stop_belt=sum(d.route == "stop_belt" for d in ds),
            latency_p99_ms=float(np.percentile([d.latency_ms for d in ds], 99)),
            late=sum(d.late for d in ds),
        )
        for lane, ds in sorted(by_lane.items())
    ]
    return LineFigures(
        window_s=window_s,
        now=now,
        decided=len(decisions),
        items_per_h=len(decisions) / span * 3600,
        backlog=store.backlog(),
        alarm_rate=(len(decisions) - routes["clear"]) / len(decisions) if decisions else 0.0,
        routes={r: routes.get(r, 0) for r in ("clear", "divert", "stop_belt")},
        latency_p50_ms=float(np.percentile(lat, 50)) if lat is not None else 0.0,
        latency_p99_ms=float(np.percentile(lat, 99)) if lat is not None else 0.0,
        late=sum(d.late for d in decisions),
        pending_reviews=pending,
        reviews_per_h=len(reviews) / window_s * 3600,
        false_alarm_share=judged["reject"] / sum(judged.values()) if judged else None,
        stalls=len(stalls),
        stall_s=sum(b - max(a, since) for a, b, _ in stalls),
        lanes=lanes,
        per_minute=_per_minute(decisions, since, now),
    )


def _span(decisions: list[Decision], since: float, now: float) -> float:
    """Seconds the window's figures are rates over: from the first scan seen, at least 60."""
    if not decisions:
        return max(now - since, 60.0)
    first = min(d.decided_at - d.latency_ms / 1000 for d in decisions)
    return max(now - max(first, since), 60.0)


def _per_minute(
    decisions: list[Decision], since: float, now: float
) -> dict[str, list[tuple[float, float]]]:
    if not decisions:
        return {}
    start = max(since, min(d.decided_at - d.latency_ms / 1000 for d in decisions))
    edges = np.arange(np.floor(start / 60) * 60, now + 60, 60.0)
    if len(edges) < 2:
        return {}
    decided_at = np.array([d.decided_at for d in decisions])
    scanned_at = decided_at - np.array([d.latency_ms for d in decisions]) / 1000
    out: dict[str, list[tuple[float, float]]] = {}
    for lane in sorted({d.lane for d in decisions}):
        mask = np.array([d.lane == lane for d in decisions])
        counts, _ = np.histogram(decided_at[mask], edges)
        out[f"items/{lane}"] = [
            (float(e), float(c)) for e, c in zip(edges[:-1], counts, strict=True)
        ]
    alarmed = np.array([d.route != "clear" for d in decisions])
    counts, _ = np.histogram(decided_at[alarmed], edges)
    out["alarms"] = [(float(e), float(c)) for e, c in zip(edges[:-1], counts, strict=True)]
    # Queue at each minute's end: scanned by then, not decided by then (within the window).
    out["queue"] = [
        (float(e), float(np.sum((scanned_at <= e) & (decided_at > e)))) for e in edges[1:]
    ]
    latency = np.array([d.latency_ms for d in decisions])
    lat_points = []
    for lo, hi in itertools.pairwise(edges):
        sel = (decided_at >= lo) & (decided_at < hi)
        if sel.any():
            lat_points.append((float(lo), float(np.percentile(latency[sel], 99))))
    out["latency_p99_ms"] = lat_points
    return out
