"""ZPDES: a multi-armed bandit over the zone of proximal development.

After Clément, Roy, Oudeyer & Lopes (2015), "Multi-armed bandits for intelligent tutoring
systems" (Journal of Educational Data Mining 7(2)). Activities are organised by their
prerequisite graph. The ZPD starts with the activities that have no prerequisites; an
activity is *mastered* when the student gets ``mastery_threshold`` of its last
``mastery_window`` attempts right, and then leaves the ZPD, and every activity whose
prerequisites are now all mastered enters it. Within the ZPD the tutor samples activities in
proportion to their recent *learning progress*,

    r = mean(success over the last d/2 attempts) - mean(success over the d/2 before),

kept as a weight ``w <- beta * w + eta * r`` for the activity just practised; a new
activity enters with an optimistic weight ``w_init`` so it is tried. A share ``gamma`` of
the choice is uniform over the ZPD (exploration). Once everything is mastered the ZPD is all
activities (review).

The class runs many students at once (the state is (students, activities) arrays), which is
what the simulated evaluation needs; ``serve.next_exercise`` runs it for one student.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yangcheng.education.tutor.activities import ActivityGraph

__all__ = ["ZPDES", "ZPDESState"]

_MIN_WEIGHT = 1e-3


@dataclass
class ZPDESState:
    """Per student (rows) and activity (columns)."""

    outcomes: np.ndarray
    """(n, A, d) last ``d`` outcomes, oldest first (only the last ``counts`` are real)."""
    counts: np.ndarray
    """(n, A) attempts so far."""
    weights: np.ndarray
    """(n, A) bandit weights (smoothed learning progress)."""
    mastered: np.ndarray
    """(n, A) bool."""
    zpd: np.ndarray
    """(n, A) bool: the activities the tutor may choose now."""
    progress: np.ndarray
    """(n, A) last learning progress measured."""


class ZPDES:
    """The ZPDES policy; ``start`` then, in turn, ``choose`` and ``observe``."""

    name = "ZPDES"

    def __init__(
        self,
        graph: ActivityGraph,
        window: int = 6,
        mastery_window: int = 4,
        mastery_threshold: float = 0.75,
        beta: float = 0.7,
        eta: float = 0.3,
        gamma: float = 0.2,
        w_init: float = 0.5,
    ) -> None:
        if window < 2 or window % 2:
            raise ValueError(f"window must be an even number >= 2, got {window}")
        if not 1 <= mastery_window <= window:
            raise ValueError(
                f"mastery_window must be in [1, window={window}], got {mastery_window}"
            )
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        self.graph = graph
        self.window = window
        self.mastery_window = mastery_window
        self.mastery_threshold = mastery_threshold
        self.beta = beta
        self.eta = eta
        self.gamma = gamma
        self.w_init = w_init

    def start(self, n_students: int, rng: np.random.Generator) -> None:
        a = self.graph.n_activities
        self.rng = rng
        mastered = np.zeros((n_students, a), dtype=bool)
        self.state = ZPDESState(
            outcomes=np.zeros((n_students, a, self.window)),
            counts=np.zeros((n_students, a), dtype=np.int64),
            weights=np.full((n_students, a), self.w_init),
            mastered=mastered,
            zpd=self._zpd(mastered),
            progress=np.zeros((n_students, a)),
        )

    def _zpd(self, mastered: np.ndarray) -> np.ndarray:
        prereq = self.graph.prerequisites.astype(np.int64)
        missing = (~mastered).astype(np.int64) @ prereq.T  # unmastered prerequisites
        zpd = (missing == 0) & ~mastered
        done = ~zpd.any(axis=1)
        zpd[done] = True  # everything mastered: review all
        return zpd

    def probabilities(self) -> np.ndarray:
        """(n, A) the chance of choosing each activity now (zero outside the ZPD)."""
        s = self.state
        w = np.where(s.zpd, np.maximum(s.weights, _MIN_WEIGHT), 0.0)
        size = s.zpd.sum(axis=1, keepdims=True)
        p: np.ndarray = (1.0 - self.gamma) * w / w.sum(
            axis=1, keepdims=True
        ) + self.gamma * s.zpd / size
        return p

    def choose(self) -> np.ndarray:
        p = self.probabilities()
        cum = np.cumsum(p, axis=1)
        u = self.rng.random((p.shape[0], 1)) * cum[:, -1:]
        choice = (cum <= u).sum(axis=1)
        return np.minimum(choice, p.shape[1] - 1)

    def observe(self, activities: np.ndarray, correct: np.ndarray) -> None:
        s = self.state
        rows = np.arange(activities.size)
        buf = s.outcomes[rows, activities]
        buf = np.concatenate([buf[:, 1:], np.asarray(correct, dtype=np.float64)[:, None]], axis=1)
        s.outcomes[rows, activities] = buf
        s.counts[rows, activities] += 1
        n = np.minimum(s.counts[rows, activities], self.window)
        half = n // 2
        d = self.window
        idx = np.arange(d)[None, :]
        recent = idx >= d - half[:, None]
        older = (idx >= d - 2 * half[:, None]) & ~recent
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (buf * recent).sum(axis=1) / half - (buf * older).sum(axis=1) / half
        measured = half >= 1
        r = np.where(measured, r, 0.0)
        s.progress[rows, activities] = r
        w = s.weights[rows, activities]
        s.weights[rows, activities] = np.where(measured, self.beta * w + self.eta * r, w)
        m = self.mastery_window
        rate = buf[:, d - m :].mean(axis=1)
        newly = (s.counts[rows, activities] >= m) & (rate >= self.mastery_threshold)
        if newly.any():
            s.mastered[rows[newly], activities[newly]] = True
            before = s.zpd[rows[newly]]
            after = self._zpd(s.mastered[rows[newly]])
            entering = after & ~before
            s.weights[rows[newly]] = np.where(entering, self.w_init, s.weights[rows[newly]])
            s.zpd[rows[newly]] = after
