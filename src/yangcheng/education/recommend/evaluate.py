"""Offline evaluation on a time-ordered split: ranking metrics and, on simulated students,
learning value.

Ranking metrics (Recall, NDCG, HitRate at k; coverage) score whether the recommender guessed
what students went on to use, which rewards following the crowd. On simulated students the
true knowledge at the cut is known (``truth.true_knowledge``), so each recommended exercise
can also be scored for what it would do for the student: its true P(correct), whether that
is in the zone of proximal development, whether its skill is on the true frontier, and the
true latent mastery the student would gain by attempting it (the simulator's ``learn``,
summed over the exercise's skills: what the student learns, which Recall cannot see).

"Mastered" is meant as knowledge tracing means it, answering right: a skill is truly
mastered when the student's true P(correct) on a typical question of the skill (its mean
difficulty, discrimination 1, the mean guess and slip) reaches ``true_mastered``; the true
frontier is the skills not mastered whose direct prerequisites all are. (The simulator's
latent mastery is relative to ability and rarely passes 0.7 with forgetting, so a threshold
on it would call almost nothing mastered.)

Confidence intervals are percentile bootstraps over students; every recommender is scored
on the same resamples (paired), so their differences can be read from the same draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.recommend.base import Recommender
from yangcheng.education.recommend.metrics import (
    coverage,
    hit_rate_at_k,
    ndcg_at_k,
    recall_at_k,
)
from yangcheng.education.recommend.split import TimeSplit
from yangcheng.education.recommend.truth import TrueKnowledge

__all__ = ["Estimate", "LearningTruth", "evaluate", "learning_value", "skill_p_correct"]

RANKING_METRICS = ("recall", "ndcg", "hit_rate")
LEARNING_METRICS = ("true_p_correct", "in_zpd", "in_frontier", "mastery_gain", "exercise_share")


@dataclass(frozen=True)
class Estimate:
    """A mean over students and its percentile-bootstrap interval."""

    mean: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class LearningTruth:
    """What learning value needs: the simulator, the true knowledge at the cut, and the
    catalogue (to map exercises to the simulator's questions)."""

    simulator: StudentSimulator
    knowledge: TrueKnowledge
    resources: pd.DataFrame
    true_mastered: float = 0.8
    zpd: tuple[float, float] = (0.5, 0.85)


def learning_value(
    recommendations: Mapping[str, list[str]], truth: LearningTruth
) -> dict[str, np.ndarray]:
    """Per student (in ``recommendations`` order), the mean of each ``LEARNING_METRICS``
    over their recommended exercises (NaN for a student given no exercise)."""
    sim, knowledge = truth.simulator, truth.knowledge
    catalogue = truth.resources
    exercise = catalogue["kind"].to_numpy() == "exercise"
    question_of = dict(
        zip(
            catalogue["resource_id"].to_numpy()[exercise],
            catalogue["item_id"].to_numpy()[exercise].astype(str),
            strict=True,
        )
    )
    row_of = {s: i for i, s in enumerate(knowledge.student_ids)}
    students = list(recommendations)
    owner: list[int] = []
    questions: list[int] = []
    share = np.zeros(len(students))
    for i, student in enumerate(students):
        recs = recommendations[student]
        picked = [int(question_of[r][1:]) for r in recs if r in question_of]
        share[i] = len(picked) / max(len(recs), 1)
        owner += [i] * len(picked)
        questions += picked
    out = {name: np.full(len(students), np.nan) for name in LEARNING_METRICS}
    out["exercise_share"] = share
    if not questions:
        return out
    owner_a, question_a = np.array(owner), np.array(questions, dtype=np.int64)
    rows = np.array([row_of[students[i]] for i in owner_a])
    values: dict[str, list[np.ndarray]] = {n: [] for n in LEARNING_METRICS[:-1]}
    low, high = truth.zpd
    mastered_all = skill_p_correct(sim, knowledge) >= truth.true_mastered
    for lo in range(0, len(rows), 8192):
        r, q = rows[lo : lo + 8192], question_a[lo : lo + 8192]
        m = knowledge.mastery[r]
        p = sim.p_correct(knowledge.ability[r], m, q)
        gain = (sim.learn(m, q) - m).sum(axis=1)
        skill = np.array([sim.question_skills[x][0] for x in q])
        done = mastered_all[r]
        blocked = (sim.prerequisites[skill] & ~done).any(axis=1)
        frontier = ~done[np.arange(len(r)), skill] & ~blocked
        values["true_p_correct"].append(p)
        values["in_zpd"].append(((p >= low) & (p <= high)).astype(np.float64))
        values["in_frontier"].append(frontier.astype(np.float64))
        values["mastery_gain"].append(gain)
    counts = np.bincount(owner_a, minlength=len(students))
    has = counts > 0
    for name, parts in values.items():
        sums = np.bincount(owner_a, np.concatenate(parts), minlength=len(students))
        out[name][has] = sums[has] / counts[has]
    return out


def skill_p_correct(simulator: StudentSimulator, knowledge: TrueKnowledge) -> np.ndarray:
    """(n_students, n_skills) true P(correct) on a typical single-skill question."""
    m = np.clip(knowledge.mastery, 0.02, 0.98)
    z = knowledge.ability[:, None] + np.log(m / (1 - m)) - simulator.skill_difficulty[None, :]
    g, s = float(np.mean(simulator.guess)), float(np.mean(simulator.slip))
    return np.asarray(g + (1 - g - s) / (1 + np.exp(-z)), dtype=np.float64)


def _bootstrap(
    per_student: np.ndarray, resamples: np.ndarray, confidence: float = 0.95
) -> Estimate:
    ok = ~np.isnan(per_student)
    values = np.where(ok, per_student, 0.0)
    sums = values[resamples].sum(axis=1)
    counts = ok[resamples].sum(axis=1)
    means = sums / np.maximum(counts, 1)
    tail = (1.0 - confidence) / 2.0 * 100.0
    mean = float(values[ok].mean()) if ok.any() else float("nan")
    return Estimate(
        mean, float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))
    )


def evaluate(
    recommenders: Mapping[str, Recommender],
    split: TimeSplit,
    k: int = 20,
    exclude_seen: bool = True,
    n_bootstrap: int = 1000,
    seed: int = 0,
    truth: LearningTruth | None = None,
    n_resources: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Score fitted recommenders on ``split``: per recommender, each metric's ``Estimate``
    as a dict, ``coverage`` (of ``n_resources``, default the largest fitted catalogue) and
    ``students``. With ``truth``, the learning metrics too."""
    targets = split.targets(exclude_seen=exclude_seen)
    students = sorted(targets)
    if not students:
        raise ValueError("the split has no student with a target to evaluate")
    rng = np.random.default_rng(seed)
    resamples = rng.integers(0, len(students), size=(n_bootstrap, len(students)))
    if n_resources is None:
        n_resources = max(len(r.resource_ids_) for r in recommenders.values())
    results: dict[str, dict[str, Any]] = {}
    for name, model in recommenders.items():
        recs = {s: model.recommend(s, k=k, exclude_seen=exclude_seen) for s in students}
        per: dict[str, np.ndarray] = {
            "recall": np.array([recall_at_k(recs[s], targets[s], k) for s in students]),
            "ndcg": np.array([ndcg_at_k(recs[s], targets[s], k) for s in students]),
            "hit_rate": np.array([hit_rate_at_k(recs[s], targets[s], k) for s in students]),
        }
        if truth is not None:
            per.update(learning_value(recs, truth))
        row: dict[str, Any] = {
            metric: _bootstrap(values, resamples).as_dict() for metric, values in per.items()
        }
        row["coverage"] = coverage(list(recs.values()), n_resources)
        row["students"] = len(students)
        results[name] = row
    return results
