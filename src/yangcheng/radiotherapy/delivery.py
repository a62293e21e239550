"""From a plan to a treatment: the nodes the arm can use, the order it visits them, the time.

A robotic plan may only shoot from nodes the KUKA arm reaches with the linac aimed at the
target and without touching couch or patient, and joined to its home pose by a free move.
``robot_nodes`` finds those before planning (so the optimiser never picks an unusable one);
``plan_delivery`` then orders the nodes the plan actually uses into the shortest collision-
checked tour and adds beam-on and imaging time for one fraction.

Monitor units follow the DICOM export's nominal calibration (``dicom.meterset``: a unit of
weight is 100 MU): an MLC beam needs at least its most weighted beamlet's MU; with cones every
(aim point, cone) is a beam of its own and the node delivers their sum.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from yangcheng.radiotherapy.dicom.meterset import weights_to_mu
from yangcheng.radiotherapy.plan import PlanResult
from yangcheng.radiotherapy.robot import (
    Arm,
    CollisionChecker,
    Imaging,
    MotionModel,
    Node,
    NodeSelection,
    Room,
    Traversal,
    default_room,
    home_configuration,
    node_set,
    plan_traversal,
    select_configurations,
)

__all__ = ["Delivery", "RobotSetup", "plan_delivery", "robot_nodes"]


@dataclass
class RobotSetup:
    room: Room
    arm: Arm
    checker: CollisionChecker
    home_q: np.ndarray
    candidates: list[Node]
    selection: NodeSelection
    seconds: float

    @property
    def usable(self) -> list[Node]:
        """The candidate nodes with a checked, collision-free configuration, in node order."""
        keep = {s.node_index for s in self.selection.solutions}
        return [n for n in self.candidates if n.index in keep]


@contextmanager
def robot_nodes(n_candidates: int, room: Room | None = None) -> Iterator[RobotSetup]:
    """The node set of ``n_candidates`` directions, filtered by kinematics and collisions.

    A context manager: the collision checker holds a pybullet client until the block ends.
    """
    started = time.perf_counter()
    room = room or default_room()
    arm = Arm(room)
    with CollisionChecker(arm) as checker:
        home = home_configuration(arm, accept=checker.is_free)
        candidates = node_set(n_candidates=n_candidates, sad_mm=room.sad_mm)
        selection = select_configurations(arm, checker, candidates, home)
        yield RobotSetup(
            room, arm, checker, home, candidates, selection, time.perf_counter() - started
        )


@dataclass(frozen=True)
class Delivery:
    traversal: Traversal
    nodes_used: int
    mu_per_fraction: float
    n_fractions: int
    seconds: float
    """Time spent ordering and checking the tour."""

    @property
    def minutes_per_fraction(self) -> float:
        return self.traversal.total_s / 60.0


def _node_mu(result: PlanResult, n_fractions: int) -> dict[int, float]:
    """MU per fraction each node delivers."""
    if result.beamlet_set is None or not result.beam_node:
        raise ValueError("plan_delivery needs a robotic plan (its beams' nodes are not known)")
    beamlets = result.beamlet_set
    mu = weights_to_mu(result.fluence.weights, n_fractions)
    per_beam = np.zeros(len(result.beam_set))
    if beamlets.shape == "cone":
        np.add.at(per_beam, beamlets.beam_index, mu)
    else:
        np.maximum.at(per_beam, beamlets.beam_index, mu)
    by_node: dict[int, float] = {}
    for beam, node in enumerate(result.beam_node):
        by_node[node] = by_node.get(node, 0.0) + float(per_beam[beam])
    return by_node


def plan_delivery(
    result: PlanResult,
    setup: RobotSetup,
    n_fractions: int = 25,
    min_mu: float = 1.0,
    imaging: Imaging | None = None,
) -> Delivery:
    """Visit the nodes that deliver at least ``min_mu`` per fraction, shortest tour first."""
    started = time.perf_counter()
    mu = _node_mu(result, n_fractions)
    solutions = {s.node_index: s for s in setup.selection.solutions}
    missing = sorted(n for n in mu if n not in solutions)
    if missing:
        raise ValueError(f"nodes {missing[:5]} of the plan have no checked robot configuration")
    used = [n for n in sorted(mu) if mu[n] >= min_mu]
    traversal = plan_traversal(
        [solutions[n] for n in used],
        setup.home_q,
        MotionModel.for_arm(setup.arm),
        setup.checker,
        mu_per_node=[mu[n] for n in used],
        imaging=imaging or Imaging(),
    )
    total_mu = math.fsum(mu[n] for n in used)
    return Delivery(traversal, len(used), total_mu, n_fractions, time.perf_counter() - started)
