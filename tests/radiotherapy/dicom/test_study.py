from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian, RTPlanStorage, RTStructureSetStorage

from tests.radiotherapy.dicom.conftest import ExportedPlan, small_plan
from yangcheng.radiotherapy.dicom import (
    DicomExportError,
    InvalidDoseError,
    InvalidPlanError,
    StudyIdentity,
    export_study,
)
from yangcheng.radiotherapy.dose import Beam, Beamlets
from yangcheng.radiotherapy.phantoms import water_phantom


def _all(exported: ExportedPlan) -> list:
    return [dcmread(p) for paths in exported.files.values() for p in paths]


def test_every_file_shares_study_and_frame_of_reference(exported: ExportedPlan) -> None:
    datasets = _all(exported)
    assert {k: len(v) for k, v in exported.files.items()} == {
        "CT": exported.phantom.shape[0],
        "RTSTRUCT": 1,
        "RTPLAN": 1,
        "RTDOSE": 1,
    }
    assert {d.StudyInstanceUID for d in datasets} == {exported.identity.study_uid}
    assert {d.FrameOfReferenceUID for d in datasets} == {exported.identity.frame_of_reference_uid}
    assert len({d.SOPInstanceUID for d in datasets}) == len(datasets)
    assert len({d.SeriesInstanceUID for d in datasets}) == 4
    for d in datasets:
        assert d.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert d.file_meta.MediaStorageSOPInstanceUID == d.SOPInstanceUID
        assert d.PatientID == exported.identity.patient_id


def test_references_resolve_from_dose_to_plan_to_structures_to_ct(
    exported: ExportedPlan,
) -> None:
    rd = dcmread(exported.files["RTDOSE"][0])
    rp = dcmread(exported.files["RTPLAN"][0])
    rs = dcmread(exported.files["RTSTRUCT"][0])
    cts = {dcmread(p).SOPInstanceUID for p in exported.files["CT"]}
    plan_ref = rd.ReferencedRTPlanSequence[0]
    assert plan_ref.ReferencedSOPClassUID == RTPlanStorage
    assert plan_ref.ReferencedSOPInstanceUID == rp.SOPInstanceUID
    ss_ref = rp.ReferencedStructureSetSequence[0]
    assert ss_ref.ReferencedSOPClassUID == RTStructureSetStorage
    assert ss_ref.ReferencedSOPInstanceUID == rs.SOPInstanceUID
    frame = rs.ReferencedFrameOfReferenceSequence[0]
    assert frame.FrameOfReferenceUID == rs.FrameOfReferenceUID
    series = frame.RTReferencedStudySequence[0].RTReferencedSeriesSequence[0]
    assert series.SeriesInstanceUID == dcmread(exported.files["CT"][0]).SeriesInstanceUID
    assert {i.ReferencedSOPInstanceUID for i in series.ContourImageSequence} == cts
    contour_refs = {
        c.ContourImageSequence[0].ReferencedSOPInstanceUID
        for roi in rs.ROIContourSequence
        for c in roi.ContourSequence
    }
    assert contour_refs and contour_refs <= cts


def test_same_plan_exports_the_same_bytes_and_another_id_other_uids(tmp_path: Path) -> None:
    phantom, dose, beams, beamlets, weights = small_plan()
    runs = {}
    for name, plan_id in (("a", "plan-1"), ("b", "plan-1"), ("c", "plan-2")):
        runs[name] = export_study(
            tmp_path / name,
            phantom,
            dose,
            beams,
            beamlets,
            weights,
            identity=StudyIdentity(plan_id=plan_id),
        )
    for key in runs["a"]:
        for pa, pb in zip(runs["a"][key], runs["b"][key], strict=True):
            assert pa.read_bytes() == pb.read_bytes()
    uids_a = {dcmread(p).SOPInstanceUID for ps in runs["a"].values() for p in ps}
    uids_c = {dcmread(p).SOPInstanceUID for ps in runs["c"].values() for p in ps}
    assert not uids_a & uids_c
    assert StudyIdentity(plan_id="plan-1", seed=1).study_uid != StudyIdentity("plan-1").study_uid


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    phantom = water_phantom((10.0, 20.0, 20.0), (5.0, 5.0, 5.0), margin_voxels=0)
    beams = [Beam.from_angles(np.zeros(3), 0.0)]
    beamlets = Beamlets(np.zeros(1, np.intp), np.zeros(1), np.zeros(1), np.full(1, 5.0))
    out = tmp_path / "study"
    with pytest.raises(InvalidDoseError, match="dose_gy: shape"):
        export_study(out, phantom, np.zeros((1, 1, 1)), beams, beamlets, np.ones(1))
    with pytest.raises(InvalidPlanError, match="weights: negative"):
        export_study(out, phantom, np.zeros(phantom.shape), beams, beamlets, -np.ones(1))
    with pytest.raises(InvalidPlanError, match=r"target: 'PTV' is not a structure of \['Body'\]"):
        export_study(
            out, phantom, np.zeros(phantom.shape), beams, beamlets, np.ones(1), target="PTV"
        )
    assert not out.exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(DicomExportError, match="is not a folder"):
        export_study(
            tmp_path / "file", phantom, np.zeros(phantom.shape), beams, beamlets, np.ones(1)
        )


def test_created_date_is_written_when_given(tmp_path: Path) -> None:
    phantom = water_phantom((10.0, 20.0, 20.0), (5.0, 5.0, 5.0), margin_voxels=0)
    beams = [Beam.from_angles(np.zeros(3), 0.0)]
    beamlets = Beamlets(np.zeros(1, np.intp), np.zeros(1), np.zeros(1), np.full(1, 5.0))
    identity = StudyIdentity(plan_id="dated", created=datetime(2024, 5, 6, 7, 8, 9))
    files = export_study(
        tmp_path, phantom, np.zeros(phantom.shape), beams, beamlets, np.ones(1), identity=identity
    )
    rp = dcmread(files["RTPLAN"][0])
    assert (rp.StudyDate, rp.StudyTime, rp.RTPlanDate) == ("20240506", "070809", "20240506")
    # a water phantom without a target gets a SITE prescription
    assert rp.DoseReferenceSequence[0].DoseReferenceStructureType == "SITE"
