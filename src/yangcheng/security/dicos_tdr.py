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

Labelled scans come the same way: a TDR of type ``GROUND TRUTH`` beside a scan says what is
really in the bag (each PTO's class in its Threat Category Description, its box), or that the
bag is clean (``CLEAR``, no PTO). ``read_ground_truth`` reads one, for evaluating the
detector on a site's own labelled scans (`detect.evaluate_dicos`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydicom.dataset import Dataset
from pydicom.uid import DICOSThreatDetectionReportStorage, generate_uid

from yangcheng import __version__
from yangcheng.security.dicos_dx import DxScan, file_bytes, new_instance
from yangcheng.security.objects import PROHIBITED
from yangcheng.security.scene import Annotation

__all__ = [
    "GROUND_TRUTH",
    "GroundTruth",
    "ThreatObject",
    "ground_truth_report",
    "read_ground_truth",
    "threat_category",
    "threat_detection_report",
]

GROUND_TRUTH = "GROUND TRUTH"
"""The TDR type of a label: what is really in the bag, not what a machine or person said."""

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
    tdr_type: str = "MACHINE",
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
    ds.TDRType = tdr_type
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


@dataclass(frozen=True)
class GroundTruth:
    """A label: which scan it is of, and what is in the bag (boxes in the DX images' pixels)."""

    study_uid: str | None
    referenced: frozenset[str]
    """The SOP instance UIDs of the images its PTOs are on."""
    objects: tuple[tuple[str, tuple[float, float, float, float]], ...]
    """(class name as the label gives it, (x, y, w, h)) of each threat."""


def _box(pto: Dataset, field: str) -> tuple[float, float, float, float]:
    number = pto.get("PotentialThreatObjectID", "?")
    for region in pto.get("PTORepresentationSequence") or []:
        base, extents = region.get("ThreatROIBase"), region.get("ThreatROIExtents")
        if base is not None and extents is not None and len(base) >= 2 and len(extents) >= 2:
            return float(base[0]), float(base[1]), float(extents[0]), float(extents[1])
        polygon = region.get("BoundingPolygon")
        if polygon is not None and len(polygon) >= 6 and len(polygon) % 3 == 0:
            xs, ys = [float(v) for v in polygon[0::3]], [float(v) for v in polygon[1::3]]
            return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    raise ValueError(f"{field}: PTO {number} has no Threat ROI nor Bounding Polygon to place it")


def read_ground_truth(ds: Dataset, field: str) -> GroundTruth:
    """What a ground-truth TDR says is in its bag; ValueError naming ``field`` when it is
    another kind of report or does not say where a threat is."""
    kind = str(ds.get("TDRType", "")).replace("_", " ").strip().upper()
    if kind != GROUND_TRUTH:
        raise ValueError(
            f"{field}: is a {kind or 'type-less'} report, not GROUND TRUTH: a label must say "
            "what is in the bag, not what was decided"
        )
    objects = []
    referenced: set[str] = set()
    for pto in ds.get("ThreatSequence") or []:
        for region in pto.get("PTORepresentationSequence") or []:
            for ref in region.get("ReferencedInstanceSequence") or []:
                referenced.add(str(ref.get("ReferencedSOPInstanceUID", "")))
        assessments = pto.get("ATDAssessmentSequence") or []
        if assessments and all(
            str(a.get("ATDAssessmentFlag", "")).upper() == "NO_THREAT" for a in assessments
        ):
            continue
        name = next(
            (str(a.ThreatCategoryDescription).strip() for a in assessments
             if a.get("ThreatCategoryDescription")),
            next((str(a.get("ThreatCategory", "")) for a in assessments), "") or "unnamed",
        )  # fmt: skip
        objects.append((name, _box(pto, field)))
    study = ds.get("StudyInstanceUID")
    return GroundTruth(str(study) if study else None, frozenset(referenced), tuple(objects))


def ground_truth_report(
    annotations: list[Annotation], scan: DxScan, *, pixel_mm: float, source: str
) -> bytes:
    """A simulated bag's labels as the ground-truth TDR of its DICOS scan written at
    ``pixel_mm``: each prohibited item's class and box, in that scan's pixels."""
    by_id = {c.id: c for c in PROHIBITED}
    k = 1.5 / pixel_mm  # the simulator's boxes are in its 1.5 mm pixels
    objects = [
        ThreatObject(
            class_name=by_id[a.class_id].name,
            category=by_id[a.class_id].category,
            score=1.0,
            box_xywh=(
                a.bbox_xywh[0] * k,
                a.bbox_xywh[1] * k,
                a.bbox_xywh[2] * k,
                a.bbox_xywh[3] * k,
            ),
            z_eff=None,
            alarm=True,
        )
        for a in annotations
        if a.class_id in by_id
    ]
    return threat_detection_report(
        alarm=bool(objects),
        objects=objects,
        model=source,
        processing_ms=0.0,
        scan=scan,
        tdr_type=GROUND_TRUTH,
    )
