"""Learning logs in which students drop out, for training and checking a dropout model.

The simulator's logs have students who all keep working until their history ends, so there
is nothing to predict. This generator adds an engagement process on top of the same
curriculum, response and learning model (``StudentSimulator.p_correct``, ``learn``,
``forget``):

* each student has a latent **motivation** that drifts week to week (a student-specific,
  unobserved drift, plus noise) and rises or falls with the week's success;
* each day a student still enrolled studies with a probability that grows with motivation,
  doing a session of a few exercises in curriculum order (three right in a row or ten tries
  to move on, as the simulator's students do);
* at the end of each week a student drops out (never to return) with a hazard that grows
  with low motivation, low recent accuracy and a long gap since the last session.

So the signals a model can see (activity counts, their trend, accuracy, gaps) carry the
hazard, while the unobserved drift and noise keep it from being trivial. Same seed, same
bytes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from yangcheng.education.data.simulator import StudentSimulator

__all__ = ["DAY_S", "WEEK_S", "generate_engagement_log"]

DAY_S = 86_400.0
WEEK_S = 7 * DAY_S
_EPOCH_2024_09_02 = 1_725_235_200.0  # a Monday, 00:00 UTC
_STREAK_TO_ADVANCE = 3
_MAX_TRIES = 10


def generate_engagement_log(
    n_students: int = 1000,
    n_weeks: int = 12,
    seed: int = 0,
    simulator: StudentSimulator | None = None,
    start_time: float = _EPOCH_2024_09_02,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A learning log (``LOG_COLUMNS``) of ``n_students`` over ``n_weeks`` from
    ``start_time``, and the truth per student: ``student_id``, ``ability``,
    ``drift`` (weekly motivation drift), ``dropout_week`` (the week after which the student
    left; -1: stayed to the end). The default simulator is 20 skills, 200 questions.
    """
    if n_students < 1:
        raise ValueError(f"n_students must be positive, got {n_students}")
    if n_weeks < 2:
        raise ValueError(f"n_weeks must be at least 2, got {n_weeks}")
    sim = simulator if simulator is not None else StudentSimulator(seed=seed)
    rng = np.random.default_rng([seed, 7])
    n, k = n_students, sim.n_skills
    skill_questions = [
        np.array([q for q, s in enumerate(sim.question_skills) if skill in s]) for skill in range(k)
    ]
    ability = rng.normal(0.0, sim.ability_sd, n)
    prior = rng.uniform(0.02, 0.2, (n, k))
    curriculum = np.argsort(sim.depth[None, :] + 1.5 * rng.random((n, k)), axis=1)
    motivation = rng.normal(0.4, 0.8, n)
    drift = rng.normal(-0.08, 0.2, n)
    mastery = prior.copy()
    position = np.zeros(n, dtype=np.int64)
    streak = np.zeros(n, dtype=np.int64)
    tries = np.zeros(n, dtype=np.int64)
    enrolled = np.ones(n, dtype=bool)
    dropout_week = np.full(n, -1, dtype=np.int64)
    last_active_day = np.zeros(n)
    records: list[tuple[np.ndarray, ...]] = []
    rows = np.arange(n)

    for week in range(n_weeks):
        week_right = np.zeros(n)
        week_done = np.zeros(n)
        for day in range(7):
            today = week * 7 + day
            if today > 0:
                mastery = sim.forget(mastery, prior, np.full(n, DAY_S))
            p_study = 0.75 / (1.0 + np.exp(-(motivation - 0.2)))
            studying = enrolled & (rng.random(n) < p_study)
            exercises = np.where(studying, 3 + rng.poisson(6.0, n), 0)
            clock = start_time + today * DAY_S + rng.uniform(8, 21, n) * 3600.0
            for step in range(int(exercises.max(initial=0))):
                who = rows[exercises > step]
                finished = position[who] >= k
                rank = np.where(
                    finished,
                    np.floor(rng.random(who.size) * k).astype(np.int64),
                    np.minimum(position[who], k - 1),
                )
                skill = curriculum[who, rank]
                question = np.array(
                    [
                        skill_questions[s][int(u * len(skill_questions[s]))]
                        for s, u in zip(skill, rng.random(who.size), strict=True)
                    ],
                    dtype=np.int64,
                )
                p = sim.p_correct(ability[who], mastery[who], question)
                correct = (rng.random(who.size) < p).astype(np.int64)
                mastery[who] = sim.learn(mastery[who], question)
                seconds = np.round(np.exp(np.log(20.0) + 0.5 * rng.normal(size=who.size)), 3)
                attempts = np.where(correct == 1, 1, 1 + rng.geometric(0.55, who.size))
                hints = np.where(
                    (correct == 0) & (rng.random(who.size) < 0.5), 1 + rng.poisson(0.8, who.size), 0
                )
                records.append(
                    (who, question, correct, np.round(clock[who], 3), seconds, attempts, hints)
                )
                clock[who] += seconds + rng.uniform(2.0, 20.0, who.size)
                current = ~finished
                streak[who] = np.where(current & (correct == 1), streak[who] + 1, 0)
                tries[who] += current
                advance = current & (
                    (streak[who] >= _STREAK_TO_ADVANCE) | (tries[who] >= _MAX_TRIES)
                )
                position[who] += advance
                streak[who[advance]] = 0
                tries[who[advance]] = 0
                week_right[who] += correct
                week_done[who] += 1
            last_active_day = np.where(studying, today, last_active_day)
        if week == n_weeks - 1:
            break
        accuracy = np.where(week_done > 0, week_right / np.maximum(week_done, 1), 0.45)
        motivation += drift + 1.2 * (accuracy - 0.6) + rng.normal(0.0, 0.3, n)
        gap_weeks = ((week + 1) * 7 - 1 - last_active_day) / 7.0
        logit = -2.6 - 0.9 * motivation + 0.8 * gap_weeks + 3.0 * (0.6 - accuracy)
        leaves = enrolled & (rng.random(n) < 1.0 / (1.0 + np.exp(-logit)))
        dropout_week[leaves] = week
        enrolled &= ~leaves

    log = _log_frame(sim, records, n)
    width = max(3, len(str(n - 1)))
    truth = pd.DataFrame(
        {
            "student_id": [f"s{i:0{width}d}" for i in range(n)],
            "ability": ability,
            "drift": drift,
            "dropout_week": dropout_week,
        }
    )
    return log, truth


def _log_frame(
    sim: StudentSimulator, records: list[tuple[np.ndarray, ...]], n: int
) -> pd.DataFrame:
    """One row per skill of each response, in student then time order, as ASSISTments."""
    if not records:
        raise ValueError("no student studied at all: raise n_students or n_weeks")
    student, question, correct, when, seconds, attempts, hints = (
        np.concatenate(c) for c in zip(*records, strict=True)
    )
    order = np.lexsort((when, student))
    student, question, correct = student[order], question[order], correct[order]
    when, seconds, attempts, hints = when[order], seconds[order], attempts[order], hints[order]
    tagged = [sim.question_skills[q] for q in question]
    repeat = np.array([len(t) for t in tagged])
    response = np.repeat(np.arange(question.size), repeat)
    skills = np.concatenate([np.asarray(t) for t in tagged])
    width = max(3, len(str(n - 1)))
    qwidth = max(3, len(str(sim.n_questions - 1)))
    kwidth = max(3, len(str(sim.n_skills - 1)))
    return pd.DataFrame(
        {
            "student_id": np.array([f"s{i:0{width}d}" for i in range(n)], dtype=object)[
                student[response]
            ],
            "item_id": np.array([f"q{i:0{qwidth}d}" for i in range(sim.n_questions)], dtype=object)[
                question[response]
            ],
            "skill_id": np.array([f"k{i:0{kwidth}d}" for i in range(sim.n_skills)], dtype=object)[
                skills
            ],
            "timestamp": when[response],
            "correct": correct[response],
            "response_time_s": seconds[response],
            "attempt": attempts[response],
            "hint_count": hints[response],
        }
    )
