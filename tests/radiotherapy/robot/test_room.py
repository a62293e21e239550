import numpy as np
import pytest

from yangcheng.radiotherapy.robot.nodes import node_set
from yangcheng.radiotherapy.robot.room import (
    PATIENT_TO_ROOM,
    Box,
    EllipticCylinder,
    RoomError,
    default_room,
)


def test_patient_to_room_is_a_proper_rotation_and_round_trips():
    # on patient (x, y, z) -- a right-handed frame -- the map must be a proper rotation
    on_xyz = PATIENT_TO_ROOM[:, ::-1]
    assert np.allclose(on_xyz.T @ on_xyz, np.eye(3))
    assert np.linalg.det(on_xyz) == pytest.approx(1.0)
    room = default_room()
    pts = np.random.default_rng(0).uniform(-900, 900, (20, 3))
    assert np.allclose(room.room_to_patient(room.patient_to_room(pts)), pts)


def test_axes_follow_the_patient_on_the_couch():
    room = default_room()
    target = np.asarray(room.target_m)
    # anterior (-y) is up, superior (+z) is towards the head end (+x), 800 mm -> 0.8 m
    assert np.allclose(room.patient_to_room([0, -800, 0]), target + np.array([0, 0, 0.8]))
    assert np.allclose(room.patient_to_room([800, 0, 0]), target + np.array([0.8, 0, 0]))
    assert np.allclose(room.patient_to_room([0, 0, 0]), target)


def test_target_is_inside_the_patient_on_top_of_the_couch():
    room = default_room()
    assert room.patient.contains(room.target_m)
    couch_top_z = room.couch_top.centre_m[2] + room.couch_top.half_extents_m[2]
    patient_bottom_z = room.patient.centre_m[2] - room.patient.half_thickness_m
    assert couch_top_z == pytest.approx(patient_bottom_z)
    assert couch_top_z < room.target_m[2]
    # the robot stands on the floor, off the couch, near the head end
    base = np.asarray(room.robot_base_m)
    assert base[2] == 0.0 and base[0] > 0.0
    assert not room.is_inside_solid(base + np.array([0, 0, 0.01]))


def test_points_under_the_couch_or_inside_the_patient_are_solid():
    room = default_room()
    assert room.is_inside_solid(room.patient_to_room([0, 50, 0]))  # inside the patient
    assert room.is_inside_solid(room.patient_to_room([0, 140, 0]))  # inside the couch board
    assert room.is_inside_solid(room.patient_to_room([0, 1200, 0]))  # under the floor
    assert not room.is_inside_solid(room.patient_to_room([0, -800, 0]))


def test_default_nodes_are_all_outside_every_solid():
    room = default_room()
    assert not any(room.is_inside_solid(room.patient_to_room(n.position_mm)) for n in node_set())


def test_patient_hull_points_lie_on_the_ellipse():
    cyl = EllipticCylinder("p", (0.0, 0.0, 1.0), 1.0, 0.2, 0.1)
    p = cyl.surface_points_m(16) - [0.0, 0.0, 1.0]
    assert np.allclose((p[:, 1] / 0.2) ** 2 + (p[:, 2] / 0.1) ** 2, 1.0)
    assert set(np.round(p[:, 0], 9)) == {-0.5, 0.5}


def test_bad_inputs_name_the_input():
    room = default_room()
    with pytest.raises(RoomError, match="zyx_mm"):
        room.patient_to_room([1.0, 2.0])
    with pytest.raises(RoomError, match="point_m"):
        room.room_to_patient(np.zeros((2, 2)))
    with pytest.raises(RoomError, match="target_height_m"):
        default_room(target_height_m=5.0)
    with pytest.raises(RoomError, match="sad_mm"):
        default_room(sad_mm=0.0)
    with pytest.raises(RoomError, match="robot_base_m"):
        default_room(robot_base_m=(1.0, -1.0, -0.5))
    with pytest.raises(RoomError, match="half_extents_m"):
        Box("b", (0, 0, 0), (1.0, 0.0, 1.0))
