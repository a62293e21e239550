"""HU to relative electron density (RED) look-up table.

The default table is matRad's `hluts/matRad_default.hlut` (github.com/e0404/matRad,
the photon default HLUT), which is also the `ct.hlut` stored in matRad's TG119.mat. It is a
piecewise-linear bilinear-style curve: air (-1024 HU) -> 0.00324, soft tissue up to 200 HU
-> 1.2, a plateau to 449 HU, then a bone branch to 2.49 at 2000 HU, clamped above 2048 HU.
Water (0 HU) maps to about 1.0 (interpolated: 0.999). Values outside the table are clamped.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from yangcheng.radiotherapy.phantoms.errors import InvalidPhantomError

MATRAD_DEFAULT_HLUT: NDArray[np.float64] = np.array(
    [
        [-1024.0, 0.00324],
        [200.0, 1.2],
        [449.0, 1.2],
        [2000.0, 2.49066],
        [2048.0, 2.53060],
        [3071.0, 2.53060],
    ]
)


def validate_hlut(hlut: ArrayLike) -> NDArray[np.float64]:
    """Check the table is (N, 2) with increasing HU, because np.interp silently misreads it
    otherwise."""
    table = np.asarray(hlut, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 2 or table.shape[0] < 2:
        raise InvalidPhantomError(
            f"hlut must be an (N>=2, 2) table of (HU, RED); got {table.shape}"
        )
    if np.any(np.diff(table[:, 0]) <= 0):
        raise InvalidPhantomError("hlut HU column must be strictly increasing")
    return table


def hu_to_red(hu: ArrayLike, hlut: ArrayLike | None = None) -> NDArray[np.float32]:
    """Map CT numbers to relative electron density by linear interpolation in the table."""
    table = MATRAD_DEFAULT_HLUT if hlut is None else validate_hlut(hlut)
    values = np.asarray(hu, dtype=np.float64)
    return np.interp(values, table[:, 0], table[:, 1]).astype(np.float32)


def red_to_hu(red: ArrayLike, hlut: ArrayLike | None = None) -> NDArray[np.float32]:
    """Approximate inverse, for matRad files that hold only `ct.cube` (RED): flat segments of
    the table collapse to their first HU, so the result is one HU consistent with the RED."""
    table = MATRAD_DEFAULT_HLUT if hlut is None else validate_hlut(hlut)
    red_points = table[:, 1].copy()
    for i in range(1, red_points.size):  # a flat run maps its RED to the run's first HU
        red_points[i] = max(red_points[i], red_points[i - 1] + 1e-9)
    values = np.asarray(red, dtype=np.float64)
    return np.interp(values, red_points, table[:, 0]).astype(np.float32)
