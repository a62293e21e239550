"""Radiological (water-equivalent) depth along diverging rays from a beam source.

Method: a sampled ray walk on a fan grid. Rays from the source are laid out on a
regular grid of tangents (a, b) = (lateral / axial distance) covering the query
points; each ray is sampled every ``step_mm`` along the axis, the density is
read by trilinear interpolation (zero outside the grid, i.e. air), and a
cumulative trapezoid sum gives the depth at every sample. A query point then
reads its depth by trilinear interpolation in (t, a, b). Cost is one
interpolation over the fan grid plus one per point, independent of how many
points share a ray, which is what makes per-beam depth for 10^5-10^6 voxels
cheap.

Accuracy: in homogeneous media the depth is exact up to rounding (the
integrand is constant). At a density step the trilinear read smears the edge
over one voxel, so depth near an interface is off by at most about
``(rho1 - rho2) * voxel / 2``; away from interfaces the error is the trapezoid
error of a piecewise-linear integrand, below ``step_mm * |drho|``; lateral
interpolation between rays adds an error bounded by the density change over
one ray spacing (about one voxel at the far side of the grid).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import map_coordinates

from yangcheng.radiotherapy.dose.beams import Beam
from yangcheng.radiotherapy.dose.errors import DoseGridError
from yangcheng.radiotherapy.dose.grid import DoseGrid

__all__ = ["radiological_depth", "radiological_depth_cube"]

FloatArray = NDArray[np.float64]

_MAX_RAYS_PER_AXIS = 512


def radiological_depth(
    grid: DoseGrid,
    beam: Beam,
    points_mm: FloatArray,
    step_mm: float | None = None,
) -> FloatArray:
    """Water-equivalent depth (mm) from the source to each point (n, 3), (z, y, x).

    Points behind the source (or on its plane) get NaN.
    """
    pts = np.atleast_2d(np.asarray(points_mm, dtype=np.float64))
    if pts.shape[1] != 3:
        raise DoseGridError(f"points_mm: expected (n, 3), got {pts.shape}")
    spacing = np.asarray(grid.spacing_mm)
    step = float(step_mm) if step_mm is not None else float(spacing.min()) / 2
    if step <= 0:
        raise DoseGridError(f"step_mm: must be > 0, got {step}")
    out = np.full(len(pts), np.nan)
    rel = pts - beam.source_mm
    t = rel @ beam.axis
    ok = t > 1e-6
    if not ok.any():
        return out
    t_ok = t[ok]
    a = (rel[ok] @ beam.u) / t_ok
    b = (rel[ok] @ beam.v) / t_ok
    corners_t = (grid.box_corners_mm() - beam.source_mm) @ beam.axis
    t_lo = max(1e-6, float(corners_t.min()) - step)
    t_hi = max(float(t_ok.max()), t_lo + step)
    nt = int(np.ceil((t_hi - t_lo) / step)) + 2
    ts = t_lo + step * np.arange(nt, dtype=np.float64)
    # ray spacing: about one voxel at the far end of the points, capped in count
    da0 = float(spacing.min()) / t_hi
    a_lo, a_hi = float(a.min()) - da0, float(a.max()) + da0
    b_lo, b_hi = float(b.min()) - da0, float(b.max()) + da0
    na = min(_MAX_RAYS_PER_AXIS, int(np.ceil((a_hi - a_lo) / da0)) + 1)
    nb = min(_MAX_RAYS_PER_AXIS, int(np.ceil((b_hi - b_lo) / da0)) + 1)
    a_s = np.linspace(a_lo, a_hi, max(na, 2))
    b_s = np.linspace(b_lo, b_hi, max(nb, 2))
    cum = _cumulative_depth(grid, beam, ts, a_s, b_s)
    coords = np.stack(
        [
            (t_ok - t_lo) / step,
            (a - a_lo) / (a_s[1] - a_s[0]),
            (b - b_lo) / (b_s[1] - b_s[0]),
        ]
    )
    out[ok] = map_coordinates(cum, coords, order=1, mode="nearest")
    return out


def _cumulative_depth(
    grid: DoseGrid, beam: Beam, ts: FloatArray, a_s: FloatArray, b_s: FloatArray
) -> FloatArray:
    """Cumulative water-equivalent depth on the fan grid, shape (nt, na, nb)."""
    nt, na, nb = len(ts), len(a_s), len(b_s)
    out = np.empty((nt, na, nb))
    sp = np.asarray(grid.spacing_mm)
    org = np.asarray(grid.origin_mm)
    aa, bb = np.meshgrid(a_s, b_s, indexing="ij")
    dirs = beam.axis[None, None, :] + aa[..., None] * beam.u + bb[..., None] * beam.v
    path_per_t = np.linalg.norm(dirs, axis=-1)
    dt = float(ts[1] - ts[0]) if nt > 1 else 0.0
    acc = np.zeros((na, nb))
    out[0] = acc
    chunk = max(1, 2_000_000 // (na * nb))
    shape_hi = (np.asarray(grid.shape, dtype=np.float64) - 0.5)[:, None]
    # midpoint rule: density read half a step past each sample, so a surface that
    # falls on a sample adds no bias and one that does not errs by < dt/2 either way
    for s in range(0, nt - 1, chunk):
        tc = ts[s : min(s + chunk, nt - 1)] + dt / 2
        pos = beam.source_mm + tc[:, None, None, None] * dirs[None]
        idx = ((pos - org) / sp).reshape(-1, 3).T
        # nearest-edge read inside the outer voxel faces, air beyond them, so the
        # surface sits on the voxel face rather than being smeared over half a voxel
        rho = map_coordinates(grid.density, idx, order=1, mode="nearest")
        inside = np.all((idx >= -0.5) & (idx <= shape_hi), axis=0)
        rho = np.where(inside, rho, 0.0).reshape(len(tc), na, nb)
        steps = np.cumsum(rho, axis=0) * (dt * path_per_t)
        out[s + 1 : s + 1 + len(tc)] = acc + steps
        acc = out[s + len(tc)]
    return out


def radiological_depth_cube(
    grid: DoseGrid, beam: Beam, mask: NDArray[np.bool_] | None = None, step_mm: float | None = None
) -> FloatArray:
    """Depth (mm) for every voxel of the grid (NaN outside ``mask`` or behind the source)."""
    sel = np.ones(grid.shape, bool) if mask is None else grid.check_mask(mask, "mask")
    flat = np.flatnonzero(sel)
    out = np.full(grid.n_voxels, np.nan)
    out[flat] = radiological_depth(grid, beam, grid.centres_mm(flat), step_mm)
    return out.reshape(grid.shape)
