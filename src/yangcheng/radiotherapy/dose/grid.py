"""The voxel grid the dose is computed on.

All 3-vectors in this package (points, spacing, origin, directions) are in
(z, y, x) order, the axis order of the arrays, so that a point converts to a
fractional voxel index by ``(p - origin_mm) / spacing_mm`` without reordering.
x is left-right, y anterior-posterior (posterior positive), z superior-inferior.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.dose.errors import DoseGridError

__all__ = ["DoseGrid"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DoseGrid:
    """Relative electron density (water = 1) on a regular grid, in (z, y, x)."""

    density: FloatArray
    spacing_mm: tuple[float, float, float]
    origin_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        dens = np.asarray(self.density, dtype=np.float64)
        if dens.ndim != 3 or min(dens.shape) < 1:
            raise DoseGridError(
                f"density: expected a non-empty (nz, ny, nx) array, got {dens.shape}"
            )
        if not np.all(np.isfinite(dens)) or dens.min() < 0:
            raise DoseGridError("density: values must be finite and >= 0")
        if len(self.spacing_mm) != 3 or min(self.spacing_mm) <= 0:
            raise DoseGridError(
                f"spacing_mm: expected three positive values, got {self.spacing_mm}"
            )
        if len(self.origin_mm) != 3:
            raise DoseGridError(f"origin_mm: expected three values, got {self.origin_mm}")
        object.__setattr__(self, "density", dens)

    @property
    def shape(self) -> tuple[int, int, int]:
        nz, ny, nx = self.density.shape
        return (nz, ny, nx)

    @property
    def n_voxels(self) -> int:
        return int(self.density.size)

    def check_mask(self, mask: NDArray[np.bool_], name: str) -> NDArray[np.bool_]:
        """Masks must match the grid exactly: a silent broadcast would misplace dose."""
        m = np.asarray(mask)
        if m.shape != self.shape:
            raise DoseGridError(f"{name}: mask shape {m.shape} differs from grid {self.shape}")
        return m.astype(bool, copy=False)

    def centres_mm(self, flat_index: NDArray[np.intp]) -> FloatArray:
        """Voxel centres (n, 3) in mm, (z, y, x), of the given flat C-order indices."""
        idx = np.stack(np.unravel_index(flat_index, self.shape), axis=1).astype(np.float64)
        return idx * np.asarray(self.spacing_mm) + np.asarray(self.origin_mm)

    def box_corners_mm(self) -> FloatArray:
        """The 8 corners of the grid's outer box (voxel edges, not centres)."""
        sp = np.asarray(self.spacing_mm)
        lo = np.asarray(self.origin_mm) - sp / 2
        hi = lo + sp * np.asarray(self.shape)
        return np.array(list(itertools.product(*zip(lo, hi, strict=True))), dtype=np.float64)
