from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.evaluation import (
    EmptyStructureError,
    InvalidMetricError,
    ShapeMismatchError,
    d_max,
    d_mean,
    d_min,
    dose_at_volume,
    dvh,
    v_x,
)


def _one_to_hundred() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    dose = rng.permutation(np.arange(1.0, 101.0)).reshape(4, 5, 5)
    return dose, np.ones(dose.shape, dtype=bool)


def test_dvh_of_uniform_dose_is_a_step() -> None:
    dose = np.zeros((3, 4, 5))
    mask = np.zeros(dose.shape, dtype=bool)
    mask[1:, 1:3, 1:4] = True
    dose[mask] = 42.0
    curve = dvh(dose, mask, bins=np.linspace(0, 60, 601), voxel_volume_cc=0.5)
    assert np.all(curve.volume_pct[curve.dose_gy <= 42.0] == 100.0)
    assert np.all(curve.volume_pct[curve.dose_gy > 42.0] == 0.0)
    assert curve.total_volume_cc == pytest.approx(12 * 0.5)
    assert np.all(np.diff(curve.volume_pct) <= 0)


def test_dose_at_volume_of_known_distribution() -> None:
    dose, mask = _one_to_hundred()
    assert dose_at_volume(dose, mask, 95) == 6.0  # voxels 6..100 are 95 %
    assert dose_at_volume(dose, mask, 10) == 91.0
    assert dose_at_volume(dose, mask, 2) == 99.0
    assert dose_at_volume(dose, mask, 98) == 3.0
    assert dose_at_volume(dose, mask, 0) == d_max(dose, mask) == 100.0
    assert dose_at_volume(dose, mask, 100) == d_min(dose, mask) == 1.0
    assert d_mean(dose, mask) == pytest.approx(50.5)
    assert v_x(dose, mask, 50.0) == pytest.approx(51.0)
    assert v_x(dose, mask, 100.5) == 0.0


def test_dvh_interpolation_agrees_with_exact_metrics() -> None:
    rng = np.random.default_rng(1)
    dose = rng.normal(50.0, 3.0, size=(20, 20, 20))
    mask = np.ones(dose.shape, dtype=bool)
    curve = dvh(dose, mask, bins=2001)
    step = curve.dose_gy[1]
    for pct in (2, 50, 95, 98):
        assert dose_at_volume(curve, None, pct) == pytest.approx(
            dose_at_volume(dose, mask, pct), abs=2 * step
        )
    assert curve.volume_at_dose(50.0) == pytest.approx(v_x(dose, mask, 50.0), abs=0.5)


def test_errors_name_the_problem() -> None:
    dose, mask = _one_to_hundred()
    with pytest.raises(ShapeMismatchError, match="PTV"):
        d_mean(dose, mask[:2], name="PTV")
    with pytest.raises(EmptyStructureError, match="Core"):
        dvh(dose, np.zeros_like(mask), name="Core")
    with pytest.raises(InvalidMetricError, match="volume_pct"):
        dose_at_volume(dose, mask, 120)
    with pytest.raises(InvalidMetricError, match="mask"):
        dose_at_volume(dose, None, 95)
