from __future__ import annotations

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import RTPlanStorage

from tests.radiotherapy.dicom.conftest import ExportedPlan
from yangcheng.radiotherapy.dicom import (
    MU_PER_UNIT_WEIGHT,
    InvalidPlanError,
    StudyIdentity,
    beam_axis_from_iec,
    read_fluence_map,
    rt_plan,
)
from yangcheng.radiotherapy.dose import Beam, Beamlets, cone_beamlets
from yangcheng.radiotherapy.robot import beams_from_nodes, node_set


def _plan(beams, beamlets, weights, **kwargs):
    return rt_plan(
        StudyIdentity(plan_id="p"),
        beams,
        beamlets,
        weights,
        structure_set_uid="1.2.3",
        target_roi_number=1,
        **kwargs,
    )


def test_beams_rebuild_their_directions_and_isocentre(exported: ExportedPlan) -> None:
    ds = dcmread(exported.files["RTPLAN"][0])
    assert ds.SOPClassUID == RTPlanStorage and ds.RTPlanGeometry == "PATIENT"
    assert len(ds.BeamSequence) == len(exported.beams)
    for item, beam in zip(ds.BeamSequence, exported.beams, strict=True):
        assert (item.BeamType, item.RadiationType) == ("STATIC", "PHOTON")
        assert float(item.SourceAxisDistance) == pytest.approx(beam.sad_mm)
        cp = item.ControlPointSequence[0]
        assert float(cp.NominalBeamEnergy) == 6.0
        axis = beam_axis_from_iec(float(cp.GantryAngle), float(cp.PatientSupportAngle))
        np.testing.assert_allclose(axis, beam.axis, atol=1e-9)
        iso_lps = [float(v) for v in cp.IsocenterPosition]
        np.testing.assert_allclose(iso_lps, beam.isocenter_mm[::-1])
        assert [float(c.CumulativeMetersetWeight) for c in item.ControlPointSequence] == [0, 1]
    sads = [float(b.SourceAxisDistance) for b in ds.BeamSequence]
    assert sads == [1000.0] * 5 + [800.0]
    last = ds.BeamSequence[-1].ControlPointSequence[0]
    assert float(last.PatientSupportAngle) not in (0.0,)  # the robotic beam is non-coplanar


def test_fluence_maps_and_metersets_give_back_the_weights(exported: ExportedPlan) -> None:
    ds = dcmread(exported.files["RTPLAN"][0])
    group = ds.FractionGroupSequence[0]
    fractions = int(group.NumberOfFractionsPlanned)
    assert fractions == 25 and int(group.NumberOfBeams) == len(exported.beams)
    bl = exported.beamlets
    for b, item in enumerate(ds.BeamSequence):
        fmap = read_fluence_map(item)
        sel = bl.beam_index == b
        mu = fmap.beamlet_mu(bl.u_mm[sel], bl.v_mm[sel])
        weights = mu * fractions / MU_PER_UNIT_WEIGHT
        np.testing.assert_allclose(weights, exported.weights[sel], rtol=1e-6, atol=1e-9)
        assert fmap.mu.sum() == pytest.approx(mu.sum(), rel=1e-6)  # nothing else in the map
        meterset = float(group.ReferencedBeamSequence[b].BeamMeterset)
        assert group.ReferencedBeamSequence[b].ReferencedBeamNumber == item.BeamNumber
        assert meterset == pytest.approx(fmap.mu.max(), rel=1e-6)
        # jaws enclose every bixel with fluence
        jaws = item.ControlPointSequence[0].BeamLimitingDevicePositionSequence
        x1, x2 = (float(v) for v in jaws[0].LeafJawPositions)
        y1, y2 = (float(v) for v in jaws[1].LeafJawPositions)
        on = exported.weights[sel] > 0
        half = fmap.size_mm / 2
        assert x1 <= bl.u_mm[sel][on].min() - half + 1e-6
        assert x2 >= bl.u_mm[sel][on].max() + half - 1e-6
        assert y1 <= bl.v_mm[sel][on].min() - half + 1e-6
        assert y2 >= bl.v_mm[sel][on].max() + half - 1e-6


def test_prescription_points_at_the_target_roi(exported: ExportedPlan) -> None:
    ds = dcmread(exported.files["RTPLAN"][0])
    rs = dcmread(exported.files["RTSTRUCT"][0])
    ref = ds.DoseReferenceSequence[0]
    assert float(ref.TargetPrescriptionDose) == 50.0
    assert ref.DoseReferenceStructureType == "VOLUME"
    names = {r.ROINumber: r.ROIName for r in rs.StructureSetROISequence}
    assert names[ref.ReferencedROINumber] == "PTV"
    assert ds.PatientSetupSequence[0].PatientPosition == "HFS"


def test_robotic_cone_plan_writes_sad_800_cones_and_nominal_mu() -> None:
    beams = beams_from_nodes(node_set(n_candidates=30)[:6], (0.0, 0.0, 0.0))
    diameters = np.array([5.0, 7.5, 10.0, 12.5, 20.0, 60.0])
    weights = np.array([0.5, 1.0, 0.0, 2.0, 0.25, 1.5])
    ds = _plan(beams, cone_beamlets(6, diameters), weights, n_fractions=5)
    assert ds.BeamSequence[0].TreatmentMachineName == "ROBOTIC_6MV"
    group = ds.FractionGroupSequence[0]
    for b, item in enumerate(ds.BeamSequence):
        assert float(item.SourceAxisDistance) == 800.0
        applicator = item.ApplicatorSequence[0]
        assert applicator.ApplicatorType == "PHOTON_CIRC"
        geometry = applicator.ApplicatorGeometrySequence[0]
        assert geometry.ApplicatorApertureShape == "SYM_CIRCULAR"
        assert geometry.ApplicatorOpening == pytest.approx(diameters[b])
        assert read_fluence_map(item).shape == "cone"
        # 1 MU = 0.01 Gy at dmax: a unit weight over 5 fractions is 20 MU a fraction
        assert float(group.ReferencedBeamSequence[b].BeamMeterset) == pytest.approx(
            weights[b] * 100.0 / 5
        )
        axis = beam_axis_from_iec(
            float(item.ControlPointSequence[0].GantryAngle),
            float(item.ControlPointSequence[0].PatientSupportAngle),
        )
        np.testing.assert_allclose(axis, beams[b].axis, atol=1e-9)


def _square(n: int) -> Beamlets:
    return Beamlets(np.zeros(n, np.intp), np.arange(n) * 5.0, np.zeros(n), np.full(n, 5.0))


@pytest.mark.parametrize(
    ("beams", "beamlets", "weights", "message"),
    [
        ([], _square(2), np.ones(2), "beams: the plan holds no beam"),
        (None, _square(3), np.ones(2), "weights: 2 values for 3 beamlets"),
        (None, _square(2), np.array([1.0, np.nan]), "weights: 1 non-finite"),
        (None, _square(2), np.array([1.0, -2.0]), "weights: negative weight -2 at 1"),
        (
            None,
            Beamlets(np.array([0, 3]), np.zeros(2), np.zeros(2), np.ones(2)),
            np.ones(2),
            r"beamlets\.beam_index: values 0\.\.3 outside 0\.\.0",
        ),
        (
            None,
            Beamlets(np.zeros(2, np.intp), np.array([0.0, 3.0]), np.zeros(2), np.full(2, 5.0)),
            np.ones(2),
            "not on a regular 5.0 mm grid",
        ),
        (
            None,
            Beamlets(np.zeros(1, np.intp), np.ones(1), np.zeros(1), np.ones(1), "cone"),
            np.ones(1),
            "a cone beam holds one cone on the axis",
        ),
    ],
)
def test_bad_plans_are_refused_naming_the_input(beams, beamlets, weights, message) -> None:
    if beams is None:
        beams = [Beam.from_angles(np.zeros(3), 0.0)]
    with pytest.raises(InvalidPlanError, match=message):
        _plan(beams, beamlets, weights)


def test_prescription_must_be_positive() -> None:
    beams = [Beam.from_angles(np.zeros(3), 0.0)]
    with pytest.raises(InvalidPlanError, match="prescription_gy: must be > 0"):
        _plan(beams, _square(1), np.ones(1), prescription_gy=0.0)
    with pytest.raises(InvalidPlanError, match="n_fractions: must be >= 1"):
        _plan(beams, _square(1), np.ones(1), n_fractions=0)
