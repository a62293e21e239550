"""External-to-internal correlation model (as CyberKnife Synchrony does), on simulated tumours.

The marker data has no internal position, so a tumour trace is *simulated* from the markers:

    s(t)      = first principal component of the 9 marker coordinates, unit variance
    v(t)      = ds/dt (central difference, per second), scaled to unit variance
    tumour(t) = gain * s(t) + quadratic * (s(t)^2 - 1) + hysteresis * v(t) + drift(t)

per axis (x LR, y AP, z SI; mm). The ``hysteresis * v`` term puts the inhale and exhale
paths apart (an elliptical loop in the (s, tumour) plane), ``quadratic`` bends them, and
``drift`` is a slow AR(1) internal wander that no external model can see. X-ray images give
the tumour position plus localisation noise at sparse times.

The correlation models map causal surrogate features ``[s, v]`` (backward-difference
velocity) to the tumour: ``linear`` (s), ``quadratic`` (s, s^2), ``dual_linear`` and
``dual_quadratic`` (separate fits for inhale v >= 0 and exhale v < 0, as Synchrony's
dual-curve models), ``velocity`` (s, v: a linear model with the phase term) and
``quadratic_velocity`` (s, s^2, v: the simulation's own family, an upper bound).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "CORRELATION_KINDS",
    "CorrelationModel",
    "InvalidCorrelationInput",
    "SurrogateBasis",
    "TumourMotionModel",
    "simulate_tumour",
    "xray_study",
]

CORRELATION_KINDS = (
    "linear",
    "quadratic",
    "dual_linear",
    "dual_quadratic",
    "velocity",
    "quadratic_velocity",
)


class InvalidCorrelationInput(ValueError):
    """Bad data or settings given to a correlation model; the message says which."""


@dataclass(frozen=True)
class SurrogateBasis:
    """How markers map to the surrogate: PCA direction, centre and scales (from a trace)."""

    mean_mm: np.ndarray
    direction: np.ndarray
    scale_mm: float
    velocity_scale_mm_per_s: float

    @classmethod
    def fit(cls, markers_mm: np.ndarray, sampling_hz: float) -> SurrogateBasis:
        arr = np.asarray(markers_mm, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] < 3:
            raise InvalidCorrelationInput(f"SurrogateBasis.fit: need (T>=3, d), got {arr.shape}")
        mean = arr.mean(axis=0)
        _, _, vt = np.linalg.svd(arr - mean, full_matrices=False)
        direction = vt[0] * np.sign(vt[0][np.argmax(np.abs(vt[0]))])
        s = (arr - mean) @ direction
        scale = float(max(s.std(), 1e-9))
        v = np.diff(s) * sampling_hz / scale
        return cls(mean, direction, scale, float(max(v.std(), 1e-9)))

    def features(self, markers_mm: np.ndarray, sampling_hz: float) -> np.ndarray:
        """Causal ``(T, 2)`` features: surrogate and its backward-difference velocity."""
        s = (np.asarray(markers_mm, dtype=np.float64) - self.mean_mm) @ self.direction
        s = s / self.scale_mm
        v = np.concatenate([[0.0], np.diff(s)]) * sampling_hz / self.velocity_scale_mm_per_s
        return np.stack([s, v], axis=1)


@dataclass(frozen=True)
class TumourMotionModel:
    """Per-axis (x LR, y AP, z SI) coefficients in mm of the simulated tumour."""

    gain_mm: tuple[float, float, float] = (1.0, 3.0, 8.0)
    quadratic_mm: tuple[float, float, float] = (0.0, 0.3, 1.0)
    hysteresis_mm: tuple[float, float, float] = (0.3, 0.8, 2.0)
    drift_mm: float = 0.3
    drift_time_s: float = 20.0
    xray_noise_mm: float = 0.5
    offset_mm: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0))


def simulate_tumour(
    markers_mm: np.ndarray,
    sampling_hz: float,
    seed: int,
    model: TumourMotionModel | None = None,
) -> np.ndarray:
    """True tumour positions ``(T, 3)`` in mm, a documented transform of the markers."""
    m = model or TumourMotionModel()
    basis = SurrogateBasis.fit(markers_mm, sampling_hz)
    s = (np.asarray(markers_mm, dtype=np.float64) - basis.mean_mm) @ basis.direction
    s = s / basis.scale_mm
    v = np.gradient(s) * sampling_hz
    v = v / max(float(v.std()), 1e-9)
    rng = np.random.default_rng(seed)
    rho = np.exp(-1.0 / (m.drift_time_s * sampling_hz))
    drift = np.zeros((s.size, 3))
    shocks = rng.normal(0.0, m.drift_mm * np.sqrt(1 - rho**2), size=(s.size, 3))
    for t in range(1, s.size):
        drift[t] = rho * drift[t - 1] + shocks[t]
    cols = [np.asarray(c, dtype=np.float64) for c in (m.gain_mm, m.quadratic_mm, m.hysteresis_mm)]
    return (
        np.asarray(m.offset_mm)
        + s[:, None] * cols[0]
        + (s[:, None] ** 2 - 1.0) * cols[1]
        + v[:, None] * cols[2]
        + drift
    )


def _design(features: np.ndarray, kind: str) -> np.ndarray:
    s, v = features[:, 0:1], features[:, 1:2]
    one = np.ones_like(s)
    if kind in ("linear", "dual_linear"):
        return np.hstack([one, s])
    if kind in ("quadratic", "dual_quadratic"):
        return np.hstack([one, s, s**2])
    if kind == "velocity":
        return np.hstack([one, s, v])
    return np.hstack([one, s, s**2, v])


class CorrelationModel:
    """Ridge fit of tumour position on surrogate features, from a few X-ray samples."""

    def __init__(self, kind: str = "linear", alpha: float = 1e-2) -> None:
        if kind not in CORRELATION_KINDS:
            raise InvalidCorrelationInput(f"kind {kind!r} not one of {CORRELATION_KINDS}")
        self.kind = kind
        self.alpha = alpha

    def _solve(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        reg = self.alpha * np.eye(X.shape[1])
        reg[0, 0] = 0.0  # do not shrink the offset
        return np.linalg.solve(X.T @ X + reg, X.T @ Y)

    def fit(self, features: np.ndarray, tumour_mm: np.ndarray) -> CorrelationModel:
        F = np.asarray(features, dtype=np.float64)
        Y = np.asarray(tumour_mm, dtype=np.float64)
        if F.ndim != 2 or F.shape[1] != 2 or Y.ndim != 2 or Y.shape[0] != F.shape[0]:
            raise InvalidCorrelationInput(
                f"CorrelationModel.fit: features {F.shape} and tumour {Y.shape} do not match"
            )
        if F.shape[0] < 2:
            raise InvalidCorrelationInput(
                f"CorrelationModel.fit: {F.shape[0]} X-ray sample(s), need 2"
            )
        X = _design(F, self.kind)
        self.coef_ = self._solve(X, Y)
        self.branch_coef_: dict[bool, np.ndarray] = {}
        if self.kind.startswith("dual"):
            for inhale in (True, False):
                mask = (F[:, 1] >= 0) == inhale
                # A branch with too few samples falls back on the pooled fit.
                if mask.sum() >= X.shape[1]:
                    self.branch_coef_[inhale] = self._solve(X[mask], Y[mask])
        return self

    def predict(self, features: np.ndarray) -> np.ndarray:
        F = np.asarray(features, dtype=np.float64)
        X = _design(F, self.kind)
        out = X @ self.coef_
        for inhale, coef in self.branch_coef_.items():
            mask = (F[:, 1] >= 0) == inhale
            out[mask] = X[mask] @ coef
        return out


def xray_study(
    traces: list[tuple[np.ndarray, float]],
    n_xrays: tuple[int, ...] = (3, 5, 8, 12, 20, 40),
    kinds: tuple[str, ...] = CORRELATION_KINDS,
    repeats: int = 5,
    seed: int = 0,
    model: TumourMotionModel | None = None,
    fit_fraction: float = 0.4,
) -> list[dict[str, float | int | str]]:
    """Tumour RMSE (3-D, mm) of each correlation model vs the number of X-ray samples.

    Per trace and repeat: simulate the tumour, take ``n`` X-rays at random times in the
    first ``fit_fraction`` of the trace (with localisation noise), fit, and measure the
    error against the true tumour on the rest. Returns one row per (kind, n).
    """
    m = model or TumourMotionModel()
    rng = np.random.default_rng(seed)
    errs: dict[tuple[str, int], list[float]] = {(k, n): [] for k in kinds for n in n_xrays}
    for trace_idx, (markers, hz) in enumerate(traces):
        T = markers.shape[0]
        cut = int(T * fit_fraction)
        for rep in range(repeats):
            truth = simulate_tumour(markers, hz, seed=seed * 1000 + trace_idx * 100 + rep, model=m)
            basis = SurrogateBasis.fit(markers[:cut], hz)
            feats = basis.features(markers, hz)
            for n in n_xrays:
                idx = np.sort(rng.choice(np.arange(1, cut), size=min(n, cut - 1), replace=False))
                seen = truth[idx] + rng.normal(0.0, m.xray_noise_mm, size=(idx.size, 3))
                for kind in kinds:
                    pred = CorrelationModel(kind).fit(feats[idx], seen).predict(feats[cut:])
                    err = np.sqrt(((pred - truth[cut:]) ** 2).sum(axis=1))
                    errs[(kind, n)].append(float(np.sqrt((err**2).mean())))
    return [
        {"kind": k, "n_xrays": n, "rmse_mm": float(np.mean(v)), "worst_rmse_mm": float(np.max(v))}
        for (k, n), v in errs.items()
    ]
