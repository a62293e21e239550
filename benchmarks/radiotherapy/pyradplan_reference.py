"""Plan TG-119 with pyRadPlan (matRad's Python port) and save what yangcheng compares with.

pyRadPlan is never a dependency of yangcheng: run this with an interpreter of its own,

    python3.11 -m venv /tmp/prp
    /tmp/prp/bin/pip install pyradplan==0.5.0 "pydantic==2.11.*"   # 2.14 breaks its stf dump
    /tmp/prp/bin/python benchmarks/radiotherapy/pyradplan_reference.py [out.npz]

It plans the 9-field coplanar IMRT case of pyRadPlan's photon example on TG-119 (its Generic
photon machine, its SVD pencil-beam engine, objectives from TG119.mat), timing each step, and
writes (default ~/.cache/yangcheng/radiotherapy/pyradplan_reference.npz): the dose cube
(z, y, x), each beam's source and isocentre and each ray's position and optimised weight in
world mm (x, y, z), and the timings and peak memory. `yangcheng bench radiotherapy` then
recomputes the same fluence with yangcheng's engine and compares (gamma 3 %/3 mm).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk
from pyRadPlan import (
    PhotonPlan,
    calc_dose_influence,
    fluence_optimization,
    generate_stf,
    load_tg119,
)

N_BEAMS = 9


def main() -> None:
    out = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else (Path.home() / ".cache/yangcheng/radiotherapy/pyradplan_reference.npz")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    ct, cst = load_tg119()
    pln = PhotonPlan(machine="Generic")
    angles = np.linspace(0.0, 360.0, N_BEAMS, endpoint=False)
    pln.prop_stf = {"gantry_angles": angles.tolist(), "couch_angles": [0.0] * N_BEAMS}
    stf = generate_stf(ct, cst, pln)
    t1 = time.perf_counter()
    dij = calc_dose_influence(ct, cst, stf, pln)
    t2 = time.perf_counter()
    weights = np.asarray(fluence_optimization(ct, cst, stf, dij, pln), dtype=np.float64)
    t3 = time.perf_counter()
    dose = dij.compute_result_ct_grid(weights)["physical_dose"]
    dose = dose if isinstance(dose, np.ndarray) else sitk.GetArrayFromImage(dose)
    total = time.perf_counter() - t0
    rays, sources, isos, beam_of_ray = [], [], [], []
    for b, beam in enumerate(stf.beams):
        iso = np.asarray(beam.iso_center, dtype=np.float64)
        isos.append(iso)
        sources.append(iso + np.asarray(beam.source_point, dtype=np.float64))
        for ray in beam.rays:
            rays.append(iso + np.asarray(ray.ray_pos, dtype=np.float64))
            beam_of_ray.append(b)
    if len(rays) != len(weights):
        raise SystemExit(f"{len(rays)} rays but {len(weights)} weights: one bixel per ray expected")
    figures = {
        "pyradplan": "0.5.0",
        "beams": N_BEAMS,
        "bixels": len(weights),
        "bixel_width_mm": float(stf.beams[0].bixel_width),
        "stf_s": round(t1 - t0, 2),
        "dose_influence_s": round(t2 - t1, 2),
        "optimisation_s": round(t3 - t2, 2),
        "total_s": round(total, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    np.savez_compressed(
        out,
        dose_gy=np.asarray(dose, dtype=np.float32),
        gantry_deg=angles,
        source_xyz_mm=np.asarray(sources),
        iso_xyz_mm=np.asarray(isos),
        ray_xyz_mm=np.asarray(rays),
        ray_beam=np.asarray(beam_of_ray, dtype=np.int32),
        weights=weights,
        figures=json.dumps(figures),
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
