"""A reference plan written in world (x, y, z) mm and read back reproduces itself: the
conversion of sources, isocentres and bixel positions to our (z, y, x) beams is exact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from yangcheng.radiotherapy.dose import Beam, BeamError, DoseGrid, influence_matrix, pencil_beamlets
from yangcheng.radiotherapy.dose.reference import compare_with_reference, load_reference
from yangcheng.radiotherapy.phantoms import c_shape_phantom


def _write_reference(path: Path, phantom, rotate_rays: bool = False) -> None:
    grid = DoseGrid(
        phantom.relative_electron_density().astype(np.float64),
        phantom.spacing_mm,
        phantom.origin_mm,
    )
    iso = np.array([4.0, -3.0, 2.0])
    beams = [Beam.from_angles(iso, g) for g in (0.0, 80.0, 200.0, 290.0)]
    beamlets = pencil_beamlets(beams, grid, phantom.mask_of("PTV"), bixel_mm=5.0)
    weights = np.random.default_rng(1).uniform(0.5, 1.5, len(beamlets))
    body = phantom.mask_of("Body")
    dose = np.asarray(influence_matrix(grid, beams, beamlets, voxel_mask=body) @ weights)
    b = beamlets.beam_index
    u = np.stack([beams[i].u for i in b])
    v = np.stack([beams[i].v for i in b])
    sign = -1.0 if rotate_rays else 1.0
    rays = np.stack([beams[i].isocenter_mm for i in b]) + (sign * beamlets.u_mm)[:, None] * u
    rays += beamlets.v_mm[:, None] * v
    np.savez(
        path,
        dose_gy=dose.reshape(phantom.shape).astype(np.float32),
        source_xyz_mm=np.stack([x.source_mm[::-1] for x in beams]),
        iso_xyz_mm=np.stack([x.isocenter_mm[::-1] for x in beams]),
        ray_xyz_mm=rays[:, ::-1],
        ray_beam=b.astype(np.int32),
        weights=weights,
        figures=json.dumps({"bixel_width_mm": 5.0}),
    )


def test_our_own_plan_as_a_reference_agrees_with_itself(tmp_path: Path) -> None:
    phantom = c_shape_phantom(spacing_mm=(5.0, 5.0, 5.0))
    _write_reference(tmp_path / "ref.npz", phantom)
    result = compare_with_reference(phantom, load_reference(tmp_path / "ref.npz"))
    assert result["absolute_ratio_ptv_median"] == pytest.approx(1.0, abs=1e-4)
    assert result["gamma_2pct_2mm_pass"] == 1.0
    assert result["reference.ptv_d95_gy"] == pytest.approx(result["ours_scaled.ptv_d95_gy"], 0.01)


def test_mirrored_bixels_are_caught_by_the_gamma(tmp_path: Path) -> None:
    phantom = c_shape_phantom(spacing_mm=(5.0, 5.0, 5.0))
    _write_reference(tmp_path / "ref.npz", phantom, rotate_rays=True)
    result = compare_with_reference(phantom, load_reference(tmp_path / "ref.npz"))
    assert result["gamma_2pct_2mm_pass"] < 0.95


def test_missing_or_misfit_references_are_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"pyradplan_reference\.py"):
        load_reference(tmp_path / "none.npz")
    np.savez(tmp_path / "bad.npz", dose_gy=np.zeros((2, 2, 2)))
    with pytest.raises(BeamError, match="missing"):
        load_reference(tmp_path / "bad.npz")
    phantom = c_shape_phantom(spacing_mm=(5.0, 5.0, 5.0))
    _write_reference(tmp_path / "ref.npz", phantom)
    small = c_shape_phantom(spacing_mm=(6.0, 6.0, 6.0))
    with pytest.raises(BeamError, match="grid"):
        compare_with_reference(small, load_reference(tmp_path / "ref.npz"))
