"""The robot's side of planning: the node set the linac shoots from, the KUKA arm that carries
it there (inverse kinematics), collision checks against couch and patient, and the order in
which the nodes are visited with the treatment time it costs.

Importing this package does not import roboticstoolbox (about 4 s): that happens when an
``Arm`` is built.
"""

from yangcheng.radiotherapy.robot.collisions import (
    Clearance,
    CollisionChecker,
    CollisionError,
    SegmentCheck,
)
from yangcheng.radiotherapy.robot.kinematics import (
    Arm,
    KinematicsError,
    NodeSolution,
    home_configuration,
    solve_node,
    solve_node_candidates,
    tool_pose,
)
from yangcheng.radiotherapy.robot.nodes import Node, NodeSetError, beams_from_nodes, node_set
from yangcheng.radiotherapy.robot.room import Room, RoomError, default_room
from yangcheng.radiotherapy.robot.traversal import (
    Imaging,
    MotionModel,
    NodeSelection,
    Traversal,
    TraversalError,
    plan_traversal,
    select_configurations,
    solve_tour,
)

__all__ = [
    "Arm",
    "Clearance",
    "CollisionChecker",
    "CollisionError",
    "Imaging",
    "KinematicsError",
    "MotionModel",
    "Node",
    "NodeSelection",
    "NodeSetError",
    "NodeSolution",
    "Room",
    "RoomError",
    "SegmentCheck",
    "Traversal",
    "TraversalError",
    "beams_from_nodes",
    "default_room",
    "home_configuration",
    "node_set",
    "plan_traversal",
    "select_configurations",
    "solve_node",
    "solve_node_candidates",
    "solve_tour",
    "tool_pose",
]
