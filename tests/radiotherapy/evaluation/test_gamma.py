"""Gamma index: identical doses pass everywhere, a 1-voxel shift passes at 3 mm DTA but not at
1 mm, a 5 % scaling fails at 3 % (global) where the dose is high and passes at 6 %."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.evaluation import EvaluationError
from yangcheng.radiotherapy.evaluation.gamma import gamma_index

SPACING = (2.5, 3.0, 3.0)


def _dose() -> np.ndarray:
    z, y, x = np.meshgrid(*(np.arange(n) for n in (20, 24, 24)), indexing="ij")
    return 50.0 * np.exp(-((z - 10) ** 2 / 30 + (y - 12) ** 2 / 40 + (x - 11) ** 2 / 25))


def test_identical_doses_pass_with_gamma_zero() -> None:
    d = _dose()
    g = gamma_index(d, d, SPACING)
    assert g.pass_rate == 1.0 and g.mean == 0.0 and g.evaluated == int((d > 5.0).sum())


def test_a_one_voxel_shift_passes_at_3mm_but_not_at_1mm() -> None:
    ref = _dose()
    moved = np.roll(ref, 1, axis=2)  # 3 mm along x
    assert gamma_index(moved, ref, SPACING, dose_pct=1.0, dta_mm=3.0).pass_rate > 0.99
    assert gamma_index(moved, ref, SPACING, dose_pct=1.0, dta_mm=1.0).pass_rate < 0.8


def test_a_five_percent_scaling_fails_at_3pct_and_passes_at_6pct() -> None:
    ref = _dose()
    hot = ref * 1.05
    tight = gamma_index(hot, ref, SPACING, dose_pct=3.0, dta_mm=0.5)
    loose = gamma_index(hot, ref, SPACING, dose_pct=6.0, dta_mm=0.5)
    assert loose.pass_rate == 1.0
    # global gamma: 5 % of the local dose exceeds 3 % of the maximum exactly above 60 % of it
    failed = tight.gamma > 1.0
    assert np.array_equal(failed, ref > 0.6 * ref.max())
    # the highest-dose voxel is off by 2.5 Gy = 1.67 x the 1.5 Gy tolerance
    assert np.nanmax(tight.gamma) == pytest.approx(2.5 / 1.5)


def test_bad_inputs_are_named() -> None:
    d = _dose()
    with pytest.raises(EvaluationError, match="differ"):
        gamma_index(d[:-1], d, SPACING)
    with pytest.raises(EvaluationError, match="dose_pct"):
        gamma_index(d, d, SPACING, dose_pct=0.0)
    with pytest.raises(EvaluationError, match="zero everywhere"):
        gamma_index(d, np.zeros_like(d), SPACING)
    nan = d.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(EvaluationError, match="NaN"):
        gamma_index(nan, d, SPACING)
