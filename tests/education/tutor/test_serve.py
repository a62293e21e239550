from __future__ import annotations

import pytest
from pydantic import ValidationError

from yangcheng.education.tutor import (
    TutorResponse,
    TutorState,
    UnknownActivity,
    default_graph,
    next_exercise,
)


def test_empty_history_starts_at_a_root() -> None:
    graph = default_graph()
    result = next_exercise(TutorState())
    assert graph.index(result.activity) in set(graph.roots.tolist())
    assert set(result.zpd) == {graph.names[i] for i in graph.roots}
    assert result.question_index in set(graph.exercises[graph.index(result.activity)].tolist())
    assert result.activity in result.reason and "ZPD" in result.reason
    assert result.latency_ms >= 0


def test_mastered_roots_open_their_children_and_same_state_same_answer() -> None:
    graph = default_graph()
    root = graph.names[graph.roots[0]]
    state = TutorState(responses=[TutorResponse(activity=root, correct=1)] * 6)
    result = next_exercise(state)
    assert root in result.mastered and root not in result.zpd
    assert result.activity in result.zpd
    again = next_exercise(state)
    assert again.model_dump(exclude={"latency_ms"}) == result.model_dump(exclude={"latency_ms"})


def test_bad_input_names_the_field() -> None:
    with pytest.raises(UnknownActivity, match=r"responses\[1\].activity 'zz'"):
        next_exercise(
            TutorState(
                responses=[
                    TutorResponse(activity="k000", correct=1),
                    TutorResponse(activity="zz", correct=0),
                ]
            )
        )
    with pytest.raises(ValidationError):
        TutorResponse(activity="k000", correct=2)
