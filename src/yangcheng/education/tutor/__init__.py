"""Adaptive exercise selection: ZPDES, its baselines, simulated evaluation and serving
(`yangcheng.education.tutor`)."""

from yangcheng.education.tutor.activities import ActivityGraph, GraphError
from yangcheng.education.tutor.policies import BKTMastery, ExpertCurriculum, Policy, RandomPolicy
from yangcheng.education.tutor.serve import (
    NextExercise,
    TutorResponse,
    TutorState,
    UnknownActivity,
    default_graph,
    next_exercise,
)
from yangcheng.education.tutor.simulate import (
    MetricSummary,
    PolicyResult,
    compare_policies,
    default_policies,
    simulate_policy,
)
from yangcheng.education.tutor.zpdes import ZPDES, ZPDESState

__all__ = [
    "ZPDES",
    "ActivityGraph",
    "BKTMastery",
    "ExpertCurriculum",
    "GraphError",
    "MetricSummary",
    "NextExercise",
    "Policy",
    "PolicyResult",
    "RandomPolicy",
    "TutorResponse",
    "TutorState",
    "UnknownActivity",
    "ZPDESState",
    "compare_policies",
    "default_graph",
    "default_policies",
    "next_exercise",
    "simulate_policy",
]
