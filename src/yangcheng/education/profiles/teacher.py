"""Teacher and course profiles from a teacher-course-student assignment table.

Logs say what students did, not who taught them, so teacher profiles need an assignment
table: which teacher gives which course, which students are enrolled, and who authored each
resource (exercise). ``generate_assignments`` makes one deterministically for a demo; a real
one has the same three frames. A teacher's outcome indicators are aggregated from their
students' profiles, so they use the same mastery the student profiles show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from yangcheng.education.data.logs import response_numbers, validate_log
from yangcheng.education.profiles.engagement import DAY_S
from yangcheng.education.profiles.indicators import IndicatorValue, evaluate_indicator
from yangcheng.education.profiles.student import StudentProfile

__all__ = [
    "AssignmentError",
    "Assignments",
    "TeacherProfile",
    "generate_assignments",
    "teacher_profiles",
]

PASS_MASTERY = 0.6
_INACTIVE_S = 14 * DAY_S


class AssignmentError(ValueError):
    """An assignment table that is missing a column or refers to nothing."""


@dataclass
class Assignments:
    courses: pd.DataFrame
    """teacher_id, course_id (one row per course)."""
    enrolments: pd.DataFrame
    """course_id, student_id."""
    resources: pd.DataFrame
    """item_id, teacher_id (author), course_id."""

    def __post_init__(self) -> None:
        for name, frame, columns in (
            ("courses", self.courses, ("teacher_id", "course_id")),
            ("enrolments", self.enrolments, ("course_id", "student_id")),
            ("resources", self.resources, ("item_id", "teacher_id", "course_id")),
        ):
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise AssignmentError(f"{name} lacks column(s): {', '.join(missing)}")
        unknown = set(self.enrolments["course_id"]) - set(self.courses["course_id"])
        if unknown:
            raise AssignmentError(f"enrolments name unknown course(s): {sorted(unknown)[:5]}")


def generate_assignments(
    student_ids: Sequence[str],
    item_ids: Sequence[str],
    n_teachers: int = 4,
    courses_per_teacher: tuple[int, int] = (1, 3),
    seed: int = 0,
) -> Assignments:
    """Teachers ``t01``.. each with a few courses ``c01``..; every student enrolled in one
    or two courses; every item authored by one teacher for one of their courses."""
    if n_teachers < 1 or not student_ids or not item_ids:
        raise AssignmentError("need at least one teacher, student and item")
    rng = np.random.default_rng([seed, 21])
    rows: list[tuple[str, str]] = []
    for t in range(n_teachers):
        for _ in range(int(rng.integers(courses_per_teacher[0], courses_per_teacher[1] + 1))):
            rows.append((f"t{t + 1:02d}", f"c{len(rows) + 1:02d}"))
    courses = pd.DataFrame(rows, columns=["teacher_id", "course_id"])
    names = courses["course_id"].to_numpy()
    enrol = []
    for s in sorted(student_ids):
        for c in rng.choice(names, size=min(int(rng.integers(1, 3)), len(names)), replace=False):
            enrol.append((str(c), s))
    enrolments = pd.DataFrame(enrol, columns=["course_id", "student_id"])
    picked = rng.integers(0, len(courses), len(item_ids))
    resources = pd.DataFrame(
        {
            "item_id": sorted(item_ids),
            "teacher_id": courses["teacher_id"].to_numpy()[picked],
            "course_id": names[picked],
        }
    )
    return Assignments(courses, enrolments, resources)


@dataclass
class TeacherProfile:
    teacher_id: str
    indicators: dict[str, IndicatorValue]
    courses: dict[str, dict[str, IndicatorValue]]
    alerts: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def teacher_profiles(
    log: pd.DataFrame,
    assignments: Assignments,
    students: Mapping[str, StudentProfile],
    skill_prior: Mapping[str, float] | None = None,
    now: float | None = None,
) -> dict[str, TeacherProfile]:
    """A profile per teacher of ``assignments``; ``students`` are the student profiles of
    the same log, ``skill_prior`` the tracer's prior P(known) per skill (for mastery gain)."""
    log = validate_log(log)
    ordered = log.sort_values(["student_id", "timestamp"], kind="stable").reset_index(drop=True)
    responses = ordered.groupby(response_numbers(ordered), sort=False).first()
    end = float(np.nanmax(responses["timestamp"])) if now is None else float(now)
    last_seen = responses.groupby("student_id")["timestamp"].max()
    gains = _resource_gains(responses)
    usage = responses.groupby("item_id").size()
    completed = responses.groupby(["student_id", "item_id"])["correct"].max()
    by_course = assignments.enrolments.groupby("course_id")["student_id"].apply(set)
    profiles = {}
    for teacher, own in assignments.courses.groupby("teacher_id", sort=True):
        course_ids = list(own["course_id"])
        enrolled: set[str] = set().union(*(by_course.get(c, set()) for c in course_ids))
        active = [s for s in sorted(enrolled) if s in students]
        items = set(
            assignments.resources["item_id"][assignments.resources["teacher_id"] == teacher]
        )
        mastery = np.array([_value(students[s], "mastery") for s in active])
        gain = (
            [
                _value(students[s], "mastery")
                - float(np.mean([skill_prior.get(k, np.nan) for k in students[s].skill_mastery]))
                for s in active
            ]
            if skill_prior is not None
            else []
        )
        pairs = completed[completed.index.get_level_values("item_id").isin(items)]
        pair_gains = gains[gains.index.get_level_values("item_id").isin(items)]
        gone = [s for s in active if end - float(last_seen[s]) > _INACTIVE_S]
        values = {
            "courses": float(len(course_ids)),
            "students": float(len(enrolled)),
            "resources_authored": float(len(items)),
            "resource_usage": float(usage.reindex(list(items)).fillna(0).sum()) / len(items)
            if items
            else None,
            "resource_completion": 100.0 * float(pairs.mean()) if len(pairs) else None,
            "resource_learning_gain": float(pair_gains.mean()) if len(pair_gains) else None,
            "student_mastery_gain": float(np.nanmean(gain)) if gain else None,
            "pass_rate": 100.0 * float((mastery >= PASS_MASTERY).mean()) if active else None,
            "dropout_rate": 100.0 * len(gone) / len(active) if active else None,
        }
        indicators = {n: evaluate_indicator(n, v) for n, v in values.items()}
        courses = {}
        for c in course_ids:
            members = [s for s in sorted(by_course.get(c, set())) if s in students]
            here = [s for s in members if end - float(last_seen[s]) <= _INACTIVE_S]
            n_enrolled = len(by_course.get(c, set()))
            courses[c] = {
                "course_mean_mastery": evaluate_indicator(
                    "course_mean_mastery",
                    float(np.mean([_value(students[s], "mastery") for s in members]))
                    if members
                    else None,
                ),
                "course_active_share": evaluate_indicator(
                    "course_active_share", 100.0 * len(here) / n_enrolled if n_enrolled else None
                ),
            }
        profiles[str(teacher)] = TeacherProfile(
            str(teacher),
            indicators,
            courses,
            [n for n, v in indicators.items() if v.level == "alert"],
        )
    return profiles


def _value(profile: StudentProfile, name: str) -> float:
    v = profile.indicators[name].value
    return float("nan") if v is None else v


def _resource_gains(responses: pd.DataFrame) -> pd.Series:
    """Per (student, item): accuracy on the item's skill after its first use minus up to and
    including it, in points; pairs with nothing after are left out."""
    out: dict[tuple[str, str], float] = {}
    for (student, _), group in responses.groupby(["student_id", "skill_id"], sort=False):
        group = group.sort_values("timestamp", kind="stable")
        correct = group["correct"].to_numpy(dtype=np.float64)
        items = group["item_id"].to_numpy()
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item in seen or i + 1 >= len(items):
                seen.add(item)
                continue
            seen.add(item)
            out[(str(student), str(item))] = 100.0 * (
                correct[i + 1 :].mean() - correct[: i + 1].mean()
            )
    if not out:
        return pd.Series(
            [],
            dtype=np.float64,
            index=pd.MultiIndex.from_tuples([], names=["student_id", "item_id"]),
        )
    series = pd.Series(out)
    series.index.names = ["student_id", "item_id"]
    return series
