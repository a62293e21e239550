"""The DICOS Threat Detection Report: the decision, one assessed PTO per detection, and the
scan it answers."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from pydicom.uid import DICOSThreatDetectionReportStorage

from yangcheng.security.dicos_dx import dx_scan_files, read_scan
from yangcheng.security.dicos_tdr import (
    GROUND_TRUTH,
    ThreatObject,
    read_ground_truth,
    threat_category,
    threat_detection_report,
)
from yangcheng.security.physics import DualEnergyImage

KNIFE = ThreatObject("knife", "knives", 0.91, (10.0, 20.0, 30.0, 40.0), 24.5, True)
SEMTEX = ThreatObject("explosive_block", "explosives", 0.4, (50.0, 5.0, 20.0, 10.0), 7.1, True)
FAINT = ThreatObject("drug_package", "drugs", 0.21, (1.0, 2.0, 3.0, 4.0), None, False)


def _read(data: bytes) -> pydicom.Dataset:
    return pydicom.dcmread(io.BytesIO(data))


def test_the_report_carries_the_decision_and_each_assessed_object() -> None:
    ds = _read(
        threat_detection_report(
            alarm=True, objects=[KNIFE, SEMTEX, FAINT], model="m-1", processing_ms=42.0
        )
    )
    assert ds.SOPClassUID == DICOSThreatDetectionReportStorage and ds.Modality == "TDR"
    assert (ds.TDRType, ds.AlarmDecision, ds.AbortFlag) == ("MACHINE", "ALARM", "SUCCESS")
    assert (ds.NumberOfTotalObjects, ds.NumberOfAlarmObjects) == (3, 2)
    assert list(ds.ThreatDetectionAlgorithmAndVersion)[1] == "m-1"
    assert ds.TotalProcessingTime == 42.0
    ids = [pto.PotentialThreatObjectID for pto in ds.ThreatSequence]
    assert ids == [1, 2, 3]
    first = ds.ThreatSequence[0]
    region = first.PTORepresentationSequence[0]
    assert list(region.BoundingPolygon) == [10.0, 20.0, 0.0, 40.0, 60.0, 0.0]
    assert list(region.ThreatROIExtents) == [30.0, 40.0, 0.0]
    assert "ReferencedInstanceSequence" not in region
    flags = [
        (p.ATDAssessmentSequence[0].ThreatCategory, p.ATDAssessmentSequence[0].ATDAssessmentFlag)
        for p in ds.ThreatSequence
    ]
    assert flags == [("PI", "THREAT"), ("EXPLOSIVE", "THREAT"), ("CONTRABAND", "NO_THREAT")]
    assert first.ATDAssessmentSequence[0].ThreatCategoryDescription == "knife"
    assert np.isclose(first.ZEffective, 24.5) and "ZEffective" not in ds.ThreatSequence[2]


def test_a_clear_bag_reports_no_objects() -> None:
    ds = _read(threat_detection_report(alarm=False, objects=[], model="m", processing_ms=1.0))
    assert ds.AlarmDecision == "CLEAR" and ds.NumberOfTotalObjects == 0
    assert len(ds.ThreatSequence) == 0


def test_a_dicos_scan_is_answered_in_its_own_study() -> None:
    image = DualEnergyImage(low=np.full((64, 96), 0.5), high=np.full((64, 96), 0.7))
    scan = read_scan(list(dx_scan_files(image, ooi_id="BAG-7")), ["a", "b"])
    ds = _read(
        threat_detection_report(
            alarm=True, objects=[KNIFE], model="m", processing_ms=5.0, scan=scan
        )
    )
    assert ds.StudyInstanceUID == scan.low.study_uid
    assert ds.FrameOfReferenceUID == scan.low.frame_of_reference_uid
    assert ds.PatientID == "BAG-7"
    refs = ds.ThreatSequence[0].PTORepresentationSequence[0].ReferencedInstanceSequence
    assert [r.ReferencedSOPInstanceUID for r in refs] == [
        scan.low.sop_instance_uid,
        scan.high.sop_instance_uid,
    ]


def test_categories_follow_dicos_defined_terms() -> None:
    assert threat_category("explosives") == "EXPLOSIVE"
    assert threat_category("drugs") == "CONTRABAND"
    assert {threat_category(c) for c in ("guns", "knives", "liquids", "batteries")} == {"PI"}


def test_a_ground_truth_report_reads_back_as_its_labels() -> None:
    image = DualEnergyImage(low=np.full((64, 96), 0.5), high=np.full((64, 96), 0.7))
    scan = read_scan(list(dx_scan_files(image, ooi_id="BAG-7")), ["a", "b"])
    label = threat_detection_report(
        alarm=True,
        objects=[KNIFE, FAINT],
        model="labeller",
        processing_ms=0.0,
        scan=scan,
        tdr_type=GROUND_TRUTH,
    )
    truth = read_ground_truth(_read(label), "label.dcs")
    assert truth.study_uid == scan.low.study_uid
    assert truth.referenced == {scan.low.sop_instance_uid, scan.high.sop_instance_uid}
    assert truth.objects == (("knife", (10.0, 20.0, 30.0, 40.0)),)  # NO_THREAT is no label


def test_a_label_placed_by_its_polygon_alone_is_read() -> None:
    ds = _read(threat_detection_report(
        alarm=True, objects=[SEMTEX], model="m", processing_ms=0.0, tdr_type="GROUND_TRUTH"
    ))  # fmt: skip
    region = ds.ThreatSequence[0].PTORepresentationSequence[0]
    del region.ThreatROIBase, region.ThreatROIExtents
    assert read_ground_truth(ds, "x").objects == (("explosive_block", (50.0, 5.0, 20.0, 10.0)),)
    del region.BoundingPolygon
    with pytest.raises(ValueError, match="x: PTO 1 has no Threat ROI nor Bounding Polygon"):
        read_ground_truth(ds, "x")


def test_a_machine_report_is_not_a_label() -> None:
    ds = _read(threat_detection_report(alarm=True, objects=[KNIFE], model="m", processing_ms=1))
    with pytest.raises(ValueError, match="is a MACHINE report, not GROUND TRUTH"):
        read_ground_truth(ds, "tdr.dcs")
