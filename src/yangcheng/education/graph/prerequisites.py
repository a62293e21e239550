"""Prerequisite edges inferred from learning logs, and how close they come to the truth.

Three estimators, from weakest assumption to strongest signal:

* ``order`` (the baseline): A comes before B when most students who practise both first
  practise A first. Curricula are taught in prerequisite order, so this finds ancestors, but
  also every pair a syllabus merely happens to order.
* ``performance``: A gates B when students' first attempts at B go better once they have
  mastered A (three right in a row) than before; each pair's z-score is taken relative to
  the median over all A, which removes "stronger, further-along students do better on
  everything", and only pairs practised mostly A-first are kept.
* ``cotag`` (the default): A and B are tagged together on at least ``min_questions``
  questions, oriented by practice order. Questions that need a skill and its prerequisite
  together are how curricula tag multi-skill items, so the tags carry the undirected edge
  and the order its direction.

``evaluate_edges`` scores any edge list against a ``StudentSimulator``'s true DAG. On the
simulator ``cotag`` is far ahead because its multi-skill questions are, by construction,
mostly a skill plus one of its prerequisites; that is an assumption about tagging practice,
and real logs should be checked before trusting it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from yangcheng.education.data.logs import to_sequences
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.data.simulator import StudentSimulator

__all__ = [
    "METHODS",
    "PairStatistics",
    "PrerequisiteInferenceError",
    "evaluate_edges",
    "infer_prerequisites",
    "pair_statistics",
]

Method = Literal["order", "performance", "cotag"]
METHODS: tuple[Method, ...] = ("order", "performance", "cotag")
_STREAK = 3
_FIRST_ATTEMPTS = 5


class PrerequisiteInferenceError(ValueError):
    """Inference asked of data that cannot answer it (which argument, what is wrong)."""


class PairStatistics:
    """Per ordered skill pair (A, B), what the estimators read, computed in one pass.

    ``before[a, b]``: students who first practised ``a`` before ``b``; ``both[a, b]``:
    students who practised both; ``z[a, b]``: the performance z-score of B's first attempts
    with A mastered against not (relative to the median over A); ``cotagged[a, b]``:
    questions tagged with both.
    """

    def __init__(self, seqs: KTSequences) -> None:
        n = seqs.n_skills
        self.skill_ids = list(seqs.skill_ids or [str(i) for i in range(n)])
        self.n_students = len(seqs.sequences)
        self.before = np.zeros((n, n))
        self.both = np.zeros((n, n))
        tried_m = np.zeros((n, n))
        right_m = np.zeros((n, n))
        tried = np.zeros(n)
        right = np.zeros(n)
        for s in seqs.sequences:
            skills = np.asarray(s.skills, dtype=np.int64)
            correct = np.asarray(s.correct, dtype=np.float64)
            steps = len(skills)
            first, mastered_at, attempt = _first_and_mastery(skills, correct, n)
            practised = first < steps
            self.both += np.outer(practised, practised)
            self.before += (
                (first[:, None] < first[None, :]) & practised[:, None] & practised[None, :]
            )
            keep = attempt < _FIRST_ATTEMPTS
            mastered = (np.arange(steps)[keep, None] > mastered_at[None, :]).astype(np.float64)
            onehot = np.zeros((int(keep.sum()), n))
            onehot[np.arange(onehot.shape[0]), skills[keep]] = 1.0
            y = correct[keep, None]
            tried_m += mastered.T @ onehot
            right_m += mastered.T @ (onehot * y)
            tried += onehot.sum(axis=0)
            right += (onehot * y).sum(axis=0)
        tried_n, right_n = tried[None, :] - tried_m, right[None, :] - right_m
        p_m = (right_m + 1.0) / (tried_m + 2.0)
        p_n = (right_n + 1.0) / (tried_n + 2.0)
        se = np.sqrt(p_m * (1 - p_m) / (tried_m + 2.0) + p_n * (1 - p_n) / (tried_n + 2.0))
        z = (p_m - p_n) / se
        np.fill_diagonal(z, np.nan)
        self.z = z - np.nanmedian(z, axis=0, keepdims=True)
        np.fill_diagonal(self.z, 0.0)
        self.cotagged = np.zeros((n, n))
        for skills_of_question in seqs.question_skills:
            for a in skills_of_question:
                for b in skills_of_question:
                    if a != b:
                        self.cotagged[a, b] += 1

    @property
    def order(self) -> np.ndarray:
        """Share of students practising both who first practised A first."""
        return self.before / np.maximum(self.both, 1.0)


def _first_and_mastery(
    skills: np.ndarray, correct: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = len(skills)
    first = np.full(n, steps + 1)
    mastered_at = np.full(n, steps + 1)
    attempt = np.zeros(steps, dtype=np.int64)
    seen = np.zeros(n, dtype=np.int64)
    run = np.zeros(n, dtype=np.int64)
    for t in range(steps):
        b = skills[t]
        if seen[b] == 0:
            first[b] = t
        attempt[t] = seen[b]
        seen[b] += 1
        run[b] = run[b] + 1 if correct[t] else 0
        if run[b] >= _STREAK and mastered_at[b] > steps:
            mastered_at[b] = t
    return first, mastered_at, attempt


def pair_statistics(data: pd.DataFrame | KTSequences) -> PairStatistics:
    """The pair statistics of a learning log (``data`` schema) or of KT sequences."""
    seqs = data if isinstance(data, KTSequences) else to_sequences(data)
    if seqs.n_skills < 2:
        raise PrerequisiteInferenceError(f"need at least 2 skills, got {seqs.n_skills}")
    return PairStatistics(seqs)


def infer_prerequisites(
    data: pd.DataFrame | KTSequences | PairStatistics,
    method: Method = "cotag",
    *,
    order_threshold: float = 0.7,
    z_threshold: float = 2.0,
    min_questions: int = 3,
    min_students: int = 5,
) -> pd.DataFrame:
    """Inferred edges as PREREQUISITE_OF rows: ``from`` (the prerequisite skill id), ``to``,
    ``weight`` (the method's score), ``source`` = "inferred"; strongest first."""
    if method not in METHODS:
        raise PrerequisiteInferenceError(
            f"method must be one of {', '.join(METHODS)}, got {method!r}"
        )
    stats = data if isinstance(data, PairStatistics) else pair_statistics(data)
    order, supported = stats.order, stats.both >= min_students
    if method == "order":
        keep, score = supported & (order >= order_threshold), order
    elif method == "performance":
        keep, score = supported & (order > 0.5) & (stats.z >= z_threshold), stats.z
    else:
        keep, score = (stats.cotagged >= min_questions) & (order > 0.5), stats.cotagged
    np.fill_diagonal(keep, False)
    a, b = np.nonzero(keep)
    ids = np.array(stats.skill_ids, dtype=object)
    edges = pd.DataFrame(
        {
            "from": ids[a],
            "to": ids[b],
            "weight": score[a, b].astype(np.float64),
            "source": "inferred",
        }
    )
    return edges.sort_values(["weight", "from", "to"], ascending=[False, True, True]).reset_index(
        drop=True
    )


def evaluate_edges(
    edges: pd.DataFrame, simulator: StudentSimulator, skill_ids: list[str] | None = None
) -> dict[str, float]:
    """Precision, recall and F1 of ``edges`` (from -> to, prerequisite first) against the
    simulator's direct prerequisites. ``skill_ids`` maps its skill indices to ids (default:
    the simulator's own ``k000`` names)."""
    n = simulator.n_skills
    if skill_ids is None:
        width = max(3, len(str(n - 1)))
        skill_ids = [f"k{i:0{width}d}" for i in range(n)]
    if len(skill_ids) != n:
        raise PrerequisiteInferenceError(f"skill_ids has {len(skill_ids)} ids for {n} skills")
    index = {s: i for i, s in enumerate(skill_ids)}
    true = {
        (index_p, index_s)
        for index_s, index_p in zip(*np.nonzero(simulator.prerequisites), strict=True)
    }
    predicted = set()
    for a, b in zip(edges["from"], edges["to"], strict=True):
        if a not in index or b not in index:
            raise PrerequisiteInferenceError(f"edge {a!r} -> {b!r}: skill not in the simulator")
        predicted.add((index[a], index[b]))
    hits = len(true & predicted)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted_edges": float(len(predicted)),
        "true_edges": float(len(true)),
    }
