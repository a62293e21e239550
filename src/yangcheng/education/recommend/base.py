"""What every recommender promises: ``fit(interactions)``, then ``recommend(student, k)``.

Scikit-learn style: hyper-parameters in ``__init__``, ``fit`` returns the recommender, learned
attributes end in ``_``. Fitting indexes students and resources once (a students x resources
sparse matrix of summed weights), so one recommendation is a lookup and a top-k, not a scan of
the log. A student unknown at fit time is a cold start: nothing is excluded and each model
says what it falls back to.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from yangcheng.education.recommend.data import validate_interactions

__all__ = ["NotFittedError", "Recommender", "top_k"]


class NotFittedError(ValueError, AttributeError):
    """``recommend`` was called before ``fit``."""


def top_k(scores: ArrayLike, k: int, exclude: ArrayLike | None = None) -> np.ndarray:
    """Indices of the ``k`` highest ``scores`` (ties: lower index first), best first,
    skipping the indices in ``exclude``."""
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    scores = np.asarray(scores, dtype=np.float64)
    excluded = np.asarray(exclude if exclude is not None else [], dtype=np.int64)
    if excluded.size:
        scores = scores.copy()
        scores[excluded] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    if k < len(scores):
        part = np.argpartition(-scores, k - 1)[:k]
        # the k-th value may be tied with items outside the partition: take all ties, sort
        kth = scores[part].min()
        part = np.flatnonzero(scores >= kth)
    else:
        part = np.arange(len(scores))
    order = np.lexsort((part, -scores[part]))
    chosen = part[order][:k]
    return chosen[np.isfinite(scores[chosen])]


class Recommender(ABC):
    """Base: the shared index of students and resources, and the recommend API."""

    student_ids_: list[str]
    resource_ids_: np.ndarray
    user_items_: sp.csr_matrix
    """(students, resources) summed interaction weights of the training interactions."""

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The ``__init__`` arguments (scikit-learn's contract: they are stored as given)."""
        signature = inspect.signature(type(self).__init__)
        return {name: getattr(self, name) for name in signature.parameters if name != "self"}

    def set_params(self, **params: Any) -> Self:
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def _index(self, interactions: pd.DataFrame, resource_ids: np.ndarray | None = None) -> None:
        frame = validate_interactions(interactions)
        students = frame["student_id"].to_numpy(dtype=object)
        resources = frame["resource_id"].to_numpy(dtype=object)
        self.student_ids_ = sorted(set(students))
        if resource_ids is None:
            self.resource_ids_ = np.array(sorted(set(resources)), dtype=object)
        else:
            self.resource_ids_ = np.asarray(resource_ids, dtype=object)
        self._student_index = {s: i for i, s in enumerate(self.student_ids_)}
        self._resource_index = {r: i for i, r in enumerate(self.resource_ids_)}
        rows = np.array([self._student_index[s] for s in students], dtype=np.int64)
        cols = np.array([self._resource_index.get(r, -1) for r in resources], dtype=np.int64)
        known = cols >= 0
        self.user_items_ = sp.csr_matrix(
            (frame["weight"].to_numpy(np.float64)[known], (rows[known], cols[known])),
            shape=(len(self.student_ids_), len(self.resource_ids_)),
        )
        self.user_items_.sum_duplicates()
        self._frame = frame

    def _check_fitted(self) -> None:
        if not hasattr(self, "user_items_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted: call fit(interactions)")

    def _row(self, student: str) -> int:
        """The student's row, -1 for a cold start."""
        return self._student_index.get(student, -1)

    def seen(self, student: str) -> np.ndarray:
        """Resource indices the student used in the training interactions."""
        self._check_fitted()
        row = self._row(student)
        if row < 0:
            return np.zeros(0, dtype=np.int64)
        m = self.user_items_
        return np.asarray(m.indices[m.indptr[row] : m.indptr[row + 1]], dtype=np.int64)

    @abstractmethod
    def fit(self, interactions: pd.DataFrame) -> Self:
        """Learn from ``interactions`` (``validate_interactions``'s columns)."""

    @abstractmethod
    def scores(self, student: str) -> np.ndarray:
        """(n_resources,) float64, higher is better, in ``resource_ids_`` order."""

    def recommend(self, student: str, k: int = 20, exclude_seen: bool = True) -> list[str]:
        """The ``k`` best resource ids for ``student``, best first; with ``exclude_seen``
        none the student used in training."""
        self._check_fitted()
        exclude = self.seen(student) if exclude_seen else None
        return list(self.resource_ids_[top_k(self.scores(student), k, exclude)])
