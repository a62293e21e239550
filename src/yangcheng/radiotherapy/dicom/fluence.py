"""A beam's beamlet fluence as a map in a documented private block of its Beam Sequence item.

DICOM has no standard attribute for an optimised fluence that has not been sequenced into
MLC segments, so each beam item carries this private block (group 0x3259, creator
"YANGCHENG RT FLUENCE 1"); viewers ignore it, and `read_fluence_map` reads it back:

    (3259,xx10) CS  beamlet shape, SQUARE or CONE
    (3259,xx11) FL  beamlet size in mm at the isocentre plane (bixel side, cone diameter)
    (3259,xx12) US  rows (along v, the beam limiting device Y axis)
    (3259,xx13) US  columns (along u, the beam limiting device X axis)
    (3259,xx14) FL  (u, v) of the centre of the first bixel (row 0, column 0), mm
    (3259,xx15) FL  (du, dv) spacing between bixel centres, mm
    (3259,xx16) OF  MU per fraction of each bixel, row-major, float32 little endian
    (3259,xx17) FL  u axis in patient LPS (x, y, z)
    (3259,xx18) FL  v axis in patient LPS (x, y, z)

Bixels the plan does not hold are 0. The beam limiting device angle of the beam is chosen so
that its X and Y axes are u and v (`geometry.beam_angles`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from yangcheng.radiotherapy.dicom.errors import DicomExportError, InvalidPlanError

__all__ = [
    "PRIVATE_CREATOR",
    "PRIVATE_GROUP",
    "FluenceMap",
    "fluence_map",
    "read_fluence_map",
    "write_fluence_map",
]

PRIVATE_GROUP = 0x3259
PRIVATE_CREATOR = "YANGCHENG RT FLUENCE 1"
FloatArray = NDArray[np.float64]
_GRID_TOL = 1e-6


@dataclass(frozen=True)
class FluenceMap:
    """MU per fraction on a regular (v, u) grid of bixel centres at the isocentre plane."""

    shape: str
    size_mm: float
    u_mm: FloatArray
    v_mm: FloatArray
    mu: FloatArray
    """(len(v_mm), len(u_mm))"""

    def beamlet_mu(self, u_mm: FloatArray, v_mm: FloatArray) -> FloatArray:
        """MU of the bixels centred at (u_mm, v_mm), nearest grid point."""
        du = float(self.u_mm[1] - self.u_mm[0]) if len(self.u_mm) > 1 else 1.0
        dv = float(self.v_mm[1] - self.v_mm[0]) if len(self.v_mm) > 1 else 1.0
        cols = np.rint((np.asarray(u_mm) - self.u_mm[0]) / du).astype(np.intp)
        rows = np.rint((np.asarray(v_mm) - self.v_mm[0]) / dv).astype(np.intp)
        return self.mu[rows, cols]


def _grid_index(values: FloatArray, step: float, what: str) -> tuple[float, NDArray[np.intp]]:
    start = float(values.min())
    index = np.rint((values - start) / step)
    if np.max(np.abs(start + index * step - values), initial=0.0) > _GRID_TOL * max(step, 1.0):
        raise InvalidPlanError(f"{what}: beamlet centres are not on a regular {step} mm grid")
    return start, index.astype(np.intp)


def fluence_map(
    shape: str, u_mm: FloatArray, v_mm: FloatArray, size_mm: FloatArray, mu: FloatArray, beam: int
) -> FluenceMap:
    """The map of one beam's beamlets; they must share one size and lie on its grid."""
    if len(u_mm) == 0:
        return FluenceMap(shape, 0.0, np.zeros(0), np.zeros(0), np.zeros((0, 0)))
    sizes = np.unique(np.asarray(size_mm, dtype=np.float64))
    if np.ptp(sizes) > _GRID_TOL:
        raise InvalidPlanError(
            f"beamlets of beam {beam}: mixed sizes {sizes.tolist()} mm; one size per beam"
        )
    size = float(sizes[0])
    if shape == "cone":
        if len(u_mm) != 1 or abs(float(u_mm[0])) > _GRID_TOL or abs(float(v_mm[0])) > _GRID_TOL:
            raise InvalidPlanError(
                f"beamlets of beam {beam}: a cone beam holds one cone on the axis; got "
                f"{len(u_mm)} cone(s) at u={np.round(u_mm, 3).tolist()} "
                f"v={np.round(v_mm, 3).tolist()}"
            )
        return FluenceMap(shape, size, np.zeros(1), np.zeros(1), np.asarray(mu).reshape(1, 1))
    u0, cols = _grid_index(np.asarray(u_mm, dtype=np.float64), size, f"u_mm of beam {beam}")
    v0, rows = _grid_index(np.asarray(v_mm, dtype=np.float64), size, f"v_mm of beam {beam}")
    grid = np.zeros((int(rows.max()) + 1, int(cols.max()) + 1))
    counts = np.zeros_like(grid)
    np.add.at(counts, (rows, cols), 1.0)
    if counts.max() > 1:
        raise InvalidPlanError(f"beamlets of beam {beam}: two beamlets share one bixel")
    grid[rows, cols] = mu
    u_axis = u0 + size * np.arange(grid.shape[1], dtype=np.float64)
    v_axis = v0 + size * np.arange(grid.shape[0], dtype=np.float64)
    return FluenceMap(shape, size, u_axis, v_axis, grid)


def write_fluence_map(
    beam_item: Dataset, fmap: FluenceMap, u_lps: FloatArray, v_lps: FloatArray
) -> None:
    block = beam_item.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True)
    rows, cols = fmap.mu.shape
    du = float(fmap.u_mm[1] - fmap.u_mm[0]) if cols > 1 else fmap.size_mm
    dv = float(fmap.v_mm[1] - fmap.v_mm[0]) if rows > 1 else fmap.size_mm
    block.add_new(0x10, "CS", fmap.shape.upper())
    block.add_new(0x11, "FL", float(fmap.size_mm))
    block.add_new(0x12, "US", rows)
    block.add_new(0x13, "US", cols)
    first = (float(fmap.u_mm[0]), float(fmap.v_mm[0])) if fmap.mu.size else (0.0, 0.0)
    block.add_new(0x14, "FL", list(first))
    block.add_new(0x15, "FL", [du, dv])
    block.add_new(0x16, "OF", np.ascontiguousarray(fmap.mu, dtype="<f4").tobytes())
    block.add_new(0x17, "FL", [float(c) for c in u_lps])
    block.add_new(0x18, "FL", [float(c) for c in v_lps])


def read_fluence_map(beam_item: Dataset) -> FluenceMap:
    """The map `write_fluence_map` stored in a Beam Sequence item read back with pydicom."""
    try:
        block = beam_item.private_block(PRIVATE_GROUP, PRIVATE_CREATOR)
        shape = str(block[0x10].value).lower()
        size = float(block[0x11].value)
        rows, cols = int(block[0x12].value), int(block[0x13].value)
        u0, v0 = (float(c) for c in block[0x14].value)
        du, dv = (float(c) for c in block[0x15].value)
        raw = block[0x16].value
    except KeyError as exc:
        raise DicomExportError(
            f"beam item holds no complete {PRIVATE_CREATOR!r} fluence block: {exc}"
        ) from exc
    mu = np.frombuffer(raw, dtype="<f4").astype(np.float64)
    if mu.size != rows * cols:
        raise DicomExportError(f"fluence block: {mu.size} values for {rows} x {cols} bixels")
    return FluenceMap(
        shape,
        size,
        u0 + du * np.arange(cols, dtype=np.float64),
        v0 + dv * np.arange(rows, dtype=np.float64),
        mu.reshape(rows, cols),
    )
