"""The demo school the console's education pages show: one term, seen in its fourth week.

Profiles only mean something against a moment ("who is at risk now?"), so the school is a
generated term of 300 students on the default curriculum (20 skills) cut at the end of week
4: the log up to then, a BKT fitted on it, dropout risk from a model trained on another
generated cohort (never these students), and a generated table of teachers, courses and
enrolments. The whole thing is built once per process (a few seconds) and is the same on
every machine (fixed seeds).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from yangcheng.education.data.logs import to_sequences
from yangcheng.education.profiles import (
    Assignments,
    DropoutModel,
    StudentProfile,
    TeacherProfile,
    from_log,
    generate_assignments,
    generate_engagement_log,
    generated_dropout_data,
    student_profiles,
    teacher_profiles,
)
from yangcheng.education.profiles.engagement import DAY_S, WEEK_S
from yangcheng.education.tracing import BKT

__all__ = ["DemoSchool", "demo_school"]

STUDENTS = 300
TERM_WEEKS = 12
OBSERVED_WEEKS = 4
TRAINING_COHORT = 1_200


@dataclass(frozen=True)
class DemoSchool:
    log: pd.DataFrame
    """The responses up to ``now``."""
    now: float
    start: float
    students: dict[str, StudentProfile]
    teachers: dict[str, TeacherProfile]
    assignments: Assignments
    dropout_risk: dict[str, float]
    tracer: BKT


@lru_cache(maxsize=1)
def demo_school() -> DemoSchool:
    full, _ = generate_engagement_log(STUDENTS, TERM_WEEKS, seed=0)
    start = float(full["timestamp"].min() // DAY_S * DAY_S)
    now = start + OBSERVED_WEEKS * WEEK_S
    log = full[full["timestamp"] < now].reset_index(drop=True)
    cohort = generated_dropout_data(TRAINING_COHORT, TERM_WEEKS, OBSERVED_WEEKS, seed=1)
    assert cohort.labels is not None  # the generated cohort covers its label window
    model = DropoutModel("logistic").fit(cohort.features, cohort.labels)
    current = from_log(
        log, OBSERVED_WEEKS, (2 * OBSERVED_WEEKS, TERM_WEEKS), start=start, bkt_iter=30
    )
    p_dropout = model.predict_proba(current.features)[:, 1]
    risk = {str(s): float(p) for s, p in zip(current.features.index, p_dropout, strict=True)}
    sequences = to_sequences(log)
    tracer = BKT(max_iter=50).fit(sequences)
    students = student_profiles(log, tracer, sequences=sequences, dropout_risk=risk, now=now)
    assignments = generate_assignments(
        sorted(students), sorted(log["item_id"].unique()), n_teachers=6, seed=0
    )
    names = sequences.skill_ids or [str(i) for i in range(sequences.n_skills)]
    prior = {name: float(p) for name, p in zip(names, np.asarray(tracer.prior_), strict=True)}
    teachers = teacher_profiles(log, assignments, students, skill_prior=prior, now=now)
    return DemoSchool(log, now, start, students, teachers, assignments, risk, tracer)
