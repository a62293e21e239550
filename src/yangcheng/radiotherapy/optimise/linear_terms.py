"""Linear constraints and objective terms of LP fluence optimisation.

Everything here is linear in the voxel doses, so it is linear in the beamlet weights
(``d = D w``). Dose-volume goals are not: "D10 <= 10 Gy" counts voxels. Their linear stand-in
is the mean dose of the tail (Rockafellar & Uryasev's conditional value-at-risk, used for
IMRT by Romeijn et al. 2003): the mean of the hottest ``v`` % bounds the dose the hottest
``v`` % receive at least from above, so ``MaxTailMean(S, 10 Gy, 10 %)`` guarantees
``D10 <= 10 Gy`` (conservatively), and ``MinTailMean(S, 50 Gy, 5 %)`` guarantees ``D95 >= 50``.

A constraint is *elastic* when it may be relaxed: the LP then gets slack variables, first
minimises the relaxation needed (zero when the prescription is feasible) and reports it, so
an impossible prescription still returns the closest plan instead of "infeasible". Lower
bounds (coverage) are elastic by default; upper bounds (sparing) are hard, since zero
fluence always meets them.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field

import numpy as np

__all__ = [
    "LinearConstraint",
    "LinearTerm",
    "MaxDose",
    "MaxMeanDose",
    "MaxTailMean",
    "MeanDose",
    "MinDose",
    "MinTailMean",
    "TotalWeight",
]


@dataclass(frozen=True)
class LinearConstraint:
    """A bound on one structure's dose, in Gy."""

    structure: str
    dose_gy: float
    _: KW_ONLY
    elastic: bool = False

    def __post_init__(self) -> None:
        if not np.isfinite(self.dose_gy) or self.dose_gy < 0:
            raise ValueError(f"{self.describe()}: dose_gy must be finite and >= 0")

    @property
    def is_lower(self) -> bool:
        """True for a floor (coverage), False for a ceiling (sparing)."""
        raise NotImplementedError

    def describe(self) -> str:
        return f"{type(self).__name__}({self.structure}, {self.dose_gy} Gy)"

    def achieved(self, dose_gy: np.ndarray) -> float:
        """The constrained quantity on the structure's voxel doses (all of them)."""
        raise NotImplementedError


@dataclass(frozen=True)
class MinDose(LinearConstraint):
    """Every voxel of the structure at least ``dose_gy`` (elastic per voxel by default)."""

    elastic: bool = field(default=True, kw_only=True)

    @property
    def is_lower(self) -> bool:
        return True

    def achieved(self, dose_gy: np.ndarray) -> float:
        return float(dose_gy.min())


@dataclass(frozen=True)
class MaxDose(LinearConstraint):
    """Every voxel of the structure at most ``dose_gy``."""

    @property
    def is_lower(self) -> bool:
        return False

    def achieved(self, dose_gy: np.ndarray) -> float:
        return float(dose_gy.max())


@dataclass(frozen=True)
class MaxMeanDose(LinearConstraint):
    """The structure's mean dose at most ``dose_gy`` (exact: uses every voxel, one row)."""

    @property
    def is_lower(self) -> bool:
        return False

    def achieved(self, dose_gy: np.ndarray) -> float:
        return float(dose_gy.mean())


@dataclass(frozen=True)
class _TailMean(LinearConstraint):
    volume_pct: float = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.volume_pct <= 100.0:
            raise ValueError(f"{self.describe()}: volume_pct must be in (0, 100]")

    def describe(self) -> str:
        return f"{type(self).__name__}({self.structure}, {self.dose_gy} Gy, {self.volume_pct} %)"

    def achieved(self, dose_gy: np.ndarray) -> float:
        ordered = np.sort(dose_gy)
        if not self.is_lower:
            ordered = ordered[::-1]
        # the exact tail mean the LP bounds: a fractional voxel counts by its share
        share = self.volume_pct / 100.0 * ordered.size
        whole = min(int(np.floor(share)), ordered.size)
        total = float(ordered[:whole].sum())
        if whole < ordered.size:
            total += (share - whole) * float(ordered[whole])
        return total / share


@dataclass(frozen=True)
class MaxTailMean(_TailMean):
    """Mean dose of the hottest ``volume_pct`` % at most ``dose_gy`` (so D<v> <= dose_gy)."""

    @property
    def is_lower(self) -> bool:
        return False


@dataclass(frozen=True)
class MinTailMean(_TailMean):
    """Mean dose of the coldest ``volume_pct`` % at least ``dose_gy`` (so D<100-v> >=
    dose_gy); elastic by default (one slack: how many Gy the floor had to drop)."""

    elastic: bool = field(default=True, kw_only=True)

    @property
    def is_lower(self) -> bool:
        return True


def _check_weight(term: MeanDose | TotalWeight) -> None:
    if not np.isfinite(term.weight) or term.weight <= 0:
        raise ValueError(f"{term.describe()}: weight must be positive and finite")


@dataclass(frozen=True)
class MeanDose:
    """Objective term: ``weight`` x the mean dose of ``structure`` (exact, all its voxels)."""

    structure: str
    weight: float = 1.0

    def __post_init__(self) -> None:
        _check_weight(self)

    def describe(self) -> str:
        return f"MeanDose({self.structure}, weight {self.weight})"


@dataclass(frozen=True)
class TotalWeight:
    """Objective term: ``weight`` x the sum of beamlet weights, a monitor-unit proxy (the
    delivery time), the last criterion of stepwise planning."""

    weight: float = 1.0

    def __post_init__(self) -> None:
        _check_weight(self)

    def describe(self) -> str:
        return f"TotalWeight(weight {self.weight})"


LinearTerm = MeanDose | TotalWeight
"""A term of a linear objective (minimised)."""
