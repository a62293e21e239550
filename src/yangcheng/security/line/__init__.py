"""The sorting line: items tracked on the belt, scanned, detected, routed, reviewed.

``store`` is the durable queue and record; ``worker`` decides items; ``workers`` runs them
as supervised processes or Ray lane actors; ``runner`` feeds a line and reports on it.
"""

from yangcheng.security.line.conveyor import Conveyor, ItemEvent, LineConfigError, item_feed
from yangcheng.security.line.routing import (
    ROUTES,
    STOP_BELT_CLASSES,
    RoutedItem,
    RoutingPolicy,
    fail_safe,
)
from yangcheng.security.line.runner import LineReport, report, run_line
from yangcheng.security.line.scanner import LineScanner, ScanError, build_pool, simulate_bag
from yangcheng.security.line.store import (
    VERDICTS,
    ClaimedItem,
    Decision,
    LineStore,
    Review,
    ReviewError,
    Tip,
)
from yangcheng.security.line.tip import TipConfigError, TipPolicy
from yangcheng.security.line.worker import LineWorker, WorkerConfig, WorkerStats, run_worker
from yangcheng.security.line.workers import ProcessWorkers, RayLaneWorkers

__all__ = [
    "ROUTES",
    "STOP_BELT_CLASSES",
    "VERDICTS",
    "ClaimedItem",
    "Conveyor",
    "Decision",
    "ItemEvent",
    "LineConfigError",
    "LineReport",
    "LineScanner",
    "LineStore",
    "LineWorker",
    "ProcessWorkers",
    "RayLaneWorkers",
    "Review",
    "ReviewError",
    "RoutedItem",
    "RoutingPolicy",
    "ScanError",
    "Tip",
    "TipConfigError",
    "TipPolicy",
    "WorkerConfig",
    "WorkerStats",
    "build_pool",
    "fail_safe",
    "item_feed",
    "report",
    "run_line",
    "run_worker",
    "simulate_bag",
]
