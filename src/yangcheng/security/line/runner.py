"""Running a line: feed scanned items at the belt's pace, let the workers decide, report.

The feeder plays the conveyor and scanners: it writes each item to the store when its scan
time comes. When the backlog of undecided items reaches ``max_backlog`` it stops the belt
(records a stall) until the workers catch up: backpressure, so a slow or crashed worker
costs belt time, never items. ``realtime=False`` feeds as fast as the workers take items,
which measures the line's capacity.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from yangcheng.security.line.conveyor import ItemEvent
from yangcheng.security.line.store import LineStore
from yangcheng.security.line.workers import WorkerGroup

Progress = Callable[[int, int, int], None]
"""(fed, decided, backlog)"""


@dataclass
class LineReport:
    items: int
    decided: int
    duplicates: int
    """Items with more than one decision: must be 0."""
    routes: dict[str, int]
    items_per_h: float
    """Decided items over the span from the first scan to the last decision."""
    offered_per_h: float
    latency_p50_ms: float
    latency_p99_ms: float
    late: int
    stalls: int
    stall_s: float
    restarts: int
    reclaimed: int
    """Items leased more than once (their first worker died or stalled)."""
    fail_safe: int
    truth: dict[str, float] = field(default_factory=dict)
    """Where ground truth is known: threat bags, missed (cleared), clean bags, alarmed."""
    tips: int = 0
    """Test threats projected into cleared bags for the operators (`tip`)."""


def run_line(
    store_location: str | Path,
    events: Iterable[ItemEvent],
    workers: WorkerGroup,
    *,
    realtime: bool = True,
    max_backlog: int = 64,
    feed_batch: int = 8,
    progress: Progress | None = None,
    on_started: Callable[[], None] | None = None,
    timeout_s: float = 3600.0,
) -> LineReport:
    store = LineStore(store_location)
    finished = False
    try:
        start = time.time()
        store.open_feed()
        workers.start()
        _await_workers(store, workers, since=start, timeout_s=120)
        if on_started is not None:
            on_started()
        fed = 0
        pending: list[ItemEvent] = []
        t0 = time.monotonic()
        last_offset = 0.0
        for event in events:
            last_offset = event.offset_s
            if realtime:
                wait = t0 + event.offset_s - time.monotonic()
                if wait > 0:
                    if pending:
                        fed += _flush(store, pending)
                    workers.supervise()
                    time.sleep(wait)
            pending.append(event)
            if len(pending) >= feed_batch or realtime:
                fed += _flush(store, pending)
                _backpressure(store, workers, max_backlog)
                if progress is not None:
                    progress(fed, store.counts()["decided"], store.backlog())
        if pending:
            fed += _flush(store, pending)
        store.close_feed()
        deadline = time.monotonic() + timeout_s
        while store.backlog() > 0 and time.monotonic() < deadline:
            workers.supervise()
            if progress is not None:
                progress(fed, store.counts()["decided"], store.backlog())
            time.sleep(0.1)
        finished = workers.join(timeout_s=60)
        offered = fed / max(last_offset, 1e-9) * 3600 if realtime else float("nan")
        return report(store, since=start, restarts=workers.restarts, offered_per_h=offered)
    finally:
        if not finished:
            # A feed that failed (bad event, Ctrl-C) must not leave workers polling forever;
            # what they had not decided stays queued in the store for the next run.
            store.close_feed()
            workers.stop()
        store.close()


def _await_workers(store: LineStore, workers: WorkerGroup, since: float, timeout_s: float) -> None:
    """The belt starts once the workers have their detector loaded (seconds, once)."""
    deadline = time.monotonic() + timeout_s
    while store.ready_workers(since) < workers.count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"workers not ready after {timeout_s:.0f} s")
        workers.supervise()
        time.sleep(0.05)


def _flush(store: LineStore, pending: list[ItemEvent]) -> int:
    n = len(store.enqueue(pending))
    pending.clear()
    return n


def _backpressure(store: LineStore, workers: WorkerGroup, max_backlog: int) -> None:
    backlog = store.backlog()
    if backlog < max_backlog:
        return
    started = time.time()
    while backlog >= max_backlog:
        workers.supervise()
        time.sleep(0.02)
        backlog = store.backlog()
    store.record_stall(started, time.time(), max_backlog)


def report(
    store: LineStore, since: float = 0.0, restarts: int = 0, offered_per_h: float = float("nan")
) -> LineReport:
    decisions = store.decisions(since=since)
    claims = store.claim_counts()
    stalls = store.stalls(since=since)
    routes = Counter(d.route for d in decisions)
    latencies = np.array([d.latency_ms for d in decisions]) if decisions else np.zeros(1)
    ids = [d.tracking_id for d in decisions]
    items = len(ids)
    if decisions:
        first_scan = min(d.decided_at - d.latency_ms / 1000 for d in decisions)
        span = max(d.decided_at for d in decisions) - first_scan
    else:
        span = 0.0
    known = [d for d in decisions if d.truth_threat is not None]
    threats = [d for d in known if d.truth_threat]
    clean = [d for d in known if not d.truth_threat]
    truth: dict[str, float] = {}
    if known:
        truth = {
            "threat_bags": len(threats),
            "missed": sum(d.route == "clear" for d in threats),
            "clean_bags": len(clean),
            "false_alarms": sum(d.route != "clear" for d in clean),
        }
    return LineReport(
        items=items,
        decided=len(set(ids)),
        duplicates=len(ids) - len(set(ids)),
        routes={r: routes.get(r, 0) for r in ("clear", "divert", "stop_belt")},
        items_per_h=items / span * 3600 if span > 0 else 0.0,
        offered_per_h=offered_per_h,
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p99_ms=float(np.percentile(latencies, 99)),
        late=sum(d.late for d in decisions),
        stalls=len(stalls),
        stall_s=sum(b - a for a, b, _ in stalls),
        restarts=restarts,
        reclaimed=sum(1 for t in ids if claims.get(t, 0) > 1),
        fail_safe=sum(1 for d in decisions if any(r.startswith("fail-safe") for r in d.reasons)),
        tips=len(store.tips(since=since)),
        truth=truth,
    )
