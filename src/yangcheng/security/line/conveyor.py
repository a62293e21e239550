"""The belt: where items are, when they reach the diverter, and the stream of items arriving.

Tracking on a real line is by belt encoder: the photo-eye at the scanner records the
encoder reading (``belt_position_m``) when the item enters, and the diverter fires when the
belt has moved ``scan_to_divert_m`` further. So a decision has a hard deadline,
``scan_to_divert_m / belt_speed_m_s`` after the scan, and the line must sustain its item
rate without the queue of undecided items growing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


class LineConfigError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Conveyor:
    belt_speed_m_s: float = 1.0
    scan_to_divert_m: float = 8.0
    min_spacing_m: float = 0.4
    """Leading edge to leading edge: a bag is ~0.3-0.6 m long; the induction belt gaps them."""

    def __post_init__(self) -> None:
        for name in ("belt_speed_m_s", "scan_to_divert_m", "min_spacing_m"):
            if not getattr(self, name) > 0:
                raise LineConfigError(name, f"must be positive, got {getattr(self, name)}")

    @property
    def decision_deadline_s(self) -> float:
        return self.scan_to_divert_m / self.belt_speed_m_s

    @property
    def max_items_per_h(self) -> float:
        return 3600.0 * self.belt_speed_m_s / self.min_spacing_m


@dataclass(frozen=True)
class ItemEvent:
    """An item entering a scanner: what the photo-eye and the scanner know."""

    lane: str
    scanner_id: str
    belt_position_m: float
    offset_s: float
    """Seconds after the feed started (the real time is stamped when it is enqueued)."""
    source: dict[str, Any]
    """How to get its images: ``{"kind": "simulated", "seed", "index", "hard"}``,
    ``{"kind": "pool", "index"}`` or ``{"kind": "files", "low", "high"}`` (with ``"scanner"``:
    the images are that scanner's raw counts, read through its profile)."""


def item_feed(
    *,
    items: int,
    rate_per_h: float,
    lanes: int = 2,
    conveyor: Conveyor | None = None,
    seed: int = 0,
    hard_fraction: float = 0.0,
    source: str = "simulated",
    bag_seed: int = 30_000,
) -> Iterator[ItemEvent]:
    """``items`` arrivals, Poisson at ``rate_per_h`` for the whole line, over ``lanes`` lanes.

    Offsets are non-decreasing, so a feeder can pace them as they come. Bags are the
    simulator's ``(bag_seed, n)`` for item ``n`` (``source="pool"``: the
    n-th bag of a pre-scanned pool, cycled by the scanner).
    """
    conveyor = conveyor or Conveyor()
    if items < 0:
        raise LineConfigError("items", f"must be >= 0, got {items}")
    if lanes < 1:
        raise LineConfigError("lanes", f"must be >= 1, got {lanes}")
    if not rate_per_h > 0:
        raise LineConfigError("rate_per_h", f"must be positive, got {rate_per_h}")
    if rate_per_h / lanes > conveyor.max_items_per_h:
        raise LineConfigError(
            "rate_per_h",
            f"{rate_per_h:.0f} items/h over {lanes} lanes exceeds what one belt carries "
            f"({conveyor.max_items_per_h:.0f}/h at {conveyor.belt_speed_m_s} m/s and "
            f"{conveyor.min_spacing_m} m spacing); add lanes",
        )
    if source not in ("simulated", "pool"):
        raise LineConfigError("source", f"must be 'simulated' or 'pool', not {source!r}")
    rng = np.random.default_rng(seed)
    min_gap_s = conveyor.min_spacing_m / conveyor.belt_speed_m_s
    lane_free_at = np.zeros(lanes)
    t = 0.0
    for n in range(items):
        t += rng.exponential(3600.0 / rate_per_h)
        # The induction merges each bag onto the lane that is free first; when none is, the
        # bag waits on the feed belt (the gap, not the arrival, is what a lane limits).
        lane = int(np.argmin(lane_free_at))
        start = max(t, float(lane_free_at[lane]))
        lane_free_at[lane] = start + min_gap_s
        hard = bool(rng.random() < hard_fraction)
        ref: dict[str, Any] = (
            {"kind": "pool", "index": n}
            if source == "pool"
            else {"kind": "simulated", "seed": bag_seed + int(hard), "index": n, "hard": hard}
        )
        yield ItemEvent(
            lane=f"L{lane + 1}",
            scanner_id=f"XR{lane + 1:02d}",
            belt_position_m=round(start * conveyor.belt_speed_m_s, 3),
            offset_s=start,
            source=ref,
        )
