"""The robot's node set: where around the patient the linac may stand and shoot from.

A robotic linac (CyberKnife-like) aims from a fixed set of nodes on a sphere around the
target, at a source-axis distance of about 800 mm. Nodes under the couch and too close to
the couch plane are unreachable and are left out; the rest are spread evenly (a Fibonacci
sphere), so a plan can choose among directions from every side and from above, which is
what makes non-coplanar plans conformal. Reachability by the arm's kinematics and collision
checks against couch and patient refine this set further (``yangcheng.radiotherapy.robot``
grows them); this module gives the geometric candidates.

Coordinates follow the dose engine: (z, y, x) in mm, y posterior-positive, so the couch is
at +y under a supine patient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yangcheng.radiotherapy.dose import ROBOTIC_SAD_MM, Beam

__all__ = ["Node", "NodeSetError", "beams_from_nodes", "node_set"]

_GOLDEN = np.pi * (3.0 - np.sqrt(5.0))


class NodeSetError(ValueError):
    """Settings that leave no node, or make no sense (the setting is named)."""


@dataclass(frozen=True)
class Node:
    index: int
    position_mm: tuple[float, float, float]
    """Source position (z, y, x) relative to the target, in mm."""


def node_set(
    n_candidates: int = 200,
    sad_mm: float = ROBOTIC_SAD_MM,
    min_elevation_deg: float = -10.0,
    max_cranial_deg: float = 70.0,
) -> list[Node]:
    """Nodes among ``n_candidates`` directions spread evenly over the whole sphere.

    Kept: those at least ``min_elevation_deg`` above the horizontal plane through the target
    (elevation is towards anterior, -y; a negative value allows nodes a little below the
    patient's sides, never under the couch) and within ``max_cranial_deg`` of the axial plane
    (the arm cannot reach far along the couch towards head or feet).
    """
    if n_candidates < 1:
        raise NodeSetError(f"n_candidates must be positive, got {n_candidates}")
    if sad_mm <= 0:
        raise NodeSetError(f"sad_mm must be positive, got {sad_mm}")
    if not -90 <= min_elevation_deg < 90:
        raise NodeSetError(f"min_elevation_deg must be in [-90, 90), got {min_elevation_deg}")
    if not 0 < max_cranial_deg <= 90:
        raise NodeSetError(f"max_cranial_deg must be in (0, 90], got {max_cranial_deg}")
    i = np.arange(n_candidates) + 0.5
    z = 1.0 - 2.0 * i / n_candidates  # along the couch (superior-inferior)
    r = np.sqrt(1.0 - z**2)
    theta = _GOLDEN * i
    y, x = r * np.cos(theta), r * np.sin(theta)
    elevation = np.degrees(np.arcsin(np.clip(-y, -1.0, 1.0)))
    cranial = np.degrees(np.arcsin(np.clip(np.abs(z), 0.0, 1.0)))
    keep = (elevation >= min_elevation_deg) & (cranial <= max_cranial_deg)
    if not keep.any():
        raise NodeSetError("no node is left: lower min_elevation_deg or raise max_cranial_deg")
    pos = sad_mm * np.stack([z, y, x], axis=1)[keep]
    return [Node(k, (float(p[0]), float(p[1]), float(p[2]))) for k, p in enumerate(pos)]


def beams_from_nodes(nodes: list[Node], target_mm: tuple[float, float, float]) -> list[Beam]:
    """One beam from each node aimed at ``target_mm``."""
    target = np.asarray(target_mm, dtype=np.float64)
    return [Beam(target + np.asarray(n.position_mm), target.copy()) for n in nodes]
