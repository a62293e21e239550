"""The activities a tutor chooses among, organised by their prerequisite graph.

ZPDES and the expert curriculum need the same thing: which activities exist, which must be
mastered before which, and an order that respects it. Activities are the skills of a
curriculum; each has a pool of exercises (questions) to draw from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yangcheng.education.data.simulator import StudentSimulator

__all__ = ["ActivityGraph", "GraphError"]


class GraphError(ValueError):
    """A prerequisite graph that cannot organise activities (wrong shape, a cycle, ...)."""


@dataclass(frozen=True)
class ActivityGraph:
    """``prerequisites[a, p]``: activity ``p`` must be mastered before ``a`` opens.

    ``exercises[a]`` are the question indices of activity ``a``; ``names`` its ids.
    """

    prerequisites: np.ndarray
    exercises: tuple[np.ndarray, ...]
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        p = self.prerequisites
        if p.ndim != 2 or p.shape[0] != p.shape[1] or p.shape[0] == 0:
            raise GraphError(f"prerequisites must be a non-empty square matrix, got {p.shape}")
        if len(self.exercises) != p.shape[0] or len(self.names) != p.shape[0]:
            raise GraphError(
                f"{p.shape[0]} activities but {len(self.exercises)} exercise pools and "
                f"{len(self.names)} names"
            )
        for a, pool in enumerate(self.exercises):
            if len(pool) == 0:
                raise GraphError(f"activity {self.names[a]!r} has no exercises")
        if np.diagonal(p).any():
            a = int(np.flatnonzero(np.diagonal(p))[0])
            raise GraphError(f"activity {self.names[a]!r} is its own prerequisite")
        self.order  # noqa: B018 - raises GraphError on a cycle

    @property
    def n_activities(self) -> int:
        return int(self.prerequisites.shape[0])

    @property
    def order(self) -> np.ndarray:
        """A topological order: by depth in the graph, then by index (the expert's order)."""
        p = self.prerequisites.astype(bool)
        n = p.shape[0]
        depth = np.full(n, -1, dtype=np.int64)
        remaining = p.sum(axis=1)
        frontier = np.flatnonzero(remaining == 0)
        level = 0
        placed = 0
        while frontier.size:
            depth[frontier] = level
            placed += frontier.size
            remaining = remaining - p[:, frontier].sum(axis=1)
            remaining[depth >= 0] = -1
            frontier = np.flatnonzero(remaining == 0)
            level += 1
        if placed < n:
            stuck = [self.names[i] for i in np.flatnonzero(depth < 0)[:5]]
            raise GraphError(f"the prerequisite graph has a cycle through {stuck}")
        return np.lexsort((np.arange(n), depth))

    @property
    def roots(self) -> np.ndarray:
        return np.flatnonzero(~self.prerequisites.any(axis=1))

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise GraphError(f"unknown activity {name!r}") from None

    @classmethod
    def from_simulator(cls, simulator: StudentSimulator) -> ActivityGraph:
        """One activity per skill; its exercises are the questions tagged with it."""
        k = simulator.n_skills
        width = max(3, len(str(k - 1)))
        pools = tuple(
            np.array([q for q, s in enumerate(simulator.question_skills) if a in s], dtype=np.int64)
            for a in range(k)
        )
        return cls(
            simulator.prerequisites.copy(), pools, tuple(f"k{a:0{width}d}" for a in range(k))
        )
