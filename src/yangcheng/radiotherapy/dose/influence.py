"""The dose influence matrix: dose per voxel (rows) per unit beamlet weight (columns).

Rows are flat C-order indices of the whole grid, so ``(D @ w).reshape(grid.shape)``
is the dose cube; only voxels in ``voxel_mask`` have entries. Each beamlet
contributes only within ``cutoff_mm`` (at the isocentre plane) of its aperture
edge: this keeps the primary fully (3 sigma_p is ~ 7 mm) and truncates the
far phantom-scatter tail, which is what bounds nnz. Entries below
``relative_threshold`` times the beamlet's maximum are dropped too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from yangcheng.radiotherapy.dose.beams import Beam, Beamlets
from yangcheng.radiotherapy.dose.errors import BeamError
from yangcheng.radiotherapy.dose.grid import DoseGrid
from yangcheng.radiotherapy.dose.pencil_beam import PhotonBeamModel, beamlet_dose_projected
from yangcheng.radiotherapy.dose.raytrace import radiological_depth

__all__ = ["influence_matrix"]


def influence_matrix(
    grid: DoseGrid,
    beams: list[Beam],
    beamlets: Beamlets,
    voxel_mask: NDArray[np.bool_] | None = None,
    model: PhotonBeamModel | None = None,
    cutoff_mm: float = 20.0,
    relative_threshold: float = 1e-3,
    on_beam: Callable[[int, int], None] | None = None,
    threads: int | None = None,
) -> sp.csr_matrix:
    """CSR matrix (n_voxels, n_beamlets), float32, Gy per unit weight.

    ``on_beam(done, total)`` is called after each beam, so a long build can show progress.
    Beams run on ``threads`` threads (default: one per core); the matrix does not depend on
    their order.
    """
    mdl = model if model is not None else PhotonBeamModel()
    if cutoff_mm < 0 or not 0 <= relative_threshold < 1:
        raise BeamError(
            f"cutoff_mm={cutoff_mm}, relative_threshold={relative_threshold}: out of range"
        )
    if len(beamlets) and (beamlets.beam_index.min() < 0 or beamlets.beam_index.max() >= len(beams)):
        raise BeamError(f"beamlets.beam_index: refers to beams outside 0..{len(beams) - 1}")
    mask = (
        np.ones(grid.shape, bool)
        if voxel_mask is None
        else grid.check_mask(voxel_mask, "voxel_mask")
    )
    flat = np.flatnonzero(mask)
    pts_all = grid.centres_mm(flat)
    rows: list[NDArray[np.int32]] = []
    cols: list[NDArray[np.int32]] = []
    vals: list[NDArray[np.float32]] = []

    def one_beam(b: int) -> _Pieces:
        return _beam_pieces(
            grid, beams[b], b, beamlets, flat, pts_all, mdl, cutoff_mm, relative_threshold
        )

    # beams are independent and numpy's kernels release the GIL: a thread per core
    workers = max(1, min(threads if threads is not None else (os.cpu_count() or 1), len(beams)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one_beam, b) for b in range(len(beams))]
        for done, future in enumerate(as_completed(futures), start=1):
            r, c, v = future.result()
            rows += r
            cols += c
            vals += v
            if on_beam is not None and done < len(beams):
                on_beam(done, len(beams))
    n_rows, n_cols = grid.n_voxels, len(beamlets)
    if not rows:
        return sp.csr_matrix((n_rows, n_cols), dtype=np.float32)
    # each beamlet's entries arrive together: assemble columns (CSC) without a COO copy,
    # freeing the pieces as they are joined, then turn it into rows once
    order = np.argsort([int(c[0]) for c in cols], kind="stable")
    counts = np.zeros(n_cols + 1, dtype=np.int64)
    for k in order:
        counts[int(cols[k][0]) + 1] += len(cols[k])
    del cols
    indices = np.concatenate([rows[k] for k in order])
    del rows
    data = np.concatenate([vals[k] for k in order])
    del vals
    mat = sp.csc_matrix((data, indices, np.cumsum(counts)), shape=(n_rows, n_cols))
    del data, indices
    return mat.tocsr()


_Pieces = tuple[list[NDArray[np.int32]], list[NDArray[np.int32]], list[NDArray[np.float32]]]


def _beam_pieces(
    grid: DoseGrid,
    beam: Beam,
    b: int,
    beamlets: Beamlets,
    flat: NDArray[np.intp],
    pts_all: NDArray[np.float64],
    mdl: PhotonBeamModel,
    cutoff_mm: float,
    relative_threshold: float,
) -> _Pieces:
    """One beam's entries: (rows, columns, values) per beamlet."""
    rows: list[NDArray[np.int32]] = []
    cols: list[NDArray[np.int32]] = []
    vals: list[NDArray[np.float32]] = []
    idx = np.flatnonzero(beamlets.beam_index == b)
    if len(idx) == 0:
        return rows, cols, vals
    reach = beamlets.size_mm[idx] / 2 + cutoff_mm
    t, pu, pv = beam.project(pts_all)
    box = (
        np.isfinite(pu)
        & (pu >= (beamlets.u_mm[idx] - reach).min())
        & (pu <= (beamlets.u_mm[idx] + reach).max())
        & (pv >= (beamlets.v_mm[idx] - reach).min())
        & (pv <= (beamlets.v_mm[idx] + reach).max())
    )
    sel = np.flatnonzero(box)
    if len(sel) == 0:
        return rows, cols, vals
    depth = radiological_depth(grid, beam, pts_all[sel])
    order = np.argsort(pu[sel], kind="stable")
    sel = sel[order]
    depth = depth[order]
    t_s, u_s, v_s = t[sel], pu[sel], pv[sel]
    for j, r in zip(idx.tolist(), reach.tolist(), strict=True):
        u0, v0 = float(beamlets.u_mm[j]), float(beamlets.v_mm[j])
        lo, hi = np.searchsorted(u_s, [u0 - r, u0 + r])
        near = lo + np.flatnonzero(np.abs(v_s[lo:hi] - v0) <= r)
        if beamlets.shape == "cone":
            near = near[np.hypot(u_s[near] - u0, v_s[near] - v0) <= r]
        if len(near) == 0:
            continue
        dose = beamlet_dose_projected(
            mdl,
            beam.sad_mm,
            u0,
            v0,
            float(beamlets.size_mm[j]),
            beamlets.shape,
            t_s[near],
            u_s[near],
            v_s[near],
            depth[near],
        )
        keep = dose > relative_threshold * float(dose.max()) if dose.size else dose > 0
        rows.append(flat[sel[near[keep]]].astype(np.int32))
        cols.append(np.full(int(keep.sum()), j, np.int32))
        vals.append(dose[keep].astype(np.float32))
    return rows, cols, vals
