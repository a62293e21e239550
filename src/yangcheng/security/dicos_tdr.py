"""The detector's answer as a DICOS Threat Detection Report (TDR).

A screening line's baggage handling and operator stations take an automatic threat
recognition's result as a TDR (NEMA IIC 1): the bag's alarm decision, and one potential
threat object (PTO) per finding with its place in the scan's images and an assessment
(threat category, flag, probability). Writing it lets the detector sit behind a scanner
where a vendor's ATR would.

Each detection the service returns becomes a PTO. Its assessment flag is ``THREAT`` where the
box is marked as an alarm and ``NO_THREAT`` for the fainter boxes an alarmed bag also shows;
the bag's decision is the detector's own. Boxes are given in the referenced DX images' pixels
(column, row), as a two-point bounding polygon and a region base and extent, with depth 0,
since a projection has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydicom.dataset import Dataset
from pydicom.uid import DICOSThreatDetectionReportStorage, generate_uid

from yangcheng import __version__
from yangcheng.security.dicos_dx import DxScan, file_bytes, new_instance

__all__ = ["ThreatObject", "threat_category", "threat_detection_report"]

_CATEGORY = {"explosives": "EXPLOSIVE", "drugs": "CONTRABAND"}
"""DICOS threat categories of the classes' categories; every other one is a prohibited item."""


@dataclass(frozen=True)
class ThreatObject:
    """One detection, with its box in the DX images' pixels."""

    class_name: str
    category: str
    score: float
    box_xywh: tuple[float, float, float, float]
    z_eff: float | None
    alarm: bool


def threat_category(category: str) -> str:
    """The DICOS Threat Category of one of the detector's class categories."""
    return _CATEGORY.get(category, "PI")


def _pto(number: int, obj: ThreatObject, scan: DxScan | None) -> Dataset:
    x, y, w, h = obj.box_xywh
    region = Dataset()
    if scan is not None:
        refs = []
        for image in (scan.low, scan.high):
            ref = Dataset()
            ref.ReferencedSOPClassUID = image.sop_class_uid
            ref.ReferencedSOPInstanceUID = image.sop_instance_uid
            refs.append(ref)
        region.ReferencedInstanceSequence = refs
    region.BoundingPolygon = [x, y, 0.0, x + w, y + h, 0.0]
    region.ThreatROIBase = [x, y, 0.0]
    region.ThreatROIExtents = [w, h, 0.0]
    assessment = Dataset()
    assessment.ThreatCategory = threat_category(obj.category)
    assessment.ThreatCategoryDescription = obj.class_name
    assessment.ATDAbilityAssessment = "NO_INTERFERENCE"
    assessment.ATDAssessmentFlag = "THREAT" if obj.alarm else "NO_THREAT"
    assessment.ATDAssessmentProbability = float(obj.score)
    item = Dataset()
    item.PotentialThreatObjectID = number
    item.PTORepresentationSequence = [region]
    item.ATDAssessmentSequence = [assessment]
    if obj.z_eff is not None:
        item.ZEffective = float(obj.z_eff)
    return item


def threat_detection_report(
    *,
    alarm: bool,
    objects: list[ThreatObject],
    model: str,
    processing_ms: float,
    scan: DxScan | None = None,
    abort_reason: str | None = None,
) -> bytes:
    """The TDR file for one bag: in the scan's study and frame of reference when the bag came
    as DICOS, in a study of its own otherwise. With an ``abort_reason`` (a DICOS defined term
    such as ``UNKNOWN_DATATYPE`` or ``TIMEOUT``) the detector did not judge the bag, and the
    decision is whatever the caller fell back on (a line sends such a bag to a person)."""
    when = datetime.now(UTC)
    ds = new_instance(DICOSThreatDetectionReportStorage, "TDR")
    source = scan.low if scan is not None else None
    ds.StudyInstanceUID = (source.study_uid if source else None) or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    if source is not None and source.frame_of_reference_uid:
        ds.FrameOfReferenceUID = source.frame_of_reference_uid
    if source is not None and source.ooi_id:
        ds.PatientID = source.ooi_id  # DICOS: the object of inspection's id
    ds.ContentDate = when.strftime("%Y%m%d")
    ds.ContentTime = when.strftime("%H%M%S.%f")
    ds.Manufacturer = "Yangcheng"
    ds.SoftwareVersions = __version__
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.TDRType = "MACHINE"
    ds.ThreatDetectionAlgorithmAndVersion = ["Yangcheng prohibited-item detector", model]
    ds.AlarmDecision = "ALARM" if alarm else "CLEAR"
    ds.AlarmDecisionTime = when.strftime("%Y%m%d%H%M%S.%f")
    ds.AbortFlag = "SUCCESS" if abort_reason is None else "ABORT"
    if abort_reason is not None:
        ds.AbortReason = abort_reason
    ds.TotalProcessingTime = float(processing_ms)
    ds.NumberOfTotalObjects = len(objects)
    ds.NumberOfAlarmObjects = sum(o.alarm for o in objects)
    ds.ThreatSequence = [_pto(i, o, scan) for i, o in enumerate(objects, start=1)]
    return file_bytes(ds)
