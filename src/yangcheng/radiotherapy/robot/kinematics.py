"""The arm: a KUKA KR 300 R2700-2 (KR QUANTEC) carrying the linac, and its inverse kinematics.

Why this arm: robotic linacs ride on large-payload KUKA KR-series arms (the CyberKnife on a
KR 240/KR 300-class QUANTEC); the KR 300 R2700-2 is one whose dimensions are published in a
machine-readable form, so every number below can be traced.

Where the numbers come from: KUKA's dimension drawing of the KR 300 R2700-2 as transcribed in
ROS-Industrial's ``kuka_experimental/kuka_kr300_support/urdf/kr300r2700_2_macro.xacro``:
A1 above the floor 235.6 + 409.4 = 645 mm, A1 -> A2 offset 330 mm, A2 -> A3 1145 mm, A3 -> A4
offset 112 mm, A3 -> wrist centre 868.5 + 351.5 = 1220 mm, wrist centre -> flange 200 + 37.5 =
237.5 mm (the reach, 330 + 1145 + hypot(1220, 112) = 2700 mm, is the model's name), and the
joint ranges and maximum speeds from the same file (its ``<limit>`` tags, the data sheet's
values in that file's joint convention: zero with the arm upright, every axis positive).

The DH table follows rtb's ``models.DH.KR5`` (standard DH, alpha = -90 deg at A1, the A2 offset
of -90 deg that puts the upper arm upright at zero), with the signs chosen so that each joint
turns like the URDF's: ``tests/.../test_kinematics.py`` checks this DH model against the URDF
chain at random configurations (the flange frame here is the URDF's ``tool0``, turned 180 deg
about its z).

The linac is a tool (``LINAC_TOOL``): mounted on the side of the flange, its beam axis runs
parallel to the flange's x axis, 300 mm out from the flange face (the linac's 200 mm radius plus
a 100 mm bracket); the source is 350 mm ahead of the mount along the beam axis. The tool frame
has its origin at the source and its z axis along the beam (towards the target).

rtb is imported lazily (``_rtb``): it takes seconds and pulls in matplotlib.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.robot.nodes import Node
from yangcheng.radiotherapy.robot.room import Room

__all__ = [
    "DH_TABLE",
    "JOINT_LIMITS_DEG",
    "JOINT_SPEEDS_DEG_S",
    "LINAC_MOUNT_OFFSET_M",
    "LINAC_SOURCE_AHEAD_M",
    "Arm",
    "KinematicsError",
    "NodeSolution",
    "beam_axis_error_deg",
    "home_configuration",
    "joint_limit_margin",
    "solve_node",
    "solve_node_candidates",
    "tool_pose",
]

FloatArray = NDArray[np.float64]

DH_TABLE: tuple[tuple[float, float, float, float], ...] = (
    # (d_m, a_m, alpha_rad, offset_rad), standard DH, KR5's layout
    (0.645, 0.330, -np.pi / 2, 0.0),
    (0.0, 1.145, 0.0, -np.pi / 2),
    (0.0, 0.112, -np.pi / 2, 0.0),
    (1.220, 0.0, np.pi / 2, 0.0),
    (0.0, 0.0, -np.pi / 2, 0.0),
    (0.2375, 0.0, 0.0, 0.0),
)
JOINT_LIMITS_DEG: tuple[tuple[float, float], ...] = (
    (-185.0, 185.0),
    (-55.0, 85.0),
    (-210.0, 78.0),
    (-350.0, 350.0),
    (-125.0, 125.0),
    (-350.0, 350.0),
)
JOINT_SPEEDS_DEG_S: tuple[float, ...] = (105.0, 115.0, 112.0, 179.0, 172.0, 219.0)
LINAC_MOUNT_OFFSET_M = 0.30
"""Beam axis to flange face: the linac's radius (0.20 m) plus a 0.10 m bracket."""
LINAC_SOURCE_AHEAD_M = 0.35
"""Source ahead of the mount point along the beam axis (the linac is 1.0 m long behind it)."""

POSITION_TOL_MM = 0.5
AXIS_TOL_DEG = 0.1


class KinematicsError(ValueError):
    """Bad input to the kinematics (the input is named)."""


@functools.cache
def _rtb() -> Any:
    import roboticstoolbox  # slow (seconds), pulls in matplotlib: only when needed

    return roboticstoolbox


def _se3(matrix: FloatArray) -> Any:
    from spatialmath import SE3

    return SE3(matrix, check=False)


def _transl(x: float, y: float, z: float) -> FloatArray:
    t = np.eye(4)
    t[:3, 3] = (x, y, z)
    return t


def _rot(axis: str, angle_rad: float) -> FloatArray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    t = np.eye(4)
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    t[i, i], t[i, j], t[j, i], t[j, j] = c, -s, s, c
    return t


LINAC_TOOL: FloatArray = _transl(LINAC_SOURCE_AHEAD_M, 0.0, LINAC_MOUNT_OFFSET_M) @ _rot(
    "y", np.pi / 2
)
"""Flange -> source: beam axis (tool z) along the flange's x axis."""


class Arm:
    """The KR 300 R2700-2 standing at the room's robot base, with the linac as its tool.

    ``robot`` is the rtb ``DHRobot`` (base and tool set, so ``robot.fkine(q)`` is the source
    pose in the room frame). IK is solved for the flange pose on the tool-less chain: rtb
    1.5's C++ ``ik_LM`` on a ``DHRobot`` with a tool did not converge even from next to the
    solution (measured; cf. rtb issue #426), while the flange form does.
    """

    def __init__(self, room: Room) -> None:
        rtb = _rtb()
        links = [
            rtb.RevoluteDH(d=d, a=a, alpha=alpha, offset=off, qlim=np.radians(lim))
            for (d, a, alpha, off), lim in zip(DH_TABLE, JOINT_LIMITS_DEG, strict=True)
        ]
        self.room = room
        self.base: FloatArray = _transl(*room.robot_base_m) @ _rot(
            "z", np.radians(room.robot_base_yaw_deg)
        )
        self.tool: FloatArray = LINAC_TOOL.copy()
        self.robot = rtb.DHRobot(
            links,
            name="KR300R2700-2",
            manufacturer="KUKA",
            base=_se3(self.base),
            tool=_se3(self.tool),
        )
        flange = rtb.DHRobot(links, name="KR300R2700-2 flange", base=_se3(self.base))
        self._flange_ets = flange.ets()
        self._tool_inv = np.linalg.inv(self.tool)
        self.qlim: FloatArray = np.radians(np.asarray(JOINT_LIMITS_DEG)).T
        self.speeds_rad_s: FloatArray = np.radians(np.asarray(JOINT_SPEEDS_DEG_S))

    @property
    def n(self) -> int:
        return 6

    def check_q(self, q: Any, name: str = "q") -> FloatArray:
        arr = np.asarray(q, dtype=np.float64)
        if arr.shape != (6,) or not np.all(np.isfinite(arr)):
            raise KinematicsError(f"{name} must be 6 finite joint angles (rad), got {q!r}")
        return arr

    def source_pose(self, q: Any) -> FloatArray:
        """Source pose (4x4, room frame): origin at the source, z along the beam."""
        return np.asarray(self.robot.fkine(self.check_q(q)).A, dtype=np.float64)

    def link_frames(self, q: Any) -> FloatArray:
        """Frames of the base and of links 1..6 (7 x 4 x 4, room frame), no tool."""
        frames = self.robot.fkine_all(self.check_q(q))
        return np.asarray([f.A for f in frames], dtype=np.float64)

    def within_limits(self, q: FloatArray) -> bool:
        return bool(np.all(q >= self.qlim[0] - 1e-9) and np.all(q <= self.qlim[1] + 1e-9))

    def ik(self, source_pose: FloatArray, q0: FloatArray) -> FloatArray | None:
        """One Levenberg-Marquardt search (rtb's C++ ``ik_LM``) from ``q0``; None if it fails."""
        flange = source_pose @ self._tool_inv
        sol = self._flange_ets.ik_LM(
            flange, q0=q0, ilimit=60, slimit=1, tol=1e-10, joint_limits=True
        )
        if not sol.success:
            return None
        q = np.asarray(sol.q, dtype=np.float64)
        return q if self.within_limits(q) else None

    def ready_q(self) -> FloatArray:
        """Upright arm turned towards the target, forearm level, wrist straight."""
        p = np.linalg.inv(self.base) @ np.array([*self.room.target_m, 1.0])
        return np.array([float(np.arctan2(p[1], p[0])), 0.0, 0.0, 0.0, 0.0, 0.0])

    def start_guesses(self, source_pose: FloatArray, n_random: int, seed: int) -> list[FloatArray]:
        """IK starts: the arm turned towards the source, elbow up, wrist variants; then random."""
        p = np.linalg.inv(self.base) @ source_pose[:, 3]
        a1 = float(np.arctan2(p[1], p[0]))
        guesses = [
            np.array([a1, 0.2, -0.3, 0.0, 0.8, 0.0]),
            np.array([a1, -0.2, 0.3, 0.0, -0.8, 0.0]),
            np.array([a1, 0.4, -0.8, 1.5, 0.8, 0.0]),
            np.array([a1, 0.4, -0.8, -1.5, 0.8, 0.0]),
        ]
        rng = np.random.default_rng(seed)
        lo, hi = self.qlim
        guesses += [rng.uniform(lo * 0.8, hi * 0.8) for _ in range(n_random)]
        return guesses


def tool_pose(room: Room, node: Node, roll_deg: float = 0.0) -> FloatArray:
    """The source pose for ``node``: source at the node, z (beam) through the target.

    The collimator is circular, so the roll about the beam axis is free; ``roll_deg`` turns the
    tool's x axis about the beam from a reference x that is horizontal (or room x when the beam
    is vertical).
    """
    if not np.isfinite(roll_deg):
        raise KinematicsError(f"roll_deg must be finite, got {roll_deg}")
    source = room.patient_to_room(node.position_mm)
    beam = np.asarray(room.target_m) - source
    distance = float(np.linalg.norm(beam))
    if distance < 1e-6:
        raise KinematicsError(f"node {node.index} sits on the target: no beam direction")
    z = beam / distance
    ref = np.cross([0.0, 0.0, 1.0], z)
    if np.linalg.norm(ref) < 1e-6:
        ref = np.array([1.0, 0.0, 0.0])
    x0 = ref / np.linalg.norm(ref)
    y0 = np.cross(z, x0)
    r = np.radians(roll_deg)
    x = np.cos(r) * x0 + np.sin(r) * y0
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, np.cross(z, x), z, source
    return pose


def beam_axis_error_deg(pose: FloatArray, wanted: FloatArray) -> float:
    """Angle between the two poses' z axes (the beam), in degrees."""
    c = float(np.clip(pose[:3, 2] @ wanted[:3, 2], -1.0, 1.0))
    return float(np.degrees(np.arccos(c)))


def joint_limit_margin(arm: Arm, q: FloatArray) -> float:
    """Smallest distance to a joint limit, as a fraction of that joint's range (0..0.5)."""
    lo, hi = arm.qlim
    return float(np.min(np.minimum(q - lo, hi - q) / (hi - lo)))


@dataclass(frozen=True)
class NodeSolution:
    """A verified IK solution for one node."""

    node_index: int
    q: FloatArray
    roll_deg: float
    position_error_mm: float
    axis_error_deg: float
    limit_margin: float
    """Smallest distance to a joint limit, as a fraction of that joint's range."""


def solve_node_candidates(
    arm: Arm,
    node: Node,
    rolls_deg: Sequence[float] = (0.0, 60.0, 120.0, 180.0, 240.0, 300.0),
    q_prev: FloatArray | None = None,
    accept: Callable[[FloatArray], bool] | None = None,
    n_random: int = 2,
    seed: int = 0,
) -> list[NodeSolution]:
    """Every distinct verified configuration that puts the source at ``node``, best first.

    IK runs from several starts for each collimator roll. Every result is checked by forward
    kinematics (source within 0.5 mm of the node, beam axis within 0.1 deg). Among the
    survivors (and those ``accept`` lets through, e.g. a collision check) the order is: closest
    to ``q_prev`` first when given (slowest joint's move time, so the next move is short), else
    farthest from the joint limits first. Empty: the node is out of reach.
    """
    if not rolls_deg:
        raise KinematicsError("rolls_deg must name at least one roll")
    if n_random < 0:
        raise KinematicsError(f"n_random must be >= 0, got {n_random}")
    if seed < 0:
        raise KinematicsError(f"seed must be >= 0, got {seed}")
    prev = arm.check_q(q_prev, "q_prev") if q_prev is not None else None
    found: list[NodeSolution] = []
    for roll in rolls_deg:
        wanted = tool_pose(arm.room, node, roll)
        starts = arm.start_guesses(wanted, n_random, seed + node.index + 1)
        if prev is not None:
            starts.insert(0, prev)
        for q0 in starts:
            q = arm.ik(wanted, q0)
            if q is None or any(np.allclose(q, f.q, atol=1e-3) for f in found):
                continue
            got = arm.source_pose(q)
            pos_err_mm = float(np.linalg.norm(got[:3, 3] - wanted[:3, 3]) * 1000.0)
            axis_err = beam_axis_error_deg(got, wanted)
            if pos_err_mm >= POSITION_TOL_MM or axis_err >= AXIS_TOL_DEG:
                continue
            if accept is not None and not accept(q):
                continue
            margin = joint_limit_margin(arm, q)
            found.append(NodeSolution(node.index, q, float(roll), pos_err_mm, axis_err, margin))
    if prev is not None:
        found.sort(key=lambda f: float(np.max(np.abs(f.q - prev) / arm.speeds_rad_s)))
    else:
        found.sort(key=lambda f: -f.limit_margin)
    return found


def solve_node(
    arm: Arm,
    node: Node,
    rolls_deg: Sequence[float] = (0.0, 60.0, 120.0, 180.0, 240.0, 300.0),
    q_prev: FloatArray | None = None,
    accept: Callable[[FloatArray], bool] | None = None,
) -> NodeSolution | None:
    """The best of :func:`solve_node_candidates`, or None when the node is out of reach."""
    found = solve_node_candidates(arm, node, rolls_deg, q_prev, accept)
    return found[0] if found else None


def home_configuration(
    arm: Arm,
    height_above_target_mm: float = 1200.0,
    accept: Callable[[FloatArray], bool] | None = None,
) -> FloatArray:
    """The safe retract pose: the linac straight above the target, pointing down, farther
    than any node. Detours between nodes go through it."""
    if height_above_target_mm <= 0:
        raise KinematicsError(
            f"height_above_target_mm must be positive, got {height_above_target_mm}"
        )
    above = Node(-1, (0.0, -float(height_above_target_mm), 0.0))  # anterior is -y: up
    # closest to the arm upright, turned towards the target, wrist straight: the IK branch
    # every node's solution is then chosen near (``solve_node(q_prev=home)``)
    solution = solve_node(arm, above, q_prev=arm.ready_q(), accept=accept)
    if solution is None:
        raise KinematicsError(f"no home configuration {height_above_target_mm} mm above the target")
    return solution.q
