"""Dose objectives of inverse planning, each a value and a gradient over voxel doses.

The planner states wishes per structure ("PTV at least 50 Gy", "no more than 10 % of the core
above 10 Gy") and the optimiser trades them off by weight. These are the objectives matRad
and most treatment planning systems offer, as mean squared penalties normalised by the
structure's voxel count, so a weight means the same for a small core and a large body:

* ``SquaredDeviation``: (d - d_ref)^2 everywhere in the structure (a target's prescription);
* ``SquaredUnderdose``: only below d_ref (target coverage);
* ``SquaredOverdose``: only above d_ref (organ sparing, hot spots);
* ``MaxDVH``: at most ``volume_pct`` of the structure above d_ref. Penalises the voxels
  above d_ref that are *not* among the hottest ``volume_pct`` allowed to be (Bortfeld's
  dose-volume penalty), which is how a D10 goal is stated;
* ``MinDVH``: at least ``volume_pct`` at or above d_ref (a D95 goal), symmetrically.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "MaxDVH",
    "MinDVH",
    "Objective",
    "SquaredDeviation",
    "SquaredOverdose",
    "SquaredUnderdose",
]


@dataclass(frozen=True)
class Objective:
    """A wish on one structure: its name, the reference dose and the weight."""

    structure: str
    dose_gy: float
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.dose_gy < 0 or not np.isfinite(self.dose_gy):
            raise ValueError(f"{self.describe()}: dose_gy must be finite and >= 0")
        if self.weight <= 0 or not np.isfinite(self.weight):
            raise ValueError(f"{self.describe()}: weight must be positive")

    def describe(self) -> str:
        return f"{type(self).__name__}({self.structure}, {self.dose_gy} Gy)"

    def residual(self, dose_gy: np.ndarray) -> np.ndarray:
        """The signed excess a quadratic penalty is taken of (zero where satisfied)."""
        raise NotImplementedError

    def value_and_gradient(self, dose_gy: np.ndarray) -> tuple[float, np.ndarray]:
        """Weighted mean squared residual, and its gradient with respect to ``dose_gy``."""
        r = self.residual(dose_gy)
        n = max(dose_gy.shape[0], 1)
        return self.weight * float(r @ r) / n, (2.0 * self.weight / n) * r


@dataclass(frozen=True)
class SquaredDeviation(Objective):
    def residual(self, dose_gy: np.ndarray) -> np.ndarray:
        return dose_gy - self.dose_gy


@dataclass(frozen=True)
class SquaredUnderdose(Objective):
    def residual(self, dose_gy: np.ndarray) -> np.ndarray:
        return np.minimum(dose_gy - self.dose_gy, 0.0)


@dataclass(frozen=True)
class SquaredOverdose(Objective):
    def residual(self, dose_gy: np.ndarray) -> np.ndarray:
        return np.maximum(dose_gy - self.dose_gy, 0.0)


@dataclass(frozen=True)
class _DoseVolume(Objective):
    volume_pct: float = 50.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.volume_pct < 100.0:
            raise ValueError(f"{self.describe()}: volume_pct must be in (0, 100)")

    def _dose_at_volume(self, dose_gy: np.ndarray) -> float:
        """The dose the hottest ``volume_pct`` of the structure receives at least."""
        return float(np.percentile(dose_gy, 100.0 - self.volume_pct))


@dataclass(frozen=True)
class MaxDVH(_DoseVolume):
    def residual(self, dose_gy: np.ndarray) -> np.ndarray:
        d_v = self._dose_at_volume(dose_gy)
        hot = (dose_gy > self.dose_gy) & (dose_gy < d_v)
        return np.where(hot, dose_gy - self.dose_gy, 0.0)


@dataclass(frozen=True)
class MinDVH(_DoseVolume):
    def residual(self, dose_gy: np.ndarray) -> np.ndarray:
        d_v = self._dose_at_volume(dose_gy)
        cold = (dose_gy < self.dose_gy) & (dose_gy > d_v)
        return np.where(cold, dose_gy - self.dose_gy, 0.0)
