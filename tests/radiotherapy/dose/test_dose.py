"""Properties of the pencil-beam dose engine on small water grids."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.dose import (
    Beam,
    BeamError,
    Beamlets,
    DoseGrid,
    DoseGridError,
    PhotonBeamModel,
    beamlet_dose,
    check_field,
    cone_beamlets,
    field_beamlets,
    influence_matrix,
    lung_slab_ratio,
    pencil_beamlets,
    radiological_depth,
    radiological_depth_cube,
    water_phantom,
)

MODEL = PhotonBeamModel()


def _water(n: int = 30, spacing: float = 4.0) -> DoseGrid:
    half = (n - 1) * spacing / 2
    return DoseGrid(np.ones((n, n, n)), (spacing,) * 3, (-half,) * 3)


def _axis_points(depths: np.ndarray, lateral_x: float = 0.0) -> np.ndarray:
    pts = np.zeros((len(depths), 3))
    pts[:, 1] = depths
    pts[:, 2] = lateral_x
    return pts


def test_radiological_depth_through_slab_is_geometric_times_density() -> None:
    dens = np.ones((20, 40, 20))
    dens[:, 10:20, :] = 0.25  # lung for y in [-40, 0) mm, after 40 mm of water
    grid = DoseGrid(dens, (4.0, 4.0, 4.0), (-38.0, -78.0, -38.0))
    beam = Beam.from_angles(np.zeros(3), 0.0)  # travels +y; surface at y = -80
    pts = _axis_points(np.array([-60.0, -10.0, 20.0, 50.0, 70.0]))
    got = radiological_depth(grid, beam, pts)
    # 20 water; 40 water + 30 lung * 0.25; then 40 + 40 * 0.25 + water beyond y = 0
    np.testing.assert_allclose(got, [20.0, 47.5, 70.0, 100.0, 120.0], rtol=1e-5)


def test_radiological_depth_of_oblique_ray_scales_with_path_length() -> None:
    grid = _water(n=40, spacing=3.0)
    beam = Beam.from_angles(np.zeros(3), 0.0, couch_deg=0.0)
    oblique = Beam.from_angles(np.zeros(3), 45.0)
    cube = radiological_depth_cube(grid, beam)
    c = 20
    assert cube[c, c, c] == pytest.approx(grid.spacing_mm[1] * (c + 0.5), rel=1e-5)
    d = radiological_depth(grid, oblique, np.zeros((1, 3)))[0]
    # centre of a cube seen at 45 deg: half-diagonal of the square cross-section
    assert d == pytest.approx(60.0 * np.sqrt(2), rel=0.02)


def test_inverse_square_between_two_source_distances() -> None:
    beam_near = Beam.from_angles(np.zeros(3), 0.0, sad_mm=800.0)
    beam_far = Beam.from_angles(np.zeros(3), 0.0, sad_mm=1000.0)
    pt = np.zeros((1, 3))
    depth = np.array([50.0])  # same water depth, only the distance differs
    wide = 200.0
    near = beamlet_dose(MODEL, beam_near, 0, 0, wide, "square", pt, depth)[0]
    far = beamlet_dose(MODEL, beam_far, 0, 0, wide, "square", pt, depth)[0]
    pt_off = np.array([[0.0, 100.0, 0.0]])  # 100 mm beyond the isocentre
    beyond = beamlet_dose(MODEL, beam_far, 0, 0, wide, "square", pt_off, depth)[0]
    assert near == pytest.approx(far, rel=1e-9)  # both at their own SAD
    assert beyond / far == pytest.approx((1000.0 / 1100.0) ** 2, rel=1e-3)


def test_depth_dose_builds_up_then_attenuates() -> None:
    fc = check_field(MODEL, 1000.0, "square", 100.0, spacing_mm=4.0)
    assert 10.0 <= fc.dmax_mm <= 20.0
    assert 62.0 <= fc.pdd10_pct <= 70.0
    assert 2.5 <= fc.penumbra_50mm_mm <= fc.penumbra_100mm_mm <= 7.0
    narrow = check_field(MODEL, 800.0, "cone", 5.0, spacing_mm=4.0)
    assert narrow.pdd10_pct < check_field(MODEL, 800.0, "cone", 60.0, spacing_mm=4.0).pdd10_pct


def test_central_beam_is_symmetric() -> None:
    grid = _water()
    beam = Beam.from_angles(np.zeros(3), 0.0)
    cube = _single_beamlet_cube(grid, beam, size=20.0)
    np.testing.assert_allclose(cube, cube[:, :, ::-1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cube, cube[::-1, :, :], rtol=1e-9, atol=1e-12)


def _single_beamlet_cube(
    grid: DoseGrid, beam: Beam, size: float, u0: float = 0.0, v0: float = 0.0
) -> np.ndarray:
    flat = np.arange(grid.n_voxels)
    pts = grid.centres_mm(flat)
    depth = radiological_depth(grid, beam, pts)
    return beamlet_dose(MODEL, beam, u0, v0, size, "square", pts, depth).reshape(grid.shape)


def test_beamlet_dose_falls_off_laterally() -> None:
    beam = Beam.from_angles(np.zeros(3), 0.0)
    x = np.arange(0.0, 40.0, 1.0)
    pts = _axis_points(np.zeros_like(x), lateral_x=0.0)
    pts[:, 2] = x
    dose = beamlet_dose(MODEL, beam, 0, 0, 5.0, "square", pts, np.full(len(x), 50.0))
    assert np.all(np.diff(dose) <= 1e-15)
    assert dose[-1] < 0.01 * dose[0]


def test_superposition_and_influence_column_match_single_beamlet() -> None:
    grid = _water(n=24, spacing=5.0)
    beam = Beam.from_angles(np.zeros(3), 0.0)
    bl = Beamlets(np.zeros(2, np.intp), np.array([-5.0, 5.0]), np.zeros(2), np.full(2, 10.0))
    mat = influence_matrix(grid, [beam], bl, cutoff_mm=200.0, relative_threshold=0.0)
    one = _single_beamlet_cube(grid, beam, 10.0, u0=-5.0).ravel()
    two = _single_beamlet_cube(grid, beam, 10.0, u0=5.0).ravel()
    np.testing.assert_allclose(mat[:, 0].toarray().ravel(), one, rtol=1e-5, atol=1e-9)
    both = mat @ np.ones(2)
    np.testing.assert_allclose(both, one + two, rtol=1e-5, atol=1e-9)
    # four adjacent 10 mm beamlets tile one 20 mm beamlet exactly
    quad = sum(
        _single_beamlet_cube(grid, beam, 10.0, u, v) for u in (-5.0, 5.0) for v in (-5.0, 5.0)
    )
    np.testing.assert_allclose(quad, _single_beamlet_cube(grid, beam, 20.0), rtol=1e-6, atol=1e-12)


def test_influence_respects_mask_and_cutoff() -> None:
    grid = _water(n=24, spacing=5.0)
    beam = Beam.from_angles(np.zeros(3), 0.0)
    mask = np.zeros(grid.shape, bool)
    mask[:, :, :12] = True
    bl = field_beamlets(0, 20.0, 20.0, bixel_mm=10.0)
    mat = influence_matrix(grid, [beam], bl, voxel_mask=mask, cutoff_mm=10.0)
    rows = np.unique(mat.nonzero()[0])
    assert mask.ravel()[rows].all()
    wide = influence_matrix(grid, [beam], bl, voxel_mask=mask, cutoff_mm=60.0)
    assert 0 < mat.nnz < wide.nnz


def test_beams_on_threads_give_the_same_matrix_and_report_each_beam() -> None:
    grid = _water(n=20, spacing=5.0)
    beams = [Beam.from_angles(np.zeros(3), a) for a in (0.0, 72.0, 144.0, 216.0, 288.0)]
    bl = Beamlets.concat([field_beamlets(b, 20.0, 20.0, bixel_mm=10.0) for b in range(5)])
    done: list[tuple[int, int]] = []
    serial = influence_matrix(grid, beams, bl, threads=1)
    threaded = influence_matrix(
        grid, beams, bl, threads=3, on_beam=lambda d, t: done.append((d, t))
    )
    assert (serial != threaded).nnz == 0 and serial.nnz > 0
    assert np.array_equal(serial.indptr, threaded.indptr)
    assert np.array_equal(serial.indices, threaded.indices)
    assert done == [(1, 5), (2, 5), (3, 5), (4, 5)]


def test_lung_slab_raises_dose_beyond_it() -> None:
    assert lung_slab_ratio(MODEL, spacing_mm=4.0) > 1.05


def test_cone_beamlet_on_axis_matches_closed_form() -> None:
    beam = Beam.from_angles(np.zeros(3), 0.0, sad_mm=800.0)
    r_mm, depth = 10.0, 30.0
    dose = beamlet_dose(MODEL, beam, 0, 0, 2 * r_mm, "cone", np.zeros((1, 3)), np.array([depth]))[0]
    sp, ss = MODEL.sigma_primary_mm(depth), MODEL.sigma_scatter_mm(depth)
    expect = (
        MODEL.primary_depth(depth)
        * (
            (1 - np.exp(-(r_mm**2) / (2 * sp**2)))
            + MODEL.scatter_share(depth) * (1 - np.exp(-(r_mm**2) / (2 * ss**2)))
        )
        / MODEL.norm
    )
    assert dose == pytest.approx(float(expect), rel=1e-6)


def test_pencil_beamlets_cover_target_and_cones_one_per_beam() -> None:
    grid = water_phantom(depth_mm=80.0, width_mm=80.0, spacing_mm=4.0)
    target = np.zeros(grid.shape, bool)
    target[8:12, 8:12, 8:12] = True
    iso = grid.centres_mm(np.flatnonzero(target)).mean(axis=0)
    beams = [Beam.from_angles(iso, g) for g in (0.0, 90.0)]
    bl = pencil_beamlets(beams, grid, target, bixel_mm=4.0)
    assert set(bl.beam_index.tolist()) == {0, 1}
    assert 9 <= int((bl.beam_index == 0).sum()) <= 36
    cones = cone_beamlets(3, 30.0)
    assert len(cones) == 3 and cones.shape == "cone"


def test_errors_name_the_problem() -> None:
    with pytest.raises(DoseGridError, match="spacing_mm"):
        DoseGrid(np.ones((2, 2, 2)), (1.0, 0.0, 1.0))
    with pytest.raises(BeamError, match="isocenter_mm - source_mm"):
        Beam(np.zeros(3), np.zeros(3))
    grid = _water(n=4)
    with pytest.raises(DoseGridError, match="voxel_mask"):
        influence_matrix(
            grid,
            [Beam.from_angles(np.zeros(3), 0.0)],
            cone_beamlets(1, 10.0),
            np.ones((2, 2, 2), bool),
        )
