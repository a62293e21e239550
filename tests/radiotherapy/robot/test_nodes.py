"""The node set: even directions, none under the couch, all aimed at the target."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.robot import NodeSetError, beams_from_nodes, node_set


def test_nodes_stay_above_the_couch_and_off_the_couch_axis() -> None:
    nodes = node_set(300, sad_mm=800.0, min_elevation_deg=0.0, max_cranial_deg=60.0)
    pos = np.array([n.position_mm for n in nodes])
    assert np.allclose(np.linalg.norm(pos, axis=1), 800.0)
    assert (pos[:, 1] <= 1e-9).all()  # y is posterior: nothing from under the couch
    assert (np.abs(pos[:, 0]) <= 800.0 * np.sin(np.radians(60.0)) + 1e-9).all()
    # about a third of the sphere is kept (a hemisphere, minus the polar caps)
    assert 0.3 * 300 < len(nodes) < 0.5 * 300
    # spread out: no two nodes nearly coincide
    nearest = min(np.linalg.norm(pos[i] - pos[j]) for i in range(len(pos)) for j in range(i))
    assert nearest > 800.0 * 0.1


def test_beams_aim_at_the_target() -> None:
    target = (10.0, -5.0, 3.0)
    beams = beams_from_nodes(node_set(50), target)
    for beam in beams:
        assert np.allclose(beam.isocenter_mm, target)
        assert beam.sad_mm == pytest.approx(800.0)


def test_impossible_settings_are_named() -> None:
    with pytest.raises(NodeSetError, match="max_cranial_deg"):
        node_set(max_cranial_deg=0.0)
    with pytest.raises(NodeSetError, match="no node"):
        node_set(4, min_elevation_deg=89.0)
