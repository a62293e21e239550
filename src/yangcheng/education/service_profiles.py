"""Student and teacher profiles on the platform, and the console's Profiles page.

Profiles are read from the demo school (``demo_school``: a generated term seen in its fourth
week), so a teacher can see what the indicators say before wiring their own data in; every
indicator's definition and thresholds come from the one registry
(``yangcheng.education.profiles.indicators``), which also writes the evaluation-system
document that ``education.indicators`` serves.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from yangcheng.education.demo_school import OBSERVED_WEEKS, demo_school
from yangcheng.education.profiles import INDICATORS, IndicatorValue, evaluation_system_markdown
from yangcheng.platform.catalog import Capability, DashboardPage, InvalidInput
from yangcheng.platform.panels import Chart, Dashboard, Series, Table, Tile

__all__ = ["CAPABILITIES", "DASHBOARD"]

Level = Literal["ok", "warn", "alert", "unknown"]
SHOWN = 25


class IndicatorOut(BaseModel):
    name: str
    value: float | None
    unit: str
    level: Level


def _out(values: dict[str, IndicatorValue]) -> dict[str, IndicatorOut]:
    return {
        k: IndicatorOut(name=v.name, value=v.value, unit=v.unit, level=v.level)
        for k, v in values.items()
    }


class StudentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student_id: str = Field(
        default="s000", min_length=1, max_length=64, description="A demo school student."
    )


class StudentOut(BaseModel):
    student_id: str
    responses: int
    indicators: dict[str, IndicatorOut]
    skill_mastery: dict[str, float] = Field(description="BKT P(known) per skill practised.")
    weakest_skills: list[str]
    alerts: list[str] = Field(description="Indicators at level alert.")


class TeacherRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    teacher_id: str = Field(
        default="t01", min_length=1, max_length=64, description="A demo school teacher."
    )


class TeacherOut(BaseModel):
    teacher_id: str
    indicators: dict[str, IndicatorOut]
    courses: dict[str, dict[str, IndicatorOut]]
    alerts: list[str]


def student_profile(req: StudentRequest) -> StudentOut:
    school = demo_school()
    profile = school.students.get(req.student_id)
    if profile is None:
        ids = sorted(school.students)
        raise InvalidInput(
            "student_id",
            f"no student {req.student_id!r} in the demo school ({len(ids)} students, "
            f"{ids[0]}..{ids[-1]})",
        )
    return StudentOut(
        student_id=profile.student_id,
        responses=profile.responses,
        indicators=_out(profile.indicators),
        skill_mastery=profile.skill_mastery,
        weakest_skills=profile.weakest_skills,
        alerts=profile.alerts,
    )


def teacher_profile(req: TeacherRequest) -> TeacherOut:
    school = demo_school()
    profile = school.teachers.get(req.teacher_id)
    if profile is None:
        raise InvalidInput(
            "teacher_id",
            f"no teacher {req.teacher_id!r} in the demo school: "
            + ", ".join(sorted(school.teachers)),
        )
    return TeacherOut(
        teacher_id=profile.teacher_id,
        indicators=_out(profile.indicators),
        courses={c: _out(v) for c, v in profile.courses.items()},
        alerts=profile.alerts,
    )


class IndicatorsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["all", "student", "teacher", "course"] = "all"


class IndicatorDefinition(BaseModel):
    name: str
    scope: str
    title: str
    definition: str
    formula: str
    unit: str
    higher_is_better: bool
    ok: float = Field(description="The ok side of this threshold is level ok.")
    warn: float = Field(description="Beyond this threshold the level is alert.")
    source: str


class IndicatorsResponse(BaseModel):
    indicators: list[IndicatorDefinition]
    document_markdown: str = Field(description="The evaluation-system document.")


def indicators(req: IndicatorsRequest) -> IndicatorsResponse:
    chosen = [i for i in INDICATORS.values() if req.scope in ("all", i.scope)]
    return IndicatorsResponse(
        indicators=[
            IndicatorDefinition(
                name=i.name,
                scope=i.scope,
                title=i.title,
                definition=i.definition,
                formula=i.formula,
                unit=i.unit,
                higher_is_better=i.higher_is_better,
                ok=i.ok,
                warn=i.warn,
                source=i.source,
            )
            for i in chosen
        ],
        document_markdown=evaluation_system_markdown(),
    )


class OverviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OverviewResponse(BaseModel):
    dashboard: Dashboard


def _value(values: dict[str, IndicatorValue], name: str, digits: int = 2) -> float | None:
    v = values[name].value
    return None if v is None else round(float(v), digits)


def overview(_: OverviewRequest) -> OverviewResponse:
    school = demo_school()
    students = school.students
    risk = school.dropout_risk
    ranked = sorted(students.values(), key=lambda p: -risk.get(p.student_id, -1.0))
    mastery = np.array([p.indicators["mastery"].value or 0.0 for p in students.values()])
    high_risk = sum(1 for p in risk.values() if p >= 0.5)
    alerts = sum(1 for p in students.values() if p.alerts)
    bins = np.linspace(0.0, 1.0, 11)
    counts, _edges = np.histogram([risk[s] for s in risk], bins=bins)
    tiles = [
        Tile(label="Students", value=len(students), hint=f"week {OBSERVED_WEEKS} of the term"),
        Tile(
            label="Dropout risk ≥ 50 %",
            value=high_risk,
            level="warn" if high_risk else "ok",
            hint="students active in the last week whose predicted P(dropout) is at least 0.5",
        ),
        Tile(label="With an alert", value=alerts, hint="an indicator at level alert"),
        Tile(label="Mean mastery", value=f"{float(mastery.mean()):.2f}", unit="P(known)"),
        Tile(label="Teachers", value=len(school.teachers)),
    ]
    student_rows: list[list[float | int | str | None]] = [
        [
            p.student_id,
            None if p.student_id not in risk else round(risk[p.student_id], 3),
            _value(p.indicators, "mastery"),
            _value(p.indicators, "accuracy", 1),
            _value(p.indicators, "active_days_per_week"),
            p.responses,
            ", ".join(p.alerts) or "—",
        ]
        for p in ranked[:SHOWN]
    ]
    teacher_rows: list[list[float | int | str | None]] = [
        [
            t.teacher_id,
            _value(t.indicators, "courses", 0),
            _value(t.indicators, "students", 0),
            _value(t.indicators, "resource_learning_gain", 1),
            _value(t.indicators, "pass_rate", 1),
            _value(t.indicators, "dropout_rate", 1),
            ", ".join(t.alerts) or "—",
        ]
        for t in school.teachers.values()
    ]
    dashboard = Dashboard(
        title=f"Demo school, week {OBSERVED_WEEKS} of {12}: students and teachers",
        generated_at=time.time(),
        tiles=tiles,
        charts=[
            Chart(
                title="Students by predicted dropout risk",
                y_unit="students",
                x_kind="number",
                kind="bar",
                series=[
                    Series(
                        name="students",
                        points=[
                            (round(float(b) + 0.05, 2), float(c))
                            for b, c in zip(bins[:-1], counts, strict=True)
                        ],
                    )
                ],
            )
        ],
        tables=[
            Table(
                title=f"Students most at risk (top {SHOWN})",
                columns=[
                    "student",
                    "P(dropout)",
                    "mastery",
                    "accuracy %",
                    "active days/week",
                    "responses",
                    "alerts",
                ],
                rows=student_rows,
            ),
            Table(
                title="Teachers",
                columns=[
                    "teacher",
                    "courses",
                    "students",
                    "resource gain (points)",
                    "pass rate %",
                    "dropout rate %",
                    "alerts",
                ],
                rows=teacher_rows,
            ),
        ],
        note="Dropout risk: a logistic model on the first four weeks' activity, trained on "
        "another generated cohort. Levels follow the thresholds of the indicator registry "
        "(education.indicators serves them and the evaluation-system document).",
    )
    return OverviewResponse(dashboard=dashboard)


CAPABILITIES = (
    Capability(
        name="education.profile.student",
        version="1.0.0",
        group="education",
        summary="A student's profile: mastery, engagement, dropout risk, with levels",
        description="Every student indicator of the registry (mastery, coverage, accuracy, "
        "active days, sessions, time on task, regularity, progress, dropout risk) with its "
        "level (ok / warn / alert), BKT mastery per skill and the weakest skills; for a "
        "student of the demo school in week 4 of the term.",
        request_model=StudentRequest,
        response_model=StudentOut,
        handler=student_profile,
        examples=({"student_id": "s000"},),
    ),
    Capability(
        name="education.profile.teacher",
        version="1.0.0",
        group="education",
        summary="A teacher's profile: teaching load, resource quality, student outcomes",
        description="Every teacher indicator of the registry (courses, students, resources "
        "authored, their usage, completion and learning gain, students' mastery gain, pass "
        "rate, dropout rate) and each course's, with levels; for a demo school teacher.",
        request_model=TeacherRequest,
        response_model=TeacherOut,
        handler=teacher_profile,
        examples=({"teacher_id": "t01"},),
    ),
    Capability(
        name="education.indicators",
        version="1.0.0",
        group="education",
        summary="The evaluation system: every indicator's definition, formula and thresholds",
        description="The indicator registry profiles are measured with, and the evaluation-"
        "system document generated from it (Markdown).",
        request_model=IndicatorsRequest,
        response_model=IndicatorsResponse,
        handler=indicators,
        examples=({"scope": "student"},),
    ),
    Capability(
        name="education.profiles.overview",
        version="1.0.0",
        group="education",
        summary="The demo school's students and teachers as a dashboard",
        description="Students ranked by predicted dropout risk with their alerts, the risk "
        "distribution, and the teachers' indicators (the console's Profiles page).",
        request_model=OverviewRequest,
        response_model=OverviewResponse,
        handler=overview,
        examples=({},),
    ),
)

DASHBOARD = DashboardPage(
    slug="education-profiles",
    title="Profiles",
    group="education",
    description="Students at risk of dropping out, and teachers' indicators (demo school).",
    status_capability="education.profiles.overview",
    refresh_s=3600,
)
