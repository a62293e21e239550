"""A knowledge-state-aware recommender: push what the student is ready to learn next.

A knowledge tracer (BKT by default; any object with ``mastery(seq)``) gives the student's
mastery of each skill; the prerequisite DAG says which skills are *ready* (every direct
prerequisite mastered). Each resource's skill falls in a tier, and tiers are never mixed:

* **frontier** (2): not mastered, prerequisites mastered: what to learn now;
* **review** (1): mastered already;
* **blocked** (0): a prerequisite is not mastered, pushed only when nothing else is left.

Within a tier, the score is the blend ``(1 - popularity_weight) * learning + popularity_weight
* popularity_in_skill`` where

* ``learning = (fit + gain_weight * gain[skill] + focus_weight * focus[skill]) / (1 +
  gain_weight + focus_weight)``; ``fit`` for an exercise is how close its predicted
  P(correct) is to the zone of proximal development ``zpd`` (1 inside, falling linearly to 0
  at 0.25 outside), for a video or document ``1 - mastery[skill]`` (study material helps
  most before the skill is known); ``gain`` is the tracer's expected mastery gain from one
  practice, ``learn[skill] * (1 - mastery[skill])`` (BKT's P(T); scaled to the largest; 1
  for tracers without it); ``focus`` is the share of the student's last ``recent``
  exercises on the skill (keep working on the skill in hand rather than hop);
* ``popularity_in_skill = log1p(uses) / log1p(most uses in the skill)``: among resources of
  the same skill, the ones students use.

"Mastered" is the knowledge state, not BKT's P(known) alone (``state``): a skill is mastered
when its P(known) reaches its bar (``mastery_threshold``, or with ``mastered_p_correct`` the
per-skill P(known) at which BKT predicts that chance of a right answer) *and*, once
practised, the student's last ``streak_mastered`` answers on it were right (BKT calls the
skill in hand mastered after a few right answers, too early; a run of right answers is
ASSISTments' own rule). With ``infer_prerequisites``, a skill never answered but a
(transitive) prerequisite of one the student has answered counts as mastered: the student
was judged ready for that skill. With ``half_life_days``, what was not practised fades back
towards BKT's prior with that half-life (BKT itself does not see time). The returned mastery
is moved to the skill's bar (just under it for a streak not yet made), so
``tiers(mastery)`` says what the ranking does.

``focus`` is where the student is heading: ``(recent + trajectory_weight * next) / (1 +
trajectory_weight)``, with ``recent`` the skill shares of the last ``recent`` exercises and
``next`` the training students' next new skill after those (``skill_transitions``).

An exercise's predicted P(correct) is the tracer's skill-level ``guess + (1 - guess - slip)
* mastery`` (BKT's own guess/slip when it has them, else 0.2/0.1), shifted on the logit
scale by the exercise's difficulty as seen in training (its share of correct answers against
its skill's, shrunk with 5 pseudo-answers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from yangcheng.education.data.logs import to_sequences
from yangcheng.education.data.sequences import KTSequences, StudentSequence
from yangcheng.education.recommend.base import Recommender, top_k
from yangcheng.education.recommend.data import RESOURCE_COLUMNS
from yangcheng.education.recommend.state import (
    PrerequisiteError,
    ancestors,
    calibrated_thresholds,
    knowledge_state,
    prerequisite_matrix,
    skill_transitions,
)

__all__ = ["KnowledgeAware", "PrerequisiteError", "prerequisite_matrix"]

_PSEUDO = 5.0
_ZPD_FALLOFF = 0.25
_TIER_GAP = 10.0


class KnowledgeAware(Recommender):
    """Frontier-first recommendations from traced mastery and a prerequisite DAG.

    ``resources`` is the catalogue (``RESOURCE_COLUMNS``); ``prerequisites`` an ``[s, p]``
    array whose rows follow ``skill_ids`` (default: the catalogue's skill ids, sorted) or
    ``(skill_id, prerequisite_id)`` pairs. ``tracer`` defaults to ``BKT()``; with
    ``refit_tracer`` it is fitted (in place) on the training exercises, else it must already
    speak this catalogue's skill indices (``skill_ids`` order) and question indices
    (exercise order in ``resources``). A skill counts as mastered at ``mastery_threshold``.

    Defaults are what ``benchmark.tune`` picks on ``sim-small`` seed 1 (the service's
    preset); on the ASSIST2009-sized simulation it also picks ``half_life_days=10`` and
    ``trajectory_weight=1`` (``python -m yangcheng.education.recommend.benchmark
    --tune-seed 1``).
    """

    def __init__(
        self,
        resources: pd.DataFrame,
        prerequisites: np.ndarray | Sequence[tuple[str, str]],
        skill_ids: Sequence[str] | None = None,
        tracer: Any = None,
        refit_tracer: bool = True,
        mastery_threshold: float = 0.95,
        zpd: tuple[float, float] = (0.5, 0.85),
        popularity_weight: float = 0.3,
        focus_weight: float = 10.0,
        gain_weight: float = 3.0,
        recent: int = 10,
        mastered_p_correct: float | None = None,
        streak_mastered: int = 0,
        infer_prerequisites: bool = False,
        trajectory_weight: float = 0.0,
        forgets: bool = False,
        half_life_days: float | None = None,
    ) -> None:
        self.resources = resources
        self.prerequisites = prerequisites
        self.skill_ids = skill_ids
        self.tracer = tracer
        self.refit_tracer = refit_tracer
        self.mastery_threshold = mastery_threshold
        self.zpd = zpd
        self.popularity_weight = popularity_weight
        self.focus_weight = focus_weight
        self.gain_weight = gain_weight
        self.recent = recent
        self.mastered_p_correct = mastered_p_correct
        self.streak_mastered = streak_mastered
        self.infer_prerequisites = infer_prerequisites
        self.trajectory_weight = trajectory_weight
        self.forgets = forgets
        self.half_life_days = half_life_days

    # --- fitting ---------------------------------------------------------------------------

    def _check_params(self) -> None:
        missing = [c for c in RESOURCE_COLUMNS if c not in self.resources.columns]
        if missing:
            raise ValueError(f"KnowledgeAware.resources lacks column(s): {', '.join(missing)}")
        low, high = self.zpd
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"KnowledgeAware.zpd must be 0 <= low <= high <= 1, got {self.zpd}")
        if not 0.0 <= self.popularity_weight <= 1.0:
            raise ValueError(
                f"KnowledgeAware.popularity_weight must be in [0, 1], got {self.popularity_weight}"
            )
        if not 0.0 < self.mastery_threshold < 1.0:
            raise ValueError(
                f"KnowledgeAware.mastery_threshold must be in (0, 1), got {self.mastery_threshold}"
            )
        if self.mastered_p_correct is not None and not 0.0 < self.mastered_p_correct < 1.0:
            raise ValueError(
                "KnowledgeAware.mastered_p_correct must be None or in (0, 1), "
                f"got {self.mastered_p_correct}"
            )
        if self.half_life_days is not None and not self.half_life_days > 0:
            raise ValueError(
                f"KnowledgeAware.half_life_days must be None or > 0, got {self.half_life_days}"
            )
        if self.streak_mastered < 0 or self.trajectory_weight < 0:
            raise ValueError(
                "KnowledgeAware.streak_mastered and trajectory_weight must be >= 0, got "
                f"{self.streak_mastered}, {self.trajectory_weight}"
            )

    def fit(self, interactions: pd.DataFrame) -> Self:
        self._check_params()
        catalogue = self.resources.reset_index(drop=True)
        self._index(interactions, catalogue["resource_id"].to_numpy(dtype=object))
        skill_ids = (
            list(self.skill_ids)
            if self.skill_ids is not None
            else sorted(set(catalogue["skill_id"].astype(str)))
        )
        self.skill_ids_ = skill_ids
        self.prerequisites_ = prerequisite_matrix(self.prerequisites, skill_ids)
        skill_index = {s: i for i, s in enumerate(skill_ids)}
        unknown = ~catalogue["skill_id"].astype(str).isin(skill_index)
        if unknown.any():
            row = int(np.argmax(unknown.to_numpy()))
            raise PrerequisiteError(
                f"resources row {row}: skill {catalogue['skill_id'].iloc[row]!r} is not in "
                "skill_ids"
            )
        self.resource_skill_ = catalogue["skill_id"].astype(str).map(skill_index).to_numpy()
        self.is_exercise_ = catalogue["kind"].to_numpy() == "exercise"
        self._exercise_rows = np.flatnonzero(self.is_exercise_)
        self._question_ids = catalogue["item_id"].to_numpy(dtype=object)[self._exercise_rows]
        exercise_ids = catalogue["resource_id"].to_numpy()[self._exercise_rows]
        self._question_of = dict(zip(exercise_ids, self._question_ids, strict=True))
        self._question_index = {r: i for i, r in enumerate(exercise_ids)}

        uses = np.asarray(self.user_items_.sum(axis=0)).ravel()
        most = np.zeros(len(skill_ids))
        np.maximum.at(most, self.resource_skill_, np.log1p(uses))
        self.popularity_in_skill_ = np.log1p(uses) / np.maximum(most[self.resource_skill_], 1e-12)

        sequences = self._sequences(self._frame)
        tracer = self.tracer
        if tracer is None:
            from yangcheng.education.tracing.bkt import BKT

            tracer = BKT(forgets=self.forgets)
        if self.refit_tracer:
            tracer.fit(sequences)
        n_skills = getattr(tracer, "n_skills_", len(skill_ids))
        if n_skills != len(skill_ids):
            raise PrerequisiteError(
                f"the tracer knows {n_skills} skills but the catalogue has {len(skill_ids)}"
            )
        self.tracer_ = tracer
        self.guess_ = float(np.mean(getattr(tracer, "guess_", 0.2)))
        self.slip_ = float(np.mean(getattr(tracer, "slip_", 0.1)))
        learn = np.asarray(getattr(tracer, "learn_", np.ones(len(skill_ids))), dtype=np.float64)
        self.learn_rate_ = learn / max(float(learn.max()), 1e-12)
        self.difficulty_offset_ = self._offsets(sequences)
        self.prior_mastery_ = np.asarray(
            tracer.mastery(_empty(sequences.n_questions)), dtype=np.float64
        )
        n_skills = len(skill_ids)
        if self.mastered_p_correct is None:
            self.threshold_ = np.full(n_skills, self.mastery_threshold)
        else:
            guess = np.broadcast_to(getattr(tracer, "guess_", 0.2), (n_skills,))
            slip = np.broadcast_to(getattr(tracer, "slip_", 0.1), (n_skills,))
            self.threshold_ = calibrated_thresholds(self.mastered_p_correct, guess, slip)
        self.ancestors_ = ancestors(self.prerequisites_)
        self.transitions_ = skill_transitions((s.skills for s in sequences), n_skills)
        self.now_s_ = float(self._frame["timestamp"].max())
        by_student = {s.student: s for s in sequences}
        self.mastery_ = np.tile(self.prior_mastery_, (len(self.student_ids_), 1))
        self.focus_ = np.zeros((len(self.student_ids_), n_skills))
        for row, student in enumerate(self.student_ids_):
            seq = by_student.get(student)
            if seq is not None:
                self.mastery_[row] = self.mastery_from(seq)
                self.focus_[row] = self._focus(seq.skills)
        return self

    def _sequences(self, frame: pd.DataFrame) -> KTSequences:
        """Exercise rows with a known correctness, as tracer sequences in the catalogue's
        vocabulary."""
        answered = frame[frame["correct"].notna() & frame["resource_id"].isin(self._question_of)]
        resource = answered["resource_id"].to_numpy()
        log = pd.DataFrame(
            {
                "student_id": answered["student_id"].to_numpy(),
                "item_id": [self._question_of[r] for r in resource],
                "skill_id": [
                    self.skill_ids_[self.resource_skill_[self._resource_index[r]]] for r in resource
                ],
                "timestamp": answered["timestamp"].to_numpy(),
                "correct": answered["correct"].to_numpy().astype(np.int64),
            }
        )
        like = KTSequences(
            [],
            n_questions=len(self._question_ids),
            n_skills=len(self.skill_ids_),
            question_ids=list(self._question_ids),
            skill_ids=list(self.skill_ids_),
        )
        if len(log) == 0:
            return like
        return to_sequences(log, like=like)

    def _offsets(self, sequences: KTSequences) -> np.ndarray:
        """Per resource, the logit shift of its P(correct) against its skill's (0: not an
        exercise, or never answered)."""
        out = np.zeros(len(self.resource_ids_))
        if len(sequences) == 0:
            return out
        questions = np.concatenate([s.questions for s in sequences])
        correct = np.concatenate([s.correct for s in sequences]).astype(np.float64)
        skills = self.resource_skill_[self._exercise_rows][questions]
        k_skill = np.bincount(skills, correct, len(self.skill_ids_))
        n_skill = np.bincount(skills, minlength=len(self.skill_ids_))
        overall = correct.mean()
        rate_skill = (k_skill + _PSEUDO * overall) / (n_skill + _PSEUDO)
        n_q = len(self._question_ids)
        k_q = np.bincount(questions, correct, n_q)
        n_q_seen = np.bincount(questions, minlength=n_q)
        base = rate_skill[self.resource_skill_[self._exercise_rows]]
        rate_q = (k_q + _PSEUDO * base) / (n_q_seen + _PSEUDO)
        out[self._exercise_rows] = _logit(rate_q) - _logit(base)
        return out

    def _focus(self, skills: np.ndarray) -> np.ndarray:
        last = skills[-self.recent :] if self.recent > 0 else skills[:0]
        counts = np.bincount(last, minlength=len(self.skill_ids_)).astype(np.float64)
        share = counts / max(len(last), 1)
        w = self.trajectory_weight
        heading = share @ self.transitions_ if w > 0 else 0.0
        return np.asarray((share + w * heading) / (1.0 + w), dtype=np.float64)

    # --- scoring ---------------------------------------------------------------------------

    def tiers(self, mastery: np.ndarray) -> np.ndarray:
        """Per skill: 2 frontier, 1 mastered (review), 0 blocked by a prerequisite."""
        mastered = np.asarray(mastery) >= self.threshold_
        ready = ~(self.prerequisites_ & ~mastered[None, :]).any(axis=1)
        return np.where(mastered, 1, np.where(ready, 2, 0))

    def predicted_correct(self, mastery: np.ndarray) -> np.ndarray:
        """Per resource, the predicted P(correct) (meaningful for exercises only)."""
        m = np.asarray(mastery, dtype=np.float64)[self.resource_skill_]
        p = self.guess_ + (1.0 - self.guess_ - self.slip_) * m
        z = _logit(p) + self.difficulty_offset_
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)

    def score_state(self, mastery: np.ndarray, focus: np.ndarray | None = None) -> np.ndarray:
        """(n_resources,) scores for a knowledge state; tiers are ``_TIER_GAP`` apart."""
        self._check_fitted()
        mastery = np.asarray(mastery, dtype=np.float64)
        if mastery.shape != (len(self.skill_ids_),):
            raise ValueError(
                f"mastery must have one value per skill ({len(self.skill_ids_)}), "
                f"got shape {mastery.shape}"
            )
        low, high = self.zpd
        p = self.predicted_correct(mastery)
        distance = np.maximum(low - p, 0.0) + np.maximum(p - high, 0.0)
        zpd_fit = np.clip(1.0 - distance / _ZPD_FALLOFF, 0.0, 1.0)
        skill = self.resource_skill_
        fit = np.where(self.is_exercise_, zpd_fit, 1.0 - mastery[skill])
        gain = (self.learn_rate_ * (1.0 - mastery))[skill]
        f = np.zeros(len(self.skill_ids_)) if focus is None else np.asarray(focus)
        weights = 1.0 + self.gain_weight + self.focus_weight
        learning = (fit + self.gain_weight * gain + self.focus_weight * f[skill]) / weights
        w = self.popularity_weight
        blend = (1.0 - w) * learning + w * self.popularity_in_skill_
        return np.asarray(_TIER_GAP * self.tiers(mastery)[skill] + blend, dtype=np.float64)

    def scores(self, student: str) -> np.ndarray:
        row = self._row(student)
        if row < 0:
            return self.score_state(self.prior_mastery_)
        return self.score_state(self.mastery_[row], self.focus_[row])

    def sequence_of(
        self,
        resource_ids: Sequence[str],
        correct: Sequence[float] | np.ndarray,
        timestamps_s: Sequence[float] | np.ndarray | None = None,
    ) -> StudentSequence:
        """One student's answered exercises (in time order) as a tracer sequence; other
        resources and unanswered rows (NaN ``correct``) are skipped. NumPy only: the serving
        path, a fraction of a millisecond for hundreds of responses."""
        self._check_fitted()
        values = np.asarray(correct, dtype=np.float64)
        if values.shape != (len(resource_ids),):
            raise ValueError(
                f"correct has {values.shape[0]} entries for {len(resource_ids)} resource ids"
            )
        index = self._question_index
        questions = np.array([index.get(r, -1) for r in resource_ids], dtype=np.int64)
        keep = (questions >= 0) & ~np.isnan(values)
        questions = questions[keep]
        skills = self.resource_skill_[self._exercise_rows][questions]
        times = None if timestamps_s is None else np.asarray(timestamps_s, np.float64)[keep]
        return StudentSequence("", questions, skills, values[keep].astype(np.int8), times)

    def mastery_of(self, history: pd.DataFrame, now_s: float | None = None) -> np.ndarray:
        """Trace one student's interactions (``student_id`` is ignored; ``resource_id``,
        ``timestamp`` and ``correct`` are read) now: the serving path when the history has
        moved on since ``fit``. ``now_s`` (for forgetting) defaults to the later of the end
        of training (``now_s_``, the "now" of ``fit``) and the history's last answer."""
        return self.mastery_from(self._history_sequence(history), now_s)

    def mastery_from(self, seq: StudentSequence, now_s: float | None = None) -> np.ndarray:
        """The knowledge state of one traced sequence (``state.knowledge_state``)."""
        if len(seq) == 0:
            return self.prior_mastery_.copy()
        traced = np.asarray(self.tracer_.mastery(seq), dtype=np.float64)
        if now_s is None:
            last = -np.inf if seq.timestamps is None else float(np.max(seq.timestamps))
            now_s = max(self.now_s_, last)
        return knowledge_state(
            traced,
            seq,
            self.threshold_,
            prior=self.prior_mastery_,
            ancestors=self.ancestors_ if self.infer_prerequisites else None,
            streak=self.streak_mastered,
            half_life_days=self.half_life_days,
            now_s=now_s,
        )

    def _history_sequence(self, history: pd.DataFrame) -> StudentSequence:
        missing = [c for c in ("resource_id", "timestamp", "correct") if c not in history]
        if missing:
            raise ValueError(f"history lacks column(s): {', '.join(missing)}")
        times = history["timestamp"].to_numpy(np.float64)
        order = np.argsort(times, kind="stable")
        resources = history["resource_id"].to_numpy(dtype=object)[order]
        return self.sequence_of(
            list(resources), history["correct"].to_numpy(np.float64)[order], times[order]
        )

    def focus_of(self, history: pd.DataFrame) -> np.ndarray:
        """The skill shares of the history's last ``recent`` answered exercises."""
        return self._focus(self._history_sequence(history).skills)

    def recommend_from_state(
        self,
        mastery: np.ndarray,
        k: int = 20,
        seen: Sequence[str] = (),
        focus: np.ndarray | None = None,
    ) -> list[str]:
        """The ``k`` best resources for a knowledge state (e.g. from a live tracer), skipping
        the resource ids in ``seen``."""
        exclude = np.array([self._resource_index[r] for r in seen if r in self._resource_index])
        chosen = top_k(self.score_state(mastery, focus), k, exclude.astype(np.int64))
        return list(self.resource_ids_[chosen])


def _logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-4, 1 - 1e-4)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float64)


def _empty(n_questions: int) -> StudentSequence:
    none = np.zeros(0, dtype=np.int64)
    return StudentSequence("", none, none, np.zeros(0, dtype=np.int8), None)
