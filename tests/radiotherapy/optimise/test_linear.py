"""LP fluence optimisation: known optima on tiny problems, constraints that hold on a small
water cylinder, relaxation reports for impossible prescriptions, and named bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from yangcheng.radiotherapy.dose import Beam, DoseGrid, influence_matrix, pencil_beamlets
from yangcheng.radiotherapy.optimise.fluence import PlanningError
from yangcheng.radiotherapy.optimise.linear import optimise_fluence_lp
from yangcheng.radiotherapy.optimise.linear_terms import (
    MaxDose,
    MaxMeanDose,
    MaxTailMean,
    MeanDose,
    MinDose,
    MinTailMean,
    TotalWeight,
)

SPACING = (4.0, 4.0, 4.0)


@pytest.fixture(scope="module")
def case() -> tuple[sp.csr_matrix, dict[str, np.ndarray]]:
    """A 24^3 water cylinder, a target sphere beside a small organ, nine coplanar beams."""
    n = 24
    z, y, x = np.meshgrid(*(np.arange(n) * 4.0 - 46.0,) * 3, indexing="ij")
    body = y**2 + x**2 <= 44.0**2
    target = (z**2 + y**2 + (x + 6.0) ** 2) <= 14.0**2
    oar = (z**2 + y**2 + (x - 18.0) ** 2) <= 7.0**2
    grid = DoseGrid(np.where(body, 1.0, 0.0), SPACING, (-46.0, -46.0, -46.0))
    beams = [Beam.from_angles((0.0, 0.0, 0.0), g) for g in range(0, 360, 40)]
    beamlets = pencil_beamlets(beams, grid, target, bixel_mm=5.0)
    matrix = influence_matrix(grid, beams, beamlets, voxel_mask=body)
    return matrix, {"PTV": target, "OAR": oar, "Body": body & ~target & ~oar}


def _brute_force(
    d: np.ndarray, floor: np.ndarray, ceiling: np.ndarray, cost: np.ndarray
) -> tuple[float, np.ndarray]:
    """The LP optimum by enumerating every vertex of {w >= 0, d_i w >= floor_i,
    d_j w <= ceiling_j}: each choice of n_b active planes, solved and checked."""
    n_b = d.shape[1]
    planes = [(np.eye(n_b)[k], 0.0) for k in range(n_b)]
    planes += [(d[i], floor[i]) for i in range(d.shape[0]) if np.isfinite(floor[i])]
    planes += [(d[j], ceiling[j]) for j in range(d.shape[0]) if np.isfinite(ceiling[j])]
    best, best_w = np.inf, np.zeros(n_b)
    for active in itertools.combinations(planes, n_b):
        a = np.array([p[0] for p in active])
        if abs(np.linalg.det(a)) < 1e-12:
            continue
        w = np.linalg.solve(a, np.array([p[1] for p in active]))
        dose = d @ w
        feasible = (w >= -1e-9).all() and (dose >= floor - 1e-7).all()
        if feasible and (dose <= ceiling + 1e-7).all() and cost @ w < best:
            best, best_w = float(cost @ w), w
    return best, best_w


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_lp_optimum_is_the_best_vertex(seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = rng.uniform(0.05, 1.0, size=(7, 3))  # rows 0-3 target, 4-5 organ, 6 rest
    d[:4] += 0.5  # the target takes more of each beamlet than the organ: feasible
    target = np.zeros(7, bool)
    target[:4] = True
    organ = np.zeros(7, bool)
    organ[4:6] = True
    floor = np.where(target, 10.0, -np.inf)
    ceiling = np.where(organ, 12.0, np.inf)
    ceiling[:4] = 16.0
    cost = d[organ].mean(axis=0) + 0.01  # MeanDose(organ) + 0.01 x TotalWeight
    expected, _ = _brute_force(d, floor, ceiling, cost)
    assert np.isfinite(expected)
    result = optimise_fluence_lp(
        sp.csr_matrix(d),
        {"T": target, "O": organ},
        [MinDose("T", 10.0, elastic=False), MaxDose("T", 16.0), MaxDose("O", 12.0)],
        [MeanDose("O"), TotalWeight(0.01)],
    )
    assert result.converged
    assert result.objective == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert float(cost @ result.weights) == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_an_impossible_floor_returns_the_closest_plan_and_says_by_how_much() -> None:
    # one beamlet; the target voxel gets half of what the organ gets, the organ caps at 10
    d = sp.csr_matrix(np.array([[1.0], [2.0]]))
    structures = {"T": np.array([True, False]), "O": np.array([False, True])}
    prescription = ([MinDose("T", 10.0), MaxDose("O", 10.0)], [MeanDose("O")])
    result = optimise_fluence_lp(d, structures, *prescription, relaxation=0.0)
    assert result.weights == pytest.approx([5.0])
    (floor, ceiling) = result.constraints
    assert floor.relaxed_by_gy == pytest.approx(5.0) and floor.voxels_relaxed == 1
    assert floor.achieved_gy == pytest.approx(5.0) and not floor.met
    assert ceiling.relaxed_by_gy == 0.0 and ceiling.met
    assert [c.constraint for c in result.relaxed] == ["MinDose(T, 10.0 Gy)"]
    # by default the next stage may give up 1 % of the least relaxation to lower the organ
    eased = optimise_fluence_lp(d, structures, *prescription)
    assert eased.constraints[0].relaxed_by_gy == pytest.approx(5.05, abs=1e-5)
    with pytest.raises(PlanningError, match=r"MinDose\(T, 10.0 Gy\)"):
        optimise_fluence_lp(
            d,
            structures,
            [MinDose("T", 10.0, elastic=False), MaxDose("O", 10.0)],
            [MeanDose("O")],
        )


def test_constraints_hold_on_every_voxel(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    result = optimise_fluence_lp(
        matrix,
        structures,
        [
            MinDose("PTV", 57.0),
            MaxDose("PTV", 63.0),
            MaxTailMean("OAR", 12.0, 10.0),
            MaxMeanDose("Body", 8.0),
        ],
        [MeanDose("OAR"), MeanDose("Body", 0.1)],
        max_beamlet_weight=40.0,
    )
    assert result.converged and not result.relaxed
    dose = result.dose_gy
    ptv, oar = dose[structures["PTV"].reshape(-1)], dose[structures["OAR"].reshape(-1)]
    tol = 1e-3
    assert ptv.min() >= 57.0 - tol and ptv.max() <= 63.0 + tol
    # the tail mean bounds D10 from above, so the 90th percentile is under the limit too
    hottest = np.sort(oar)[::-1][: max(round(0.1 * oar.size), 1)]
    assert hottest.mean() <= 12.0 + tol and np.percentile(oar, 90) <= 12.0 + tol
    assert dose[structures["Body"].reshape(-1)].mean() <= 8.0 + tol
    assert (result.weights >= 0).all() and result.weights.max() <= 40.0 + 1e-6
    assert all(c.met for c in result.constraints)
    for report in result.constraints:
        assert report.lp_voxels == report.structure_voxels  # nothing was subsampled


def test_a_dose_volume_floor_lets_a_few_voxels_go_cold_that_a_min_dose_would_not(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    organ_cap = MaxDose("OAR", 4.0)
    strict = optimise_fluence_lp(
        matrix, structures, [MinDose("PTV", 58.0), organ_cap], [MeanDose("OAR")]
    )
    loose = optimise_fluence_lp(
        matrix,
        structures,
        [MinTailMean("PTV", 58.0, 10.0), organ_cap],
        [MeanDose("OAR")],
    )
    ptv = structures["PTV"].reshape(-1)
    assert not loose.relaxed and loose.constraints[0].met
    assert np.percentile(loose.dose_gy[ptv], 10) >= 58.0 - 1e-3  # D90 >= 58 Gy
    # the per-voxel floor is either relaxed or costs the organ more
    assert strict.relaxed or strict.objective >= loose.objective - 1e-6


def test_later_stages_keep_earlier_optima_within_the_relaxation(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    constraints = [MinDose("PTV", 57.0), MaxDose("PTV", 63.0)]
    single = optimise_fluence_lp(matrix, structures, constraints, [MeanDose("OAR")])
    stepwise = optimise_fluence_lp(
        matrix,
        structures,
        constraints,
        [MeanDose("OAR")],
        then=[[TotalWeight()]],
        relaxation=0.05,
    )
    assert stepwise.stages[-1] == "TotalWeight(weight 1.0)" and len(stepwise.history) == 3
    core_mean = stepwise.per_objective["MeanDose(OAR, weight 1.0)"]
    assert core_mean <= 1.05 * single.objective + 1e-5
    assert stepwise.weights.sum() <= single.weights.sum() + 1e-6
    capped = optimise_fluence_lp(
        matrix,
        structures,
        constraints,
        [MeanDose("OAR")],
        max_total_weight=0.9 * single.weights.sum(),
    )
    assert capped.weights.sum() <= 0.9 * single.weights.sum() + 1e-6


def test_a_penalty_instead_of_a_stage_finds_the_same_least_relaxation() -> None:
    d = sp.csr_matrix(np.array([[1.0], [2.0]]))
    structures = {"T": np.array([True, False]), "O": np.array([False, True])}
    result = optimise_fluence_lp(
        d,
        structures,
        [MinDose("T", 10.0), MaxDose("O", 10.0)],
        [MeanDose("O")],
        slack_penalty=100.0,
    )
    assert len(result.stages) == 1 and result.weights == pytest.approx([5.0])
    assert result.constraints[0].relaxed_by_gy == pytest.approx(5.0)


def test_big_structures_are_subsampled_the_same_way_and_judged_on_all_voxels(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    args = (matrix, structures, [MinDose("PTV", 57.0), MaxDose("Body", 40.0)], [MeanDose("OAR")])
    first = optimise_fluence_lp(*args, max_voxels=60, seed=3)
    again = optimise_fluence_lp(*args, max_voxels=60, seed=3)
    np.testing.assert_array_equal(first.weights, again.weights)
    body = structures["Body"].reshape(-1)
    report = first.constraints[1]
    assert 0 < report.lp_voxels <= 60 and report.structure_voxels == int(body.sum())
    assert report.achieved_gy == pytest.approx(float(first.dose_gy[body].max()))


def test_bad_input_names_the_structure_or_shape(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    with pytest.raises(PlanningError, match="no structure 'Core'"):
        optimise_fluence_lp(matrix, structures, [MaxDose("Core", 5.0)], [MeanDose("OAR")])
    with pytest.raises(PlanningError, match="no structure 'Rectum'"):
        optimise_fluence_lp(matrix, structures, [], [MeanDose("Rectum")])
    with pytest.raises(PlanningError, match=r"'PTV' has 10 voxels, the influence matrix 13824"):
        optimise_fluence_lp(
            matrix, {"PTV": np.ones(10, bool)}, [MinDose("PTV", 1.0)], [TotalWeight()]
        )
    with pytest.raises(PlanningError, match="'PTV' is empty"):
        optimise_fluence_lp(
            matrix,
            {"PTV": np.zeros(matrix.shape[0], bool)},
            [MinDose("PTV", 1.0)],
            [TotalWeight()],
        )
    with pytest.raises(PlanningError, match="no objective"):
        optimise_fluence_lp(matrix, structures, [MinDose("PTV", 1.0)], [])
    with pytest.raises(PlanningError, match="max_voxels"):
        optimise_fluence_lp(matrix, structures, [], [TotalWeight()], max_voxels=0)
    with pytest.raises(ValueError, match=r"MaxTailMean\(OAR, 5.0 Gy, 150.0 %\): volume_pct"):
        MaxTailMean("OAR", 5.0, 150.0)
    with pytest.raises(ValueError, match=r"MinDose.*dose_gy"):
        MinDose("PTV", -1.0)
    with pytest.raises(ValueError, match=r"MeanDose\(OAR, weight 0.0\)"):
        MeanDose("OAR", 0.0)


def test_constraint_generation_adds_the_broken_voxels_until_all_hold(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    args = (
        matrix,
        structures,
        [MinDose("PTV", 57.0), MaxDose("PTV", 63.0), MaxTailMean("OAR", 12.0, 10.0)],
        [MeanDose("OAR"), MeanDose("Body", 0.1)],
    )
    once = optimise_fluence_lp(*args, max_voxels=20, rounds=1)
    assert once.constraints[0].lp_voxels <= 20 and once.rounds == 1
    assert not all(c.met for c in once.constraints)  # a sparse lattice leaves holes
    grown = optimise_fluence_lp(*args, max_voxels=20, rounds=8)
    assert 1 < grown.rounds <= 8
    assert all(c.met for c in grown.constraints), grown.constraints
    ptv = grown.dose_gy[structures["PTV"].reshape(-1)]
    assert ptv.min() >= 57.0 - 1e-3 and ptv.max() <= 63.0 + 1e-3
