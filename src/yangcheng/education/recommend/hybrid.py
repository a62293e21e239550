"""Frontier first, then what a base recommender (popularity, ALS) would rank.

The knowledge-aware recommender decides *which skills* to push (the frontier, then review,
blocked last); the base recommender knows *which resources* students go on to use, e.g. the
popular video of a skill rather than one of its hundred near-identical exercises. ``Hybrid``
keeps the knowledge tiers, so it inherits the guarantee that a blocked skill is never pushed
while another is left, and orders resources within a tier by a blend of the base's rank and
the knowledge score: ``(1 - knowledge_weight) * base_rank + knowledge_weight * knowledge``,
both scaled to [0, 1] (the base by rank percentile, robust to its score scale).
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from yangcheng.education.recommend.base import Recommender
from yangcheng.education.recommend.knowledge import _TIER_GAP, KnowledgeAware

__all__ = ["Hybrid"]


class Hybrid(Recommender):
    """``knowledge`` tiers, then ``base`` and knowledge scores blended (both fitted by
    ``fit``)."""

    def __init__(
        self, knowledge: KnowledgeAware, base: Recommender, knowledge_weight: float = 0.3
    ) -> None:
        self.knowledge = knowledge
        self.base = base
        self.knowledge_weight = knowledge_weight

    def fit(self, interactions: pd.DataFrame) -> Self:
        if not 0.0 <= self.knowledge_weight <= 1.0:
            raise ValueError(
                f"Hybrid.knowledge_weight must be in [0, 1], got {self.knowledge_weight}"
            )
        self.knowledge.fit(interactions)
        self.base.fit(interactions)
        self.student_ids_ = self.knowledge.student_ids_
        self.resource_ids_ = self.knowledge.resource_ids_
        self.user_items_ = self.knowledge.user_items_
        self._student_index = self.knowledge._student_index
        self._resource_index = self.knowledge._resource_index
        # the base may index fewer resources (only those seen in training)
        self._base_columns = np.array(
            [self.base._resource_index.get(r, -1) for r in self.resource_ids_], dtype=np.int64
        )
        return self

    def scores(self, student: str) -> np.ndarray:
        self._check_fitted()
        return self._combine(self.knowledge.scores(student), self.base.scores(student))

    def scores_from_state(
        self, mastery: np.ndarray, focus: np.ndarray | None, base_scores: np.ndarray
    ) -> np.ndarray:
        """Scores for a live knowledge state (a history the models were not fitted on);
        ``base_scores`` are the base recommender's for that student (for ``Popularity``, its
        ``popularity_``, the same for everyone)."""
        self._check_fitted()
        return self._combine(self.knowledge.score_state(mastery, focus), base_scores)

    def _combine(self, known: np.ndarray, base_scores: np.ndarray) -> np.ndarray:
        tier = np.floor(known / _TIER_GAP)
        within = known - tier * _TIER_GAP
        n = len(base_scores)
        rank = np.empty(n)
        rank[np.argsort(base_scores, kind="stable")] = np.arange(n) / max(n - 1, 1)
        base = np.where(self._base_columns >= 0, rank[self._base_columns], 0.0)
        w = self.knowledge_weight
        return np.asarray(tier * _TIER_GAP + (1 - w) * base + w * within, dtype=np.float64)
