"""What the projected test threats say: operators' hit rates, and the detector's on live bags.

An operator's hit rate is the share of judged test threats they accepted. It is split by
whether the detector alarmed on the projected bag: those the detector boxed test whether
the operator confirms what the machine shows; the rest test whether they find what the
machine missed, and (see `tip`) read differently in the queue. Intervals are exact
(Clopper-Pearson, 95 %): a screener's few dozen tests a month leave wide ones.

The detector's alarm rate on the same projections is its catch rate on this site's own
bags, on every lane's scanner, measured while the line runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from yangcheng.security.detect.evaluate import proportion_interval
from yangcheng.security.line.store import Tip


@dataclass(frozen=True)
class Rate:
    """k of n, with its share and exact 95 % interval (None where n is 0)."""

    k: int
    n: int

    @property
    def share(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return proportion_interval(self.k, self.n) if self.n else None

    def below(self, target: float) -> bool:
        """Whether the share is below ``target`` beyond chance: its whole interval is under it
        (a few misses in few tests are not enough to flag a screener)."""
        interval = self.interval
        return interval is not None and interval[1] < target

    def text(self) -> str:
        """'92 % (23/25; 74-99)': share, counts and interval, or '-' with nothing to count."""
        if self.share is None or self.interval is None:
            return "-"
        lo, hi = self.interval
        return f"{100 * self.share:.0f} % ({self.k}/{self.n}; {100 * lo:.0f}-{100 * hi:.0f})"


@dataclass(frozen=True)
class OperatorFigures:
    operator: str
    hits: Rate
    """Accepted of the test threats they judged."""
    hits_where_detector_alarmed: Rate
    hits_where_detector_missed: Rate


@dataclass(frozen=True)
class ClassFigures:
    threat_class: str
    projected: int
    detector: Rate
    """Projections of this class the detector alarmed on."""
    operators: Rate
    """Judged projections of this class that operators accepted."""


@dataclass(frozen=True)
class TipFigures:
    projected: int
    pending: int
    detector: Rate
    operators: Rate
    operators_where_detector_missed: Rate
    by_operator: list[OperatorFigures] = field(default_factory=list)
    by_class: list[ClassFigures] = field(default_factory=list)


def tip_figures(tips: Iterable[Tip]) -> TipFigures:
    tips = list(tips)
    judged = [t for t in tips if t.verdict is not None]
    by_operator: dict[str, list[Tip]] = defaultdict(list)
    for t in judged:
        by_operator[t.operator or ""].append(t)
    by_class: dict[str, list[Tip]] = defaultdict(list)
    for t in tips:
        by_class[t.threat_class].append(t)
    return TipFigures(
        projected=len(tips),
        pending=len(tips) - len(judged),
        detector=_rate(tips, lambda t: t.detector_alarmed),
        operators=_hits(judged),
        operators_where_detector_missed=_hits([t for t in judged if not t.detector_alarmed]),
        by_operator=[
            OperatorFigures(
                operator=name,
                hits=_hits(mine),
                hits_where_detector_alarmed=_hits([t for t in mine if t.detector_alarmed]),
                hits_where_detector_missed=_hits([t for t in mine if not t.detector_alarmed]),
            )
            for name, mine in sorted(by_operator.items())
        ],
        by_class=[
            ClassFigures(
                threat_class=name,
                projected=len(these),
                detector=_rate(these, lambda t: t.detector_alarmed),
                operators=_hits([t for t in these if t.verdict is not None]),
            )
            for name, these in sorted(by_class.items())
        ],
    )


def _hits(judged: list[Tip]) -> Rate:
    return _rate(judged, lambda t: bool(t.hit))


def _rate(tips: list[Tip], counts: Callable[[Tip], bool]) -> Rate:
    return Rate(sum(1 for t in tips if counts(t)), len(tips))
