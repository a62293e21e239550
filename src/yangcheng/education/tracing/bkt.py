"""Bayesian Knowledge Tracing (Corbett & Anderson 1995): a two-state hidden Markov model
per skill, fitted by expectation-maximisation.

Each skill has a prior ``P(L0)`` that a student knows it before practising, a chance
``learn`` (``P(T)``) of learning it at each practice, a ``guess`` and a ``slip`` chance of
answering against one's state, and (optionally) a chance ``forget`` of losing it. A
student's responses are split by skill and each skill's subsequence is one HMM sequence,
the standard BKT reading: practice on another skill neither helps nor hurts.

EM is Baum-Welch with scaled forward-backward. All subsequences of all skills run together,
time step by time step, in PyTorch's "packed sequence" layout: subsequences sorted by
length, so the ones still running at step ``t`` are the first ``n_t`` rows and each step is
a few NumPy operations on contiguous slices. One iteration costs about as much as the number
of responses, whatever the number of skills.

Guess and slip are capped at 0.3 after each M-step (Baker et al. 2008's remedy for the
"model degeneracy" where a high guess lets a student who answers right be judged not to
know the skill); every parameter stays in ``[1e-4, 1 - 1e-4]``. Starting values are fixed
(no random restarts), so a fit is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

import numpy as np

from yangcheng.education.data.sequences import KTSequences, StudentSequence
from yangcheng.education.tracing.base import IdKind, KnowledgeTracer

__all__ = ["BKT"]

_EPS = 1e-4


@dataclass(frozen=True)
class _Packed:
    """Per-(student, skill) subsequences in time-major packed layout."""

    row_skill: np.ndarray
    """(R,) skill of each row; rows are sorted by length, longest first."""
    lengths: np.ndarray
    """(R,) responses in each row."""
    batch: np.ndarray
    """(T,) rows still running at step t (non-increasing)."""
    offsets: np.ndarray
    """(T + 1,) start of step t in the flat arrays."""
    obs: np.ndarray
    """(N,) float64 correctness, time-major: step t holds rows 0..batch[t]-1."""
    origin: np.ndarray
    """(N,) index of each flat response in the data's concatenated responses."""
    skill: np.ndarray
    """(N,) skill of each flat response."""


def _pack(sequences: list[StudentSequence], n_skills: int) -> _Packed:
    total = sum(len(s) for s in sequences)
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Packed(empty, empty, empty, np.zeros(1, np.int64), np.zeros(0), empty, empty)
    skills = np.concatenate([s.skills for s in sequences]).astype(np.int64)
    correct = np.concatenate([s.correct for s in sequences]).astype(np.float64)
    owner = np.repeat(np.arange(len(sequences)), [len(s) for s in sequences])
    keys, row = np.unique(owner * n_skills + skills, return_inverse=True)
    by_row = np.argsort(row, kind="stable")  # keeps each row's responses in time order
    lengths = np.bincount(row, minlength=len(keys))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    time = np.empty(total, dtype=np.int64)
    time[by_row] = np.arange(total) - np.repeat(starts, lengths)
    rank = np.empty(len(keys), dtype=np.int64)
    rank[np.argsort(-lengths, kind="stable")] = np.arange(len(keys))
    packed_row = rank[row]
    order = np.lexsort((packed_row, time))
    batch = np.bincount(time)
    row_skill = np.empty(len(keys), dtype=np.int64)
    row_skill[rank] = keys % n_skills
    return _Packed(
        row_skill=row_skill,
        lengths=lengths[np.argsort(-lengths, kind="stable")],
        batch=batch,
        offsets=np.concatenate([[0], np.cumsum(batch)]),
        obs=correct[order],
        origin=order,
        skill=skills[order],
    )


@dataclass
class _Pass:
    """The forward (and optionally backward) quantities of one pass over a packed set."""

    predicted: np.ndarray
    """(N,) P(correct) before seeing each response."""
    alpha: np.ndarray
    """(N, 2) filtered P(unknown), P(known) after each response."""
    scale: np.ndarray
    """(N,) P(response | past): the forward scaling factors."""


class BKT(KnowledgeTracer):
    """Per-skill Bayesian Knowledge Tracing fitted by EM (vectorised Baum-Welch).

    ``mastery`` is ``P(known)`` at the student's next practice of each skill (after the last
    response and one learning transition); ``predict_proba`` is ``P(correct)`` before each
    response. Skills without training responses get the response-weighted mean parameters.
    """

    _id_kinds: tuple[IdKind, ...] = ("skill",)

    prior_: np.ndarray
    learn_: np.ndarray
    guess_: np.ndarray
    slip_: np.ndarray
    forget_: np.ndarray
    log_likelihood_: float
    n_iter_: int

    def __init__(
        self,
        *,
        forgets: bool = False,
        max_guess: float = 0.3,
        max_slip: float = 0.3,
        max_iter: int = 200,
        tol: float = 1e-6,
        init_prior: float = 0.4,
        init_learn: float = 0.1,
        init_guess: float = 0.2,
        init_slip: float = 0.1,
        init_forget: float = 0.02,
    ) -> None:
        self.forgets = forgets
        self.max_guess = max_guess
        self.max_slip = max_slip
        self.max_iter = max_iter
        self.tol = tol
        self.init_prior = init_prior
        self.init_learn = init_learn
        self.init_guess = init_guess
        self.init_slip = init_slip
        self.init_forget = init_forget

    # --- fitting ---------------------------------------------------------------------------

    def fit(self, train: KTSequences, valid: KTSequences | None = None) -> Self:
        """EM until the mean log-likelihood per response gains less than ``tol``; ``valid``
        is not used (EM has no early stopping)."""
        self._remember_vocabulary(train)
        k = train.n_skills
        self.prior_ = np.full(k, self.init_prior)
        self.learn_ = np.full(k, self.init_learn)
        self.guess_ = np.full(k, self.init_guess)
        self.slip_ = np.full(k, self.init_slip)
        self.forget_ = np.full(k, self.init_forget if self.forgets else 0.0)
        self._clip()
        packed = _pack(list(train), k)
        n = len(packed.obs)
        previous = -np.inf
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            current = self._em_step(packed) / n
            self.n_iter_ += 1
            if current - previous < self.tol:
                break
            previous = current
        self.log_likelihood_ = float(np.log(self._forward(packed).scale).sum())
        self._fill_unseen(np.bincount(packed.row_skill, weights=packed.lengths, minlength=k))
        return self

    def _clip(self) -> None:
        hi = 1 - _EPS
        self.prior_ = np.clip(self.prior_, _EPS, hi)
        self.learn_ = np.clip(self.learn_, _EPS, hi)
        self.guess_ = np.clip(self.guess_, _EPS, self.max_guess)
        self.slip_ = np.clip(self.slip_, _EPS, self.max_slip)
        self.forget_ = (
            np.clip(self.forget_, _EPS, hi) if self.forgets else np.zeros_like(self.forget_)
        )

    def _fill_unseen(self, responses: np.ndarray) -> None:
        seen = responses > 0
        if seen.all() or not seen.any():
            return
        weights = responses[seen] / responses[seen].sum()
        for name in ("prior_", "learn_", "guess_", "slip_", "forget_"):
            values = getattr(self, name)
            values[~seen] = float(weights @ values[seen])

    def _forward(self, packed: _Packed) -> _Pass:
        n = len(packed.obs)
        predicted = np.empty(n)
        alpha = np.empty((n, 2))
        scale = np.empty(n)
        skill = packed.row_skill
        for t, rows in enumerate(packed.batch):
            lo, hi = packed.offsets[t], packed.offsets[t + 1]
            s = skill[:rows]
            if t == 0:
                known = self.prior_[s]
            else:
                prev = alpha[packed.offsets[t - 1] : packed.offsets[t - 1] + rows]
                known = prev[:, 0] * self.learn_[s] + prev[:, 1] * (1 - self.forget_[s])
            guess, slip = self.guess_[s], self.slip_[s]
            p = (1 - known) * guess + known * (1 - slip)
            y = packed.obs[lo:hi]
            joint_unknown = (1 - known) * np.where(y > 0, guess, 1 - guess)
            joint_known = known * np.where(y > 0, 1 - slip, slip)
            c = joint_unknown + joint_known
            predicted[lo:hi] = p
            scale[lo:hi] = c
            alpha[lo:hi, 0] = joint_unknown / c
            alpha[lo:hi, 1] = joint_known / c
        return _Pass(predicted, alpha, scale)

    def _em_step(self, packed: _Packed) -> float:
        """One Baum-Welch iteration; returns the log-likelihood before the update."""
        fwd = self._forward(packed)
        alpha, scale, obs = fwd.alpha, fwd.scale, packed.obs
        n = len(obs)
        gamma = np.empty((n, 2))
        xi01 = np.zeros(n)  # unknown at t -> known at t+1
        xi10 = np.zeros(n)
        from_unknown = np.zeros(n)  # gamma_t(unknown) where a step t+1 exists
        from_known = np.zeros(n)
        skill = packed.row_skill
        beta_next = np.ones((0, 2))
        for t in range(len(packed.batch) - 1, -1, -1):
            rows = packed.batch[t]
            lo, hi = packed.offsets[t], packed.offsets[t + 1]
            beta = np.ones((rows, 2))
            cont = len(beta_next)  # rows that go on to step t + 1
            if cont:
                s = skill[:cont]
                nlo = packed.offsets[t + 1]
                y = obs[nlo : nlo + cont]
                guess, slip = self.guess_[s], self.slip_[s]
                e0 = np.where(y > 0, guess, 1 - guess)
                e1 = np.where(y > 0, 1 - slip, slip)
                c = scale[nlo : nlo + cont]
                v0 = e0 * beta_next[:, 0] / c
                v1 = e1 * beta_next[:, 1] / c
                learn, forget = self.learn_[s], self.forget_[s]
                beta[:cont, 0] = (1 - learn) * v0 + learn * v1
                beta[:cont, 1] = forget * v0 + (1 - forget) * v1
                a = alpha[lo : lo + cont]
                xi01[lo : lo + cont] = a[:, 0] * learn * v1
                xi10[lo : lo + cont] = a[:, 1] * forget * v0
            g = alpha[lo:hi] * beta
            g /= g.sum(axis=1, keepdims=True)
            gamma[lo:hi] = g
            if cont:
                from_unknown[lo : lo + cont] = g[:cont, 0]
                from_known[lo : lo + cont] = g[:cont, 1]
            beta_next = beta
        k = len(self.prior_)
        flat_skill = packed.skill

        def count(weights: np.ndarray) -> np.ndarray:
            return np.bincount(flat_skill, weights=weights, minlength=k)

        first = packed.batch[0] if len(packed.batch) else 0
        rows_per_skill = np.bincount(skill, minlength=k)
        prior = np.bincount(skill[:first], weights=gamma[:first, 1], minlength=k)
        ratios = {
            "prior_": (prior, rows_per_skill.astype(np.float64)),
            "learn_": (count(xi01), count(from_unknown)),
            "guess_": (count(gamma[:, 0] * obs), count(gamma[:, 0])),
            "slip_": (count(gamma[:, 1] * (1 - obs)), count(gamma[:, 1])),
        }
        if self.forgets:
            ratios["forget_"] = (count(xi10), count(from_known))
        for name, (numerator, denominator) in ratios.items():
            # a skill with nothing to count (e.g. never practised twice) keeps its value
            ok = denominator > 1e-12
            getattr(self, name)[ok] = numerator[ok] / denominator[ok]
        self._clip()
        return float(np.log(scale).sum())

    # --- prediction ------------------------------------------------------------------------

    def predict_proba(self, data: KTSequences) -> list[np.ndarray]:
        self._check_data(data)
        packed = _pack(list(data), self.n_skills_)
        flat = np.empty(len(packed.obs))
        flat[packed.origin] = self._forward(packed).predicted
        return np.split(flat, np.cumsum([len(s) for s in data])[:-1])

    def mastery(self, seq: StudentSequence) -> np.ndarray:
        self._check_fitted("mastery")
        self._check_sequence(seq)
        out = self.prior_.copy()
        if len(seq) == 0:
            return out
        packed = _pack([seq], self.n_skills_)
        alpha = self._forward(packed).alpha
        rows = np.arange(len(packed.lengths))
        last = alpha[packed.offsets[packed.lengths - 1] + rows]
        s = packed.row_skill
        out[s] = last[:, 0] * self.learn_[s] + last[:, 1] * (1 - self.forget_[s])
        return out
