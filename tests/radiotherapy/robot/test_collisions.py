import numpy as np
import pytest

from yangcheng.radiotherapy.robot.collisions import CollisionChecker, CollisionError
from yangcheng.radiotherapy.robot.kinematics import Arm, home_configuration, solve_node_candidates
from yangcheng.radiotherapy.robot.nodes import Node
from yangcheng.radiotherapy.robot.room import default_room

INTO_COUCH = Node(0, (0.0, 150.0, 300.0))
"""Source 150 mm below the target, 300 mm to the side: the linac head sits in the couch."""
ABOVE = Node(1, (0.0, -800.0, 0.0))
UNDER_COUCH = Node(2, (0.0, 800.0, 0.0))


@pytest.fixture(scope="module")
def arm():
    return Arm(default_room())


@pytest.fixture(scope="module")
def checker(arm):
    with CollisionChecker(arm) as c:
        yield c


def free_ends_colliding_middle(arm, checker):
    """Two free configurations whose straight joint-space segment hits the couch midway:
    the couch-colliding configuration swung either way about A1 until both ends are clear."""
    mid = solve_node_candidates(arm, INTO_COUCH)[0].q
    assert not checker.check(mid).free
    for deg in range(20, 120, 10):
        step = np.radians([deg, 0, 0, 0, 0, 0])
        qa, qb = mid - step, mid + step
        inside = arm.within_limits(qa) and arm.within_limits(qb)
        if inside and checker.is_free(qa) and checker.is_free(qb):
            return qa, qb
    raise AssertionError("no free pair found around the colliding configuration")


def test_a_linac_pushed_into_the_couch_collides(arm, checker):
    found = solve_node_candidates(arm, INTO_COUCH)
    assert found
    for sol in found:
        clearance = checker.check(sol.q)
        assert not clearance.free
        assert ("linac", "couch_top") in clearance.pairs
        assert clearance.min_distance_mm < 0  # penetration


def test_a_linac_far_above_the_patient_is_free(arm, checker):
    home = home_configuration(arm)
    best = solve_node_candidates(arm, ABOVE, q_prev=home)[0]
    clearance = checker.check(best.q)
    assert clearance.free and clearance.pairs == ()
    assert clearance.min_distance_mm > checker.margin_m * 1000
    assert checker.is_free(best.q)


def test_a_node_under_the_couch_collides_in_every_solution(arm, checker):
    found = solve_node_candidates(arm, UNDER_COUCH)
    assert all(not checker.is_free(s.q) for s in found)


def test_is_free_agrees_with_check(arm, checker):
    rng = np.random.default_rng(3)
    for q in rng.uniform(arm.qlim[0] * 0.5, arm.qlim[1] * 0.5, (15, 6)):
        assert checker.is_free(q) == checker.check(q).free


def test_segment_catches_a_collision_between_free_ends(arm, checker):
    qa, qb = free_ends_colliding_middle(arm, checker)
    result = checker.segment(qa, qb)
    assert not result.free
    assert 0.0 < result.first_hit_fraction < 1.0
    assert result.hit is not None and not result.hit.free
    hit_q = qa + result.first_hit_fraction * (qb - qa)
    assert not checker.is_free(hit_q)


def test_segment_skipping_agrees_with_dense_sampling(arm, checker):
    home = home_configuration(arm)
    target = solve_node_candidates(arm, ABOVE, q_prev=home)[0].q
    qa, qb = free_ends_colliding_middle(arm, checker)
    for start, end in [(home, target), (qa, qb)]:
        fast = checker.segment(start, end, max_step_mm=40.0)
        dense = [checker.is_free(start + t * (end - start)) for t in np.linspace(0, 1, 400)]
        assert fast.free == all(dense)
        if fast.free:
            assert fast.n_samples < 400


def test_sweep_radius_bounds_real_motion(arm, checker):
    rng = np.random.default_rng(4)
    radius = checker.sweep_radius_m()
    for _ in range(10):
        q = rng.uniform(arm.qlim[0] * 0.5, arm.qlim[1] * 0.5)
        dq = rng.normal(0, 0.01, 6)
        moved = np.linalg.norm(arm.source_pose(q + dq)[:3, 3] - arm.source_pose(q)[:3, 3])
        assert moved <= np.abs(dq) @ radius


def test_checkers_are_independent_and_close(arm):
    a, b = CollisionChecker(arm), CollisionChecker(arm)
    q = home_configuration(arm)
    a.close()
    assert b.check(q).free
    with pytest.raises(CollisionError, match="closed"):
        a.check(q)
    a.close()  # closing twice is harmless
    b.close()


def test_bad_inputs_name_the_input(arm, checker):
    with pytest.raises(CollisionError, match="margin_mm"):
        CollisionChecker(arm, margin_mm=-1.0)
    with pytest.raises(CollisionError, match="self_margin_mm"):
        CollisionChecker(arm, self_margin_mm=900.0)
    with pytest.raises(CollisionError, match="max_step_mm"):
        checker.segment(np.zeros(6), np.zeros(6), max_step_mm=0.0)
    with pytest.raises(ValueError, match="q_to"):
        checker.segment(np.zeros(6), np.zeros(4))
