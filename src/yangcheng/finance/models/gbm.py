"""Gradient-boosted risk model: a LightGBM booster with isotonic calibration.

The booster learns on most of the training rows; an isotonic map from its raw
score to a probability is fitted on the rest (a stratified hold-out the booster
never saw), so that ``predict_proba`` means "share of such cases that are bad".
The isotonic steps' ties are broken by a 1e-6 share of the sigmoid of the raw
score, so probabilities rank rows exactly as the booster does.

One row at a time (:meth:`GBMRiskModel.score_row`) goes through LightGBM's
single-row C entry point and ``np.interp`` on the isotonic thresholds, giving
exactly the numbers ``predict_proba`` gives for the same row. Reason codes are
LightGBM's exact TreeSHAP contributions (``pred_contrib=True``). A model is
saved as the booster's text format plus JSON; never as a pickle.
"""

from __future__ import annotations

import ctypes
import functools
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression

_FORMAT = 1
_TIE_BREAK = 1e-6


class GBMRiskModel:
    """Binary risk model; hyper-parameters are LightGBM's, by their LightGBM names."""

    metadata_: dict[str, Any]  # what save() was given, after load()

    def __init__(
        self,
        *,
        num_iterations: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_data_in_leaf: int = 20,
        feature_fraction: float = 0.9,
        bagging_fraction: float = 0.8,
        bagging_freq: int = 1,
        lambda_l2: float = 1.0,
        calibration_fraction: float = 0.2,
        seed: int = 0,
        num_threads: int = 1,
        **params: Any,
    ) -> None:
        self.num_iterations = num_iterations
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_data_in_leaf = min_data_in_leaf
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.bagging_freq = bagging_freq
        self.lambda_l2 = lambda_l2
        self.calibration_fraction = calibration_fraction
        self.seed = seed
        self.num_threads = num_threads
        self.params = dict(params)
        self._row: _RowPredictor | None = None

    # --- scikit-learn estimator protocol -------------------------------------------------

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        named = {
            name: getattr(self, name)
            for name in (
                "num_iterations",
                "learning_rate",
                "num_leaves",
                "max_depth",
                "min_data_in_leaf",
                "feature_fraction",
                "bagging_fraction",
                "bagging_freq",
                "lambda_l2",
                "calibration_fraction",
                "seed",
                "num_threads",
            )
        }
        return {**named, **self.params}

    def set_params(self, **params: Any) -> GBMRiskModel:
        for name, value in params.items():
            if hasattr(self, name) and name != "params":
                setattr(self, name, value)
            else:
                self.params[name] = value
        return self

    def fit(
        self, X: np.ndarray, y: np.ndarray, feature_names: Sequence[str] | None = None
    ) -> GBMRiskModel:
        X = _as_matrix(X)
        y = np.asarray(y).astype(np.int64).reshape(-1)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("y must hold both classes, 0 and 1")
        names = list(feature_names) if feature_names is not None else _default_names(X.shape[1])
        if len(names) != X.shape[1]:
            raise ValueError(f"{len(names)} feature names for {X.shape[1]} columns")
        if not 0.0 < self.calibration_fraction < 1.0:
            raise ValueError("calibration_fraction must be in (0, 1)")
        calib = _stratified_holdout(y, self.calibration_fraction, self.seed)
        train = np.ones(len(y), dtype=bool)
        train[calib] = False

        data = lgb.Dataset(X[train], y[train], feature_name=names, free_raw_data=True)
        self.booster_ = lgb.train(self._lgb_params(), data, num_boost_round=self.num_iterations)
        raw = self.booster_.predict(X[calib], raw_score=True)
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y[calib])
        self.calibration_raw_ = np.asarray(iso.X_thresholds_, dtype=np.float64)
        self.calibration_proba_ = np.asarray(iso.y_thresholds_, dtype=np.float64)
        self.feature_names_ = names
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.array([0, 1])
        self.n_train_ = int(train.sum())
        self.n_calibration_ = len(calib)
        self.metadata_ = {}
        self._row = None
        return self

    def _lgb_params(self) -> dict[str, Any]:
        params = self.get_params()
        params.pop("num_iterations")
        params.pop("calibration_fraction")
        return {
            "objective": "binary",
            "verbosity": -1,
            "deterministic": True,
            "force_row_wise": True,
            **params,
        }

    # --- scoring ---------------------------------------------------------------------------

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The booster's raw score (log-odds before calibration), one per row."""
        self._check_fitted()
        return np.asarray(self.booster_.predict(self._check_X(X), raw_score=True))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, shape (n, 2): column 1 is the probability of the bad class."""
        p = self._calibrate(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= threshold).astype(np.int64)

    def score_row(self, x: np.ndarray) -> float:
        """Calibrated probability of one feature row; the same number ``predict_proba`` gives."""
        return float(self._calibrate(self._row_predictor().raw_score(x)))

    def _row_predictor(self) -> _RowPredictor:
        if self._row is None:
            self._check_fitted()
            self._row = _RowPredictor(self.booster_, self.n_features_in_)
        return self._row

    def _calibrate(self, raw: Any) -> Any:
        """Isotonic step map of the raw score, its ties broken by a 1e-6 share of the sigmoid.

        The steps alone would give whole score ranges one probability, and an alert
        queue or a 1 %-FPR cut could not rank inside them; the tie-break keeps the
        booster's order and moves no probability by more than 1e-6.
        """
        step = np.interp(raw, self.calibration_raw_, self.calibration_proba_)
        return (1.0 - _TIE_BREAK) * step + _TIE_BREAK * expit(raw)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """TreeSHAP contributions, shape (n, n_features + 1); the last column is the base value.

        Each row sums to the raw score (:meth:`decision_function`).
        """
        self._check_fitted()
        return np.asarray(self.booster_.predict(self._check_X(X), pred_contrib=True))

    def reason_codes(self, x: np.ndarray, top_k: int = 3) -> list[tuple[str, float]]:
        """The ``top_k`` features that pushed this row's score up most, with their log-odds."""
        contrib = self._row_predictor().contributions(x)[:-1]
        order = np.argsort(-contrib, kind="stable")[:top_k]
        return [(self.feature_names_[i], float(contrib[i])) for i in order if contrib[i] > 0]

    @property
    def feature_importances_(self) -> np.ndarray:
        """Total gain of the splits on each feature."""
        self._check_fitted()
        return np.asarray(self.booster_.feature_importance(importance_type="gain"))

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise RuntimeError("GBMRiskModel is not fitted yet; call fit() or load()")

    def _check_X(self, X: np.ndarray) -> np.ndarray:
        X = _as_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the model {self.n_features_in_}")
        return X

    # --- persistence -----------------------------------------------------------------------

    def save(self, directory: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """Write ``booster.txt`` (LightGBM text model) and ``model.json`` into ``directory``."""
        self._check_fitted()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / "booster.txt").write_text(self.booster_.model_to_string(), encoding="utf-8")
        document = {
            "kind": "GBMRiskModel",
            "format": _FORMAT,
            "params": self.get_params(),
            "feature_names": self.feature_names_,
            "calibration": {
                "raw_score": self.calibration_raw_.tolist(),
                "probability": self.calibration_proba_.tolist(),
            },
            "n_train": self.n_train_,
            "n_calibration": self.n_calibration_,
            "lightgbm_version": lgb.__version__,
            "metadata": metadata or {},
        }
        (out / "model.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> GBMRiskModel:
        src = Path(directory)
        document = json.loads((src / "model.json").read_text(encoding="utf-8"))
        if document.get("kind") != "GBMRiskModel" or document.get("format") != _FORMAT:
            raise ValueError(f"{src / 'model.json'} is not a GBMRiskModel (format {_FORMAT})")
        model = cls(**document["params"])
        model.booster_ = lgb.Booster(model_str=(src / "booster.txt").read_text(encoding="utf-8"))
        model.feature_names_ = list(document["feature_names"])
        model.n_features_in_ = len(model.feature_names_)
        model.classes_ = np.array([0, 1])
        model.calibration_raw_ = np.array(document["calibration"]["raw_score"], dtype=np.float64)
        model.calibration_proba_ = np.array(
            document["calibration"]["probability"], dtype=np.float64
        )
        model.n_train_ = int(document["n_train"])
        model.n_calibration_ = int(document["n_calibration"])
        model.metadata_ = dict(document.get("metadata", {}))
        return model

    def __getstate__(self) -> dict[str, Any]:
        # the single-row C handle is rebuilt on first use after copy.deepcopy or a process hop
        return {**self.__dict__, "_row": None}


_PREDICT_RAW_SCORE, _PREDICT_CONTRIB = 1, 3  # LightGBM C API predict types


class _FastRow:
    """One LightGBM single-row fast-path config (``...SingleRowFastInit``) and its buffers."""

    def __init__(self, booster: lgb.Booster, n_features: int, predict_type: int) -> None:
        from lightgbm.basic import _LIB, _c_str, _safe_call

        self.buffer = np.zeros(n_features, dtype=np.float64)
        width = n_features + 1 if predict_type == _PREDICT_CONTRIB else 1
        self.out = np.zeros(width, dtype=np.float64)
        self.out_len = ctypes.c_int64()
        self.handle = ctypes.c_void_p()
        _safe_call(
            _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
                booster._handle,
                ctypes.c_int(predict_type),
                ctypes.c_int(0),  # from the first iteration
                ctypes.c_int(-1),  # to the last
                ctypes.c_int(1),  # C_API_DTYPE_FLOAT64
                ctypes.c_int32(n_features),
                _c_str("num_threads=1"),
                ctypes.byref(self.handle),
            )
        )
        self.booster = booster  # the config points into it
        self.free = _LIB.LGBM_FastConfigFree
        self.call = functools.partial(
            _LIB.LGBM_BoosterPredictForMatSingleRowFast,
            self.handle,
            self.buffer.ctypes.data_as(ctypes.c_void_p),
            ctypes.byref(self.out_len),
            self.out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        )
        self.error = _LIB.LGBM_GetLastError

    def run(self, row: np.ndarray) -> np.ndarray:
        """Predict into ``self.out``; the caller holds the lock and copies the result."""
        self.buffer[:] = row
        if self.call() != 0:
            raise lgb.basic.LightGBMError(self.error().decode())
        return self.out

    def __del__(self) -> None:
        # The library, and module globals such as contextlib, may already be gone
        # when the interpreter shuts down: a bare try is the only safe form here.
        try:  # noqa: SIM105
            self.free(self.handle)
        except Exception:
            pass


class _RowPredictor:
    """Raw score and contributions of one row through LightGBM's single-row fast path.

    Falls back to ``Booster.predict`` on a (1, n) array where the C entry point is
    not reachable. Both run the same trees, so the numbers are identical.
    """

    def __init__(self, booster: lgb.Booster, n_features: int) -> None:
        self.booster = booster
        self.n_features = n_features
        self.lock = threading.Lock()
        self.raw: _FastRow | None = None
        self.contrib: _FastRow | None = None
        try:
            self.raw = _FastRow(booster, n_features, _PREDICT_RAW_SCORE)
            self.contrib = _FastRow(booster, n_features, _PREDICT_CONTRIB)
        except (ImportError, AttributeError, OSError, lgb.basic.LightGBMError):
            self.raw = self.contrib = None

    def _row(self, x: np.ndarray) -> np.ndarray:
        row = np.asarray(x, dtype=np.float64).reshape(-1)
        if row.shape[0] != self.n_features:
            raise ValueError(f"row has {row.shape[0]} features, the model {self.n_features}")
        return row

    def raw_score(self, x: np.ndarray) -> float:
        row = self._row(x)
        if self.raw is None:
            return float(self.booster.predict(row.reshape(1, -1), raw_score=True)[0])
        with self.lock:
            return float(self.raw.run(row)[0])

    def contributions(self, x: np.ndarray) -> np.ndarray:
        row = self._row(x)
        if self.contrib is None:
            return np.asarray(self.booster.predict(row.reshape(1, -1), pred_contrib=True))[0]
        with self.lock:
            return self.contrib.run(row).copy()


def _as_matrix(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (rows, features), got shape {X.shape}")
    return X


def _default_names(n: int) -> list[str]:
    return [f"f{i}" for i in range(n)]


def _stratified_holdout(y: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Indices of a ``fraction`` of each class, drawn with ``seed``, sorted."""
    rng = np.random.default_rng(seed)
    picked = []
    for label in (0, 1):
        rows = np.flatnonzero(y == label)
        k = min(len(rows) - 1, max(1, round(fraction * len(rows))))
        picked.append(rng.choice(rows, k, replace=False))
    return np.sort(np.concatenate(picked))
