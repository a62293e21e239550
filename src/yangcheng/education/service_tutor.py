"""`education.tutor.next`: the next exercise for a student, chosen by ZPDES, with its reason.

The service keeps no state between calls: the student's responses (activity, right or
wrong) are the state, and ZPDES is replayed over them, so any client (a school's app, the
console) can ask without registering students first. The curriculum is the default
simulator's (20 skills ``k000``..``k019``, 200 questions ``q000``..``q199``), the one the
tutoring benchmark measures the policies on.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from yangcheng.education.tutor import NextExercise, TutorResponse, TutorState, next_exercise
from yangcheng.education.tutor.activities import GraphError
from yangcheng.education.tutor.serve import default_graph
from yangcheng.platform.catalog import Capability, InvalidInput

__all__ = ["CAPABILITIES", "TutorAnswer", "TutorRequest", "tutor_next"]

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
)
