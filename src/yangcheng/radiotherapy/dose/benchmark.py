"""Influence-matrix build cost on a TG-119-sized case, and the water-phantom figures.

``python -m yangcheng.radiotherapy.dose.benchmark`` prints both. The case: a
300 mm cube at 3 mm (100^3 voxels), an elliptic body, a 70 mm spherical target,
15 coplanar C-arm beams with 5 mm bixels (about 2,400 beamlets), voxels of
interest = the whole body.
"""

from __future__ import annotations

import json
import resource
import time
from typing import Any

import numpy as np

from yangcheng.radiotherapy.dose.beams import Beam, pencil_beamlets
from yangcheng.radiotherapy.dose.grid import DoseGrid
from yangcheng.radiotherapy.dose.influence import influence_matrix
from yangcheng.radiotherapy.dose.pencil_beam import PhotonBeamModel
from yangcheng.radiotherapy.dose.validation import check_field, lung_slab_ratio

__all__ = ["flat_metrics", "run", "tg119_like_case"]


def tg119_like_case(
    n: int = 100, spacing_mm: float = 3.0, n_beams: int = 15, target_radius_mm: float = 35.0
) -> tuple[DoseGrid, list[Beam], np.ndarray, np.ndarray]:
    """Grid, beams, body mask and target mask of a TG-119-sized problem (deterministic)."""
    half = (n - 1) * spacing_mm / 2
    c = np.arange(n) * spacing_mm - half
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    body = (x / 150.0) ** 2 + (y / 110.0) ** 2 <= 1.0
    target = x**2 + y**2 + z**2 <= target_radius_mm**2
    grid = DoseGrid(body.astype(np.float64), (spacing_mm,) * 3, (-half,) * 3)
    beams = [Beam.from_angles(np.zeros(3), 360.0 * k / n_beams) for k in range(n_beams)]
    return grid, beams, body, target


def run(n: int = 100, n_beams: int = 15, bixel_mm: float = 5.0) -> dict[str, Any]:
    """Time one influence-matrix build; memory is the CSR's own bytes plus peak RSS."""
    grid, beams, body, target = tg119_like_case(n=n, spacing_mm=300.0 / n, n_beams=n_beams)
    t0 = time.perf_counter()
    bl = pencil_beamlets(beams, grid, target, bixel_mm=bixel_mm)
    t1 = time.perf_counter()
    mat = influence_matrix(grid, beams, bl, voxel_mask=body, model=PhotonBeamModel())
    t2 = time.perf_counter()
    csr_mb = (mat.data.nbytes + mat.indices.nbytes + mat.indptr.nbytes) / 1e6
    return {
        "grid": f"{n}^3",
        "voxels_of_interest": int(body.sum()),
        "beams": n_beams,
        "beamlets": len(bl),
        "beamlets_s": round(t1 - t0, 3),
        "influence_build_s": round(t2 - t1, 2),
        "nnz": int(mat.nnz),
        "csr_mb": round(csr_mb, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def flat_metrics(quick: bool) -> dict[str, Any]:
    """Build cost (small grid when ``quick``) and the water-phantom agreement figures."""
    out: dict[str, Any] = {}
    bench = run(n=50, n_beams=7) if quick else run()
    out.update({f"influence_{k}": v for k, v in bench.items()})
    model = PhotonBeamModel()
    ref = check_field(model, 1000.0, "square", 100.0)
    cone60 = check_field(model, 800.0, "cone", 60.0)
    cone5 = check_field(model, 800.0, "cone", 5.0)
    out.update(
        {
            "water_10x10_dmax_mm": ref.dmax_mm,
            "water_10x10_pdd10_pct": round(ref.pdd10_pct, 1),
            "water_10x10_penumbra_50mm_mm": round(ref.penumbra_50mm_mm, 2),
            "water_10x10_penumbra_100mm_mm": round(ref.penumbra_100mm_mm, 2),
            "water_cone60_dmax_mm": cone60.dmax_mm,
            "water_cone60_pdd10_pct": round(cone60.pdd10_pct, 1),
            "water_cone60_penumbra_50mm_mm": round(cone60.penumbra_50mm_mm, 2),
            "water_cone60_penumbra_100mm_mm": round(cone60.penumbra_100mm_mm, 2),
            "water_cone5_pdd10_pct": round(cone5.pdd10_pct, 1),
            "lung_slab_dose_ratio": round(lung_slab_ratio(model), 3),
        }
    )
    return out


if __name__ == "__main__":
    print(json.dumps(flat_metrics(quick=False), indent=2))
