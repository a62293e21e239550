"""A student's mastery curves as a console dashboard (`education.kt.mastery`).

A teacher reads "she got skill 61 after the fifth try" faster from curves than from
numbers, so the console's Mastery page draws what ``education.kt.predict`` answers: one
curve per skill the student practised, the model's P(correct) before each response, and a
table of where each skill started and ended. The page calls the capability with ``{}``,
which draws a shipped demo student (a real ASSIST2015 test student); over the API any
history can be drawn the same way.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from yangcheng.education.models.files import MODEL_NAME
from yangcheng.education.models.shipped import DEFAULT_MODEL, demo_students
from yangcheng.education.service_kt import (
    MAX_HISTORY,
    PredictRequest,
    PredictResponse,
    ResponseIn,
    predict,
)
from yangcheng.platform.catalog import Capability, DashboardPage, InvalidInput
from yangcheng.platform.panels import Chart, Dashboard, Series, Table, Tile

__all__ = ["CAPABILITIES", "DASHBOARD", "MasteryRequest", "MasteryResponse", "mastery"]

MAX_CURVES = 8
"""The console draws eight series per chart at most."""


class MasteryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default=DEFAULT_MODEL, min_length=1, max_length=64, pattern=MODEL_NAME.pattern
    )
    student: int = Field(
        default=0, ge=0, le=99, description="Which shipped demo student (when no history)."
    )
    history: list[ResponseIn] | None = Field(
        default=None,
        max_length=MAX_HISTORY,
        description="A history to draw instead of a demo student (as education.kt.predict).",
    )
    skills: int = Field(default=6, ge=1, le=MAX_CURVES, description="Curves to draw.")


class MasteryResponse(BaseModel):
    student: str
    prediction: PredictResponse
    dashboard: Dashboard


def _demo_history(req: MasteryRequest) -> tuple[str, list[ResponseIn]]:
    students = demo_students()
    if req.model != DEFAULT_MODEL:
        raise InvalidInput(
            "history", f"the demo students are {DEFAULT_MODEL}'s; give a history for {req.model}"
        )
    if req.student >= len(students):
        raise InvalidInput(
            "student", f"there are {len(students)} demo students (0..{len(students) - 1})"
        )
    seq = students[req.student]
    skill_ids = students.skill_ids
    history = [
        ResponseIn(skill_id=skill_ids[s], correct=int(c))
        for s, c in zip(seq.skills.tolist(), seq.correct.tolist(), strict=True)
    ]
    return f"ASSIST2015 test student {seq.student} (demo {req.student})", history


def mastery(req: MasteryRequest) -> MasteryResponse:
    if req.history is None:
        student, history = _demo_history(req)
    else:
        student, history = "the given history", req.history
    answer = predict(PredictRequest(model=req.model, history=history, trajectory_skills=req.skills))
    steps = answer.trajectory_steps
    curves = Chart(
        title="Mastery after each response",
        y_unit="P(known)" if answer.mastery_kind == "p_known" else "P(correct)",
        x_kind="number",
        series=[
            Series(name=f"skill {t.skill_id}", points=list(zip(steps, t.mastery, strict=True)))
            for t in answer.trajectory
        ],
    )
    right = np.array([r.correct for r in history], dtype=np.float64)
    running = np.cumsum(right) / np.arange(1, len(right) + 1) if len(right) else right
    predicted = Chart(
        title="P(correct) before each response, and the share answered right so far",
        y_unit="P(correct)",
        x_kind="number",
        series=[
            Series(
                name="model, before the answer",
                points=[(i + 1, p) for i, p in enumerate(answer.p_correct)],
            ),
            Series(
                name="share right so far",
                points=[(i + 1, float(p)) for i, p in enumerate(running)],
            ),
        ],
    )
    by_skill = {m.skill_id: m for m in answer.mastery}
    rows: list[list[float | int | str | None]] = []
    for t in answer.trajectory:
        m = by_skill[t.skill_id]
        rows.append(
            [t.skill_id, m.responses, m.correct, round(t.mastery[0], 3), round(m.mastery, 3)]
        )
    practised = [m for m in answer.mastery if m.responses]
    tiles = [
        Tile(label="Responses", value=len(history), hint=student),
        Tile(
            label="Answered right",
            value=f"{100 * float(right.mean()):.0f}" if len(right) else "—",
            unit="%",
        ),
        Tile(label="Skills practised", value=len(practised)),
    ]
    if practised:
        best = max(practised, key=lambda m: m.mastery)
        worst = min(practised, key=lambda m: m.mastery)
        unit = "P(known)" if answer.mastery_kind == "p_known" else "P(correct)"
        tiles += [
            Tile(
                label=f"Strongest: skill {best.skill_id}",
                value=f"{best.mastery:.2f}",
                unit=unit,
                level="ok",
                hint="the highest mastery among the skills practised",
            ),
            Tile(
                label=f"Weakest: skill {worst.skill_id}",
                value=f"{worst.mastery:.2f}",
                unit=unit,
                level="warn" if worst.mastery < 0.6 else "info",
                hint="the lowest mastery among the skills practised: practise it next",
            ),
        ]
    dashboard = Dashboard(
        title=f"{student}, model {answer.model} ({answer.tracer})",
        generated_at=time.time(),
        tiles=tiles,
        charts=[curves, predicted],
        tables=[
            Table(
                title="Skills practised most",
                columns=["skill", "responses", "right", "mastery before", "mastery now"],
                rows=rows,
            )
        ],
        note="Mastery is "
        + (
            "P(the skill is known) at its next practice (BKT)."
            if answer.mastery_kind == "p_known"
            else "P(a right answer) on the skill's next question, as the model sees it."
        )
        + " x: responses seen.",
    )
    return MasteryResponse(student=student, prediction=answer, dashboard=dashboard)


CAPABILITIES = (
    Capability(
        name="education.kt.mastery",
        version="1.0.0",
        group="education",
        summary="A student's mastery curves as a dashboard (a demo student, or any history)",
        description="What education.kt.predict answers, drawn: mastery per skill after each "
        "response, the model's P(correct) before each response, where each skill started and "
        "ended. With no history it draws a shipped demo student (the console's Mastery page).",
        request_model=MasteryRequest,
        response_model=MasteryResponse,
        handler=mastery,
        examples=({"student": 0}, {"student": 2, "skills": 4}),
    ),
)

DASHBOARD = DashboardPage(
    slug="education-mastery",
    title="Mastery",
    group="education",
    description="A student's mastery curves from knowledge tracing (DKT on ASSISTments 2015).",
    status_capability="education.kt.mastery",
    refresh_s=3600,
)
