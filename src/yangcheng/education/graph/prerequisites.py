"""Prerequisite edges inferred from learning logs, and how close they come to the truth.

Five estimators:

* ``order`` (the baseline): A comes before B when most students who practise both first
  practise A first. Curricula are taught in prerequisite order, so this finds ancestors, but
  also every pair a syllabus merely happens to order.
* ``performance``: A gates B when students' first attempts at B go better once they have
  mastered A (three right in a row) than before; each pair's z-score is taken relative to
  the median over all A, which removes "stronger, further-along students do better on
  everything", and only pairs practised mostly A-first are kept.
* ``gain``: A gates B when, among students who practise B, those with A recently mastered
  (decayed recent success on A) gain more over B's first attempts, controlling for their
  success elsewhere and for every other skill's state in one regression (``influence.py``);
  edges are kept above a t-statistic and oriented by its asymmetry.
* ``dkt``: Piech et al. (2015)'s conditional influence from a small DKT trained on the log
  (``influence.py``): kept above a threshold, oriented by its asymmetry. Trains a network
  (seconds on small logs, under a minute on ASSIST2009's size).
* ``cotag`` (the default): A and B are tagged together on at least ``min_questions``
  questions, oriented by practice order. Questions that need a skill and its prerequisite
  together are how curricula tag multi-skill items, so the tags carry the undirected edge
  and the order its direction.

``evaluate_edges`` scores any edge list against a ``StudentSimulator``'s true DAG, both its
direct edges and its transitive closure (A -> C inferred from A -> B -> C is not wrong, only
indirect); ``edge_scores`` and ``score_auc`` rank every ordered pair, threshold-free. On the
simulator ``cotag`` is far ahead because its multi-skill questions are, by construction,
mostly a skill plus one of its prerequisites; that is an assumption about tagging practice,
and real logs should be checked before trusting it. The two response methods, ``gain`` and
``dkt``, rank pairs little better than chance there (figures and the reason in
``influence.py``: what a log shows of A barely moves B's simulated learning).
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
    "edge_scores",
    "evaluate_edges",
    "infer_prerequisites",
    "pair_statistics",
    "score_auc",
    "true_prerequisites",
]

Method = Literal["order", "performance", "cotag", "gain", "dkt"]
METHODS: tuple[Method, ...] = ("order", "performance", "cotag", "gain", "dkt")
_STREAK = 3
_FIRST_ATTEMPTS = 5


class PrerequisiteInferenceError(ValueError):
    """Inference asked of data that cannot answer it (which argument, what is wrong)."""


class PairStatistics:
    """Per ordered skill pair (A, B), what the estimators read, computed in one pass.

    ``before[a, b]``: students who first practised ``a`` before ``b``; ``both[a, b]``:
    students who practised both; ``z[a, b]``: the performance z-score of B's first attempts
    with A mastered against not (relative to the median over A); ``cotagged[a, b]``:
    questions tagged with both; ``gain[a, b]`` and ``dkt[a, b]``: see
    ``learning_gain_scores`` and ``dkt_influence_scores`` (computed on first use, with their
    defaults, and kept).
    """

    def __init__(self, seqs: KTSequences) -> None:
        self._seqs = seqs
        self._gain: np.ndarray | None = None
        self._dkt: np.ndarray | None = None
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

    @property
    def gain(self) -> np.ndarray:
        """The learning-gain t-statistics (``-inf`` where unsupported)."""
        if self._gain is None:
            from yangcheng.education.graph.influence import learning_gain_scores

            self._gain = learning_gain_scores(self._seqs)
        return self._gain

    @property
    def dkt(self) -> np.ndarray:
        """The DKT conditional influence, times the number of skills."""
        if self._dkt is None:
            from yangcheng.education.graph.influence import dkt_influence_scores

            self._dkt = dkt_influence_scores(self._seqs)
        return self._dkt


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
    gain_threshold: float = 1.25,
    dkt_threshold: float = 1.5,
) -> pd.DataFrame:
    """Inferred edges as PREREQUISITE_OF rows: ``from`` (the prerequisite skill id), ``to``,
    ``weight`` (the method's score), ``source`` = "inferred"; strongest first."""
    _check_method(method)
    stats = data if isinstance(data, PairStatistics) else pair_statistics(data)
    order, supported = stats.order, stats.both >= min_students
    score = edge_scores(stats, method)
    if method == "order":
        keep = supported & (order >= order_threshold)
    elif method == "performance":
        keep = supported & (order > 0.5) & (stats.z >= z_threshold)
    elif method == "gain":
        keep = supported & (score >= gain_threshold) & (score > score.T)
    elif method == "dkt":
        keep = supported & (score >= dkt_threshold) & (score > score.T)
    else:
        keep = (stats.cotagged >= min_questions) & (order > 0.5)
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


def edge_scores(stats: PairStatistics, method: Method) -> np.ndarray:
    """``score[a, b]``: how strongly ``method`` believes skill index ``a`` is a prerequisite of
    ``b``, for every ordered pair (higher: more); what ``infer_prerequisites`` thresholds.
    Pairs a method cannot score (unsupported, wrong order, diagonal) are ``-inf``."""
    _check_method(method)
    order = stats.order
    if method == "order":
        score = order.copy()
    elif method == "performance":
        score = np.where(order > 0.5, stats.z, -np.inf)
    elif method == "gain":
        score = stats.gain.copy()
    elif method == "dkt":
        score = stats.dkt.copy()
    else:
        score = np.where(order > 0.5, stats.cotagged, -np.inf)
    np.fill_diagonal(score, -np.inf)
    return score


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise PrerequisiteInferenceError(
            f"method must be one of {', '.join(METHODS)}, got {method!r}"
        )


def true_prerequisites(
    simulator: StudentSimulator, skill_ids: list[str] | None = None, *, closure: bool = False
) -> np.ndarray:
    """``true[a, b]``: skill ``a`` is a direct (``closure``: direct or indirect) prerequisite of
    ``b``, indexed like ``skill_ids`` (default: the simulator's own ``k000`` names)."""
    n = simulator.n_skills
    if skill_ids is None:
        width = max(3, len(str(n - 1)))
        skill_ids = [f"k{i:0{width}d}" for i in range(n)]
    if len(skill_ids) != n:
        raise PrerequisiteInferenceError(f"skill_ids has {len(skill_ids)} ids for {n} skills")
    width = max(3, len(str(n - 1)))
    index = {s: i for i, s in enumerate(skill_ids)}
    missing = [f"k{i:0{width}d}" for i in range(n) if f"k{i:0{width}d}" not in index]
    if missing:
        raise PrerequisiteInferenceError(f"skill_ids lacks simulator skill {missing[0]!r}")
    position = np.array([index[f"k{i:0{width}d}"] for i in range(n)])
    true = np.zeros((n, n), dtype=bool)
    child, parent = np.nonzero(simulator.prerequisites)
    true[position[parent], position[child]] = True
    if closure:
        reach = true.copy()
        while True:
            grown = reach | ((reach.astype(np.int64) @ true.astype(np.int64)) > 0)
            if (grown == reach).all():
                break
            reach = grown
        true = reach
    return true


def score_auc(
    scores: np.ndarray,
    simulator: StudentSimulator,
    skill_ids: list[str] | None = None,
    *,
    closure: bool = False,
) -> float:
    """Area under the ROC curve of ``scores`` (``edge_scores``) ranking every ordered pair
    of distinct skills: the chance a true prerequisite pair outscores a pair that is not one
    (ties count half; ``-inf`` ranks last). 0.5 is chance."""
    true = true_prerequisites(simulator, skill_ids, closure=closure)
    if scores.shape != true.shape:
        raise PrerequisiteInferenceError(
            f"scores has shape {scores.shape}, the simulator {true.shape}"
        )
    off = ~np.eye(true.shape[0], dtype=bool)
    y, s = true[off], np.nan_to_num(scores[off], nan=-np.inf)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise PrerequisiteInferenceError("AUC needs both true and false pairs")
    ranks = pd.Series(s).rank(method="average").to_numpy()
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def evaluate_edges(
    edges: pd.DataFrame, simulator: StudentSimulator, skill_ids: list[str] | None = None
) -> dict[str, float]:
    """Precision, recall and F1 of ``edges`` (from -> to, prerequisite first) against the
    simulator's direct prerequisites, and (``closure_*``) against its transitive closure.
    ``skill_ids`` maps its skill indices to ids (default: the simulator's own ``k000``
    names)."""
    n = simulator.n_skills
    if skill_ids is None:
        width = max(3, len(str(n - 1)))
        skill_ids = [f"k{i:0{width}d}" for i in range(n)]
    direct = true_prerequisites(simulator, skill_ids)
    reach = true_prerequisites(simulator, skill_ids, closure=True)
    index = {s: i for i, s in enumerate(skill_ids)}
    predicted = set()
    for a, b in zip(edges["from"], edges["to"], strict=True):
        if a not in index or b not in index:
            raise PrerequisiteInferenceError(f"edge {a!r} -> {b!r}: skill not in the simulator")
        predicted.add((index[a], index[b]))
    out = _prf(predicted, direct)
    closure = _prf(predicted, reach)
    out.update({f"closure_{k}": v for k, v in closure.items() if k != "predicted_edges"})
    return out


def _prf(predicted: set[tuple[int, int]], true_matrix: np.ndarray) -> dict[str, float]:
    true = {(int(a), int(b)) for a, b in zip(*np.nonzero(true_matrix), strict=True)}
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
