"""Fluence optimisation on a small water cylinder: a target beside an organ to spare."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from yangcheng.radiotherapy.dose import Beam, DoseGrid, influence_matrix, pencil_beamlets
from yangcheng.radiotherapy.optimise import (
    MaxDVH,
    MinDVH,
    PlanningError,
    SquaredDeviation,
    SquaredOverdose,
    optimise_fluence,
)

SPACING = (4.0, 4.0, 4.0)


@pytest.fixture(scope="module")
def case() -> tuple[sp.csr_matrix, dict[str, np.ndarray]]:
    n = 24
    z, y, x = np.meshgrid(*(np.arange(n) * 4.0 - 46.0,) * 3, indexing="ij")
    body = y**2 + x**2 <= 44.0**2
    target = (z**2 + y**2 + (x + 6.0) ** 2) <= 14.0**2
    oar = (z**2 + y**2 + (x - 18.0) ** 2) <= 7.0**2
    grid = DoseGrid(np.where(body, 1.0, 0.0), SPACING, (-46.0, -46.0, -46.0))
    beams = [Beam.from_angles((0.0, 0.0, 0.0), g) for g in range(0, 360, 40)]
    beamlets = pencil_beamlets(beams, grid, target, bixel_mm=5.0)
    matrix = influence_matrix(grid, beams, beamlets, voxel_mask=body)
    return matrix, {"PTV": target, "OAR": oar, "Body": body & ~target}


def test_the_target_gets_its_dose_and_weights_stay_physical(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    plan = optimise_fluence(matrix, structures, [SquaredDeviation("PTV", 60.0, 10.0)])
    ptv = plan.dose_gy[structures["PTV"].reshape(-1)]
    assert abs(ptv.mean() - 60.0) < 1.0 and ptv.std() < 3.0
    assert (plan.weights >= 0).all()
    assert plan.history == sorted(plan.history, reverse=True)  # L-BFGS-B never goes uphill


def test_sparing_an_organ_lowers_its_dose_at_some_cost_to_the_target(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    target_only = optimise_fluence(matrix, structures, [SquaredDeviation("PTV", 60.0, 10.0)])
    spared = optimise_fluence(
        matrix,
        structures,
        [SquaredDeviation("PTV", 60.0, 10.0), SquaredOverdose("OAR", 10.0, 50.0)],
    )
    oar = structures["OAR"].reshape(-1)
    assert spared.dose_gy[oar].mean() < 0.8 * target_only.dose_gy[oar].mean()
    limited = optimise_fluence(
        matrix,
        structures,
        [MinDVH("PTV", 57.0, 5.0, volume_pct=95.0), MaxDVH("OAR", 15.0, 20.0, volume_pct=10.0)],
        initial=target_only.weights,
    )
    d10 = np.percentile(limited.dose_gy[oar], 90)
    assert d10 < np.percentile(target_only.dose_gy[oar], 90)


def test_the_gradient_is_the_objective_derivative(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    objective = [SquaredDeviation("PTV", 60.0), SquaredOverdose("OAR", 5.0, 3.0)]
    rng = np.random.default_rng(0)
    w = rng.uniform(0.5, 1.5, matrix.shape[1])
    plan = optimise_fluence(matrix, structures, objective, initial=w, max_iter=1)
    assert plan.iterations <= 1
    # finite differences of the same objective along a random direction
    direction = rng.normal(size=w.shape)

    def total(weights: np.ndarray) -> float:
        dose = matrix @ weights
        return sum(
            o.value_and_gradient(dose[structures[o.structure].reshape(-1)])[0] for o in objective
        )

    def gradient(weights: np.ndarray) -> np.ndarray:
        dose = matrix @ weights
        g = np.zeros_like(dose)
        for o in objective:
            idx = np.flatnonzero(structures[o.structure].reshape(-1))
            np.add.at(g, idx, o.value_and_gradient(dose[idx])[1])
        return np.asarray(matrix.T @ g)

    h = 1e-4
    numeric = (total(w + h * direction) - total(w - h * direction)) / (2 * h)
    assert numeric == pytest.approx(float(gradient(w) @ direction), rel=1e-4)


def test_bad_problems_are_named(case) -> None:  # type: ignore[no-untyped-def]
    matrix, structures = case
    with pytest.raises(PlanningError, match="no structure 'Core'"):
        optimise_fluence(matrix, structures, [SquaredDeviation("Core", 10.0)])
    with pytest.raises(PlanningError, match="empty"):
        optimise_fluence(
            matrix, {"PTV": np.zeros(matrix.shape[0], bool)}, [SquaredDeviation("PTV", 1.0)]
        )
    with pytest.raises(ValueError, match="volume_pct"):
        MaxDVH("OAR", 10.0, volume_pct=150.0)
