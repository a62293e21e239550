"""Prerequisite influence read from responses, two ways.

``dkt_influence_scores`` is Piech et al. (2015)'s conditional influence: train a small DKT
on the log, then ask it, for a student who has answered a single question on skill A
correctly, how likely a correct answer on B is, normalised over A:
``J(A -> B) = y(B | A right) / sum_K y(B | K right)`` (returned as a z-score over all
pairs). It reads whatever dependence the network learned, prerequisite or not.

``learning_gain_scores`` asks the question prerequisites pose directly: does knowing A make
B learned faster? Where prerequisites gate learning, a student who still has A fresh when
starting B climbs B's learning curve faster than one who does not. For each skill B it
regresses, over the students who practise B, B's *learning gain* (success on B's later
first attempts minus success on its first one) on

* the student's overall success elsewhere (the logit of it): able students do better
  everywhere, which would otherwise make every skill look like everyone's prerequisite;
* for every other skill A, the student's recent success on A (an exponential average of A's
  answers) decayed by the time since A was last practised (``half_life_days``), or 0 when A
  was not practised before B: what the log shows of A's mastery the moment B starts.

All A enter one ridge regression, so a grandparent whose effect runs through the parent, or
a sibling that is merely practised alongside, does not get the parent's credit. The score
of A -> B is the t-statistic of A's coefficient; only students who practised A before B
carry information about it, so the scores are ordered by construction and their asymmetry
(``score[a, b] > score[b, a]``) orients a pair.

How far this gets on ``StudentSimulator`` logs, and why not further: ranking AUC 0.55-0.72
on 20 skills (seeds 0-3, 400 students) and below chance (0.41-0.47) on the 120-skill
ASSIST2009 shape; the DKT influence reaches 0.49-0.58 on both; the order baseline
0.72-0.79. The simulator's own truth says why: a skill practised in the log decays back to
a low prior within days, while a skill known before the log starts (never practised, so
invisible) keeps 0.5-0.85. On 40 skills the true readiness of B's first attempts is 0.53
when a prerequisite A was practised before B, 0.54 when after, 0.56 when never: what the
log shows of A barely moves B's learning, so no response statistic can find much there.
Real logs may differ.
"""

from __future__ import annotations

import numpy as np

from yangcheng.education.data.sequences import KTSequences, StudentSequence
from yangcheng.education.graph.prerequisites import PrerequisiteInferenceError

__all__ = ["dkt_influence_scores", "learning_gain_scores"]

_DAY_S = 86_400.0


def learning_gain_scores(
    seqs: KTSequences,
    *,
    attempts: int = 10,
    half_life_days: float = 1.0,
    ridge: float = 10.0,
    min_students: int = 5,
) -> np.ndarray:
    """``score[a, b]``: t-statistic of A's recent mastery on B's learning gain (see the
    module docstring); ``-inf`` where fewer than ``min_students`` practised A before B, and
    on the diagonal."""
    if attempts < 2:
        raise PrerequisiteInferenceError(
            f"attempts must be at least 2 (a first one and a later one), got {attempts}"
        )
    if half_life_days <= 0 or ridge < 0 or min_students < 1:
        raise PrerequisiteInferenceError(
            "need half_life_days > 0, ridge >= 0 and min_students >= 1, got "
            f"{half_life_days}, {ridge}, {min_students}"
        )
    n = seqs.n_skills
    skill, state, other, gain = _rows(seqs, attempts, half_life_days)
    scores = np.full((n, n), -np.inf)
    for b in range(n):
        rows = skill == b
        if rows.sum() < max(min_students, 3):
            continue
        x_a = state[rows]
        design = np.column_stack([np.ones(x_a.shape[0]), other[rows], x_a])
        used = design.std(axis=0) > 0
        used[0] = True
        scores[:, b] = _ridge_t(design[:, used], gain[rows], ridge, used, n)
        scores[(x_a > 0).sum(axis=0) < min_students, b] = -np.inf
    np.fill_diagonal(scores, -np.inf)
    return scores


def dkt_influence_scores(
    seqs: KTSequences,
    *,
    epochs: int = 3,
    hidden_size: int = 64,
    seed: int = 0,
    threads: int = 1,
) -> np.ndarray:
    """``score[a, b]``: ``J(a -> b)`` from a DKT trained ``epochs`` epochs on ``seqs`` (CPU,
    seeded: the same seed and data, the same scores), as a z-score over all ordered pairs so
    one threshold fits any number of skills; ``-inf`` on the diagonal and for skills never
    practised."""
    from yangcheng.education.tracing import DKT  # torch is only needed here

    if epochs < 1 or hidden_size < 1:
        raise PrerequisiteInferenceError(
            f"need epochs >= 1 and hidden_size >= 1, got {epochs}, {hidden_size}"
        )
    n = seqs.n_skills
    model = DKT(
        max_epochs=epochs, patience=epochs, hidden_size=hidden_size, seed=seed, threads=threads
    ).fit(seqs)
    question_of: dict[int, int] = {}
    for s in seqs.sequences:
        for q, k in zip(s.questions.tolist(), s.skills.tolist(), strict=True):
            question_of.setdefault(k, q)
    y = np.full((n, n), np.nan)
    for a, q in question_of.items():
        probe = StudentSequence(
            "probe",
            np.array([q], dtype=np.int64),
            np.array([a], dtype=np.int64),
            np.array([1], dtype=np.int8),
        )
        y[a] = model.mastery(probe)
    influence = y / np.nansum(y, axis=0, keepdims=True)
    np.fill_diagonal(influence, np.nan)
    finite = influence[np.isfinite(influence)]
    scores = (influence - finite.mean()) / max(float(finite.std()), 1e-12)
    scores[~np.isfinite(scores)] = -np.inf
    return scores


def _ridge_t(
    design: np.ndarray, y: np.ndarray, ridge: float, used: np.ndarray, n: int
) -> np.ndarray:
    """t-statistics of the last ``n`` columns of the full design (0 for unused columns)."""
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0  # the intercept is not shrunk
    inverse = np.linalg.pinv(design.T @ design + penalty)
    beta = inverse @ (design.T @ y)
    residual = y - design @ beta
    sigma2 = residual @ residual / max(1, len(y) - design.shape[1])
    se = np.sqrt(np.maximum(sigma2 * np.diag(inverse), 1e-12))
    t = np.zeros(used.size)
    t[used] = beta / se
    return t[-n:]


def _rows(
    seqs: KTSequences, attempts: int, half_life_days: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One row per (student, skill practised): the skill, the decayed recent success of every
    skill when it was first practised, the logit of success elsewhere, and the gain."""
    n = seqs.n_skills
    skills_out: list[int] = []
    states: list[np.ndarray] = []
    others: list[float] = []
    gains: list[float] = []
    for s in seqs.sequences:
        skills = np.asarray(s.skills, dtype=np.int64)
        correct = np.asarray(s.correct, dtype=np.float64)
        days = (
            np.asarray(s.timestamps, dtype=np.float64) / _DAY_S
            if s.timestamps is not None
            else np.zeros(len(skills))
        )
        recent = np.zeros(n)
        last = np.zeros(n)
        seen = np.zeros(n, dtype=bool)
        starts: dict[int, np.ndarray] = {}
        history: dict[int, list[float]] = {}
        for t, b in enumerate(skills.tolist()):
            if not seen[b]:
                decay = 0.5 ** ((days[t] - last) / half_life_days)
                starts[b] = np.where(seen, recent * decay, 0.0)
                recent[b] = correct[t]
                seen[b] = True
            else:
                recent[b] = 0.5 * recent[b] + 0.5 * correct[t]
            last[b] = days[t]
            history.setdefault(b, []).append(float(correct[t]))
        total, steps = float(correct.sum()), len(skills)
        for b, start in starts.items():
            answers = history[b]
            if len(answers) < 2:
                continue
            first = answers[:attempts]
            elsewhere = (total - sum(answers) + 1.0) / (steps - len(answers) + 2.0)
            skills_out.append(b)
            states.append(start)
            others.append(float(np.log(elsewhere / (1.0 - elsewhere))))
            gains.append(float(np.mean(first[1:]) - first[0]))
    if not skills_out:
        return np.zeros(0, dtype=np.int64), np.zeros((0, n)), np.zeros(0), np.zeros(0)
    return np.array(skills_out), np.vstack(states), np.array(others), np.array(gains)
