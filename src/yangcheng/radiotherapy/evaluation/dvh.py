"""Dose-volume histograms and the dose/volume metrics read from them.

Metrics are computed exactly from the voxel doses (every voxel has the same volume):
`D_x` is the highest dose d such that at least x % of the structure receives >= d, i.e. the
dose of the ceil(x/100 * n)-th hottest voxel, with no interpolation. D0 is therefore the true
maximum and D100 the true minimum. `DVH.dose_at_volume` interpolates the binned curve instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.evaluation.errors import (
    EmptyStructureError,
    InvalidMetricError,
    ShapeMismatchError,
)


def structure_doses(
    dose_gy: NDArray[np.floating], mask: NDArray[np.bool_], name: str = "structure"
) -> NDArray[np.float64]:
    """The doses inside `mask`, checked: same shape, boolean, not empty."""
    if dose_gy.shape != mask.shape:
        raise ShapeMismatchError(f"{name}: dose shape {dose_gy.shape} != mask shape {mask.shape}")
    values = np.asarray(dose_gy, dtype=np.float64)[np.asarray(mask, dtype=bool)]
    if values.size == 0:
        raise EmptyStructureError(f"{name}: mask holds no voxels")
    return values


@dataclass(frozen=True)
class DVH:
    """Cumulative DVH: `volume_pct[i]` = % of the structure receiving >= `dose_gy[i]`."""

    dose_gy: NDArray[np.float64]
    volume_pct: NDArray[np.float64]
    total_volume_cc: float
    name: str = "structure"

    def dose_at_volume(self, volume_pct: float) -> float:
        """D_x read off the curve (linear interpolation between bins)."""
        _check_pct(volume_pct)
        # volume_pct is non-increasing in dose; np.interp wants increasing x.
        return float(np.interp(volume_pct, self.volume_pct[::-1], self.dose_gy[::-1]))

    def volume_at_dose(self, dose_gy: float) -> float:
        """V_x (%) read off the curve."""
        return float(np.interp(dose_gy, self.dose_gy, self.volume_pct, right=0.0))


def _check_pct(volume_pct: float) -> None:
    if not 0.0 <= volume_pct <= 100.0 or math.isnan(volume_pct):
        raise InvalidMetricError(f"volume_pct must be in [0, 100]; got {volume_pct}")


def dvh(
    dose_gy: NDArray[np.floating],
    mask: NDArray[np.bool_],
    bins: int | NDArray[np.floating] = 1001,
    voxel_volume_cc: float = 1.0,
    name: str = "structure",
) -> DVH:
    """Cumulative DVH at `bins` dose points: an int gives evenly spaced points from 0 to the
    structure's maximum dose (inclusive); an array gives the dose points themselves."""
    values = np.sort(structure_doses(dose_gy, mask, name))
    if isinstance(bins, (int, np.integer)):
        if bins < 2:
            raise InvalidMetricError(f"{name}: bins must be >= 2; got {bins}")
        top = max(float(values[-1]), 1e-12)
        points = np.linspace(0.0, top, int(bins))
    else:
        points = np.asarray(bins, dtype=np.float64)
        if points.ndim != 1 or np.any(np.diff(points) <= 0):
            raise InvalidMetricError(f"{name}: bins must be a 1-D increasing array")
    # voxels with dose >= point = n - (number strictly below point)
    at_least = values.size - np.searchsorted(values, points, side="left")
    return DVH(
        dose_gy=points,
        volume_pct=100.0 * at_least / values.size,
        total_volume_cc=float(values.size * voxel_volume_cc),
        name=name,
    )


def dose_at_volume(
    source: DVH | NDArray[np.floating],
    mask: NDArray[np.bool_] | None,
    volume_pct: float,
    name: str = "structure",
) -> float:
    """D_x in Gy: exact from voxel doses (pass dose and mask), or interpolated from a DVH
    (pass the DVH and mask=None)."""
    if isinstance(source, DVH):
        return source.dose_at_volume(volume_pct)
    if mask is None:
        raise InvalidMetricError(f"{name}: a mask is needed when source is a dose array")
    _check_pct(volume_pct)
    values = np.sort(structure_doses(source, mask, name))[::-1]
    k = max(math.ceil(volume_pct / 100.0 * values.size) - 1, 0)
    return float(values[min(k, values.size - 1)])


def d_max(dose_gy: NDArray[np.floating], mask: NDArray[np.bool_], name: str = "structure") -> float:
    """True maximum voxel dose (for the ICRU 83 near-maximum use D2)."""
    return float(structure_doses(dose_gy, mask, name).max())


def d_min(dose_gy: NDArray[np.floating], mask: NDArray[np.bool_], name: str = "structure") -> float:
    return float(structure_doses(dose_gy, mask, name).min())


def d_mean(
    dose_gy: NDArray[np.floating], mask: NDArray[np.bool_], name: str = "structure"
) -> float:
    return float(structure_doses(dose_gy, mask, name).mean())


def v_x(
    dose_gy: NDArray[np.floating],
    mask: NDArray[np.bool_],
    threshold_gy: float,
    name: str = "structure",
) -> float:
    """V_x in %: share of the structure receiving >= `threshold_gy`."""
    values = structure_doses(dose_gy, mask, name)
    return float(100.0 * np.count_nonzero(values >= threshold_gy) / values.size)
