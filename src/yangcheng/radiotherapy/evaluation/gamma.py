"""Gamma index (Low et al. 1998, Med. Phys. 25:656): how two dose distributions agree.

The clinical way to compare a computed dose with a measurement or another planning system's:
a point passes when some point of the other distribution within ``dta_mm`` has a dose within
``dose_pct`` (global: percent of the reference maximum), combined as
``gamma = min sqrt((dD / (dose_pct * Dmax))^2 + (r / dta_mm)^2) <= 1``.

The search runs over whole-voxel shifts within ``dta_mm`` (no sub-voxel interpolation), so a
gamma here is never smaller than the interpolated one: the pass rate is conservative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.evaluation.errors import InvalidMetricError, ShapeMismatchError

__all__ = ["GammaResult", "gamma_index"]


@dataclass(frozen=True)
class GammaResult:
    gamma: NDArray[np.float64]
    """Gamma per voxel; NaN where not evaluated (below the threshold or outside the mask)."""
    pass_rate: float
    """Share of evaluated voxels with gamma <= 1."""
    evaluated: int
    dose_pct: float
    dta_mm: float

    @property
    def mean(self) -> float:
        return float(np.nanmean(self.gamma)) if self.evaluated else math.nan


def _shifts(spacing_mm: tuple[float, float, float], dta_mm: float) -> list[tuple[int, ...]]:
    reach = [math.floor(dta_mm / s) for s in spacing_mm]
    out: list[tuple[int, ...]] = []
    for dz in range(-reach[0], reach[0] + 1):
        for dy in range(-reach[1], reach[1] + 1):
            for dx in range(-reach[2], reach[2] + 1):
                r = math.dist(
                    (0.0, 0.0, 0.0), (dz * spacing_mm[0], dy * spacing_mm[1], dx * spacing_mm[2])
                )
                if r <= dta_mm + 1e-9:
                    out.append((dz, dy, dx))
    return out


def _shifted(cube: NDArray[np.float64], shift: tuple[int, ...]) -> NDArray[np.float64]:
    """``cube`` moved by ``shift`` voxels, NaN where it moved in from outside."""
    out = np.full(cube.shape, np.nan)
    src, dst = [], []
    for s, n in zip(shift, cube.shape, strict=True):
        src.append(slice(max(0, -s), n - max(0, s)))
        dst.append(slice(max(0, s), n - max(0, -s)))
    out[tuple(dst)] = cube[tuple(src)]
    return out


def gamma_index(
    evaluated_gy: NDArray[np.floating],
    reference_gy: NDArray[np.floating],
    spacing_mm: tuple[float, float, float],
    dose_pct: float = 3.0,
    dta_mm: float = 3.0,
    threshold_pct: float = 10.0,
    mask: NDArray[np.bool_] | None = None,
) -> GammaResult:
    """Global gamma of ``evaluated_gy`` against ``reference_gy`` (same grid), at the reference
    voxels above ``threshold_pct`` of its maximum (and inside ``mask`` when given)."""
    ev = np.asarray(evaluated_gy, dtype=np.float64)
    ref = np.asarray(reference_gy, dtype=np.float64)
    if ev.shape != ref.shape or ev.ndim != 3:
        raise ShapeMismatchError(f"gamma: evaluated {ev.shape} and reference {ref.shape} differ")
    if dose_pct <= 0 or dta_mm <= 0 or not 0 <= threshold_pct < 100:
        raise InvalidMetricError(
            f"gamma: dose_pct={dose_pct}, dta_mm={dta_mm}, threshold_pct={threshold_pct}"
        )
    if not (np.isfinite(ev).all() and np.isfinite(ref).all()):
        raise InvalidMetricError("gamma: a dose holds NaN or infinite values")
    top = float(ref.max())
    if top <= 0:
        raise InvalidMetricError("gamma: the reference dose is zero everywhere")
    where = ref > threshold_pct / 100.0 * top
    if mask is not None:
        if mask.shape != ref.shape:
            raise ShapeMismatchError(f"gamma: mask {mask.shape} != dose {ref.shape}")
        where &= mask
    tolerance = dose_pct / 100.0 * top
    best = np.full(ref.shape, np.inf)
    for shift in _shifts(spacing_mm, dta_mm):
        moved = _shifted(ev, shift)
        r = math.dist((0.0, 0.0, 0.0), tuple(s * h for s, h in zip(shift, spacing_mm, strict=True)))
        g2 = ((moved - ref) / tolerance) ** 2 + (r / dta_mm) ** 2
        np.fmin(best, g2, out=best)
    gamma = np.where(where, np.sqrt(best), np.nan)
    n = int(where.sum())
    rate = float(np.mean(gamma[where] <= 1.0)) if n else math.nan
    return GammaResult(gamma, rate, n, dose_pct, dta_mm)
