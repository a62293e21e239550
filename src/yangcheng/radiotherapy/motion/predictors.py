"""Online breathing-motion predictors with one streaming interface.

A predictor is built for one horizon (``horizon_steps`` samples ahead). ``fit(train)`` learns
from a ``(T, d)`` past; then ``update(x)`` is called once per new sample and returns the
predicted position ``horizon_steps`` later. Online learners adapt inside ``update`` but
only from pairs whose target has already been observed (the target of the features seen
at ``t - h`` arrives at ``t``), so nothing peeks into the future.

All linear models predict the *displacement* ``x[t+h] - x[t]`` from a delay embedding of
recent displacements ``x[t] - x[t-k]``: this removes the slow baseline drift that makes
absolute positions non-stationary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque

import numpy as np

__all__ = [
    "InvalidPredictorInput",
    "LinearAR",
    "NoPrediction",
    "NormalisedLMS",
    "Predictor",
    "RecursiveLeastSquares",
    "predict_stream",
]


class InvalidPredictorInput(ValueError):
    """A predictor got data or hyper-parameters it cannot use; the message says which."""


def _check_series(series: np.ndarray, where: str, min_len: int = 1) -> np.ndarray:
    arr = np.asarray(series, dtype=np.float64)
    if arr.ndim != 2:
        raise InvalidPredictorInput(f"{where}: expected (T, d) array, got shape {arr.shape}")
    if arr.shape[0] < min_len:
        raise InvalidPredictorInput(f"{where}: need at least {min_len} samples, got {arr.shape[0]}")
    if not np.isfinite(arr).all():
        raise InvalidPredictorInput(f"{where}: non-finite values")
    return arr


class Predictor(ABC):
    """Streaming predictor of the position ``horizon_steps`` samples ahead."""

    def __init__(self, horizon_steps: int) -> None:
        if horizon_steps < 1:
            raise InvalidPredictorInput(f"horizon_steps must be >= 1, got {horizon_steps}")
        self.horizon_steps = horizon_steps

    @abstractmethod
    def fit(self, train: np.ndarray) -> Predictor:
        """Learn from a past ``(T, d)`` trace and reset the streaming state."""

    @abstractmethod
    def update(self, x: np.ndarray) -> np.ndarray:
        """Observe the sample at time t; return the predicted sample at t + horizon."""


def predict_stream(predictor: Predictor, series: np.ndarray) -> np.ndarray:
    """Predictions ``(T, d)``: row t is the prediction of ``series[t + h]`` made at t."""
    arr = _check_series(series, "predict_stream")
    out = np.empty_like(arr)
    for t in range(arr.shape[0]):
        out[t] = predictor.update(arr[t])
    return out


class NoPrediction(Predictor):
    """The robot follows the last seen position (the latency is left uncompensated)."""

    def fit(self, train: np.ndarray) -> NoPrediction:
        _check_series(train, "NoPrediction.fit")
        return self

    def update(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64).copy()


class _Embedded(Predictor):
    """Shared delay embedding: features ``[x_t - x_{t-1}, ..., x_t - x_{t-L}]`` (scaled), 1.

    With ``differenced=False`` the absolute level ``x_t`` (centred on the training mean) is
    added, which makes the model the classic autoregression on absolute positions (as in
    Pohl et al. 2022) and sensitive to baseline drift.
    """

    def __init__(self, horizon_steps: int, window: int, differenced: bool = True) -> None:
        super().__init__(horizon_steps)
        if window < 1:
            raise InvalidPredictorInput(f"window must be >= 1, got {window}")
        self.window = window
        self.differenced = differenced
        self.mean_mm_: np.ndarray = np.zeros(0)
        self._buf: deque[np.ndarray] = deque(maxlen=window + 1)
        self._pending: deque[np.ndarray] = deque(maxlen=horizon_steps)
        self.scale_mm_: float = 1.0

    def _set_scale(self, train: np.ndarray) -> None:
        step = np.diff(train, axis=0)
        self.scale_mm_ = float(max(np.sqrt((step**2).mean()) * self.horizon_steps, 1e-6))
        self.mean_mm_ = train.mean(axis=0)

    def _features(self) -> np.ndarray | None:
        if len(self._buf) < self.window + 1:
            return None
        now = self._buf[-1]
        lags = [now - self._buf[-1 - k] for k in range(1, self.window + 1)]
        if not self.differenced:
            lags.append(now - self.mean_mm_)
        return np.concatenate([np.concatenate(lags) / self.scale_mm_, [1.0]])

    def _design(self, series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All (features, scaled displacement target) pairs available in a trace."""
        h, L = self.horizon_steps, self.window
        T = series.shape[0]
        ts = np.arange(L, T - h)
        feats = [series[ts] - series[ts - k] for k in range(1, L + 1)]
        if not self.differenced:
            feats.append(series[ts] - self.mean_mm_)
        X = np.concatenate([*feats, np.full((ts.size, 1), self.scale_mm_)], axis=1)
        X /= self.scale_mm_
        Y = (series[ts + h] - series[ts]) / self.scale_mm_
        return X, Y

    def _reset_stream(self) -> None:
        self._buf.clear()
        self._pending.clear()

    def _warm(self, arr: np.ndarray) -> None:
        """Fill the buffers with the end of the training trace, without learning from it."""
        self._reset_stream()
        for x in arr[-(self.window + self.horizon_steps) :]:
            self._buf.append(x)
            f = self._features()
            if f is not None:
                self._pending.append((f, x))  # type: ignore[arg-type]


class LinearAR(_Embedded):
    """Ridge regression on the delay embedding, fitted on the training part.

    With ``refit_every`` set, it is refitted on the last ``refit_window`` samples seen every
    ``refit_every`` steps (slow-drift adaptation at batch cost).
    """

    def __init__(
        self,
        horizon_steps: int,
        window: int = 8,
        alpha: float = 1e-3,
        refit_every: int | None = None,
        refit_window: int = 600,
        differenced: bool = True,
    ) -> None:
        super().__init__(horizon_steps, window, differenced)
        self.alpha = alpha
        self.refit_every = refit_every
        self.refit_window = refit_window

    def fit(self, train: np.ndarray) -> LinearAR:
        arr = _check_series(train, "LinearAR.fit", self.window + self.horizon_steps + 2)
        self._set_scale(arr)
        self._solve(arr)
        self._warm(arr)
        self._seen: list[np.ndarray] = list(arr[-self.refit_window :])
        self._since_refit = 0
        return self

    def _solve(self, arr: np.ndarray) -> None:
        X, Y = self._design(arr)
        A = X.T @ X + self.alpha * X.shape[0] * np.eye(X.shape[1])
        self.coef_ = np.linalg.solve(A, X.T @ Y)

    def update(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        self._buf.append(x)
        if self.refit_every is not None:
            self._seen.append(x)
            if len(self._seen) > self.refit_window:
                del self._seen[0]
            self._since_refit += 1
            if self._since_refit >= self.refit_every:
                self._since_refit = 0
                self._solve(np.asarray(self._seen))
        f = self._features()
        if f is None:
            return x.copy()
        return x + (f @ self.coef_) * self.scale_mm_


class NormalisedLMS(_Embedded):
    """Normalised least-mean-squares filter, learning online from the first sample on."""

    def __init__(
        self, horizon_steps: int, window: int = 8, step: float = 0.05, differenced: bool = True
    ) -> None:
        super().__init__(horizon_steps, window, differenced)
        if not 0 < step < 2:
            raise InvalidPredictorInput(f"NLMS step must be in (0, 2), got {step}")
        self.step = step

    def fit(self, train: np.ndarray) -> NormalisedLMS:
        arr = _check_series(train, "NormalisedLMS.fit", 2)
        self._set_scale(arr)
        d = arr.shape[1]
        n_blocks = self.window + (0 if self.differenced else 1)
        self.coef_ = np.zeros((n_blocks * d + 1, d))
        self._reset_stream()
        for x in arr:  # one online pass over the training part
            self.update(x)
        return self

    def update(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        self._buf.append(x)
        f = self._features()
        if len(self._pending) == self.horizon_steps:
            f_old, x_old = self._pending[0]
            err = (x - x_old) / self.scale_mm_ - f_old @ self.coef_
            self.coef_ += self.step * np.outer(f_old, err) / (1e-6 + f_old @ f_old)
        if f is None:
            return x.copy()
        self._pending.append((f, x))  # type: ignore[arg-type]
        return x + (f @ self.coef_) * self.scale_mm_


class RecursiveLeastSquares(_Embedded):
    """Exponentially-weighted recursive least squares on the delay embedding.

    Why it beats the two baselines: like LinearAR it solves the least-squares problem
    exactly (not by gradient steps like NLMS), and like NLMS it keeps adapting, with a
    forgetting factor that tracks changes of breathing amplitude, period and baseline.
    It starts from the ridge solution of the training part.
    """

    def __init__(
        self,
        horizon_steps: int,
        window: int = 12,
        forgetting: float = 0.998,
        alpha: float = 1e-2,
    ) -> None:
        super().__init__(horizon_steps, window)
        if not 0.9 < forgetting <= 1.0:
            raise InvalidPredictorInput(f"forgetting must be in (0.9, 1], got {forgetting}")
        self.forgetting = forgetting
        self.alpha = alpha

    def fit(self, train: np.ndarray) -> RecursiveLeastSquares:
        arr = _check_series(
            train, "RecursiveLeastSquares.fit", self.window + self.horizon_steps + 2
        )
        self._set_scale(arr)
        X, Y = self._design(arr)
        # Weight the training pairs as the online filter would have, then start from there.
        w = self.forgetting ** np.arange(X.shape[0])[::-1]
        A = (X * w[:, None]).T @ X + self.alpha * np.eye(X.shape[1])
        self.P_ = np.linalg.inv(A)
        self.coef_ = self.P_ @ ((X * w[:, None]).T @ Y)
        self._warm(arr)
        return self

    def update(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        self._buf.append(x)
        if len(self._pending) == self.horizon_steps:
            f_old, x_old = self._pending[0]
            lam = self.forgetting
            Pf = self.P_ @ f_old
            gain = Pf / (lam + f_old @ Pf)
            err = (x - x_old) / self.scale_mm_ - f_old @ self.coef_
            self.coef_ += np.outer(gain, err)
            self.P_ = (self.P_ - np.outer(gain, Pf)) / lam
        f = self._features()
        if f is None:
            return x.copy()
        self._pending.append((f, x))  # type: ignore[arg-type]
        return x + (f @ self.coef_) * self.scale_mm_
