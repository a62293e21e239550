from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.evaluation import (
    TG119_C_SHAPE_EASY,
    TG119_C_SHAPE_HARD,
    Goal,
    InvalidMetricError,
    evaluate_goals,
    goals_table_markdown,
    goals_table_text,
)
from yangcheng.radiotherapy.phantoms import Phantom, UnknownStructureError, c_shape_phantom


@pytest.fixture(scope="module")
def phantom() -> Phantom:
    return c_shape_phantom(spacing_mm=(4.0, 4.0, 4.0))


def _dose(phantom: Phantom, ptv_gy: float, core_gy: float) -> np.ndarray:
    dose = np.full(phantom.shape, 2.0)
    dose[phantom.mask_of("PTV")] = ptv_gy
    dose[phantom.mask_of("Core")] = core_gy
    return dose


def _passed(results: list) -> list[bool]:
    return [r.passed for r in results]


def test_tg119_goals_on_constructed_doses(phantom: Phantom) -> None:
    good = _dose(phantom, 52.0, 8.0)
    assert _passed(evaluate_goals(good, phantom, TG119_C_SHAPE_EASY)) == [True, True, True]
    assert _passed(evaluate_goals(good, phantom, TG119_C_SHAPE_HARD)) == [True, True, True]
    medium = _dose(phantom, 52.0, 20.0)
    assert _passed(evaluate_goals(medium, phantom, TG119_C_SHAPE_EASY)) == [True, True, True]
    assert _passed(evaluate_goals(medium, phantom, TG119_C_SHAPE_HARD)) == [True, True, False]
    cold = _dose(phantom, 48.0, 8.0)
    assert _passed(evaluate_goals(cold, phantom, TG119_C_SHAPE_EASY)) == [False, True, True]
    hot = _dose(phantom, 56.0, 30.0)
    results = evaluate_goals(hot, phantom, TG119_C_SHAPE_EASY)
    assert _passed(results) == [True, False, False]
    assert results[2].value == pytest.approx(30.0)


def test_cold_spot_in_five_percent_of_ptv_is_caught(phantom: Phantom) -> None:
    dose = _dose(phantom, 52.0, 8.0)
    idx = np.flatnonzero(phantom.mask_of("PTV"))
    cold = idx[: int(np.ceil(0.06 * idx.size))]  # 6 % of the PTV at 40 Gy
    dose.ravel()[cold] = 40.0
    d95 = evaluate_goals(dose, phantom, TG119_C_SHAPE_EASY)[0]
    assert d95.value == 40.0 and not d95.passed


def test_tables(phantom: Phantom) -> None:
    results = evaluate_goals(_dose(phantom, 52.0, 20.0), phantom, TG119_C_SHAPE_HARD)
    md = goals_table_markdown(results)
    assert md.splitlines()[0].startswith("| Goal |")
    assert md.count("PASS") == 2 and md.count("FAIL") == 1
    assert "<= 10 Gy" in md and "2/3 goals passed" in md
    text = goals_table_text(results)
    assert "FAIL" in text and "20.00 Gy" in text


def test_goals_accept_a_mask_mapping_and_v_metrics(phantom: Phantom) -> None:
    dose = _dose(phantom, 52.0, 8.0)
    masks = {"PTV": phantom.mask_of("PTV")}
    goals = [
        Goal("PTV V50", "PTV", "V50Gy", ">=", 95.0),
        Goal("PTV mean", "PTV", "Dmean", "<=", 51.0),
    ]
    results = evaluate_goals(dose, masks, goals)
    assert results[0].value == 100.0 and results[0].passed and results[0].unit == "%"
    assert results[1].value == pytest.approx(52.0) and not results[1].passed


def test_bad_goals_are_rejected(phantom: Phantom) -> None:
    with pytest.raises(InvalidMetricError, match="D95x"):
        Goal("x", "PTV", "D95x", ">=", 1.0)
    with pytest.raises(InvalidMetricError, match="comparator"):
        Goal("x", "PTV", "D95", ">", 1.0)
    with pytest.raises(UnknownStructureError, match="Rectum"):
        evaluate_goals(_dose(phantom, 1, 1), phantom, [Goal("x", "Rectum", "Dmax", "<=", 1.0)])
