from __future__ import annotations

import json

import pytest

from yangcheng.education.data.presets import generate_dataset
from yangcheng.education.profiles import (
    INDICATORS,
    AssignmentError,
    Assignments,
    generate_assignments,
    student_profiles,
    teacher_profiles,
)
from yangcheng.education.profiles.indicators import indicators_for
from yangcheng.education.tracing import BKT


@pytest.fixture(scope="module")
def cohort():  # type: ignore[no-untyped-def]
    ds = generate_dataset("sim-tiny", seed=0)
    bkt = BKT(max_iter=30).fit(ds.sequences)
    students = student_profiles(
        ds.log, bkt, sequences=ds.sequences, dropout_risk={"s000": 0.9, "s001": 0.1}
    )
    return ds, bkt, students


def test_student_profiles_levels_follow_the_registry(cohort) -> None:  # type: ignore[no-untyped-def]
    ds, _, students = cohort
    assert set(students) == set(ds.log["student_id"])
    for profile in students.values():
        assert set(profile.indicators) == {i.name for i in indicators_for("student")}
        for name, value in profile.indicators.items():
            assert value.level == INDICATORS[name].level_of(value.value)
        assert profile.alerts == [n for n, v in profile.indicators.items() if v.level == "alert"]
        assert 0 <= profile.indicators["coverage"].value <= 100
    assert students["s000"].indicators["dropout_risk"].level == "alert"
    assert students["s001"].indicators["dropout_risk"].level == "ok"
    assert students["s002"].indicators["dropout_risk"].level == "unknown"
    json.dumps(students["s000"].to_dict())


def test_accuracy_matches_the_log(cohort) -> None:  # type: ignore[no-untyped-def]
    ds, _, students = cohort
    seq = next(s for s in ds.sequences if s.student == "s003")
    assert students["s003"].indicators["accuracy"].value == pytest.approx(100 * seq.correct.mean())


def test_teacher_profiles(cohort) -> None:  # type: ignore[no-untyped-def]
    ds, bkt, students = cohort
    items = sorted(set(ds.log["item_id"]))
    a = generate_assignments(sorted(students), items, n_teachers=3, seed=1)
    b = generate_assignments(sorted(students), items, n_teachers=3, seed=1)
    assert a.enrolments.equals(b.enrolments) and a.resources.equals(b.resources)
    prior = dict(zip(ds.sequences.skill_ids, bkt.prior_, strict=True))
    teachers = teacher_profiles(ds.log, a, students, prior)
    assert set(teachers) == set(a.courses["teacher_id"])
    authored = sum(t.indicators["resources_authored"].value or 0 for t in teachers.values())
    assert authored == len(items)  # each item has exactly one author
    for t in teachers.values():
        for name, value in t.indicators.items():
            assert value.level == INDICATORS[name].level_of(value.value)
        assert 0 <= (t.indicators["pass_rate"].value or 0) <= 100
        assert set(t.courses) == set(
            a.courses["course_id"][a.courses["teacher_id"] == t.teacher_id]
        )
    json.dumps(next(iter(teachers.values())).to_dict())


def test_assignments_are_checked(cohort) -> None:  # type: ignore[no-untyped-def]
    _, _, students = cohort
    a = generate_assignments(sorted(students), ["q1"], seed=0)
    with pytest.raises(AssignmentError, match="unknown course"):
        Assignments(a.courses.iloc[:1], a.enrolments.assign(course_id="c99"), a.resources)
    with pytest.raises(AssignmentError, match="teacher_id"):
        Assignments(a.courses.drop(columns="teacher_id"), a.enrolments, a.resources)
