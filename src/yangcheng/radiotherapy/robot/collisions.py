"""Collision checks of arm and linac against the couch, the patient, the floor and themselves.

pybullet in DIRECT mode (no GUI, no physics stepping): every part is a static collision body
whose pose is set from the arm's forward kinematics, and distances come from
``getClosestPoints``. One pybullet client per checker; ``close()`` (or ``with``) ends it.

Shapes (sizes approximate a KR QUANTEC's link envelopes from its dimension drawing, rounded up):

- arm: capsules along the links' skeleton from rtb's ``fkine_all`` -- rotating column from the
  floor to A2's height (radius 0.30 m), A1 -> A2 offset (0.25 m), upper arm A2 -> A3 (0.20 m),
  forearm A3 -> wrist centre (0.16 m), wrist centre -> flange (0.12 m);
- linac head: a cylinder on the beam axis, 0.40 m across (radius 0.20 m), 1.0 m long, from
  0.10 m in front of the source (the collimator housing) to 0.90 m behind it;
- couch top and column, boxes; the patient, the convex hull of an elliptic cylinder; the floor,
  a slab whose top is the floor plane.

A configuration is free when every watched pair is at least ``margin_mm`` apart (default
40 mm) -- arm/linac vs couch, patient and floor -- and self pairs (links two or more apart,
linac vs the arm's proximal links) at least ``self_margin_mm`` apart (default 10 mm).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.robot.kinematics import (
    LINAC_MOUNT_OFFSET_M,
    LINAC_SOURCE_AHEAD_M,
    Arm,
)
from yangcheng.radiotherapy.robot.room import Box

__all__ = [
    "ARM_RADII_M",
    "LINAC_BACK_M",
    "LINAC_FRONT_M",
    "LINAC_RADIUS_M",
    "Clearance",
    "CollisionChecker",
    "CollisionError",
    "SegmentCheck",
]

FloatArray = NDArray[np.float64]

ARM_RADII_M: dict[str, float] = {
    "column": 0.30,
    "shoulder": 0.25,
    "upper_arm": 0.20,
    "forearm": 0.16,
    "wrist": 0.12,
}
LINAC_RADIUS_M = 0.20
LINAC_FRONT_M = 0.10
"""Linac body ahead of the source (collimator housing)."""
LINAC_BACK_M = 0.90
"""Linac body behind the source."""
_MOVING = (*ARM_RADII_M, "linac")
_ENVIRONMENT = ("floor", "couch_top", "couch_column", "patient")
_BY_DESIGN = {("column", "floor"), ("column", "upper_arm")}
"""Pairs that touch by design: the column stands on the floor; the upper arm hangs on A2
beside the column's top (its capsule overlaps the column's), and its joint range keeps it
from swinging into the column."""


class CollisionError(ValueError):
    """Bad input to a collision check (the input is named)."""


@dataclass(frozen=True)
class Clearance:
    """The outcome of one configuration's check."""

    min_distance_mm: float
    """Smallest distance over the watched pairs (negative: penetration); inf if all are
    farther than the checker's query range."""
    pairs: tuple[tuple[str, str], ...]
    """Pairs closer than their margin."""

    @property
    def free(self) -> bool:
        return not self.pairs


@dataclass(frozen=True)
class SegmentCheck:
    free: bool
    n_samples: int
    """Configurations actually checked."""
    first_hit_fraction: float | None
    """Where along the segment (0..1) a colliding sample was found, None if free."""
    hit: Clearance | None


def _quaternion(rotation: FloatArray) -> tuple[float, float, float, float]:
    """(x, y, z, w) of a rotation matrix (Shepperd's method), as pybullet wants."""
    m = rotation
    tr = m[0, 0] + m[1, 1] + m[2, 2]
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        return ((m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s, s / 4)
    i = int(np.argmax([m[0, 0], m[1, 1], m[2, 2]]))
    j, k = (i + 1) % 3, (i + 2) % 3
    s = math.sqrt(1.0 + m[i, i] - m[j, j] - m[k, k]) * 2
    q = [0.0, 0.0, 0.0, (m[k, j] - m[j, k]) / s]
    q[i] = s / 4
    q[j] = (m[j, i] + m[i, j]) / s
    q[k] = (m[k, i] + m[i, k]) / s
    return (q[0], q[1], q[2], q[3])


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """np.cross without its generality (it dominated the check's time on 3-vectors)."""
    return np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


def _z_to(direction: FloatArray) -> FloatArray:
    """A rotation taking the z axis to ``direction``."""
    z = direction / math.sqrt(float(direction @ direction))
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = _cross(helper, z)
    x /= math.sqrt(float(x @ x))
    return np.stack([x, _cross(z, x), z], axis=1)


def skeleton_points(frames: FloatArray) -> FloatArray:
    """Six points along the arm (room frame, m): floor under A1, A1 at A2's height, A2, A3,
    wrist centre, flange. ``frames`` is ``Arm.link_frames`` (base, links 1..6)."""
    a1 = frames[1] @ np.array([-0.330, 0.0, 0.0, 1.0])  # back along x1 by the A1->A2 offset
    return np.stack(
        [
            frames[0][:3, 3],
            a1[:3],
            frames[1][:3, 3],
            frames[2][:3, 3],
            frames[4][:3, 3],
            frames[6][:3, 3],
        ]
    )


class CollisionChecker:
    """pybullet scene of one room and arm; ``check(q)`` gives the clearance of a configuration."""

    def __init__(
        self,
        arm: Arm,
        margin_mm: float = 40.0,
        self_margin_mm: float = 10.0,
        query_range_mm: float = 500.0,
    ) -> None:
        if not 0 <= margin_mm < query_range_mm:
            raise CollisionError(
                f"margin_mm must be in [0, query_range_mm={query_range_mm}), got {margin_mm}"
            )
        if not 0 <= self_margin_mm < query_range_mm:
            raise CollisionError(
                f"self_margin_mm must be in [0, query_range_mm), got {self_margin_mm}"
            )
        import pybullet

        self._pb: Any = pybullet
        self.arm = arm
        self.margin_m = margin_mm / 1000.0
        self.self_margin_m = self_margin_mm / 1000.0
        self.query_m = query_range_mm / 1000.0
        self._client: int | None = pybullet.connect(pybullet.DIRECT)
        self.bodies: dict[str, int] = {}
        self._build()
        self.watched: list[tuple[str, str, float]] = self._watched_pairs()

    # -- scene -----------------------------------------------------------------------------
    def _body(self, name: str, shape: int, position: Any, orientation: Any = (0, 0, 0, 1)) -> None:
        self.bodies[name] = self._pb.createMultiBody(
            baseMass=0.0,
            baseCollisionShapeIndex=shape,
            basePosition=list(position),
            baseOrientation=list(orientation),
            physicsClientId=self._client,
        )

    def _box(self, box: Box) -> None:
        shape = self._pb.createCollisionShape(
            self._pb.GEOM_BOX, halfExtents=list(box.half_extents_m), physicsClientId=self._client
        )
        self._body(box.name, shape, box.centre_m)

    def _build(self) -> None:
        pb, cid, room = self._pb, self._client, self.arm.room
        self._box(Box("floor", (0.0, 0.0, room.floor_z_m - 0.05), (10.0, 10.0, 0.05)))
        self._box(room.couch_top)
        self._box(room.couch_column)
        for box in room.obstacles:
            self._box(box)
        hull = room.patient.surface_points_m() - np.asarray(room.patient.centre_m)
        shape = pb.createCollisionShape(pb.GEOM_MESH, vertices=hull.tolist(), physicsClientId=cid)
        self._body("patient", shape, room.patient.centre_m)
        points = skeleton_points(self.arm.link_frames(np.zeros(6)))
        self._lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)
        for (name, radius), length in zip(ARM_RADII_M.items(), self._lengths, strict=True):
            shape = pb.createCollisionShape(
                pb.GEOM_CAPSULE, radius=radius, height=float(length), physicsClientId=cid
            )
            self._body(name, shape, (0, 0, -10))
        shape = pb.createCollisionShape(
            pb.GEOM_CYLINDER,
            radius=LINAC_RADIUS_M,
            height=LINAC_FRONT_M + LINAC_BACK_M,
            physicsClientId=cid,
        )
        self._body("linac", shape, (0, 0, -10))

    def _watched_pairs(self) -> list[tuple[str, str, float]]:
        pairs = [
            (a, b, self.margin_m)
            for a, b in itertools.product(_MOVING, _ENVIRONMENT)
            if (a, b) not in _BY_DESIGN
        ]
        pairs += [
            (a, b, self.margin_m)
            for a in _MOVING
            for b in (o.name for o in self.arm.room.obstacles)
        ]
        pairs += [
            (a, b, self.self_margin_m)
            for (i, a), (j, b) in itertools.combinations(enumerate(_MOVING), 2)
            if j - i >= 2 and (a, b) not in _BY_DESIGN
        ]
        return pairs

    def place(self, q: Any) -> None:
        """Move the arm's and linac's bodies to configuration ``q``."""
        frames = self.arm.link_frames(q)
        points = skeleton_points(frames)
        pb, cid = self._pb, self._client
        for k, name in enumerate(ARM_RADII_M):
            direction = points[k + 1] - points[k]
            centre = (points[k] + points[k + 1]) / 2
            pb.resetBasePositionAndOrientation(
                self.bodies[name],
                centre.tolist(),
                _quaternion(_z_to(direction)),
                physicsClientId=cid,
            )
        source = frames[6] @ self.arm.tool
        centre = source[:3, 3] + source[:3, 2] * (LINAC_FRONT_M - LINAC_BACK_M) / 2
        pb.resetBasePositionAndOrientation(
            self.bodies["linac"], centre.tolist(), _quaternion(source[:3, :3]), physicsClientId=cid
        )

    # -- queries ---------------------------------------------------------------------------
    def _distance(self, a: str, b: str, within_m: float) -> float:
        points = self._pb.getClosestPoints(
            self.bodies[a], self.bodies[b], within_m, physicsClientId=self._client
        )
        return min((p[8] for p in points), default=math.inf)

    def check(self, q: Any) -> Clearance:
        """Every watched pair's distance (up to the query range) and those within margin."""
        self._require_open()
        self.place(q)
        smallest, close = math.inf, []
        for a, b, margin in self.watched:
            d = self._distance(a, b, self.query_m)
            smallest = min(smallest, d)
            if d < margin:
                close.append((a, b))
        return Clearance(smallest * 1000.0, tuple(close))

    def is_free(self, q: Any) -> bool:
        """Faster than ``check(q).free``: asks only within each margin and stops at a hit."""
        self._require_open()
        self.place(q)
        return all(self._distance(a, b, margin) >= margin for a, b, margin in self.watched)

    def sweep_radius_m(self) -> FloatArray:
        """Per joint, a bound on how far any point of arm or linac is from that joint's axis.

        Rotating joint i by dq moves no point more than ``r_i * |dq|``; summing over joints
        bounds a joint-space step's largest Cartesian displacement.
        """
        linac_reach = math.hypot(
            LINAC_SOURCE_AHEAD_M + LINAC_FRONT_M, LINAC_MOUNT_OFFSET_M + LINAC_RADIUS_M
        )
        linac_reach = max(
            linac_reach,
            math.hypot(LINAC_BACK_M - LINAC_SOURCE_AHEAD_M, LINAC_MOUNT_OFFSET_M + LINAC_RADIUS_M),
        )
        pad = max(ARM_RADII_M.values())
        distal = np.cumsum(self._lengths[::-1])[::-1]  # from each skeleton point to the flange
        # joints 1..6 sit at skeleton points 1 (A1, along the column), 2, 3, 3 (A4 runs along
        # the forearm), 4, 5
        at = [1, 2, 3, 3, 4, 5]
        return np.array([(distal[k] if k < 5 else 0.0) + linac_reach + pad for k in at])

    def slack_m(self, q: Any) -> float:
        """How far (m) any point of arm or linac may still move before some watched pair gets
        closer than its margin (negative: already too close). Self pairs count half, as both
        of their bodies move. Capped by the query range."""
        self._require_open()
        self.place(q)
        slack = math.inf
        for a, b, margin in self.watched:
            d = min(self._distance(a, b, self.query_m), self.query_m)
            slack = min(slack, (d - margin) / (2.0 if b in _MOVING else 1.0))
        return slack

    def segment(self, q_from: Any, q_to: Any, max_step_mm: float = 40.0) -> SegmentCheck:
        """Check the straight joint-space segment from ``q_from`` to ``q_to``.

        Samples are spaced so that no point of arm or linac moves more than ``max_step_mm``
        between two of them (bound from :meth:`sweep_radius_m`); with the default step equal
        to the margin, every configuration between two free samples keeps at least half the
        margin. Samples are visited in order with conservative advancement: where the arm is
        far from everything (``slack_m``), the samples it cannot leave its free space within
        are skipped, which is exact, not a heuristic.
        """
        if max_step_mm <= 0:
            raise CollisionError(f"max_step_mm must be positive, got {max_step_mm}")
        qa = self.arm.check_q(q_from, "q_from")
        qb = self.arm.check_q(q_to, "q_to")
        sweep_m = float(np.abs(qb - qa) @ self.sweep_radius_m())
        n = max(2, math.ceil(sweep_m * 1000.0 / max_step_mm) + 1)
        per_sample_m = sweep_m / (n - 1)
        k, visited = 0, 0
        while True:
            t = k / (n - 1)
            q = qa + t * (qb - qa)
            slack = self.slack_m(q)
            visited += 1
            if slack < 0:
                return SegmentCheck(False, visited, t, self.check(q))
            if k == n - 1:
                return SegmentCheck(True, visited, None, None)
            skip = int(slack / per_sample_m) if per_sample_m > 0 else n
            k = min(n - 1, k + max(1, skip))

    # -- lifetime --------------------------------------------------------------------------
    def _require_open(self) -> None:
        if self._client is None:
            raise CollisionError("this CollisionChecker is closed")

    def close(self) -> None:
        if self._client is not None:
            self._pb.disconnect(physicsClientId=self._client)
            self._client = None

    def __enter__(self) -> CollisionChecker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit pybullet may be gone
            self.close()
