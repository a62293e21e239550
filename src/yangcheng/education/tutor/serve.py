"""The tutor as the platform serves it: a student's responses in, the next exercise out.

The state is the response history itself (activity, right or wrong), so the service keeps
nothing between calls: ZPDES is replayed over the history (``ZPDES.replay``: a few hundred
responses take well under a millisecond) and the choice comes with its reason: the ZPD, the
chosen activity's learning progress (or, for a review, how long ago it was practised) and
the chance it had. The draw is seeded by the history's length unless a seed is given, so
the same history gives the same answer.
"""

from __future__ import annotations

import time
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, Field

from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.tutor.activities import ActivityGraph, GraphError
from yangcheng.education.tutor.zpdes import ZPDES

__all__ = [
    "NextExercise",
    "TutorResponse",
    "TutorState",
    "UnknownActivity",
    "default_graph",
    "next_exercise",
]


class UnknownActivity(GraphError):
    """A response names an activity the graph does not have."""


class TutorResponse(BaseModel):
    activity: str = Field(description="activity (skill) id the exercise belonged to")
    correct: int = Field(ge=0, le=1, description="1 when the first attempt was right")


class TutorState(BaseModel):
    responses: list[TutorResponse] = Field(
        default_factory=list, description="the student's responses, oldest first"
    )


class NextExercise(BaseModel):
    activity: str
    question_index: int
    reason: str
    zpd: list[str]
    mastered: list[str]
    learning_progress: float
    probability: float
    latency_ms: float


@lru_cache(maxsize=4)
def default_graph(seed: int = 0) -> ActivityGraph:
    """The default simulator's curriculum (20 skills, 200 questions)."""
    return ActivityGraph.from_simulator(StudentSimulator(seed=seed))


def next_exercise(
    state: TutorState, graph: ActivityGraph | None = None, seed: int | None = None
) -> NextExercise:
    """The next exercise for the student whose history is ``state``, and why."""
    started = time.perf_counter()
    g = graph if graph is not None else default_graph()
    index = {name: i for i, name in enumerate(g.names)}
    activities = np.empty(len(state.responses), dtype=np.int64)
    for i, response in enumerate(state.responses):
        if response.activity not in index:
            raise UnknownActivity(
                f"responses[{i}].activity {response.activity!r} is not an activity of the "
                f"graph ({g.n_activities} activities, e.g. {g.names[0]!r})"
            )
        activities[i] = index[response.activity]
    correct = np.array([r.correct for r in state.responses], dtype=np.int64)
    rng = np.random.default_rng(seed if seed is not None else len(state.responses))
    tutor = ZPDES(g)
    tutor.replay(activities, correct, rng)
    p = tutor.probabilities()[0]
    chosen = int(tutor.choose()[0])
    pool = g.exercises[chosen]
    question = int(pool[int(rng.integers(0, len(pool)))])
    s = tutor.state
    zpd = [g.names[i] for i in np.flatnonzero(s.zpd[0])]
    mastered = [g.names[i] for i in np.flatnonzero(s.mastered[0])]
    progress = float(s.progress[0, chosen])
    tries = int(s.counts[0, chosen])
    if len(mastered) == g.n_activities:
        why = "every activity is mastered: review"
    elif s.mastered[0, chosen]:
        ago = int(s.clock[0] - s.last_step[0, chosen])
        why = f"spaced review of a mastered activity last practised {ago} exercises ago"
    elif tries == 0:
        why = "newly opened in the ZPD, not tried yet"
    else:
        why = f"learning progress {progress:+.2f} over its last {min(tries, tutor.window)} tries"
    reason = (
        f"{g.names[chosen]}: {why}; chosen with p={p[chosen]:.2f} among {len(zpd)} "
        f"activities in the ZPD ({len(mastered)} mastered)"
    )
    return NextExercise(
        activity=g.names[chosen],
        question_index=question,
        reason=reason,
        zpd=zpd,
        mastered=mastered,
        learning_progress=progress,
        probability=float(p[chosen]),
        latency_ms=(time.perf_counter() - started) * 1e3,
    )
