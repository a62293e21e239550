from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.motion import (
    CorrelationModel,
    InvalidCorrelationInput,
    TumourMotionModel,
    lujan_trace,
    simulate_tumour,
    xray_study,
)


def test_simulated_tumour_is_deterministic_and_follows_the_markers() -> None:
    markers = lujan_trace(60, seed=0)
    a = simulate_tumour(markers, 10.0, seed=1)
    assert a.tobytes() == simulate_tumour(markers, 10.0, seed=1).tobytes()
    surrogate = markers @ np.linalg.svd(markers - markers.mean(0))[2][0]
    assert abs(np.corrcoef(surrogate, a[:, 2])[0, 1]) > 0.9


def test_dual_branch_recovers_hysteresis_better_than_linear() -> None:
    traces = [(lujan_trace(120, seed=s), 10.0) for s in range(2)]
    model = TumourMotionModel(hysteresis_mm=(0.5, 1.5, 3.0), drift_mm=0.05, xray_noise_mm=0.2)
    rows = xray_study(
        traces, n_xrays=(40,), kinds=("linear", "dual_linear", "velocity"), repeats=2, model=model
    )
    by_kind = {r["kind"]: r["rmse_mm"] for r in rows}
    assert by_kind["dual_linear"] < by_kind["linear"]
    assert by_kind["velocity"] < by_kind["linear"]


def test_error_falls_as_xray_samples_grow() -> None:
    traces = [(lujan_trace(120, seed=s), 10.0) for s in range(2)]
    rows = xray_study(traces, n_xrays=(3, 30), kinds=("velocity",), repeats=3)
    few, many = (r["rmse_mm"] for r in rows)
    assert many < few


def test_correlation_model_rejects_mismatched_samples() -> None:
    with pytest.raises(InvalidCorrelationInput, match="do not match"):
        CorrelationModel().fit(np.zeros((5, 2)), np.zeros((4, 3)))
    with pytest.raises(InvalidCorrelationInput, match="kind"):
        CorrelationModel("cubic")
