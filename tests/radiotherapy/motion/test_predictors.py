from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.motion import (
    InvalidPredictorInput,
    LinearAR,
    NoPrediction,
    NormalisedLMS,
    RecursiveLeastSquares,
    lujan_trace,
    predict_stream,
)


def _sine(n: int = 600, period: float = 40.0) -> np.ndarray:
    t = np.arange(n)
    return np.stack([5 * np.sin(2 * np.pi * t / period), 2 * np.cos(2 * np.pi * t / period)], 1)


def _rmse(model, series: np.ndarray, start: int) -> float:
    h = model.horizon_steps
    model.fit(series[:start])
    pred = predict_stream(model, series[start:])
    return float(np.sqrt(((pred[:-h] - series[start + h :]) ** 2).mean()))


def test_ar_predicts_a_pure_sinusoid_nearly_exactly() -> None:
    x = _sine()
    assert _rmse(LinearAR(3, window=4, alpha=1e-9), x, 200) < 1e-4
    assert _rmse(NoPrediction(3), x, 200) > 1.0


def test_nlms_converges_on_a_sinusoid() -> None:
    x = _sine(4000)
    model = NormalisedLMS(2, window=4, step=0.5).fit(x[:100])
    err = np.abs(predict_stream(model, x[100:])[:-2] - x[102:]).max(axis=1)
    early, late = err[:100].mean(), err[-500:].mean()
    assert late < 0.05 * early
    assert late < 0.02


def test_predictions_do_not_peek_into_the_future() -> None:
    x = lujan_trace(60, seed=1)
    changed = x.copy()
    changed[400:] += 50.0
    for model in (NormalisedLMS(3), RecursiveLeastSquares(3), LinearAR(3, refit_every=10)):
        a = predict_stream(model.fit(x[:200]), x[200:])
        b = predict_stream(model.fit(x[:200]), changed[200:])
        np.testing.assert_array_equal(a[:200], b[:200])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rls_beats_no_prediction_on_synthetic_breathing(seed: int) -> None:
    x = lujan_trace(180, seed=seed)
    rls = _rmse(RecursiveLeastSquares(4, window=6), x, 600)
    none = _rmse(NoPrediction(4), x, 600)
    assert rls < 0.5 * none


def test_rls_at_least_matches_fixed_ar_when_breathing_drifts() -> None:
    x = lujan_trace(240, seed=3, amplitude_drift=0.5, period_drift=0.3)
    rls = _rmse(RecursiveLeastSquares(3, window=6, forgetting=0.995), x, 300)
    ar = _rmse(LinearAR(3, window=6), x, 300)
    assert rls < ar


def test_bad_inputs_are_named() -> None:
    with pytest.raises(InvalidPredictorInput, match="horizon_steps"):
        NoPrediction(0)
    with pytest.raises(InvalidPredictorInput, match="step"):
        NormalisedLMS(1, step=3.0)
    with pytest.raises(InvalidPredictorInput, match="at least"):
        LinearAR(4, window=8).fit(np.zeros((5, 3)))
    with pytest.raises(InvalidPredictorInput, match="non-finite"):
        RecursiveLeastSquares(1).fit(np.full((50, 3), np.nan))
