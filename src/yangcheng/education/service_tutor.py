"""`education.tutor.next`: the next exercise for a student, chosen by ZPDES, with its reason.

The service keeps no state between calls: the student's responses (activity, right or
wrong) are the state, and ZPDES is replayed over them, so any client (a school's app, the
console) can ask without registering students first. The curriculum is the default
simulator's (20 skills ``k000``..``k019``, 200 questions ``q000``..``q199``), the one the
tutoring benchmark measures the policies on.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.tutor import (
    ActivityGraph,
    NextExercise,
    TutorResponse,
    TutorState,
    default_policies,
    next_exercise,
    simulate_policy,
)
from yangcheng.education.tutor.activities import GraphError
from yangcheng.education.tutor.serve import default_graph
from yangcheng.platform.catalog import Capability, DashboardPage, InvalidInput
from yangcheng.platform.panels import Chart, Dashboard, Series, Table, Tile

__all__ = ["CAPABILITIES", "DASHBOARD", "TutorAnswer", "TutorRequest", "compare", "tutor_next"]

MAX_RESPONSES = 2_000
MAX_SEED = 2**31 - 1


class TutorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    responses: list[TutorResponse] = Field(
        default_factory=list,
        max_length=MAX_RESPONSES,
        description="The student's responses so far, oldest first: the activity (skill id, "
        "k000..k019) of each exercise and whether the first attempt was right.",
    )
    seed: int | None = Field(
        default=None,
        ge=0,
        le=MAX_SEED,
        description="Seeds the draw among the ZPD's activities; default: the history's length "
        "(the same history, the same answer).",
    )


class TutorAnswer(NextExercise):
    question_id: str = Field(description="The exercise to give (a question of the activity).")
    activities: int = Field(description="Activities in the curriculum.")


def tutor_next(req: TutorRequest) -> TutorAnswer:
    graph = default_graph()
    try:
        chosen = next_exercise(TutorState(responses=req.responses), graph, seed=req.seed)
    except GraphError as exc:  # an activity the curriculum does not have
        raise InvalidInput("responses", str(exc)) from None
    n_questions = 1 + max(int(pool.max()) for pool in graph.exercises)
    width = max(3, len(str(n_questions - 1)))  # the simulator's own naming (q000..)
    return TutorAnswer(
        **chosen.model_dump(),
        question_id=f"q{chosen.question_index:0{width}d}",
        activities=graph.n_activities,
    )


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    students: int = Field(default=300, ge=10, le=2_000, description="Simulated students.")
    exercises: int = Field(default=100, ge=10, le=400, description="Exercises each.")
    forgetting: bool = Field(
        default=True, description="Mastery halves back to the prior every 4 days unpractised."
    )
    seed: int = Field(default=0, ge=0, le=MAX_SEED, description="The cohort.")


class CompareResponse(BaseModel):
    dashboard: Dashboard


def compare(req: CompareRequest) -> CompareResponse:
    """Every policy teaches the same simulated cohort; the chart is their true mastery."""
    simulator = StudentSimulator(seed=0, half_life_days=4.0 if req.forgetting else np.inf)
    graph = ActivityGraph.from_simulator(simulator)
    curves: dict[str, list[float]] = {}
    rows: list[list[float | int | str | None]] = []
    gains: dict[str, float] = {}
    for name, factory in default_policies(with_bkt=True).items():
        curve: list[float] = []
        result = simulate_policy(
            factory(graph, simulator, req.seed),
            simulator,
            graph,
            req.students,
            req.exercises,
            seed=req.seed,
            curve=curve,
        )
        curves[name] = curve
        gain = 1e3 * result["gain_per_exercise"]
        half = 1.96 * float(gain.std(ddof=1)) / np.sqrt(len(gain))
        gains[name] = float(gain.mean())
        rows.append(
            [
                name,
                round(float(gain.mean()), 3),
                f"{gain.mean() - half:.3f} to {gain.mean() + half:.3f}",
                round(float(result["final_mastery"].mean()), 3),
                round(float(result["skills_mastered_pct"].mean()), 2),
            ]
        )
    best = max(gains, key=lambda k: gains[k])
    dashboard = Dashboard(
        title=f"Tutoring policies on {req.students} simulated students, {req.exercises} "
        f"exercises each ({'with' if req.forgetting else 'without'} forgetting)",
        generated_at=time.time(),
        tiles=[
            Tile(
                label=f"{name} gain",
                value=f"{gain:.2f}",
                unit="x1000 per exercise",
                level="ok" if name == best else "info",
                hint="mean true mastery gained per exercise, over all skills",
            )
            for name, gain in gains.items()
        ],
        charts=[
            Chart(
                title="Mean true mastery of the cohort after each exercise",
                y_unit="mastery",
                x_kind="number",
                series=[
                    Series(name=name, points=[(float(i), m) for i, m in enumerate(curve)])
                    for name, curve in curves.items()
                ],
            )
        ],
        tables=[
            Table(
                title="Per policy (95 % interval over students)",
                columns=[
                    "policy",
                    "gain per exercise x1000",
                    "interval",
                    "final mastery",
                    "% mastered",
                ],
                rows=rows,
            )
        ],
        note="The simulator's hidden mastery is known, so learning itself is measured, not "
        "just right answers. ZPDES: learning-progress bandit over the zone of proximal "
        "development with spaced review; expert: prerequisite order, 3 right in a row; "
        "bkt-mastery: BKT's P(known) >= 0.95 before moving on.",
    )
    return CompareResponse(dashboard=dashboard)


CAPABILITIES = (
    Capability(
        name="education.tutor.next",
        version="1.0.0",
        group="education",
        summary="The next exercise for a student (ZPDES bandit over the prerequisite graph)",
        description="Replays the student's responses through ZPDES (Clément et al. 2015): "
        "activities open when their prerequisites are mastered (the zone of proximal "
        "development), and among the open ones the tutor favours those where the student's "
        "success rate is rising fastest; a share of choices goes to spaced review of "
        "mastered activities, growing as their last practice recedes. Answers the activity, "
        "a question of it, the ZPD, the mastered activities and the reason. On the student "
        "simulator it gains more mastery per exercise than random practice and the expert "
        "prerequisite order, with and without forgetting (yangcheng bench education).",
        request_model=TutorRequest,
        response_model=TutorAnswer,
        handler=tutor_next,
        examples=(
            {"responses": []},
            {
                "responses": [
                    {"activity": "k000", "correct": 1},
                    {"activity": "k000", "correct": 1},
                    {"activity": "k000", "correct": 1},
                ]
            },
        ),
    ),
    Capability(
        name="education.tutor.compare",
        version="1.0.0",
        group="education",
        summary="Tutoring policies compared on simulated students (the console's Tutoring page)",
        description="ZPDES, random practice, the expert prerequisite order and BKT mastery "
        "learning teach the same simulated cohort; answers their true mastery curves and "
        "gain per exercise with intervals.",
        request_model=CompareRequest,
        response_model=CompareResponse,
        handler=compare,
        examples=({}, {"students": 100, "exercises": 200, "forgetting": False}),
    ),
)

DASHBOARD = DashboardPage(
    slug="education-tutoring",
    title="Tutoring",
    group="education",
    description="How much each exercise-selection policy teaches simulated students.",
    status_capability="education.tutor.compare",
    refresh_s=3600,
)
