"""The pieces of a student's knowledge state that BKT alone does not give.

BKT traces each skill on its own evidence, which leaves three gaps a teacher would fill:

* **skills never practised** keep BKT's population prior, although a student working on a
  skill has, by the definition of a prerequisite, been judged ready for it: its
  prerequisites (and theirs) are known. ``ancestors`` is the transitive closure of the DAG
  that lets the recommender count them as mastered (knowledge states are downward closed,
  as in knowledge space theory);
* **the mastery bar**: BKT's P(known) is not what a teacher watches; the chance of
  answering right is. ``calibrated_thresholds`` turns "predicted P(correct) reaches p" into
  a per-skill bar on P(known) with the skill's own guess and slip, so an easy-to-guess
  skill needs more evidence than a hard one;
* **what comes next**: students go through a curriculum in a roughly topological order.
  ``skill_transitions`` counts, in the training histories, which new skill students took
  up after each skill, the row-normalised table a teacher can read as "after fractions,
  70 % went on to decimals".

``trailing_correct`` is ASSISTments' own rule: a run of right answers on a skill; and
``knowledge_state`` puts the pieces together for one student; ``prerequisite_matrix`` reads
the DAG a caller gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from yangcheng.education.data.sequences import StudentSequence

__all__ = [
    "PrerequisiteError",
    "ancestors",
    "calibrated_thresholds",
    "knowledge_state",
    "prerequisite_matrix",
    "skill_transitions",
    "trailing_correct",
]

_DAY_S = 86_400.0


class PrerequisiteError(ValueError):
    """The prerequisite graph does not fit the skills (shape, unknown skill id)."""


def prerequisite_matrix(
    prerequisites: np.ndarray | Sequence[tuple[str, str]], skill_ids: Sequence[str]
) -> np.ndarray:
    """``[s, p]`` bool matrix from a matrix of that shape or ``(skill, prerequisite)`` pairs."""
    n = len(skill_ids)
    if isinstance(prerequisites, np.ndarray):
        if prerequisites.shape != (n, n):
            raise PrerequisiteError(
                f"prerequisites must be ({n}, {n}) for {n} skills, got {prerequisites.shape}"
            )
        out = prerequisites.astype(bool)
    else:
        index = {s: i for i, s in enumerate(skill_ids)}
        out = np.zeros((n, n), dtype=bool)
        for position, (skill, parent) in enumerate(prerequisites):
            for name in (skill, parent):
                if name not in index:
                    raise PrerequisiteError(f"prerequisite edge {position}: unknown skill {name!r}")
            out[index[skill], index[parent]] = True
    if np.diag(out).any():
        looped = int(np.flatnonzero(np.diag(out))[0])
        raise PrerequisiteError(f"skill {skill_ids[looped]!r} is its own prerequisite")
    return out


def ancestors(prerequisites: np.ndarray) -> np.ndarray:
    """``[s, a]`` True when ``a`` is a direct or indirect prerequisite of ``s``."""
    reach = np.asarray(prerequisites, dtype=bool).copy()
    n = reach.shape[0]
    for _ in range(max(n, 1)):
        grown = reach | (reach.astype(np.int32) @ reach.astype(np.int32) > 0)
        if np.array_equal(grown, reach):
            break
        reach = grown
    return reach


def calibrated_thresholds(
    p_correct: float, guess: np.ndarray, slip: np.ndarray, low: float = 0.5, high: float = 0.999
) -> np.ndarray:
    """Per skill, the P(known) at which ``guess + (1 - guess - slip) * known`` reaches
    ``p_correct``, clipped to ``[low, high]`` (a skill whose slip makes it unreachable gets
    ``high``)."""
    g = np.asarray(guess, dtype=np.float64)
    s = np.asarray(slip, dtype=np.float64)
    span = np.maximum(1.0 - g - s, 1e-6)
    return np.asarray(np.clip((p_correct - g) / span, low, high), dtype=np.float64)


def skill_transitions(histories: Iterable[np.ndarray], n_skills: int) -> np.ndarray:
    """``[i, j]``: the share of students who, after taking up skill ``i``, took up skill
    ``j`` as their next new skill (rows with no evidence are zero)."""
    counts = np.zeros((n_skills, n_skills))
    for skills in histories:
        if len(skills) < 2:
            continue
        _, first = np.unique(skills, return_index=True)
        order = skills[np.sort(first)]
        np.add.at(counts, (order[:-1], order[1:]), 1.0)
    total = counts.sum(axis=1, keepdims=True)
    return np.asarray(np.divide(counts, total, out=np.zeros_like(counts), where=total > 0))


def trailing_correct(skills: np.ndarray, correct: np.ndarray, n_skills: int) -> np.ndarray:
    """Per skill, how many of the student's last answers on it were right in a row."""
    run = np.zeros(n_skills, dtype=np.int64)
    for skill, right in zip(skills.tolist(), correct.tolist(), strict=True):
        run[skill] = run[skill] + 1 if right else 0
    return run


def knowledge_state(
    traced: np.ndarray,
    seq: StudentSequence,
    bar: np.ndarray,
    *,
    prior: np.ndarray,
    ancestors: np.ndarray | None = None,
    streak: int = 0,
    half_life_days: float | None = None,
    now_s: float = 0.0,
) -> np.ndarray:
    """One student's mastery from BKT's ``traced`` P(known) of ``seq``'s skills, in order:

    1. with ``half_life_days`` and timestamps, each practised skill fades towards ``prior``
       by ``0.5 ** (days since its last answer / half_life_days)``;
    2. with ``streak``, a practised skill at or over its ``bar`` whose last ``streak``
       answers were not all right is held just under the bar;
    3. with ``ancestors`` (``[s, a]``), a skill never answered but a prerequisite of one
       answered is raised to its bar.
    """
    out = np.asarray(traced, dtype=np.float64).copy()
    n_skills = out.shape[0]
    answered = np.bincount(seq.skills, minlength=n_skills) > 0
    if half_life_days is not None and seq.timestamps is not None and len(seq):
        last = np.full(n_skills, np.nan)
        np.fmax.at(last, seq.skills, np.asarray(seq.timestamps, dtype=np.float64))
        elapsed_d = np.maximum(now_s - last[answered], 0.0) / _DAY_S
        keep = 0.5 ** (elapsed_d / half_life_days)
        out[answered] = prior[answered] + (out[answered] - prior[answered]) * keep
    if streak > 0:
        run = trailing_correct(seq.skills, seq.correct, n_skills)
        early = answered & (run < streak) & (out >= bar)
        out[early] = bar[early] - 1e-6
    if ancestors is not None:
        implied = ancestors[answered].any(axis=0) & ~answered
        out[implied] = np.maximum(out[implied], bar[implied])
    return out
