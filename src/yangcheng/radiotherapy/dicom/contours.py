"""Closed planar contours of a boolean mask slice, in patient mm, with matplotlib's contourpy.

The 0.5 iso-line of the mask (1 inside, 0 outside, linearly interpolated between voxel
centres) runs along voxel edges, half a voxel outside the outermost voxel centres, so the
contour of a box of voxels spans the box's full extent. Corners are cut diagonally (marching
squares), which is how the volume a viewer rebuilds differs slightly from the voxel count.
The slice is padded with zeros so every line closes; holes come out as separate contours,
which viewers combine by the even-odd rule.
"""

from __future__ import annotations

import numpy as np
from contourpy import LineType, contour_generator
from numpy.typing import NDArray

__all__ = ["mask_contours_mm"]

FloatArray = NDArray[np.float64]


def mask_contours_mm(
    mask_yx: NDArray[np.bool_], y_mm: FloatArray, x_mm: FloatArray
) -> list[FloatArray]:
    """Closed contours of one (ny, nx) slice as (n, 2) arrays of (x, y) mm, first point not
    repeated at the end (DICOM CLOSED_PLANAR implies the closing segment)."""
    if not mask_yx.any():
        return []
    dy = float(y_mm[1] - y_mm[0]) if len(y_mm) > 1 else 1.0
    dx = float(x_mm[1] - x_mm[0]) if len(x_mm) > 1 else 1.0
    padded = np.pad(mask_yx.astype(np.float64), 1)
    ys = np.concatenate(([y_mm[0] - dy], y_mm, [y_mm[-1] + dy]))
    xs = np.concatenate(([x_mm[0] - dx], x_mm, [x_mm[-1] + dx]))
    generator = contour_generator(xs, ys, padded, line_type=LineType.Separate)
    contours = []
    for line in generator.lines(0.5):
        points = np.asarray(line, dtype=np.float64)
        if len(points) > 1 and np.allclose(points[0], points[-1]):
            points = points[:-1]
        if len(points) >= 3:
            contours.append(points)
    return contours
