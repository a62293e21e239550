from __future__ import annotations

import itertools
from dataclasses import fields

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


def test_zpdes_chooses_in_the_zpd_or_reviews_what_is_mastered() -> None:
    trace: list[tuple[np.ndarray, np.ndarray | None]] = []
    policy = ZPDES(GRAPH)
    simulate_policy(policy, SIM, GRAPH, n_students=100, n_steps=80, seed=0, trace=trace)
    rows = np.arange(100)
    grew = False
    for activities, choosable in trace:
        assert choosable is not None
        assert choosable[rows, activities].all()
        grew |= bool((choosable.sum(axis=1) > len(GRAPH.roots)).any())
    assert grew  # the ZPD did expand as activities were mastered
    # an activity opens only once all its prerequisites are mastered (or all are mastered)
    s = policy.state
    assert (s.zpd <= (s.opened | s.mastered.all(axis=1, keepdims=True))).all()
    open_ = s.opened & ~s.mastered.all(axis=1, keepdims=True)
    for student, activity in zip(*np.nonzero(open_), strict=True):
        parents = np.flatnonzero(GRAPH.prerequisites[activity])
        assert s.mastered[student, parents].all()
    assert not (s.zpd & s.mastered & ~s.mastered.all(axis=1, keepdims=True)).any()


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


def _master(policy: ZPDES, activity: int) -> None:
    for _ in range(4):
        policy.observe(np.array([activity]), np.array([1]))


def test_mastered_activities_come_back_for_review_as_time_passes() -> None:
    root, other = int(GRAPH.roots[0]), int(GRAPH.roots[1])
    policy = ZPDES(GRAPH, review_share=0.5, review_half_life=10.0)
    policy.start(1, np.random.default_rng(0))
    _master(policy, root)
    assert policy.state.mastered[0, root] and not policy.state.zpd[0, root]
    chances = []
    for _ in range(30):  # practise something else while the root fades
        chances.append(policy.probabilities()[0, root])
        policy.observe(np.array([other]), np.array([0]))
    assert chances[0] < 0.05 < chances[-1] <= 0.5
    assert all(b > a for a, b in itertools.pairwise(chances))
    off = ZPDES(GRAPH, review_share=0.0)
    off.start(1, np.random.default_rng(0))
    _master(off, root)
    for _ in range(30):
        off.observe(np.array([other]), np.array([0]))
    assert off.probabilities()[0, root] == 0.0


def test_when_everything_is_mastered_the_stalest_comes_first() -> None:
    policy = ZPDES(GRAPH)
    policy.start(1, np.random.default_rng(0))
    for a in GRAPH.order:
        _master(policy, int(a))
    assert policy.state.mastered.all() and policy.state.zpd.all()
    p = policy.probabilities()[0]
    np.testing.assert_allclose(p.sum(), 1.0)
    assert p.argmax() == GRAPH.order[0] and p.argmin() == GRAPH.order[-1]


def test_sliding_window_rejudges_mastery() -> None:
    root = int(GRAPH.roots[0])
    children = np.flatnonzero(GRAPH.prerequisites[:, root] & (GRAPH.prerequisites.sum(axis=1) == 1))
    policy = ZPDES(GRAPH, unmaster_threshold=0.5)
    policy.start(1, np.random.default_rng(0))
    _master(policy, root)
    assert policy.state.opened[0, children].all()
    for _ in range(2):  # 3, then 2 of the last 4 right: not below half, still mastered
        policy.observe(np.array([root]), np.array([0]))
        assert policy.state.mastered[0, root] and not policy.state.zpd[0, root]
    policy.observe(np.array([root]), np.array([0]))  # 1 of 4: back in the ZPD
    assert not policy.state.mastered[0, root] and policy.state.zpd[0, root]
    assert policy.state.weights[0, root] == policy.w_init
    assert policy.state.opened[0, children].all()  # what was opened stays open
    sticky = ZPDES(GRAPH)  # the default keeps mastery once reached
    sticky.start(1, np.random.default_rng(0))
    _master(sticky, root)
    for _ in range(4):
        sticky.observe(np.array([root]), np.array([0]))
    assert sticky.state.mastered[0, root]


def _history(policy: ZPDES, n_steps: int, seed: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """A student whose success rises with practice, taught by ``policy``; with the number of
    reviews (a mastered activity chosen) and of masteries lost on the way."""
    rng = np.random.default_rng(seed)
    policy.start(1, np.random.default_rng(seed))
    acts, right, reviews, losses = [], [], 0, 0
    for _ in range(n_steps):
        a = policy.choose()
        s = policy.state
        reviews += int(s.mastered[0, a[0]])
        c = np.array([int(rng.random() < min(0.95, 0.3 + 0.12 * s.counts[0, a[0]]))])
        if rng.random() < 0.15:  # a lapse now and then, so mastery is lost and regained
            c[:] = 0
        before = s.mastered.sum()
        policy.observe(a, c)
        losses += int(policy.state.mastered.sum() < before)
        acts.append(int(a[0]))
        right.append(int(c[0]))
    return np.array(acts, dtype=np.int64), np.array(right, dtype=np.int64), reviews, losses


@pytest.mark.parametrize("unmaster", [0.0, 0.5])
def test_replay_equals_the_step_by_step_loop(unmaster: float) -> None:
    reviews = losses = 0
    for seed in range(4):
        live = ZPDES(GRAPH, unmaster_threshold=unmaster)
        acts, right, n_reviews, n_losses = _history(live, 250, seed)
        reviews, losses = reviews + n_reviews, losses + n_losses
        fast = ZPDES(GRAPH, unmaster_threshold=unmaster)
        fast.replay(acts, right, np.random.default_rng(seed))
        for field in fields(live.state):
            np.testing.assert_array_equal(
                getattr(fast.state, field.name), getattr(live.state, field.name), field.name
            )
        np.testing.assert_array_equal(fast.probabilities(), live.probabilities())
        live.rng, fast.rng = np.random.default_rng(99), np.random.default_rng(99)
        np.testing.assert_array_equal(fast.choose(), live.choose())
        assert live.state.mastered.any()
    assert reviews > 0  # the histories went through reviews ...
    assert (losses > 0) == (unmaster > 0)  # ... and, when re-judged, lost mastery


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="unmaster_threshold"):
        ZPDES(GRAPH, unmaster_threshold=0.9)
    with pytest.raises(ValueError, match="review_share"):
        ZPDES(GRAPH, review_share=1.5)
    with pytest.raises(ValueError, match="review_half_life"):
        ZPDES(GRAPH, review_half_life=0.0)


def test_review_keeps_zpdes_ahead_when_students_forget() -> None:
    forgetful = StudentSimulator(n_skills=10, n_questions=60, prerequisite_density=0.3, seed=3)
    results = {
        r.policy: r.gain_per_exercise
        for r in compare_policies(
            forgetful, 200, 200, seeds=(7,), policies=default_policies(with_bkt=False)
        )
    }
    assert results["ZPDES"].ci_low > results["random"].ci_high
    assert results["ZPDES"].ci_low > results["expert"].ci_high
