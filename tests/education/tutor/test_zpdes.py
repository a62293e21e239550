from __future__ import annotations

import numpy as np
import pytest

from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.tutor import (
    ZPDES,
    ActivityGraph,
    ExpertCurriculum,
    GraphError,
    RandomPolicy,
    compare_policies,
    default_policies,
    simulate_policy,
)

SIM = StudentSimulator(
    n_skills=10, n_questions=60, prerequisite_density=0.3, seed=0, half_life_days=float("inf")
)
GRAPH = ActivityGraph.from_simulator(SIM)


def test_graph_order_respects_prerequisites() -> None:
    rank = np.empty(GRAPH.n_activities, dtype=np.int64)
    rank[GRAPH.order] = np.arange(GRAPH.n_activities)
    for a, p in zip(*np.nonzero(GRAPH.prerequisites), strict=True):
        assert rank[p] < rank[a]
    assert GRAPH.prerequisites.any()


def test_graph_rejects_a_cycle() -> None:
    p = np.array([[False, True], [True, False]])
    pools = (np.array([0]), np.array([1]))
    with pytest.raises(GraphError, match="cycle"):
        ActivityGraph(p, pools, ("a", "b"))
    with pytest.raises(GraphError, match="no exercises"):
        ActivityGraph(np.zeros((2, 2), bool), (np.array([0]), np.array([], int)), ("a", "b"))


def test_zpdes_never_leaves_the_zpd() -> None:
    trace: list[tuple[np.ndarray, np.ndarray | None]] = []
    policy = ZPDES(GRAPH)
    simulate_policy(policy, SIM, GRAPH, n_students=100, n_steps=80, seed=0, trace=trace)
    rows = np.arange(100)
    grew = False
    for activities, zpd in trace:
        assert zpd is not None
        assert zpd[rows, activities].all()
        grew |= bool((zpd.sum(axis=1) > len(GRAPH.roots)).any())
    assert grew  # the ZPD did expand as activities were mastered
    # an activity opens only once all its prerequisites are mastered (or all are mastered)
    s = policy.state
    open_ = s.zpd & ~s.mastered.all(axis=1, keepdims=True)
    for student, activity in zip(*np.nonzero(open_), strict=True):
        parents = np.flatnonzero(GRAPH.prerequisites[activity])
        assert s.mastered[student, parents].all()
        assert not s.mastered[student, activity]


def test_zpd_starts_at_the_roots() -> None:
    policy = ZPDES(GRAPH)
    policy.start(3, np.random.default_rng(0))
    expected = np.zeros(GRAPH.n_activities, dtype=bool)
    expected[GRAPH.roots] = True
    assert (policy.state.zpd == expected).all()
    p = policy.probabilities()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p[:, ~expected] == 0).all()


def test_learning_progress_raises_the_weight() -> None:
    policy = ZPDES(GRAPH, gamma=0.0)
    policy.start(1, np.random.default_rng(0))
    a = np.array([GRAPH.roots[0]])
    for c in (0, 0, 0, 1, 1, 1):
        policy.observe(a, np.array([c]))
    assert policy.state.progress[0, a[0]] == pytest.approx(1.0)
    assert policy.state.weights[0, a[0]] > policy.w_init


def test_zpdes_beats_random_on_a_small_run() -> None:
    results = {
        r.policy: r
        for r in compare_policies(
            SIM, n_students=150, n_steps=60, seeds=(0,), policies=default_policies(with_bkt=False)
        )
    }
    zpdes, random = results["ZPDES"].gain_per_exercise, results["random"].gain_per_exercise
    assert zpdes.ci_low > random.ci_high
    assert results["ZPDES"].final_mastery.mean > results["random"].final_mastery.mean


def test_simulation_is_deterministic() -> None:
    a = simulate_policy(ZPDES(GRAPH), SIM, GRAPH, 20, 30, seed=4)
    b = simulate_policy(ZPDES(GRAPH), SIM, GRAPH, 20, 30, seed=4)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_baselines_choose_valid_activities() -> None:
    for policy in (RandomPolicy(GRAPH), ExpertCurriculum(GRAPH)):
        trace: list[tuple[np.ndarray, np.ndarray | None]] = []
        simulate_policy(policy, SIM, GRAPH, 10, 40, seed=0, trace=trace)
        chosen = np.concatenate([t[0] for t in trace])
        assert chosen.min() >= 0 and chosen.max() < GRAPH.n_activities
    expert = ExpertCurriculum(GRAPH)
    expert.start(1, np.random.default_rng(0))
    assert expert.choose()[0] == GRAPH.order[0]
    for _ in range(3):
        expert.observe(expert.choose(), np.array([1]))
    assert expert.choose()[0] == GRAPH.order[1]  # three right in a row moves on
