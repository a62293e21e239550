import numpy as np
import pytest

from yangcheng.radiotherapy.robot.kinematics import (
    AXIS_TOL_DEG,
    POSITION_TOL_MM,
    Arm,
    KinematicsError,
    home_configuration,
    solve_node,
    solve_node_candidates,
    tool_pose,
)
from yangcheng.radiotherapy.robot.nodes import Node, node_set
from yangcheng.radiotherapy.robot.room import default_room


def _t(x, y, z):
    t = np.eye(4)
    t[:3, 3] = (x, y, z)
    return t


def _r(axis, a):
    c, s = np.cos(a), np.sin(a)
    t = np.eye(4)
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    t[i, i], t[i, j], t[j, i], t[j, j] = c, -s, s, c
    return t


def _urdf_tool0(q):
    """ROS-Industrial kr300r2700_2_macro.xacro joint chain, transcribed independently."""
    t = _t(0, 0, 0.2356) @ _r("z", q[0])
    t = t @ _t(0.33, 0.09, 0.4094) @ _r("y", q[1])
    t = t @ _t(0, -0.195, 1.145) @ _r("y", q[2])
    t = t @ _t(0.8685, 0.105, 0.112) @ _r("x", q[3])
    t = t @ _t(0.3515, 0, 0) @ _r("y", q[4])
    t = t @ _t(0.2, 0, 0) @ _r("x", q[5])
    return t @ _t(0.0375, 0, 0) @ _r("y", np.pi / 2)


@pytest.fixture(scope="module")
def arm():
    return Arm(default_room())


def test_dh_model_matches_the_urdf_chain(arm):
    rng = np.random.default_rng(1)
    for q in [np.zeros(6), *rng.uniform(arm.qlim[0], arm.qlim[1], (20, 6))]:
        flange = arm.link_frames(q)[6]
        assert np.allclose(flange, arm.base @ _urdf_tool0(q) @ _r("z", np.pi), atol=1e-9)


def test_reach_matches_the_model_name(arm):
    # upright arm, forearm level: wrist centre at 330 + 1220 mm out, 645 + 1145 + 112 mm up
    wrist = np.linalg.inv(arm.base) @ arm.link_frames(np.zeros(6))[4][:, 3]
    assert np.allclose(wrist[:3], [1.55, 0.0, 1.902])
    assert 0.33 + 1.145 + np.hypot(1.22, 0.112) == pytest.approx(2.7, abs=1e-3)


def test_tool_pose_aims_the_beam_through_the_target():
    room = default_room()
    node = Node(3, (300.0, -600.0, 400.0))
    for roll in (0.0, 75.0, 200.0):
        pose = tool_pose(room, node, roll)
        assert np.allclose(pose[:3, :3].T @ pose[:3, :3], np.eye(3), atol=1e-12)
        assert np.allclose(pose[:3, 3], room.patient_to_room(node.position_mm))
        to_target = np.asarray(room.target_m) - pose[:3, 3]
        assert np.allclose(pose[:3, 2], to_target / np.linalg.norm(to_target))
    assert not np.allclose(tool_pose(room, node, 0.0)[:3, 0], tool_pose(room, node, 75.0)[:3, 0])


def test_fk_of_ik_equals_the_node_pose(arm):
    nodes = node_set()[::15]
    solved = 0
    for node in nodes:
        sol = solve_node(arm, node)
        if sol is None:
            continue
        solved += 1
        got = arm.source_pose(sol.q)
        want = tool_pose(arm.room, node, sol.roll_deg)
        assert np.linalg.norm(got[:3, 3] - want[:3, 3]) * 1000 < POSITION_TOL_MM
        cos = np.clip(got[:3, 2] @ want[:3, 2], -1, 1)
        assert np.degrees(np.arccos(cos)) < AXIS_TOL_DEG
        # the beam passes through the target, whatever roll was kept
        to_target = np.asarray(arm.room.target_m) - got[:3, 3]
        assert np.linalg.norm(to_target) == pytest.approx(0.8, abs=5e-4)
        assert arm.within_limits(sol.q)
    assert solved >= len(nodes) - 1


def test_candidates_are_ordered_by_closeness_to_the_previous_configuration(arm):
    home = home_configuration(arm)
    found = solve_node_candidates(arm, node_set()[40], q_prev=home)
    assert len(found) >= 2
    times = [np.max(np.abs(f.q - home) / arm.speeds_rad_s) for f in found]
    assert times == sorted(times)
    by_margin = solve_node_candidates(arm, node_set()[40])
    margins = [f.limit_margin for f in by_margin]
    assert margins == sorted(margins, reverse=True)


def test_home_is_straight_above_the_target(arm):
    pose = arm.source_pose(home_configuration(arm, 1200.0))
    assert np.allclose(
        pose[:3, 3], np.asarray(arm.room.target_m) + np.array([0, 0, 1.2]), atol=5e-4
    )
    assert pose[2, 2] == pytest.approx(-1.0, abs=1e-5)


def test_a_node_beyond_reach_is_refused(arm):
    assert solve_node(arm, Node(0, (0.0, -4000.0, 0.0))) is None


def test_accept_filters_solutions(arm):
    assert solve_node(arm, node_set()[40], accept=lambda q: False) is None


def test_bad_inputs_name_the_input(arm):
    with pytest.raises(KinematicsError, match="roll_deg"):
        tool_pose(arm.room, Node(0, (0.0, -800.0, 0.0)), float("nan"))
    with pytest.raises(KinematicsError, match="node 7"):
        tool_pose(arm.room, Node(7, (0.0, 0.0, 0.0)))
    with pytest.raises(KinematicsError, match="q_prev"):
        solve_node(arm, Node(0, (0.0, -800.0, 0.0)), q_prev=np.zeros(5))
    with pytest.raises(KinematicsError, match="rolls_deg"):
        solve_node(arm, Node(0, (0.0, -800.0, 0.0)), rolls_deg=())
    with pytest.raises(KinematicsError, match="q must be"):
        arm.source_pose([0.0, 1.0])
    with pytest.raises(KinematicsError, match="height_above_target_mm"):
        home_configuration(arm, -1.0)
