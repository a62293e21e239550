"""A line worker: lease items, scan, detect, route, commit; until the line is drained.

Workers are separate processes (or Ray actors, one per lane) that share nothing but the
line's store, so any of them can be killed at any moment: what it held comes back to the
others when its lease runs out (see ``store``). Each loads the detector once.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

from threadpoolctl import threadpool_limits

from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.detect.inputs import DetectorInputError
from yangcheng.security.dicos_tdr import ThreatObject, threat_detection_report
from yangcheng.security.line.routing import RoutedItem, RoutingPolicy, fail_safe
from yangcheng.security.line.scanner import LineScanner, ScanError, ScannedBag
from yangcheng.security.line.store import ClaimedItem, Decision, LineStore, Tip
from yangcheng.security.line.tip import (
    TipPolicy,
    choose_threat,
    project_for_review,
    threat_name,
    tip_seed,
)
from yangcheng.security.objects import object_class

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    store_location: str
    """The line store: a SQLite file path, or a PostgreSQL URL for workers on several hosts."""
    deadline_s: float = 8.0
    """Scan to diverter: a decision later than this sends the item to a person."""
    lanes: tuple[str, ...] | None = None
    """Only these lanes' items (a Ray actor per lane); None: any lane."""
    batch: int = 2
    lease_s: float = 10.0
    poll_s: float = 0.02
    max_attempts: int = 3
    policy: RoutingPolicy = field(default_factory=RoutingPolicy)
    pool: str | None = None
    home: str | None = None
    """The data folder whose scanner profiles read a ``files`` item's ``scanner`` counts;
    None: $YANGCHENG_HOME."""
    threads: int = 1
    stop_when_drained: bool = True
    """Exit once the feed is closed and nothing is left; a serving line keeps polling."""
    tip: TipPolicy = field(default_factory=TipPolicy)
    """Test threats projected into cleared bags for the operators (`tip`); off by default."""


@dataclass
class WorkerStats:
    worker: str
    decided: int = 0
    refused: int = 0
    """Decisions the store turned down: this worker's lease had been taken over."""
    fail_safe: int = 0
    tips: int = 0
    """Projected test threats this worker put in the operators' queue."""


def run_worker(config: WorkerConfig, worker: str) -> WorkerStats:
    """Module-level, picklable: the body of a worker process or a lane actor's call."""
    with threadpool_limits(config.threads):
        return LineWorker(config, worker).run()


class LineWorker:
    def __init__(self, config: WorkerConfig, worker: str) -> None:
        self.config = config
        self.worker = worker
        self.store = LineStore(config.store_location)
        self.scanner = LineScanner(config.pool, config.home)
        self.detector = XrayDetector(threads=config.threads)
        self.detector.warm_up()
        self.stats = WorkerStats(worker)
        self.store.mark_ready(worker)

    def run(self) -> WorkerStats:
        parent = os.getppid()
        try:
            while True:
                if os.getppid() != parent:
                    # Whoever started us (a job, the CLI) is gone: do not poll forever. What
                    # we hold returns to the queue when its lease runs out.
                    return self.stats
                if not self.step():
                    if (
                        self.config.stop_when_drained
                        and not self.store.feed_open()
                        and (self.store.backlog() == 0)
                    ):
                        return self.stats
                    time.sleep(self.config.poll_s)
        finally:
            self.store.close()

    def step(self) -> int:
        """Lease a batch and decide it; the number of items leased."""
        c = self.config
        items = self.store.claim(self.worker, c.batch, c.lease_s, c.lanes)
        for item in items:
            truth: bool | None = None
            bag: ScannedBag | None = None
            threshold = (
                c.policy.threshold if c.policy.threshold is not None else (self.detector.threshold)
            )
            if item.attempts > c.max_attempts:
                routed = fail_safe(
                    f"{item.attempts - 1} workers stopped while holding this item", threshold
                )
            else:
                try:
                    bag = self.scanner.scan(item.source)
                    truth = bag.threat
                    routed = self._route(bag)
                except (ScanError, DetectorInputError, KeyError, ValueError) as exc:
                    routed = fail_safe(f"{type(exc).__name__}: {exc}", threshold)
            if routed.reasons[0].startswith("fail-safe"):
                self.stats.fail_safe += 1
            decided = self.store.decide(
                item, routed, self.worker, deadline_s=c.deadline_s, truth_threat=truth
            )
            if decided is None:
                self.stats.refused += 1
                continue
            self.stats.decided += 1
            if item.source.get("tdr_dir"):
                self._write_report(item, routed, bag, decided)
            if decided.route != "clear":
                continue
            if bag is not None and c.tip.picks(item.tracking_id):
                # After the commit, so the bag's own decision never waits on the test; and
                # never selected too: the same bag twice, once with a threat, is a tell.
                self._project_tip(item, bag, decided)
            elif c.tip.selects(item.tracking_id):
                self.store.select(item.tracking_id)
        return len(items)

    def _write_report(
        self, item: ClaimedItem, routed: RoutedItem, bag: ScannedBag | None, decided: Decision
    ) -> None:
        """The decision as a DICOS Threat Detection Report in the item's ``tdr_dir``, named
        by its tracking id and written whole (a temporary name, then renamed), since whoever
        collects it may look at any moment. After the commit: the decision stands whether or
        not the report can be written."""
        sx, sy = bag.scale if bag is not None else (1.0, 1.0)
        objects = [
            ThreatObject(
                class_name=d["class_name"],
                category=object_class(d["class_name"]).category,
                score=float(d["score"]),
                box_xywh=(
                    d["box_xywh"][0] * sx,
                    d["box_xywh"][1] * sy,
                    d["box_xywh"][2] * sx,
                    d["box_xywh"][3] * sy,
                ),
                z_eff=d["z_eff"],
                alarm=bool(d["alarm"]),
            )
            for d in routed.detections
        ]
        abort = None
        if bag is None:  # the line could not judge it (fail-safe)
            abort = "TIMEOUT" if item.attempts > self.config.max_attempts else "UNKNOWN_DATATYPE"
        folder = Path(str(item.source["tdr_dir"]))
        target = folder / f"{item.tracking_id}.dcs"
        try:
            data = threat_detection_report(
                alarm=decided.route != "clear",
                objects=objects,
                model=self.detector.files.onnx.stem,
                processing_ms=decided.latency_ms,
                scan=bag.dicos if bag is not None else None,
                abort_reason=abort,
            )
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{target.name}.{self.worker}.part"
            partial.write_bytes(data)
            os.replace(partial, target)
        except OSError as exc:
            _log.warning("threat detection report %s not written: %s", target, exc)

    def _route(self, bag: ScannedBag) -> RoutedItem:
        result = self.detector.detect(bag.low, bag.high)
        if bag.thresholds is not None:  # the scanner's own, from its profile
            bag_t, box_t = bag.thresholds
            result = replace(
                result, threshold=bag_t, box_threshold=box_t, alarm=result.bag_score >= bag_t
            )
        return self.config.policy.route(result, self.detector.rule)

    def _project_tip(self, item: ClaimedItem, bag: ScannedBag, decided: Decision) -> None:
        policy = self.config.tip
        seed = tip_seed(item.tracking_id)
        try:
            threat = choose_threat(seed, policy)
            projected = project_for_review(bag.low, bag.high, seed, policy, threat)
            routed = self._route(replace(bag, low=projected.image.low, high=projected.image.high))
        except (DetectorInputError, ValueError):
            return  # nothing to project into (an empty tray), or an empty library: no test
        self.store.add_tip(
            Tip(
                tip_id=f"{item.scanner_id}-{uuid.uuid4().hex[:12]}",
                of_tracking_id=item.tracking_id,
                lane=item.lane,
                threat_class=threat_name(projected),
                threat_box=[float(v) for v in projected.annotation.bbox_xywh],
                seed=seed,
                projection={
                    "classes": policy.classes,
                    "thin_share": policy.thin_share,
                    "library": policy.library,
                    "library_threat": threat,
                },
                route=routed.route,
                reasons=routed.reasons,
                bag_score=routed.bag_score,
                threshold=routed.threshold,
                detections=routed.detections,
                latency_ms=decided.latency_ms,
                worker=self.worker,
                created_at=time.time(),
            )
        )
        self.stats.tips += 1
