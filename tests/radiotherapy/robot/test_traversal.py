import itertools
import math

import numpy as np
import pytest

from tests.radiotherapy.robot.test_collisions import free_ends_colliding_middle
from yangcheng.radiotherapy.robot.collisions import CollisionChecker
from yangcheng.radiotherapy.robot.kinematics import Arm, NodeSolution, home_configuration
from yangcheng.radiotherapy.robot.nodes import node_set
from yangcheng.radiotherapy.robot.room import default_room
from yangcheng.radiotherapy.robot.traversal import (
    Imaging,
    LegPlanner,
    MotionModel,
    TraversalError,
    held_karp_tour,
    nearest_neighbour_tour,
    or_opt,
    plan_traversal,
    select_configurations,
    solve_tour,
    tour_cost,
    two_opt,
)

MOTION = MotionModel((1.0, 1.0, 1.0, 2.0, 2.0, 3.0), accel_rad_s2=2.0)


def brute_force(cost):
    n = cost.shape[0]
    return min(tour_cost([0, *p], cost) for p in itertools.permutations(range(1, n)))


def random_cost(seed, n):
    rng = np.random.default_rng(seed)
    q = rng.uniform(-2, 2, (n, 6))
    return np.array([[MOTION.move_time_s(a, b) for b in q] for a in q])


def fake_solutions(seed, n):
    rng = np.random.default_rng(seed)
    return [NodeSolution(10 + k, rng.uniform(-1, 1, 6), 0.0, 0.0, 0.0, 0.2) for k in range(n)]


def test_trapezoid_times():
    m = MotionModel((1.0,) * 6, accel_rad_s2=2.0)
    small, large = np.zeros(6), np.zeros(6)
    small[2] = 0.2  # < v^2/a = 0.5: triangle profile
    large[4] = 3.0  # cruise: d/v + v/a
    assert m.move_time_s(np.zeros(6), small) == pytest.approx(2 * math.sqrt(0.2 / 2))
    assert m.move_time_s(np.zeros(6), large) == pytest.approx(3.0 + 0.5)
    assert m.move_time_s(np.zeros(6), small + large) == pytest.approx(3.5)  # slowest joint
    slow = MotionModel((1.0,) * 6, accel_rad_s2=2.0, speed_fraction=0.5)
    assert slow.move_time_s(np.zeros(6), large) == pytest.approx(3.0 / 0.5 + 0.5 / 2.0)


def test_move_time_obeys_the_triangle_inequality():
    rng = np.random.default_rng(0)
    for a, b, c in rng.uniform(-3, 3, (50, 3, 6)):
        ab, bc, ac = MOTION.move_time_s(a, b), MOTION.move_time_s(b, c), MOTION.move_time_s(a, c)
        assert ac <= ab + bc + 1e-12
        assert ab == pytest.approx(MOTION.move_time_s(b, a))


@pytest.mark.parametrize("seed", range(4))
def test_exact_tour_equals_brute_force_on_seven_nodes(seed):
    cost = random_cost(seed, 8)  # home + 7 nodes
    tour = held_karp_tour(cost)
    assert sorted(tour) == list(range(8)) and tour[0] == 0
    assert tour_cost(tour, cost) == pytest.approx(brute_force(cost))
    # also on a non-metric symmetric matrix
    rng = np.random.default_rng(seed)
    m = rng.uniform(0, 10, (8, 8))
    m = m + m.T
    assert tour_cost(held_karp_tour(m), m) == pytest.approx(brute_force(m))


def test_local_search_improves_nearest_neighbour():
    for seed in range(5):
        cost = random_cost(seed, 30)
        nn = nearest_neighbour_tour(cost)
        opt2 = two_opt(nn, cost)
        oropt = or_opt(opt2, cost)
        for t in (nn, opt2, oropt):
            assert t[0] == 0 and sorted(t) == list(range(30))
        assert tour_cost(opt2, cost) <= tour_cost(nn, cost) + 1e-9
        assert tour_cost(oropt, cost) <= tour_cost(opt2, cost) + 1e-9
        heuristic = solve_tour(cost, "heuristic")
        assert tour_cost(heuristic, cost) == pytest.approx(tour_cost(oropt, cost))


def test_heuristic_is_near_optimal_on_small_sets():
    cost = random_cost(11, 9)
    assert tour_cost(solve_tour(cost, "heuristic"), cost) <= 1.05 * brute_force(cost)


def test_treatment_time_adds_up():
    sols = fake_solutions(0, 7)
    home = np.zeros(6)
    mu = [50.0, 100.0, 150.0, 200.0, 80.0, 120.0, 300.0]
    trav = plan_traversal(sols, home, MOTION, None, mu_per_node=mu, imaging=Imaging(3, 12.0))
    assert sorted(trav.order) == sorted(s.node_index for s in sols)
    assert len(trav.leg_times_s) == 8
    assert trav.travel_s == pytest.approx(sum(trav.leg_times_s))
    assert trav.beam_on_s == pytest.approx(sum(mu) / 1000.0 * 60.0)
    assert trav.n_image_pairs == 3 and trav.imaging_s == pytest.approx(36.0)
    assert trav.total_s == pytest.approx(trav.travel_s + trav.beam_on_s + trav.imaging_s)
    # the legs are the move times between consecutive configurations, home first and last
    path = [home, *trav.configurations, home]
    assert trav.leg_times_s == pytest.approx(
        [MOTION.move_time_s(a, b) for a, b in itertools.pairwise(path)]
    )
    # exact method on 7 nodes: the brute-force optimum
    qs = [home] + [s.q for s in sols]
    cost = np.array([[MOTION.move_time_s(a, b) for b in qs] for a in qs])
    assert trav.method == "exact"
    assert trav.travel_s == pytest.approx(brute_force(cost))
    assert trav.nearest_neighbour_travel_s >= trav.travel_s - 1e-9


@pytest.fixture(scope="module")
def scene():
    arm = Arm(default_room())
    with CollisionChecker(arm) as checker:
        yield arm, checker, home_configuration(arm, accept=checker.is_free)


def test_a_blocked_leg_detours_via_home(scene):
    arm, checker, home = scene
    qa, qb = free_ends_colliding_middle(arm, checker)
    planner = LegPlanner(checker, MotionModel.for_arm(arm), [qa, qb], home)
    leg = planner.leg(1, 2)
    assert leg.time_s > planner.bounds[1, 2]
    if leg.feasible:
        assert leg.via_home
        assert leg.time_s == pytest.approx(planner.bounds[0, 1] + planner.bounds[0, 2])
        assert checker.segment(home, qa).free and checker.segment(home, qb).free
    else:
        assert not (checker.segment(home, qa).free and checker.segment(home, qb).free)


def test_real_traversal_uses_only_checked_free_legs(scene):
    arm, checker, home = scene
    nodes = node_set()[::12]
    selection = select_configurations(arm, checker, nodes, home)
    assert selection.n_nodes == len(nodes)
    assert len(selection.solutions) + len(selection.dropped) == len(nodes)
    assert len(selection.solutions) >= 5
    for s in selection.solutions:
        assert checker.is_free(s.q)
    trav = plan_traversal(selection.solutions[:6], home, MotionModel.for_arm(arm), checker)
    path = [home, *trav.configurations, home]
    for (a, b), via in zip(itertools.pairwise(path), trav.leg_via_home, strict=True):
        if not via:
            assert checker.segment(a, b).free
    assert trav.total_s > trav.beam_on_s > 0


def test_bad_inputs_name_the_input():
    with pytest.raises(TraversalError, match="accel_rad_s2"):
        MotionModel((1.0,) * 6, accel_rad_s2=0.0)
    with pytest.raises(TraversalError, match="speed_fraction"):
        MotionModel((1.0,) * 6, speed_fraction=1.5)
    with pytest.raises(TraversalError, match="speeds_rad_s"):
        MotionModel((1.0, -1.0))
    with pytest.raises(TraversalError, match="every_nodes"):
        Imaging(every_nodes=0)
    with pytest.raises(TraversalError, match="solutions"):
        plan_traversal([], np.zeros(6), MOTION, None)
    with pytest.raises(TraversalError, match="mu_per_node"):
        plan_traversal(fake_solutions(0, 2), np.zeros(6), MOTION, None, mu_per_node=-1.0)
    with pytest.raises(TraversalError, match="dose_rate_mu_per_min"):
        plan_traversal(fake_solutions(0, 2), np.zeros(6), MOTION, None, dose_rate_mu_per_min=0)
    with pytest.raises(TraversalError, match="method"):
        solve_tour(np.zeros((3, 3)), "fastest")  # type: ignore[arg-type]
    with pytest.raises(TraversalError, match="cost"):
        solve_tour(np.zeros((2, 3)))
    with pytest.raises(TraversalError, match="EXACT_MAX_NODES"):
        held_karp_tour(np.zeros((15, 15)))
