"""The treatment room: where couch, patient, floor and robot stand, and the patient <-> room map.

Layout (CyberKnife-like), in the room frame: metres, z up, origin on the floor.

- The couch runs along room +x; the patient lies on it supine, head first towards +x.
- The target sits at ``target_m`` (default 1.0 m above the floor, at x = y = 0); the patient's
  body (an elliptic cylinder, 0.36 m wide and 0.22 m thick, an adult trunk) is centred on it
  left-right and front-back, so the couch top is half a body thickness below the target.
- The couch top is a 2.0 m x 0.52 m x 0.06 m board that reaches 0.60 m beyond the target
  towards the head; a column at the foot end (0.5 m x 0.4 m) carries it, as a robotic couch
  does, so the space under the head end is free.
- The robot (a KUKA KR 300 R2700-2, ``kinematics.py``) stands on the floor beside the couch near
  the head end, at (0.9, -1.1, 0) m, facing the couch: nodes on the far side of the patient
  are then within its reach while the near side is not cramped.
- The linac source stands at the robotic source-axis distance (800 mm) from the target.

Patient coordinates are the dose engine's (z, y, x) in mm relative to the target (nodes use
them): z superior-inferior, taken superior-positive (head-first supine, as DICOM's LPS), y
posterior-positive, x towards the patient's left. The room frame maps them as
room x = +z (towards the head), room z = -y (anterior is up for a supine patient), room y = -x
(a right-handed frame needs the sign), scaled mm -> m and shifted to the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from yangcheng.radiotherapy.dose import ROBOTIC_SAD_MM

__all__ = [
    "PATIENT_TO_ROOM",
    "Box",
    "EllipticCylinder",
    "Room",
    "RoomError",
    "default_room",
]

FloatArray = NDArray[np.float64]

PATIENT_TO_ROOM = np.array(
    [
        [1.0, 0.0, 0.0],  # room x <- patient z
        [0.0, 0.0, -1.0],  # room y <- -patient x
        [0.0, -1.0, 0.0],  # room z <- -patient y
    ]
)
"""Takes a (z, y, x) patient vector to room (x, y, z). Its determinant is -1 only because
(z, y, x) lists a right-handed frame in reverse order; on (x, y, z) it is a proper rotation."""


class RoomError(ValueError):
    """A room that makes no sense (the bad setting is named)."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in the room frame (metres)."""

    name: str
    centre_m: tuple[float, float, float]
    half_extents_m: tuple[float, float, float]

    def __post_init__(self) -> None:
        if min(self.half_extents_m) <= 0:
            raise RoomError(f"box {self.name!r}: half_extents_m must be positive")

    def contains(self, point_m: ArrayLike) -> bool:
        p = np.asarray(point_m, dtype=np.float64) - np.asarray(self.centre_m)
        return bool(np.all(np.abs(p) <= np.asarray(self.half_extents_m)))


@dataclass(frozen=True)
class EllipticCylinder:
    """The patient's body: an elliptic cylinder along room x (metres)."""

    name: str
    centre_m: tuple[float, float, float]
    length_m: float
    half_width_m: float
    """Semi-axis along room y (left-right)."""
    half_thickness_m: float
    """Semi-axis along room z (anterior-posterior)."""

    def __post_init__(self) -> None:
        if min(self.length_m, self.half_width_m, self.half_thickness_m) <= 0:
            raise RoomError(f"cylinder {self.name!r}: every size must be positive")

    def contains(self, point_m: ArrayLike) -> bool:
        p = np.asarray(point_m, dtype=np.float64) - np.asarray(self.centre_m)
        radial = (p[1] / self.half_width_m) ** 2 + (p[2] / self.half_thickness_m) ** 2
        return bool(abs(p[0]) <= self.length_m / 2 and radial <= 1.0)

    def surface_points_m(self, n_around: int = 24) -> FloatArray:
        """Vertices of the two end ellipses: their convex hull is the collision shape."""
        t = np.linspace(0.0, 2 * np.pi, n_around, endpoint=False)
        ring = np.stack(
            [np.zeros_like(t), self.half_width_m * np.cos(t), self.half_thickness_m * np.sin(t)],
            axis=1,
        )
        ends = [ring + np.array([s * self.length_m / 2, 0.0, 0.0]) for s in (-1.0, 1.0)]
        return np.concatenate(ends) + np.asarray(self.centre_m)


@dataclass(frozen=True)
class Room:
    """Geometry of one treatment room; every length in metres, room frame."""

    target_m: tuple[float, float, float]
    couch_top: Box
    couch_column: Box
    patient: EllipticCylinder
    robot_base_m: tuple[float, float, float]
    robot_base_yaw_deg: float
    sad_mm: float = ROBOTIC_SAD_MM
    floor_z_m: float = 0.0
    obstacles: tuple[Box, ...] = field(default=())
    """Anything else in the room (none by default)."""

    def patient_to_room(self, zyx_mm: ArrayLike) -> FloatArray:
        """Room point(s) (metres) of patient point(s) (z, y, x) mm relative to the target."""
        p = np.asarray(zyx_mm, dtype=np.float64)
        if p.shape[-1:] != (3,):
            raise RoomError(f"zyx_mm must end in a (z, y, x) axis, got shape {p.shape}")
        return p @ PATIENT_TO_ROOM.T / 1000.0 + np.asarray(self.target_m)

    def room_to_patient(self, point_m: ArrayLike) -> FloatArray:
        """Inverse of :meth:`patient_to_room`: (z, y, x) mm relative to the target."""
        p = np.asarray(point_m, dtype=np.float64)
        if p.shape[-1:] != (3,):
            raise RoomError(f"point_m must end in an (x, y, z) axis, got shape {p.shape}")
        return (p - np.asarray(self.target_m)) * 1000.0 @ PATIENT_TO_ROOM

    def direction_to_room(self, zyx: ArrayLike) -> FloatArray:
        """A patient direction (z, y, x) as a room direction (no shift, no scaling)."""
        return np.asarray(zyx, dtype=np.float64) @ PATIENT_TO_ROOM.T

    def is_inside_solid(self, point_m: ArrayLike) -> bool:
        """True if the point is inside the patient, the couch, an obstacle or under the floor."""
        p = np.asarray(point_m, dtype=np.float64)
        if p[2] <= self.floor_z_m:
            return True
        solids: list[Box | EllipticCylinder] = [
            self.couch_top,
            self.couch_column,
            self.patient,
            *self.obstacles,
        ]
        return any(s.contains(p) for s in solids)

    @property
    def boxes(self) -> tuple[Box, ...]:
        return (self.couch_top, self.couch_column, *self.obstacles)


def default_room(
    target_height_m: float = 1.0,
    robot_base_m: tuple[float, float, float] = (0.9, -1.1, 0.0),
    sad_mm: float = ROBOTIC_SAD_MM,
) -> Room:
    """The CyberKnife-like room described in the module docstring."""
    if not 0.5 <= target_height_m <= 2.0:
        raise RoomError(f"target_height_m must be in [0.5, 2.0] m, got {target_height_m}")
    if sad_mm <= 0:
        raise RoomError(f"sad_mm must be positive, got {sad_mm}")
    if robot_base_m[2] < 0:
        raise RoomError(f"robot_base_m must stand on or above the floor, got {robot_base_m}")
    half_thickness, half_width = 0.11, 0.18
    couch_top_z = target_height_m - half_thickness
    board_half = (1.0, 0.26, 0.03)
    board_centre = (0.60 - board_half[0], 0.0, couch_top_z - board_half[2])
    column_top = couch_top_z - 2 * board_half[2]
    column = Box("couch_column", (-1.10, 0.0, column_top / 2), (0.25, 0.20, column_top / 2))
    patient = EllipticCylinder(
        "patient",
        centre_m=(0.55 - 0.875, 0.0, target_height_m),
        length_m=1.75,
        half_width_m=half_width,
        half_thickness_m=half_thickness,
    )
    dx, dy = -robot_base_m[0], -robot_base_m[1]
    return Room(
        target_m=(0.0, 0.0, target_height_m),
        couch_top=Box("couch_top", board_centre, board_half),
        couch_column=column,
        patient=patient,
        robot_base_m=robot_base_m,
        robot_base_yaw_deg=float(np.degrees(np.arctan2(dy, dx))),
        sad_mm=sad_mm,
    )
