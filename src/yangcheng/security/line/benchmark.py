"""`yangcheng bench security-line`: the sorting line end to end on this machine, and a site.

Three measurements. *Capacity*: items fed as fast as the workers take them (belt never
idle), decided by two worker processes: the line's ceiling in items/hour. *Sustained*:
items arriving in real time at 36,000 items/hour over six lanes (five times the call's
7,200), and whether the line keeps up: achieved rate, scan-to-decision p50/p99, items
decided after the diverter, belt stops for backpressure. Both replay a pool of bags scanned
beforehand: a real scanner produces the images in hardware, and simulating them costs
~0.3 s of CPU a bag, which would measure the simulator. A third, short run scans each bag
with the simulator inside the workers, to show that cost. A fourth repeats the capacity run
with about one cleared bag in ``TIP_EVERY`` lending its picture to a projected test threat
(`tip`): what the projection and its second detection cost the line, and the detector's
catch rate on those threats. A fifth drops the pool's bags into a scanner's inbox as DICOS
scans beforehand and lets the line take them from there (`dicos_inbox`): what pairing,
reading DICOS and writing each bag's Threat Detection Report cost. *Site*: a generated site of
1,000,000 items a day, forecast and staffed (``security.site``).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.security.dicos_dx import dx_scan_files
from yangcheng.security.line.conveyor import Conveyor, item_feed
from yangcheng.security.line.dicos_inbox import Inbox, inbox_feed
from yangcheng.security.line.runner import LineReport, run_line
from yangcheng.security.line.scanner import build_pool
from yangcheng.security.line.store import LineStore
from yangcheng.security.line.tip import TipPolicy
from yangcheng.security.line.tip_figures import tip_figures
from yangcheng.security.line.worker import WorkerConfig
from yangcheng.security.line.workers import ProcessWorkers
from yangcheng.security.physics import DualEnergyImage

__all__ = ["flat_metrics"]

SUSTAINED_RATE_PER_H = 36_000
LANES = 6
TIP_EVERY = 10


def _cache() -> Path:
    home = os.environ.get("YANGCHENG_HOME")
    root = Path(home) if home else Path.home() / ".yangcheng"
    return root / "cache" / "line-bench"


def _run(
    folder: Path,
    name: str,
    items: int,
    rate_per_h: float,
    realtime: bool,
    source: str,
    pool: Path | None,
    workers: int = 2,
    tip: TipPolicy | None = None,
) -> tuple[LineReport, float]:
    conveyor = Conveyor()
    config = WorkerConfig(
        store_location=str(folder / f"{name}.db"),
        deadline_s=conveyor.decision_deadline_s,
        pool=None if pool is None else str(pool),
        tip=tip or TipPolicy(),
    )
    events = item_feed(
        items=items,
        rate_per_h=rate_per_h,
        lanes=LANES,
        conveyor=conveyor,
        seed=7,
        source=source,
        hard_fraction=0.2,
    )
    t0 = time.perf_counter()
    report = run_line(
        config.store_location,
        events,
        ProcessWorkers(config, workers),
        realtime=realtime,
        max_backlog=64,
    )
    return report, time.perf_counter() - t0


def _inbox_run(folder: Path, pool: Path, items: int) -> tuple[LineReport, float]:
    """The pool's bags, cycled, dropped as DICOS scans, then taken by the line."""
    low, high = np.load(pool / "low.npy"), np.load(pool / "high.npy")
    inbox = Inbox(folder / "inbox", outbox=folder / "tdr", settle_s=0.0)
    inbox.folder.mkdir()
    for n in range(items):
        i = n % len(low)
        image = DualEnergyImage(low=low[i] / 65535.0, high=high[i] / 65535.0)
        for energy, data in zip(("low", "high"), dx_scan_files(image, ooi_id=str(n)), strict=True):
            (inbox.folder / f"{n:06d}_{energy}.dcs").write_bytes(data)
    config = WorkerConfig(
        store_location=str(folder / "inbox.db"), deadline_s=Conveyor().decision_deadline_s
    )
    t0 = time.perf_counter()
    report = run_line(
        config.store_location,
        inbox_feed(inbox, items=items, idle_exit_s=30.0),
        ProcessWorkers(config, 2),
        max_backlog=64,
    )
    return report, time.perf_counter() - t0


def _flat(prefix: str, report: LineReport, wall_s: float) -> dict[str, Any]:
    out: dict[str, Any] = {f"{prefix}_wall_s": round(wall_s, 1)}
    for key, value in asdict(report).items():
        if isinstance(value, dict):
            out.update({f"{prefix}_{key}_{k}": v for k, v in value.items()})
        elif isinstance(value, float):
            if value == value:  # NaN: offered rate of an unpaced run
                out[f"{prefix}_{key}"] = round(value, 1)
        else:
            out[f"{prefix}_{key}"] = value
    return out


def flat_metrics(quick: bool) -> dict[str, Any]:
    pool = build_pool(_cache() / f"pool-{16 if quick else 64}", 16 if quick else 64)
    metrics: dict[str, Any] = {
        "lanes": LANES,
        "workers": 2,
        "deadline_s": Conveyor().decision_deadline_s,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        capacity, wall = _run(
            folder, "capacity", 300 if quick else 3000, 50_000, False, "pool", pool
        )
        metrics.update(_flat("capacity", capacity, wall))
        sustained, wall = _run(
            folder, "sustained", 300 if quick else 3600, SUSTAINED_RATE_PER_H, True, "pool", pool
        )
        metrics.update(_flat("sustained", sustained, wall))
        simulated, wall = _run(
            folder, "with_simulator", 30 if quick else 200, 50_000, False, "simulated", None
        )
        metrics["with_simulator_items_per_h"] = round(simulated.items_per_h)
        metrics["with_simulator_latency_p99_ms"] = round(simulated.latency_p99_ms)
        with_tips, wall = _run(
            folder,
            "with_tips",
            300 if quick else 3000,
            50_000,
            False,
            "pool",
            pool,
            tip=TipPolicy(every=TIP_EVERY),
        )
        metrics["tip_every"] = TIP_EVERY
        metrics["with_tips_items_per_h"] = round(with_tips.items_per_h)
        metrics["with_tips_latency_p99_ms"] = round(with_tips.latency_p99_ms)
        tips = tip_figures(LineStore(folder / "with_tips.db").tips())
        metrics["with_tips_projected"] = tips.projected
        metrics["with_tips_detector_caught"] = tips.detector.k
        inbox, wall = _inbox_run(folder, pool, 60 if quick else 600)
        metrics["dicos_inbox_items"] = inbox.decided
        metrics["dicos_inbox_items_per_h"] = round(inbox.items_per_h)
        metrics["dicos_inbox_latency_p99_ms"] = round(inbox.latency_p99_ms)
        metrics["dicos_inbox_reports"] = len(list((folder / "tdr").glob("*.dcs")))
    from yangcheng.security.site.site_benchmark import run_site_benchmark

    site = run_site_benchmark(quick)
    metrics.update({f"site_{k}": v for k, v in site.items()})
    # Detection compute for the site's busiest hour, at this machine's measured capacity
    # per core, kept at most 70 % busy so queues (and the diverter deadline) stay safe.
    per_core = capacity.items_per_h / metrics["workers"]
    metrics["capacity_items_per_h_per_core"] = round(per_core)
    metrics["site_detection_cores_at_peak"] = math.ceil(
        float(site["peak_hour_items_per_h"]) / (0.7 * per_core)
    )
    return metrics
