from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.evaluation import (
    InvalidMetricError,
    homogeneity_index,
    paddick_ci,
    rtog_ci,
)


@pytest.fixture
def target() -> np.ndarray:
    mask = np.zeros((10, 10, 10), dtype=bool)
    mask[2:6, 2:7, 3:8] = True  # 100 voxels
    return mask


def test_ci_is_one_for_exact_coverage(target: np.ndarray) -> None:
    dose = np.where(target, 60.0, 10.0)
    assert paddick_ci(dose, target, 60.0) == pytest.approx(1.0)
    assert rtog_ci(dose, target, 60.0) == pytest.approx(1.0)


def test_ci_penalises_spill_and_under_coverage(target: np.ndarray) -> None:
    spill = target.copy()
    spill[6:10, 2:7, 3:8] = True  # isodose twice the target
    dose = np.where(spill, 60.0, 0.0)
    assert paddick_ci(dose, target, 60.0) == pytest.approx(0.5)
    assert rtog_ci(dose, target, 60.0) == pytest.approx(2.0)
    half = target.copy()
    half[4:6] = False  # isodose covers half the target
    dose = np.where(half, 60.0, 0.0)
    assert paddick_ci(dose, target, 60.0) == pytest.approx(0.5)
    assert paddick_ci(np.zeros_like(dose), target, 60.0) == 0.0
    with pytest.raises(InvalidMetricError, match="prescription"):
        paddick_ci(dose, target, 0.0)


def test_homogeneity_index(target: np.ndarray) -> None:
    assert homogeneity_index(np.where(target, 50.0, 0.0), target) == 0.0
    dose = np.zeros(target.shape)
    dose[target] = np.arange(1.0, 101.0)
    assert homogeneity_index(dose, target) == pytest.approx((99.0 - 3.0) / 51.0)
