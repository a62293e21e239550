from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from yangcheng.education.tutor import (
    ZPDES,
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


def test_the_fast_replay_answers_as_the_step_by_step_loop() -> None:
    graph = default_graph()
    rng = np.random.default_rng(5)
    for n in (0, 1, 37, 200):
        acts = rng.integers(0, graph.n_activities, n)
        right = (rng.random(n) < 0.8).astype(np.int64)
        state = TutorState(
            responses=[
                TutorResponse(activity=graph.names[a], correct=int(c))
                for a, c in zip(acts, right, strict=True)
            ]
        )
        answer = next_exercise(state, graph, seed=n + 3)
        slow = ZPDES(graph)
        draw = np.random.default_rng(n + 3)
        slow.start(1, draw)
        for a, c in zip(acts, right, strict=True):
            slow.observe(np.array([a]), np.array([c]))
        p = slow.probabilities()[0]
        chosen = int(slow.choose()[0])
        pool = graph.exercises[chosen]
        assert answer.activity == graph.names[chosen]
        assert answer.question_index == int(pool[int(draw.integers(0, len(pool)))])
        assert answer.probability == float(p[chosen])
        assert answer.mastered == [graph.names[i] for i in np.flatnonzero(slow.state.mastered[0])]
        assert answer.zpd == [graph.names[i] for i in np.flatnonzero(slow.state.zpd[0])]


def test_a_faded_mastered_activity_is_reviewed_with_its_reason() -> None:
    graph = default_graph()
    root, other = graph.names[graph.roots[0]], graph.names[graph.roots[1]]
    history = [TutorResponse(activity=root, correct=1)] * 4
    history += [TutorResponse(activity=other, correct=c % 2) for c in range(120)]
    reviews = [
        r
        for seed in range(40)
        if (r := next_exercise(TutorState(responses=history), seed=seed)).activity == root
    ]
    assert reviews  # the faded root comes back now and then
    assert all(root in r.mastered and root not in r.zpd for r in reviews)
    assert all("spaced review" in r.reason and "121 exercises ago" in r.reason for r in reviews)
