"""Two-parameter logistic item response theory (2PL IRT) as a knowledge tracer.

``P(correct) = sigmoid(a_q * (theta - b_q))``: question ``q`` has a difficulty ``b_q`` and a
discrimination ``a_q > 0``, the student an ability ``theta``. IRT assumes ability does not
change while answering, so it is a strong static baseline rather than a model of learning.

Fitting is marginal maximum likelihood (Bock & Aitkin 1981), maximised with L-BFGS: each
training student's ability is integrated out over ``N(0, 1)`` (Gauss-Hermite quadrature),
which fixes the scale and, unlike estimating every ability jointly with the questions, stays
consistent when students answer few questions (joint estimation lets a question's
discrimination run off to infinity by nudging abilities to either side of it). Weak priors
``b ~ N(0, difficulty_sd²)`` and ``log a ~ N(0, log_discrimination_sd²)`` keep questions
answered by few students (or all right, or all wrong) finite. Training students' abilities
(``ability_``) are then their MAP estimates given the fitted questions.

Predicting a new student's next response. The question parameters stay fixed; the student's
ability starts at the prior mean 0 and after each response is re-estimated as the MAP of
``N(0, 1)`` and all their responses so far (Newton's method, warm-started from the previous
estimate). Response ``t`` is predicted from the ability estimated from responses ``< t``, so
nothing of the answer being predicted leaks into its prediction. A question not seen in
training takes ``a = 1`` and the mean difficulty of its skill's training questions.

``mastery`` is, per skill, the mean ``P(correct)`` over the skill's training questions at
the student's current ability (skills without training questions use ``b = mean b``).
"""

from __future__ import annotations

from typing import Self

import numpy as np
from scipy.optimize import minimize

from yangcheng.education.data.sequences import KTSequences, StudentSequence
from yangcheng.education.tracing.base import IdKind, KnowledgeTracer

__all__ = ["IRT"]

_MAX_ABILITY = 6.0


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


class IRT(KnowledgeTracer):
    """2PL IRT fitted by marginal likelihood (L-BFGS); new students' abilities tracked online."""

    _id_kinds: tuple[IdKind, ...] = ("question", "skill")

    difficulty_: np.ndarray
    discrimination_: np.ndarray
    ability_: np.ndarray
    """MAP ability of each training sequence, in the order given to ``fit``."""
    skill_questions_: tuple[np.ndarray, np.ndarray]
    """(skill, question) pairs seen in training, for ``mastery``."""
    skill_difficulty_: np.ndarray
    """Mean difficulty of each skill's training questions (of all questions if it has none)."""
    question_seen_: np.ndarray
    n_iter_: int

    def __init__(
        self,
        *,
        difficulty_sd: float = 2.0,
        log_discrimination_sd: float = 0.5,
        quadrature_points: int = 21,
        max_iter: int = 500,
        tol: float = 1e-5,
        newton_steps: int = 4,
    ) -> None:
        self.quadrature_points = quadrature_points
        self.difficulty_sd = difficulty_sd
        self.log_discrimination_sd = log_discrimination_sd
        self.max_iter = max_iter
        self.tol = tol
        self.newton_steps = newton_steps

    # --- fitting ---------------------------------------------------------------------------

    def fit(self, train: KTSequences, valid: KTSequences | None = None) -> Self:
        """Marginal MAP of the question parameters, then each student's MAP ability;
        ``valid`` is not used."""
        self._remember_vocabulary(train)
        n_q, n_students = train.n_questions, len(train)
        student = np.repeat(np.arange(n_students), [len(s) for s in train])
        question = np.concatenate([s.questions for s in train]).astype(np.int64)
        skill = np.concatenate([s.skills for s in train]).astype(np.int64)
        y = np.concatenate([s.correct for s in train]).astype(np.float64)
        # a student's repeated answers to one question share a likelihood term: count them
        cells, cell_of = np.unique(student * n_q + question, return_inverse=True)
        c_student, c_question = cells // n_q, cells % n_q
        tries = np.bincount(cell_of).astype(np.float64)
        rights = np.bincount(cell_of, weights=y)
        starts = np.searchsorted(c_student, np.arange(n_students))
        nodes, weights = np.polynomial.hermite_e.hermegauss(self.quadrature_points)
        log_w = np.log(weights / weights.sum())
        var_b, var_log_a = self.difficulty_sd**2, self.log_discrimination_sd**2

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            b, log_a = x[:n_q], x[n_q:]
            a = np.exp(log_a)[c_question][:, None]
            z = a * (nodes[None, :] - b[c_question][:, None])  # (cells, nodes)
            ll = rights[:, None] * z - tries[:, None] * np.logaddexp(0.0, z)
            joint = np.add.reduceat(ll, starts, axis=0) + log_w  # (students, nodes)
            log_marginal = np.logaddexp.reduce(joint, axis=1)
            posterior = np.exp(joint - log_marginal[:, None])[c_student]
            # d nll / d z, per node
            r = posterior * (tries[:, None] * _sigmoid(z) - rights[:, None])
            nll = -float(log_marginal.sum()) + 0.5 * (b @ b / var_b + log_a @ log_a / var_log_a)
            g_b = -np.bincount(c_question, weights=(r * a).sum(axis=1), minlength=n_q)
            g_log_a = np.bincount(c_question, weights=(r * z).sum(axis=1), minlength=n_q)
            return nll, np.concatenate([g_b + b / var_b, g_log_a + log_a / var_log_a])

        # start difficulties at the logit of each question's error rate, discriminations at 1
        seen = np.bincount(question, minlength=n_q)
        right = np.bincount(question, weights=y, minlength=n_q)
        share = (right + 0.5) / (seen + 1.0)
        x0 = np.concatenate([np.clip(-np.log(share / (1 - share)), -4, 4), np.zeros(n_q)])
        result = minimize(
            objective,
            x0,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": self.max_iter, "gtol": self.tol},
        )
        self.difficulty_ = result.x[:n_q].copy()
        self.discrimination_ = np.exp(result.x[n_q:])
        self.n_iter_ = int(result.nit)
        pairs = np.unique(skill * n_q + question)
        self.skill_questions_ = (pairs // n_q, pairs % n_q)
        self._fill_unseen(seen)
        a, b = self.discrimination_[c_question], self.difficulty_[c_question]
        theta = np.zeros(n_students)
        for _ in range(3 * self.newton_steps):
            p = _sigmoid(a * (theta[c_student] - b))
            grad = np.bincount(c_student, weights=a * (rights - tries * p), minlength=n_students)
            curvature = np.bincount(
                c_student, weights=tries * a * a * p * (1 - p), minlength=n_students
            )
            step = np.clip((grad - theta) / (curvature + 1.0), -1, 1)
            theta = np.clip(theta + step, -_MAX_ABILITY, _MAX_ABILITY)
        self.ability_ = theta
        return self

    def _fill_unseen(self, seen: np.ndarray) -> None:
        s, q = self.skill_questions_
        mean_b = float(self.difficulty_[seen > 0].mean())
        per_skill = np.bincount(s, weights=self.difficulty_[q], minlength=self.n_skills_)
        counts = np.bincount(s, minlength=self.n_skills_)
        self.skill_difficulty_ = np.where(counts > 0, per_skill / np.maximum(counts, 1), mean_b)
        self.question_seen_ = seen > 0
        self.discrimination_[~self.question_seen_] = 1.0
        self.difficulty_[~self.question_seen_] = mean_b

    # --- abilities -------------------------------------------------------------------------

    def _item_arrays(
        self, sequences: list[StudentSequence]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Padded (N, L) discrimination, difficulty, correctness and mask."""
        n, length = len(sequences), max((len(s) for s in sequences), default=0)
        a = np.zeros((n, length))
        b = np.zeros((n, length))
        y = np.zeros((n, length))
        mask = np.zeros((n, length), dtype=bool)
        for i, seq in enumerate(sequences):
            m = len(seq)
            a[i, :m] = self.discrimination_[seq.questions]
            b[i, :m] = np.where(
                self.question_seen_[seq.questions],
                self.difficulty_[seq.questions],
                self.skill_difficulty_[seq.skills],
            )
            y[i, :m] = seq.correct
            mask[i, :m] = True
        return a, b, y, mask

    def _newton(
        self, theta: np.ndarray, a: np.ndarray, b: np.ndarray, y: np.ndarray, mask: np.ndarray
    ) -> np.ndarray:
        """MAP abilities under ``N(0, 1)`` given the (masked) responses, from ``theta``."""
        for _ in range(self.newton_steps):
            p = _sigmoid(a * (theta[:, None] - b))
            grad = np.sum(mask * a * (y - p), axis=1) - theta
            hess = -np.sum(mask * a * a * p * (1 - p), axis=1) - 1.0
            step = np.clip(grad / hess, -1.0, 1.0)
            theta = np.clip(theta - step, -_MAX_ABILITY, _MAX_ABILITY)
        return theta

    def ability(self, seq: StudentSequence) -> float:
        """MAP ability after the whole of ``seq`` (0, the prior mean, when it is empty)."""
        self._check_fitted("ability")
        self._check_sequence(seq)
        if len(seq) == 0:
            return 0.0
        a, b, y, mask = self._item_arrays([seq])
        theta = np.zeros(1)
        for _ in range(5):  # from the prior mean, not warm: a few more steps
            theta = self._newton(theta, a, b, y, mask)
        return float(theta[0])

    # --- prediction ------------------------------------------------------------------------

    def predict_proba(self, data: KTSequences) -> list[np.ndarray]:
        self._check_data(data)
        # longest first, so the students still answering at step t are the first rows
        order = np.argsort([-len(s) for s in data], kind="stable")
        sequences = [data[int(i)] for i in order]
        a, b, y, mask = self._item_arrays(sequences)
        n, length = a.shape
        active = np.searchsorted(-np.array([len(s) for s in sequences]), -np.arange(length), "left")
        theta = np.zeros(n)
        out = np.zeros((n, length))
        for t in range(length):
            rows = slice(0, int(active[t]))
            out[rows, t] = _sigmoid(a[rows, t] * (theta[rows] - b[rows, t]))
            if t + 1 < length:
                past = (rows, slice(0, t + 1))
                theta[rows] = self._newton(theta[rows], a[past], b[past], y[past], mask[past])
        results: list[np.ndarray] = [np.zeros(0)] * n
        for row, i in enumerate(order):
            results[int(i)] = out[row, : len(sequences[row])].copy()
        return results

    def mastery(self, seq: StudentSequence) -> np.ndarray:
        self._check_fitted("mastery")
        theta = self.ability(seq)
        s, q = self.skill_questions_
        p = _sigmoid(self.discrimination_[q] * (theta - self.difficulty_[q]))
        total = np.bincount(s, weights=p, minlength=self.n_skills_)
        counts = np.bincount(s, minlength=self.n_skills_)
        fallback = _sigmoid(theta - self.skill_difficulty_)
        return np.where(counts > 0, total / np.maximum(counts, 1), fallback)
