"""The robot's side of planning: the node set the linac shoots from."""

from yangcheng.radiotherapy.robot.nodes import Node, NodeSetError, beams_from_nodes, node_set

__all__ = ["Node", "NodeSetError", "beams_from_nodes", "node_set"]
