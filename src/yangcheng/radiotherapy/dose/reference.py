"""Our engine against another planning system's dose: same phantom, same beams, same fluence.

A reference file (``benchmarks/radiotherapy/pyradplan_reference.py`` writes one from
pyRadPlan, matRad's Python port) holds a dose cube and the fluence that made it: each beam's
source and isocentre and each bixel's position and weight, in world mm (x, y, z). Here the same
bixels go through yangcheng's pencil-beam engine and the two doses are compared with the
gamma index and the TG-119 metrics. Our absolute output is a nominal calibration, so the
gamma is also given after scaling our dose to the reference's median PTV dose, which is how
a relative (shape) comparison between two systems' beam models is usually made.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.radiotherapy.dose.beams import Beam, Beamlets
from yangcheng.radiotherapy.dose.errors import BeamError
from yangcheng.radiotherapy.dose.grid import DoseGrid
from yangcheng.radiotherapy.dose.influence import influence_matrix
from yangcheng.radiotherapy.evaluation.dvh import dose_at_volume
from yangcheng.radiotherapy.evaluation.gamma import gamma_index
from yangcheng.radiotherapy.phantoms import Phantom

__all__ = ["ReferencePlan", "compare_with_reference", "default_reference_path", "load_reference"]

REFERENCE_ENV = "YANGCHENG_PYRADPLAN_REFERENCE"


def default_reference_path() -> Path:
    env = os.environ.get(REFERENCE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache/yangcheng/radiotherapy/pyradplan_reference.npz"


@dataclass(frozen=True)
class ReferencePlan:
    dose_gy: np.ndarray
    """(z, y, x), on the phantom's grid."""
    beams: list[Beam]
    beamlets: Beamlets
    weights: np.ndarray
    figures: dict[str, Any]


def _zyx(points_xyz: np.ndarray) -> np.ndarray:
    return np.asarray(points_xyz, dtype=np.float64)[..., ::-1]


def load_reference(path: str | os.PathLike[str] | None = None) -> ReferencePlan:
    """Read a reference ``.npz``; the error names the file and what is missing in it."""
    where = Path(path) if path is not None else default_reference_path()
    if not where.is_file():
        raise FileNotFoundError(
            f"no reference plan at {where}: make one with "
            "benchmarks/radiotherapy/pyradplan_reference.py (see its docstring)"
        )
    with np.load(where) as data:
        needed = ("dose_gy", "source_xyz_mm", "iso_xyz_mm", "ray_xyz_mm", "ray_beam", "weights")
        missing = [k for k in needed if k not in data]
        if missing:
            raise BeamError(f"{where}: missing {missing}")
        figures = json.loads(str(data["figures"])) if "figures" in data else {}
        sources, isos = _zyx(data["source_xyz_mm"]), _zyx(data["iso_xyz_mm"])
        rays, ray_beam = _zyx(data["ray_xyz_mm"]), data["ray_beam"].astype(np.intp)
        weights = data["weights"].astype(np.float64)
        dose = data["dose_gy"].astype(np.float64)
    beams = [Beam(s, i) for s, i in zip(sources, isos, strict=True)]
    offsets = rays - isos[ray_beam]
    u = np.einsum("ij,ij->i", offsets, np.stack([beams[b].u for b in ray_beam]))
    v = np.einsum("ij,ij->i", offsets, np.stack([beams[b].v for b in ray_beam]))
    width = float(figures.get("bixel_width_mm", 5.0))
    beamlets = Beamlets(ray_beam, u, v, np.full(len(u), width))
    return ReferencePlan(dose, beams, beamlets, weights, figures)


def compare_with_reference(phantom: Phantom, reference: ReferencePlan) -> dict[str, Any]:
    """Our dose for the reference's fluence, against the reference's dose (inside the body)."""
    if reference.dose_gy.shape != phantom.shape:
        raise BeamError(
            f"reference dose {reference.dose_gy.shape} is not on the phantom's grid {phantom.shape}"
        )
    body = phantom.mask_of("Body")
    grid = DoseGrid(
        phantom.relative_electron_density().astype(np.float64),
        phantom.spacing_mm,
        phantom.origin_mm,
    )
    matrix = influence_matrix(grid, reference.beams, reference.beamlets, voxel_mask=body)
    ours = np.asarray(matrix @ reference.weights.astype(np.float32), dtype=np.float64)
    ours = ours.reshape(phantom.shape)
    ref = np.where(body, reference.dose_gy, 0.0)
    ptv, core = phantom.mask_of("PTV"), phantom.mask_of("Core")
    scale = float(np.median(ref[ptv]) / np.median(ours[ptv]))
    scaled = ours * scale
    out: dict[str, Any] = {"absolute_ratio_ptv_median": round(1.0 / scale, 4)}
    for name, dose in (("reference", ref), ("ours_scaled", scaled)):
        out[f"{name}.ptv_d95_gy"] = round(dose_at_volume(dose, ptv, 95.0), 2)
        out[f"{name}.ptv_d10_gy"] = round(dose_at_volume(dose, ptv, 10.0), 2)
        out[f"{name}.core_d10_gy"] = round(dose_at_volume(dose, core, 10.0), 2)
    for pct, mm in ((3.0, 3.0), (2.0, 2.0)):
        g = gamma_index(scaled, ref, phantom.spacing_mm, pct, mm, threshold_pct=10.0, mask=body)
        out[f"gamma_{pct:g}pct_{mm:g}mm_pass"] = round(g.pass_rate, 4)
    g = gamma_index(ours, ref, phantom.spacing_mm, 3.0, 3.0, threshold_pct=10.0, mask=body)
    out["gamma_3pct_3mm_pass_absolute"] = round(g.pass_rate, 4)
    out["evaluated_voxels"] = g.evaluated
    return out
