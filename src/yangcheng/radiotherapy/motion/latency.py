"""System-latency simulator: the robot moves to where the predictor says the target will be.

Timeline per sensing tick k (nominal time ``k / sampling_hz``): the camera reads the
markers at a jittered time ``k/hz + delta_k`` (``delta_k ~ N(0, jitter_ms)``, clipped to
half a period) with optional measurement noise; the predictor receives that sample and
the robot commands its prediction, which is reached ``latency_ms`` later. The tracking
error is the 3-D distance, per marker, between the commanded position and the true
position at ``k/hz + latency``. A latency that is not a whole number of sampling periods
is served by interpolating between the predictors of the two neighbouring horizons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from yangcheng.radiotherapy.motion.data import interpolate_at
from yangcheng.radiotherapy.motion.predictors import NoPrediction, Predictor, predict_stream

__all__ = ["InvalidLatency", "TrackingResult", "latency_sweep", "simulate_tracking"]

PredictorFactory = Callable[[int], Predictor]


class InvalidLatency(ValueError):
    """A latency-simulation setting out of range; the message names it."""


@dataclass(frozen=True)
class TrackingResult:
    """Residual tracking error of one run."""

    latency_ms: float
    rmse_mm: float
    p95_mm: float
    n_ticks: int


def _observe(
    truth: np.ndarray, sampling_hz: float, jitter_ms: float, noise_mm: float, seed: int
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = truth.shape[0]
    half_period_s = 0.5 / sampling_hz
    delta_s = np.clip(rng.normal(0.0, jitter_ms / 1000, size=n), -half_period_s, half_period_s)
    seen = interpolate_at(truth, sampling_hz, np.arange(n) / sampling_hz + delta_s)
    return seen + rng.normal(0.0, noise_mm, size=seen.shape) if noise_mm > 0 else seen


def _commands(
    factory: PredictorFactory, steps: int, fit_part: np.ndarray, stream: np.ndarray
) -> np.ndarray:
    if steps == 0:
        return stream.copy()
    return predict_stream(factory(steps).fit(fit_part), stream)


def simulate_tracking(
    positions_mm: np.ndarray,
    sampling_hz: float,
    latency_ms: float,
    factory: PredictorFactory = NoPrediction,
    fit_fraction: float = 1 / 3,
    jitter_ms: float = 5.0,
    noise_mm: float = 0.0,
    seed: int = 0,
) -> TrackingResult:
    """Track one trace: fit on the first ``fit_fraction`` (as sensed), score the rest."""
    if not 0 <= latency_ms <= 2000:
        raise InvalidLatency(f"latency_ms must be in [0, 2000], got {latency_ms}")
    if jitter_ms < 0 or noise_mm < 0:
        raise InvalidLatency(f"jitter_ms ({jitter_ms}) and noise_mm ({noise_mm}) must be >= 0")
    truth = np.asarray(positions_mm, dtype=np.float64)
    seen = _observe(truth, sampling_hz, jitter_ms, noise_mm, seed)
    cut = int(truth.shape[0] * fit_fraction)
    steps = latency_ms * sampling_hz / 1000
    lo = int(np.floor(steps))
    frac = steps - lo
    command = _commands(factory, lo, seen[:cut], seen[cut:])
    if frac > 1e-9:
        upper = _commands(factory, lo + 1, seen[:cut], seen[cut:])
        command = (1 - frac) * command + frac * upper
    ticks_s = (cut + np.arange(truth.shape[0] - cut)) / sampling_hz
    reach_s = ticks_s + latency_ms / 1000
    valid = reach_s <= (truth.shape[0] - 1) / sampling_hz
    target = interpolate_at(truth, sampling_hz, reach_s[valid])
    diff = (command[valid] - target).reshape(int(valid.sum()), -1, 3)
    err = np.sqrt((diff**2).sum(axis=2))
    return TrackingResult(
        latency_ms=float(latency_ms),
        rmse_mm=float(np.sqrt((err**2).mean())),
        p95_mm=float(np.percentile(err, 95)),
        n_ticks=int(valid.sum()),
    )


def latency_sweep(
    traces: Sequence[tuple[np.ndarray, float]],
    factories: dict[str, PredictorFactory],
    latencies_ms: Sequence[float] = (100, 150, 200, 250, 300),
    jitter_ms: float = 5.0,
    noise_mm: float = 0.0,
    seed: int = 0,
) -> list[dict[str, float | str]]:
    """Mean (over traces) residual RMSE and p95 per predictor and latency."""
    rows: list[dict[str, float | str]] = []
    for name, factory in factories.items():
        for latency in latencies_ms:
            res = [
                simulate_tracking(
                    x, hz, latency, factory, jitter_ms=jitter_ms, noise_mm=noise_mm, seed=seed + i
                )
                for i, (x, hz) in enumerate(traces)
            ]
            rows.append(
                {
                    "predictor": name,
                    "latency_ms": float(latency),
                    "rmse_mm": float(np.mean([r.rmse_mm for r in res])),
                    "p95_mm": float(np.mean([r.p95_mm for r in res])),
                }
            )
    return rows
