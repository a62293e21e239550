"""A credit scorecard as banks build them: bins, weight of evidence, logistic regression, points.

Each feature is cut at its training quantiles (missing values get a bin of
their own; bins too thin to trust are merged into a neighbour), each bin
replaced by its weight of evidence ``WoE = ln(share of goods / share of bads)``,
and a logistic regression fitted on the WoE columns. The log-odds are then
scaled to points: ``base_points`` at good:bad odds of ``base_odds``, and
``pdo`` more points each time the odds double. Every bin of every feature
carries its points, so a score is a sum that a loan officer can read and a
decline can name its reasons: the features that lost most points against
their best bin.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

_FORMAT = 1


class LogisticScorecardModel:
    """Weight-of-evidence logistic scorecard, with points scaling (600 at 50:1, PDO 20)."""

    metadata_: dict[str, Any]  # what save() was given, after load()

    def __init__(
        self,
        *,
        n_bins: int = 10,
        min_bin_fraction: float = 0.02,
        C: float = 1.0,
        base_points: float = 600.0,
        base_odds: float = 50.0,
        pdo: float = 20.0,
    ) -> None:
        self.n_bins = n_bins
        self.min_bin_fraction = min_bin_fraction
        self.C = C
        self.base_points = base_points
        self.base_odds = base_odds
        self.pdo = pdo

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {
            "n_bins": self.n_bins,
            "min_bin_fraction": self.min_bin_fraction,
            "C": self.C,
            "base_points": self.base_points,
            "base_odds": self.base_odds,
            "pdo": self.pdo,
        }

    def set_params(self, **params: Any) -> LogisticScorecardModel:
        for name, value in params.items():
            if name not in self.get_params():
                raise ValueError(f"unknown parameter {name!r}")
            setattr(self, name, value)
        return self

    # --- fitting -------------------------------------------------------------------------

    def fit(
        self, X: np.ndarray, y: np.ndarray, feature_names: Sequence[str] | None = None
    ) -> LogisticScorecardModel:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y).astype(np.int64).reshape(-1)
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"X must be (n, d) with n = len(y); got {X.shape} and {len(y)}")
        if set(np.unique(y).tolist()) != {0, 1}:
            raise ValueError("y must hold both classes, 0 and 1")
        names = (
            list(feature_names)
            if feature_names is not None
            else [f"f{i}" for i in range(X.shape[1])]
        )
        if len(names) != X.shape[1]:
            raise ValueError(f"{len(names)} feature names for {X.shape[1]} columns")
        min_rows = max(1, math.ceil(self.min_bin_fraction * len(y)))
        self.bin_edges_ = [
            _quantile_edges(X[:, j], self.n_bins, min_rows) for j in range(X.shape[1])
        ]
        bins = self._bin(X)
        self.woe_ = [_woe(bins[:, j], y, len(edges) + 2) for j, edges in enumerate(self.bin_edges_)]
        W = self._woe_matrix(bins)
        # A higher WoE is a safer bin, so every coefficient should be negative; one that is
        # not only echoes a correlated feature, and its points would read backwards. Drop
        # such features (coefficient 0, constant points) and refit, as scorecard builders do.
        used = np.ones(W.shape[1], dtype=bool)
        while True:
            reg = LogisticRegression(C=self.C, max_iter=1000).fit(W[:, used], y)
            wrong = reg.coef_[0] >= 0
            if not wrong.any() or wrong.all():
                break
            used[np.flatnonzero(used)[wrong]] = False
        self.coef_ = np.zeros(W.shape[1])
        self.coef_[used] = reg.coef_[0]
        self.intercept_ = float(reg.intercept_[0])
        self.feature_names_ = names
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.array([0, 1])
        self.metadata_ = {}
        self._scale_points()
        return self

    def _scale_points(self) -> None:
        factor = self.pdo / math.log(2.0)
        offset = self.base_points - factor * math.log(self.base_odds)
        d = self.n_features_in_
        # points of bin b of feature j: offset/d - factor * (coef_j * woe_jb + intercept/d),
        # so that the total is offset + factor * ln(odds of good)
        self.factor_ = factor
        self.offset_ = offset
        self.points_ = [
            offset / d - factor * (self.coef_[j] * self.woe_[j] + self.intercept_ / d)
            for j in range(d)
        ]
        self._edge_lists = [edges.tolist() for edges in self.bin_edges_]
        self._point_lists = [points.tolist() for points in self.points_]

    # --- transforms ------------------------------------------------------------------------

    def _bin(self, X: np.ndarray) -> np.ndarray:
        """Bin index per cell: 0..len(edges) by value, len(edges) + 1 for missing."""
        out = np.empty(X.shape, dtype=np.int64)
        for j, edges in enumerate(self.bin_edges_):
            col = X[:, j]
            out[:, j] = np.where(
                np.isnan(col), len(edges) + 1, np.searchsorted(edges, col, "right")
            )
        return out

    def _woe_matrix(self, bins: np.ndarray) -> np.ndarray:
        return np.column_stack([self.woe_[j][bins[:, j]] for j in range(bins.shape[1])])

    def transform(self, X: np.ndarray) -> np.ndarray:
        """The weight-of-evidence matrix the regression sees."""
        return self._woe_matrix(self._bin(self._check_X(X)))

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Log-odds of the bad class."""
        return self.transform(X) @ self.coef_ + self.intercept_

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= threshold).astype(np.int64)

    def score(self, X: np.ndarray) -> np.ndarray:
        """Total points per row (higher is safer)."""
        bins = self._bin(self._check_X(X))
        return np.sum([self.points_[j][bins[:, j]] for j in range(bins.shape[1])], axis=0)

    def points(self, x: np.ndarray) -> tuple[float, dict[str, float]]:
        """Total points of one row, and the points each feature contributed."""
        row = self._check_X(np.asarray(x, dtype=np.float64).reshape(1, -1))[0].tolist()
        per = {}
        for name, value, edges, points in zip(
            self.feature_names_, row, self._edge_lists, self._point_lists, strict=True
        ):
            # the bins of _bin(), by bisection on plain lists: one row, no array overhead
            per[name] = points[len(edges) + 1 if value != value else bisect_right(edges, value)]
        return float(sum(per.values())), per

    def reason_codes(self, x: np.ndarray, top_k: int = 3) -> list[tuple[str, float]]:
        """The ``top_k`` features that lost most points against their best bin, with the loss."""
        _, per = self.points(x)
        lost = [
            (name, float(self.points_[j].max() - per[name]))
            for j, name in enumerate(self.feature_names_)
        ]
        lost.sort(key=lambda item: -item[1])
        return [(name, loss) for name, loss in lost[:top_k] if loss > 0]

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("LogisticScorecardModel is not fitted yet; call fit() or load()")

    def _check_X(self, X: np.ndarray) -> np.ndarray:
        self._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must be (n, {self.n_features_in_}), got shape {X.shape}")
        return X

    # --- persistence -----------------------------------------------------------------------

    def save(self, directory: str | Path, metadata: dict[str, Any] | None = None) -> Path:
        """Write the whole scorecard (bins, WoE, coefficients, points) as ``model.json``."""
        self._check_fitted()
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        document = {
            "kind": "LogisticScorecardModel",
            "format": _FORMAT,
            "params": self.get_params(),
            "intercept": self.intercept_,
            "features": [
                {
                    "name": name,
                    "bin_edges": self.bin_edges_[j].tolist(),
                    "woe": self.woe_[j].tolist(),
                    "coef": float(self.coef_[j]),
                    "points": self.points_[j].tolist(),
                }
                for j, name in enumerate(self.feature_names_)
            ],
            "metadata": metadata or {},
        }
        (out / "model.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        return out

    @classmethod
    def load(cls, directory: str | Path) -> LogisticScorecardModel:
        src = Path(directory) / "model.json"
        document = json.loads(src.read_text(encoding="utf-8"))
        if document.get("kind") != "LogisticScorecardModel" or document.get("format") != _FORMAT:
            raise ValueError(f"{src} is not a LogisticScorecardModel (format {_FORMAT})")
        model = cls(**document["params"])
        features = document["features"]
        model.feature_names_ = [f["name"] for f in features]
        model.n_features_in_ = len(features)
        model.bin_edges_ = [np.array(f["bin_edges"], dtype=np.float64) for f in features]
        model.woe_ = [np.array(f["woe"], dtype=np.float64) for f in features]
        model.coef_ = np.array([f["coef"] for f in features], dtype=np.float64)
        model.intercept_ = float(document["intercept"])
        model.classes_ = np.array([0, 1])
        model.metadata_ = dict(document.get("metadata", {}))
        model._scale_points()
        return model


def _quantile_edges(col: np.ndarray, n_bins: int, min_rows: int) -> np.ndarray:
    """Inner cut points at the quantiles of ``col``; bins with < ``min_rows`` rows merged."""
    present = col[~np.isnan(col)]
    if len(present) == 0:
        return np.zeros(0)
    edges = np.unique(np.quantile(present, np.linspace(0, 1, n_bins + 1)[1:-1], method="higher"))
    edges = edges[edges > present.min()]  # a cut at the minimum leaves the first bin empty
    while len(edges):
        counts = np.bincount(np.searchsorted(edges, present, "right"), minlength=len(edges) + 1)
        thin = int(np.argmin(counts))
        if counts[thin] >= min_rows:
            break
        # merge the thinnest bin with its smaller neighbour by dropping the edge between them
        if thin == 0:
            drop = 0
        elif thin == len(edges):
            drop = thin - 1
        else:
            drop = thin - 1 if counts[thin - 1] <= counts[thin + 1] else thin
        edges = np.delete(edges, drop)
    return edges


def _woe(bins: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """ln(share of goods / share of bads) per bin, with half a case added to each cell."""
    good = np.bincount(bins[y == 0], minlength=n).astype(np.float64)
    bad = np.bincount(bins[y == 1], minlength=n).astype(np.float64)
    woe = np.log(((good + 0.5) / (good.sum() + 0.5 * n)) / ((bad + 0.5) / (bad.sum() + 0.5 * n)))
    woe[(good + bad) == 0] = 0.0  # a bin never seen in training (often: missing) is neutral
    return woe
