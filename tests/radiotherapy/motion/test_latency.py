from __future__ import annotations

import functools

import pytest

from yangcheng.radiotherapy.motion import (
    InvalidLatency,
    NoPrediction,
    RecursiveLeastSquares,
    latency_sweep,
    lujan_trace,
    simulate_tracking,
)


def test_error_grows_with_latency_and_prediction_helps() -> None:
    traces = [(lujan_trace(90, seed=s), 10.0) for s in range(2)]
    rls = functools.partial(RecursiveLeastSquares, window=6)
    rows = latency_sweep(traces, {"none": NoPrediction, "rls": rls}, (100, 200, 300))
    for name in ("none", "rls"):
        errs = [r["rmse_mm"] for r in rows if r["predictor"] == name]
        assert errs == sorted(errs) and errs[0] < errs[-1]
    none = {r["latency_ms"]: r["rmse_mm"] for r in rows if r["predictor"] == "none"}
    pred = {r["latency_ms"]: r["rmse_mm"] for r in rows if r["predictor"] == "rls"}
    assert all(pred[k] < none[k] for k in none)


def test_zero_latency_without_jitter_is_exact() -> None:
    x = lujan_trace(30, seed=0)
    assert simulate_tracking(x, 10.0, 0.0, jitter_ms=0.0).rmse_mm == pytest.approx(0.0)


def test_jitter_adds_error_and_is_seeded() -> None:
    # Late samples can make an unpredicted robot look better; a predictor only suffers.
    x = lujan_trace(90, seed=0, noise_mm=0.02)
    rls = functools.partial(RecursiveLeastSquares, window=6)
    calm = simulate_tracking(x, 10.0, 200, rls, jitter_ms=0.0)
    shaky = simulate_tracking(x, 10.0, 200, rls, jitter_ms=20.0, seed=3)
    assert shaky.rmse_mm > 1.2 * calm.rmse_mm
    assert shaky == simulate_tracking(x, 10.0, 200, rls, jitter_ms=20.0, seed=3)


def test_rejects_bad_settings() -> None:
    with pytest.raises(InvalidLatency, match="latency_ms"):
        simulate_tracking(lujan_trace(30), 10.0, -5)
