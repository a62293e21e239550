"""Resource recommendation: push the next learning resource to a student.

Popularity and implicit ALS baselines, a knowledge-state-aware recommender (traced mastery +
prerequisite DAG: the frontier of what a student is ready to learn) and their hybrid, all
with one ``fit(interactions)`` / ``recommend(student, k, exclude_seen)`` API; a simulated
interactions dataset with the truth behind it; a time-ordered evaluation with bootstrap
intervals and, on simulated students, the learning value of what is recommended.
"""

from __future__ import annotations

from yangcheng.education.recommend.base import NotFittedError, Recommender, top_k
from yangcheng.education.recommend.baselines import ALS, Popularity, RandomRanking
from yangcheng.education.recommend.data import (
    INTERACTION_COLUMNS,
    RESOURCE_COLUMNS,
    RESOURCE_KINDS,
    InteractionDataset,
    InteractionError,
    simulate_interactions,
    validate_interactions,
)
from yangcheng.education.recommend.evaluate import (
    Estimate,
    LearningTruth,
    evaluate,
    learning_value,
    skill_p_correct,
)
from yangcheng.education.recommend.hybrid import Hybrid
from yangcheng.education.recommend.knowledge import (
    KnowledgeAware,
    PrerequisiteError,
    prerequisite_matrix,
)
from yangcheng.education.recommend.metrics import (
    coverage,
    hit_rate_at_k,
    ndcg_at_k,
    recall_at_k,
)
from yangcheng.education.recommend.split import SplitError, TimeSplit, time_split
from yangcheng.education.recommend.state import (
    ancestors,
    calibrated_thresholds,
    knowledge_state,
    skill_transitions,
    trailing_correct,
)
from yangcheng.education.recommend.truth import TrueKnowledge, TruthMismatch, true_knowledge

__all__ = [
    "ALS",
    "INTERACTION_COLUMNS",
    "RESOURCE_COLUMNS",
    "RESOURCE_KINDS",
    "Estimate",
    "Hybrid",
    "InteractionDataset",
    "InteractionError",
    "KnowledgeAware",
    "LearningTruth",
    "NotFittedError",
    "Popularity",
    "PrerequisiteError",
    "RandomRanking",
    "Recommender",
    "SplitError",
    "TimeSplit",
    "TrueKnowledge",
    "TruthMismatch",
    "ancestors",
    "calibrated_thresholds",
    "coverage",
    "evaluate",
    "hit_rate_at_k",
    "knowledge_state",
    "learning_value",
    "ndcg_at_k",
    "prerequisite_matrix",
    "recall_at_k",
    "simulate_interactions",
    "skill_p_correct",
    "skill_transitions",
    "time_split",
    "top_k",
    "trailing_correct",
    "true_knowledge",
    "validate_interactions",
]
