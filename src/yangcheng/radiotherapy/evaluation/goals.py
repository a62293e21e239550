"""Clinical goals (e.g. TG-119 C-shape) evaluated on a dose, with a pass/fail table.

Metric names: `D<x>` (dose in Gy to the hottest x %, e.g. D95, D2, D0.03), `Dmean`, `Dmax`
(true maximum), `Dmin`, and `V<x>Gy` (percent of the structure receiving >= x Gy).
TG-119 C-shape goals (Ezzell et al., Med Phys 36 (2009) 5359, Table II; 50 Gy in 25
fractions): easy = PTV D95 >= 50 Gy, PTV D10 <= 55 Gy, Core D10 <= 25 Gy; hard = the same with
Core D10 <= 10 Gy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.evaluation.dvh import d_max, d_mean, d_min, dose_at_volume, v_x
from yangcheng.radiotherapy.evaluation.errors import InvalidMetricError

Comparator = Literal[">=", "<="]
_D_RE = re.compile(r"^D(\d+(?:\.\d+)?)$")
_V_RE = re.compile(r"^V(\d+(?:\.\d+)?)Gy$")


class HasMasks(Protocol):
    def mask_of(self, name: str) -> NDArray[np.bool_]: ...


@dataclass(frozen=True)
class Goal:
    """`metric comparator limit` on one structure; limit in Gy (D metrics) or % (V metrics)."""

    name: str
    structure: str
    metric: str
    comparator: Comparator
    limit: float

    def __post_init__(self) -> None:
        if self.comparator not in (">=", "<="):
            raise InvalidMetricError(f"goal {self.name!r}: comparator {self.comparator!r}")
        metric_unit(self.metric)  # validates the metric name

    @property
    def unit(self) -> str:
        return metric_unit(self.metric)


@dataclass(frozen=True)
class GoalResult:
    name: str
    structure: str
    metric: str
    limit: float
    value: float
    passed: bool
    comparator: Comparator = ">="

    @property
    def unit(self) -> str:
        return metric_unit(self.metric)


def metric_unit(metric: str) -> str:
    if metric in ("Dmean", "Dmax", "Dmin") or _D_RE.match(metric):
        return "Gy"
    if _V_RE.match(metric):
        return "%"
    raise InvalidMetricError(
        f"unknown metric {metric!r}; use D<x> (e.g. D95), Dmean, Dmax, Dmin or V<x>Gy"
    )


def evaluate_metric(
    dose_gy: NDArray[np.floating], mask: NDArray[np.bool_], metric: str, name: str = "structure"
) -> float:
    if metric == "Dmean":
        return d_mean(dose_gy, mask, name)
    if metric == "Dmax":
        return d_max(dose_gy, mask, name)
    if metric == "Dmin":
        return d_min(dose_gy, mask, name)
    if m := _D_RE.match(metric):
        return dose_at_volume(dose_gy, mask, float(m.group(1)), name)
    if m := _V_RE.match(metric):
        return v_x(dose_gy, mask, float(m.group(1)), name)
    metric_unit(metric)  # raises with the list of valid metrics
    raise AssertionError("unreachable")


def _mask(structures: HasMasks | Mapping[str, NDArray[np.bool_]], name: str) -> NDArray[np.bool_]:
    if isinstance(structures, Mapping):
        if name not in structures:
            raise InvalidMetricError(f"unknown structure {name!r}; have {sorted(structures)}")
        return structures[name]
    return structures.mask_of(name)


def evaluate_goals(
    dose_gy: NDArray[np.floating],
    phantom: HasMasks | Mapping[str, NDArray[np.bool_]],
    goals: Sequence[Goal],
    tolerance: float = 1e-9,
) -> list[GoalResult]:
    """One result per goal, in order; `phantom` is a `Phantom` or a name -> mask mapping."""
    results = []
    for goal in goals:
        value = evaluate_metric(
            dose_gy, _mask(phantom, goal.structure), goal.metric, goal.structure
        )
        if goal.comparator == ">=":
            passed = value >= goal.limit - tolerance
        else:
            passed = value <= goal.limit + tolerance
        results.append(
            GoalResult(
                goal.name, goal.structure, goal.metric, goal.limit, value, passed, goal.comparator
            )
        )
    return results


def _rows(results: Sequence[GoalResult]) -> list[list[str]]:
    return [
        [
            r.name,
            r.structure,
            r.metric,
            f"{r.comparator} {r.limit:g} {r.unit}",
            f"{r.value:.2f} {r.unit}",
            "PASS" if r.passed else "FAIL",
        ]
        for r in results
    ]


_HEADER = ["Goal", "Structure", "Metric", "Limit", "Value", "Result"]


def goals_table_markdown(results: Sequence[GoalResult]) -> str:
    lines = ["| " + " | ".join(_HEADER) + " |", "|" + "---|" * len(_HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(results)]
    passed = sum(r.passed for r in results)
    lines.append(f"\n{passed}/{len(results)} goals passed")
    return "\n".join(lines)


def goals_table_text(results: Sequence[GoalResult]) -> str:
    rows = [_HEADER, *_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    out.append(f"{sum(r.passed for r in results)}/{len(results)} goals passed")
    return "\n".join(out)


TG119_C_SHAPE_EASY: tuple[Goal, ...] = (
    Goal("PTV D95", "PTV", "D95", ">=", 50.0),
    Goal("PTV D10", "PTV", "D10", "<=", 55.0),
    Goal("Core D10", "Core", "D10", "<=", 25.0),
)
TG119_C_SHAPE_HARD: tuple[Goal, ...] = (
    Goal("PTV D95", "PTV", "D95", ">=", 50.0),
    Goal("PTV D10", "PTV", "D10", "<=", 55.0),
    Goal("Core D10", "Core", "D10", "<=", 10.0),
)
