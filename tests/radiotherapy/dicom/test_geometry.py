from __future__ import annotations

import math

import numpy as np
import pytest

from yangcheng.radiotherapy.dicom import (
    beam_angles,
    beam_axis_from_iec,
    iec_gantry_axes,
    to_patient_mm,
)
from yangcheng.radiotherapy.dose import Beam
from yangcheng.radiotherapy.robot import beams_from_nodes, node_set

ISO = np.array([10.0, -20.0, 30.0])


def _bld_axes(gantry: float, couch: float, collimator: float) -> tuple[np.ndarray, np.ndarray]:
    xg, yg, _ = iec_gantry_axes(gantry, couch)
    c = math.radians(collimator)
    return math.cos(c) * xg + math.sin(c) * yg, -math.sin(c) * xg + math.cos(c) * yg


def test_patient_coordinates_are_the_engine_axes_reversed() -> None:
    zyx = np.array([[1.0, 2.0, 3.0], [-4.0, 5.0, -6.0]])
    np.testing.assert_array_equal(to_patient_mm(zyx), [[3.0, 2.0, 1.0], [-6.0, 5.0, -4.0]])


@pytest.mark.parametrize(
    ("direction_zyx", "gantry"),
    [
        ((0.0, 1.0, 0.0), 0.0),  # source anterior, beam travels posterior
        ((0.0, 0.0, -1.0), 90.0),  # source on the patient's left (+x)
        ((0.0, -1.0, 0.0), 180.0),  # source posterior, under the couch
        ((0.0, 0.0, 1.0), 270.0),  # source on the patient's right
    ],
)
def test_coplanar_iec_gantry_angles_for_hfs(direction_zyx: tuple, gantry: float) -> None:
    angles = beam_angles(Beam.from_direction(ISO, np.array(direction_zyx), 1000.0))
    assert angles.gantry_deg == pytest.approx(gantry, abs=1e-9)
    assert angles.couch_deg == pytest.approx(0.0, abs=1e-9)


def test_couch_90_with_gantry_90_puts_the_source_at_the_feet() -> None:
    # IEC: the couch turns counter-clockwise seen from above, the head swings to -Xf, so a
    # lateral gantry at 90 deg looks along the patient from the inferior end.
    axis = beam_axis_from_iec(90.0, 90.0)
    np.testing.assert_allclose(axis, [1.0, 0.0, 0.0], atol=1e-12)  # travels superior (+z)


@pytest.mark.parametrize("gantry", [0.0, 30.0, 95.0, 180.0, 250.0, 359.0])
@pytest.mark.parametrize("couch", [0.0, 20.0, 75.0, -45.0, -80.0])
def test_angles_of_c_arm_beams_are_the_ones_they_were_built_from(
    gantry: float, couch: float
) -> None:
    beam = Beam.from_angles(ISO, gantry, couch)
    angles = beam_angles(beam)
    assert angles.gantry_deg == pytest.approx(gantry % 360.0, abs=1e-9)
    if gantry in (0.0, 180.0):
        # a vertical beam is the same for every couch angle: couch 0, the collimator carries
        # the couch's turn of the BEV axes
        assert angles.couch_deg == 0.0
        xb, _ = _bld_axes(angles.gantry_deg, angles.couch_deg, angles.collimator_deg)
        np.testing.assert_allclose(xb, beam.u, atol=1e-12)
    else:
        assert angles.couch_deg == pytest.approx(couch % 360.0, abs=1e-9)


def test_robotic_directions_rebuild_from_gantry_couch_and_collimator() -> None:
    beams = beams_from_nodes(node_set(n_candidates=120), (5.0, -3.0, 2.0))
    rng = np.random.default_rng(1)
    extra = [Beam.from_direction(ISO, d) for d in rng.normal(size=(200, 3))]
    worst = 0.0
    for beam in beams + extra:
        a = beam_angles(beam)
        assert 0.0 <= a.gantry_deg < 360.0 and 0.0 <= a.collimator_deg < 360.0
        assert a.couch_deg <= 90.0 + 1e-9 or a.couch_deg >= 270.0 - 1e-9
        xb, yb = _bld_axes(a.gantry_deg, a.couch_deg, a.collimator_deg)
        worst = max(
            worst,
            float(np.abs(beam_axis_from_iec(a.gantry_deg, a.couch_deg) - beam.axis).max()),
            float(np.abs(xb - beam.u).max()),
            float(np.abs(yb - beam.v).max()),
        )
    assert worst < 1e-9
    assert any(a.couch_deg not in (0.0,) for a in map(beam_angles, beams))  # non-coplanar
