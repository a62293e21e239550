"""The cone ray-tracing engine against the pencil-beam engine its tables came from.

Stated tolerances (in water, tables generated from the default PhotonBeamModel):
- in the 800 mm plane (where the tables were taken), every cone, every radius
  out to 20 mm beyond the edge: within 0.5 % of the axis dose;
- 50 mm before or beyond that plane: the 50 % radius within 0.25 mm and the
  normalised profile within 4 %, for every cone; the axis dose within 2.5 %
  for cones >= 12.5 mm. The 5-10 mm cones differ more on the axis there
  (up to 10 %): the pencil-beam model keeps its kernel width fixed in the
  patient while a TMR/OCR table scales the whole field with distance, and the
  axis dose of a cone narrower than the kernel depends on that ratio.
"""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.dose import (
    Beam,
    BeamError,
    DoseGrid,
    PhotonBeamModel,
    beamlet_dose,
    influence_matrix,
    radiological_depth,
    water_phantom,
)
from yangcheng.radiotherapy.dose.cone_benchmark import benchmark_cone_engine
from yangcheng.radiotherapy.dose.cone_data import generate_cone_data
from yangcheng.radiotherapy.dose.cone_raytrace import (
    cone_columns,
    cone_dose,
    cone_influence_matrix,
)

DATA = generate_cone_data()
MODEL = PhotonBeamModel()
WATER = water_phantom(depth_mm=260.0, width_mm=180.0, spacing_mm=2.0)


def _beam_with_iso_at_depth(depth_mm: float, sad_mm: float = 800.0) -> Beam:
    return Beam(np.array([0.0, depth_mm - sad_mm, 0.0]), np.array([0.0, depth_mm, 0.0]))


def _profile(
    grid: DoseGrid, beam: Beam, cone_mm: float, depth_mm: float, step: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.arange(0.0, cone_mm / 2 + 20.0, step)
    pts = np.zeros((len(x), 3))
    pts[:, 1] = depth_mm
    pts[:, 2] = x
    d = radiological_depth(grid, beam, pts)
    rt = cone_dose(DATA, beam, cone_mm, pts, d)
    pb = beamlet_dose(MODEL, beam, 0.0, 0.0, cone_mm, "cone", pts, d)
    return x, rt, pb


def _r50(x: np.ndarray, prof: np.ndarray) -> float:
    p = prof / prof[0]
    return float(np.interp(0.5, p[::-1], x[::-1]))


@pytest.mark.parametrize("depth_mm", [15.0, 60.0, 150.0])
def test_reproduces_pencil_beam_in_the_800_mm_plane(depth_mm: float) -> None:
    beam = _beam_with_iso_at_depth(depth_mm)
    for cone in DATA.diameters_mm:
        _, rt, pb = _profile(WATER, beam, cone, depth_mm)
        assert np.max(np.abs(rt - pb)) <= 0.005 * pb[0], (cone, depth_mm)


@pytest.mark.parametrize("offset_mm", [-50.0, 50.0])
def test_reproduces_pencil_beam_off_the_plane_within_stated_tolerance(offset_mm: float) -> None:
    beam = _beam_with_iso_at_depth(100.0)
    depth = 100.0 + offset_mm
    for cone in DATA.diameters_mm:
        x, rt, pb = _profile(WATER, beam, cone, depth, step=0.1)
        assert abs(_r50(x, rt) - _r50(x, pb)) <= 0.25, cone
        assert np.max(np.abs(rt / rt[0] - pb / pb[0])) <= 0.04, cone
        axis_diff = abs(rt[0] / pb[0] - 1.0)
        assert axis_diff <= (0.025 if cone >= 12.5 else 0.10), (cone, axis_diff)


def test_inverse_square_with_radius_scaled_to_800_mm() -> None:
    near = _beam_with_iso_at_depth(0.0, sad_mm=800.0)
    far = _beam_with_iso_at_depth(0.0, sad_mm=1000.0)
    depth = np.array([50.0])
    # the same radiological depth, the point on the axis 50 mm below the surface
    pt = np.array([[0.0, 50.0, 0.0]])
    d_near = cone_dose(DATA, near, 30.0, pt, depth)[0]
    d_far = cone_dose(DATA, far, 30.0, pt, depth)[0]
    assert d_far / d_near == pytest.approx((850.0 / 1050.0) ** 2, rel=1e-9)
    # off axis: 12 mm at 1050 mm from the source is 12 * 800 / 1050 mm at 800 mm
    off = np.array([[0.0, 50.0, 12.0]])
    c = DATA.cone(30.0)
    got = cone_dose(DATA, far, 30.0, off, depth)[0]
    r800 = 12.0 * 800.0 / 1050.0
    ocr = np.interp(r800, c.ocr_radii_mm, c.ocr[np.searchsorted(c.ocr_depths_mm, 50.0)])
    want = DATA.dose_per_mu_gy * c.output_factor * c.tmr_at(depth)[0] * ocr
    assert got == pytest.approx(want * (800.0 / 1050.0) ** 2, rel=1e-6)


def _lung_slab(lung_density: float = 0.25) -> DoseGrid:
    dens = WATER.density.copy()
    y = WATER.origin_mm[1] + WATER.spacing_mm[1] * np.arange(WATER.shape[1])
    dens[:, (y > 30.0) & (y < 80.0), :] = lung_density
    return DoseGrid(dens, WATER.spacing_mm, WATER.origin_mm)


def test_lung_slab_raises_dose_behind_it_by_the_density_scaled_depth() -> None:
    lung = _lung_slab(0.25)
    beam = _beam_with_iso_at_depth(120.0)
    pt = np.array([[0.0, 120.0, 0.0]])
    d_lung = radiological_depth(lung, beam, pt)
    d_water = radiological_depth(WATER, beam, pt)
    assert d_lung[0] == pytest.approx(120.0 - 50.0 * 0.75, abs=0.05)
    for cone in (5.0, 20.0, 60.0):
        c = DATA.cone(cone)
        ratio = (
            cone_dose(DATA, beam, cone, pt, d_lung)[0] / cone_dose(DATA, beam, cone, pt, d_water)[0]
        )
        assert ratio > 1.05
        assert ratio == pytest.approx(c.tmr_at(d_lung)[0] / c.tmr_at(d_water)[0], rel=1e-9)


def test_no_lateral_electron_disequilibrium_in_lung() -> None:
    """A known limit of ray tracing, pinned so nobody mistakes it for a feature: in lung
    a 5 mm cone's axis dose really falls below the water dose (its secondary electrons
    leave sideways), but here it is the water dose at the shorter radiological depth,
    i.e. higher than in water; and its profile, really wider in lung, is the water
    profile at the shallower radiological depth, so no wider than in water."""
    lung = _lung_slab(0.25)
    beam = _beam_with_iso_at_depth(60.0)  # the point sits inside the slab
    x, rt_lung, _ = _profile(lung, beam, 5.0, 60.0)
    _, rt_water, _ = _profile(WATER, beam, 5.0, 60.0)
    assert rt_lung[0] > rt_water[0]
    assert _r50(x, rt_lung) <= _r50(x, rt_water)


def _small_case() -> tuple[DoseGrid, list[Beam], np.ndarray]:
    n, sp = 36, 4.0
    half = (n - 1) * sp / 2
    c = np.arange(n) * sp - half
    _, y, x = np.meshgrid(c, c, c, indexing="ij")
    body = x**2 + y**2 <= 60.0**2
    dens = np.where(body, 1.0, 0.0)
    dens[(np.abs(x) < 20) & (y > 15) & (y < 40) & body] = 0.3
    grid = DoseGrid(dens, (sp,) * 3, (-half,) * 3)
    beams = [
        Beam.from_direction(np.zeros(3), np.array([0.0, 1.0, 0.0])),
        Beam.from_direction(np.array([4.0, 0.0, -6.0]), np.array([0.5, 0.6, -0.62])),
    ]
    return grid, beams, body


def test_influence_matrix_columns_are_the_cone_dose_beam_major() -> None:
    grid, beams, body = _small_case()
    cones = [7.5, 25.0]
    mat = cone_influence_matrix(grid, beams, cones, voxel_mask=body, data=DATA, cutoff_mm=15.0)
    assert mat.shape == (grid.n_voxels, 4)
    assert mat.dtype == np.float32
    # nothing outside the voxel mask
    rows = np.flatnonzero(np.diff(mat.indptr))
    assert body.ravel()[rows].all()
    flat = np.flatnonzero(body)
    pts = grid.centres_mm(flat)
    for b, beam in enumerate(beams):
        _, pu, pv = beam.project(pts)
        r800 = np.hypot(pu, pv)
        # the ray tracer's fan grid spans the points asked for: ask for the same ones
        near = r800 <= max(cones) / 2 + 15.0
        depth = np.full(len(pts), np.nan)
        depth[near] = radiological_depth(grid, beam, pts[near])
        for k, cone in enumerate(cones):
            col = mat[:, b * len(cones) + k].toarray().ravel()[flat]
            want = cone_dose(DATA, beam, cone, pts, depth)
            inside = col > 0
            np.testing.assert_allclose(col[inside], want[inside], rtol=1e-5)
            # kept: within the cutoff of the edge (at 800 mm) and above 1e-3 of the maximum
            reach = r800 <= cone / 2 + 15.0
            kept = reach & (want > 1e-3 * want[reach].max())
            np.testing.assert_array_equal(inside, kept)


def test_influence_matrix_agrees_with_pencil_beam_engine_on_its_own_columns() -> None:
    grid, beams, body = _small_case()
    cones = [10.0, 30.0]
    rt = cone_influence_matrix(grid, beams, cones, voxel_mask=body, data=DATA)
    pb = influence_matrix(grid, beams, cone_columns(len(beams), cones), voxel_mask=body)
    assert rt.shape == pb.shape
    pts = grid.centres_mm(np.arange(grid.n_voxels))
    for j in range(rt.shape[1]):
        a = rt[:, j].toarray().ravel()
        p = pb[:, j].toarray().ravel()
        t = beams[j // len(cones)].project(pts)[0]
        core = (p > 0.5 * p.max()) & (np.abs(t - 800.0) <= 20.0)
        assert core.sum() > 10
        # near the 800 mm plane the two agree; the 4 mm voxels straddle lung edges here
        assert np.max(np.abs(a[core] - p[core]) / p[core]) <= 0.03, j
        assert rt[:, j].nnz == pytest.approx(pb[:, j].nnz, rel=0.1)


def test_unknown_cone_and_bad_cutoff_are_refused() -> None:
    grid, beams, body = _small_case()
    with pytest.raises(BeamError, match=r"diameters_mm.*8"):
        cone_influence_matrix(grid, beams, [8.0], voxel_mask=body, data=DATA)
    with pytest.raises(BeamError, match="cutoff_mm=-1"):
        cone_influence_matrix(grid, beams, [10.0], voxel_mask=body, data=DATA, cutoff_mm=-1.0)


def test_cone_columns_order_matches_the_matrix() -> None:
    cols = cone_columns(3, [5.0, 20.0])
    np.testing.assert_array_equal(cols.beam_index, [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(cols.size_mm, [5.0, 20.0] * 3)
    assert cols.shape == "cone"


def test_benchmark_runs_small_and_reports_agreement() -> None:
    out = benchmark_cone_engine(n=30, n_beams=4, diameters_mm=(10.0, 20.0), verbose=False)
    assert out["columns"] == 8
    assert out["raytrace_nnz"] > 0 and out["pencil_nnz"] > 0
    assert out["target_mean_dose_ratio"] == pytest.approx(1.0, abs=0.03)
    assert out["column_core_diff_pct_max_near_800mm_plane"] < 5.0
