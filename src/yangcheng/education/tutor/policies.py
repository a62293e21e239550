"""The policies ZPDES is measured against, with its vectorised interface.

A policy runs many students at once: ``start(n_students, rng)``, then repeatedly
``choose() -> activity per student`` and ``observe(activities, correct)``.

* ``RandomPolicy``: any activity, uniformly; the floor.
* ``ExpertCurriculum``: the order a teacher who knows the prerequisite graph would follow
  (topological, shallow first), moving on after ``streak`` right in a row (or ``max_tries``);
  then review at random. A strong baseline: it is told the graph's order.
* ``BKTMastery``: mastery learning with a BKT model: the first activity in topological order
  whose BKT P(known) is below ``threshold`` and whose prerequisites are above it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from yangcheng.education.tutor.activities import ActivityGraph

__all__ = ["BKTMastery", "ExpertCurriculum", "Policy", "RandomPolicy"]


class Policy(Protocol):
    name: str

    def start(self, n_students: int, rng: np.random.Generator) -> None: ...

    def choose(self) -> np.ndarray: ...

    def observe(self, activities: np.ndarray, correct: np.ndarray) -> None: ...


class RandomPolicy:
    name = "random"

    def __init__(self, graph: ActivityGraph) -> None:
        self.graph = graph

    def start(self, n_students: int, rng: np.random.Generator) -> None:
        self.n, self.rng = n_students, rng

    def choose(self) -> np.ndarray:
        return self.rng.integers(0, self.graph.n_activities, self.n)

    def observe(self, activities: np.ndarray, correct: np.ndarray) -> None:
        pass


class ExpertCurriculum:
    name = "expert"

    def __init__(self, graph: ActivityGraph, streak: int = 3, max_tries: int = 15) -> None:
        self.graph = graph
        self.streak = streak
        self.max_tries = max_tries
        self.sequence = graph.order

    def start(self, n_students: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.position = np.zeros(n_students, dtype=np.int64)
        self.run = np.zeros(n_students, dtype=np.int64)
        self.tries = np.zeros(n_students, dtype=np.int64)

    def choose(self) -> np.ndarray:
        a = self.graph.n_activities
        done = self.position >= a
        review = self.rng.integers(0, a, self.position.size)
        return np.where(done, review, self.sequence[np.minimum(self.position, a - 1)])

    def observe(self, activities: np.ndarray, correct: np.ndarray) -> None:
        current = self.position < self.graph.n_activities
        self.run = np.where(current & (correct == 1), self.run + 1, 0)
        self.tries += current
        advance = current & ((self.run >= self.streak) | (self.tries >= self.max_tries))
        self.position += advance
        self.run[advance] = 0
        self.tries[advance] = 0


class BKTMastery:
    """Mastery learning on BKT parameters per activity (prior, learn, guess, slip)."""

    name = "bkt-mastery"

    def __init__(
        self,
        graph: ActivityGraph,
        prior: np.ndarray,
        learn: np.ndarray,
        guess: np.ndarray,
        slip: np.ndarray,
        threshold: float = 0.95,
    ) -> None:
        self.graph = graph
        self.prior, self.learn, self.guess, self.slip = prior, learn, guess, slip
        self.threshold = threshold

    def start(self, n_students: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.known = np.tile(self.prior, (n_students, 1))

    def choose(self) -> np.ndarray:
        mastered = self.known >= self.threshold
        prereq = self.graph.prerequisites.astype(np.int64)
        ready = ((~mastered).astype(np.int64) @ prereq.T == 0) & ~mastered
        order = self.graph.order
        ranked = ready[:, order]
        first = ranked.argmax(axis=1)
        review = self.rng.integers(0, self.graph.n_activities, ranked.shape[0])
        return np.where(ranked.any(axis=1), order[first], review)

    def observe(self, activities: np.ndarray, correct: np.ndarray) -> None:
        rows = np.arange(activities.size)
        k = self.known[rows, activities]
        g, s, t = self.guess[activities], self.slip[activities], self.learn[activities]
        right = k * (1 - s) / (k * (1 - s) + (1 - k) * g)
        wrong = k * s / (k * s + (1 - k) * (1 - g))
        posterior = np.where(correct == 1, right, wrong)
        self.known[rows, activities] = posterior + (1 - posterior) * t
