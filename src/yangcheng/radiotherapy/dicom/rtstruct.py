"""The phantom's structures as an RT Structure Set on the exported CT.

Each structure becomes an ROI (numbered 1.. in the phantom's order) with CLOSED_PLANAR
contours on every CT slice it touches, each contour referencing its slice's SOP Instance UID,
and an RT ROI Observation whose interpreted type follows the structure's kind (target -> PTV,
oar -> ORGAN, external -> EXTERNAL).
"""

from __future__ import annotations

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, RTStructureSetStorage

from yangcheng.radiotherapy.dicom.base import ds_values, new_dataset
from yangcheng.radiotherapy.dicom.contours import mask_contours_mm
from yangcheng.radiotherapy.dicom.errors import DicomExportError
from yangcheng.radiotherapy.dicom.identity import StudyIdentity
from yangcheng.radiotherapy.phantoms import Phantom

__all__ = ["RTSTRUCT_SERIES_NUMBER", "roi_numbers", "structure_set"]

RTSTRUCT_SERIES_NUMBER = 2
INTERPRETED_TYPE = {"target": "PTV", "oar": "ORGAN", "external": "EXTERNAL"}
_COLOURS = ((255, 0, 0), (0, 160, 255), (0, 200, 0), (255, 160, 0), (200, 0, 200), (0, 200, 200))
_EXTERNAL_COLOUR = (255, 255, 0)


def roi_numbers(phantom: Phantom) -> dict[str, int]:
    """ROI Number of each structure, as the RT Plan's dose reference refers to it."""
    return {name: i + 1 for i, name in enumerate(phantom.structures)}


def _contour_image(sop_uid: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = CTImageStorage
    item.ReferencedSOPInstanceUID = sop_uid
    return item


def _referenced_frame(identity: StudyIdentity, ct_series_uid: str, ct_uids: list[str]) -> Dataset:
    series = Dataset()
    series.SeriesInstanceUID = ct_series_uid
    series.ContourImageSequence = Sequence([_contour_image(u) for u in ct_uids])
    study = Dataset()
    study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"  # Detached Study Management (retired)
    study.ReferencedSOPInstanceUID = identity.study_uid
    study.RTReferencedSeriesSequence = Sequence([series])
    frame = Dataset()
    frame.FrameOfReferenceUID = identity.frame_of_reference_uid
    frame.RTReferencedStudySequence = Sequence([study])
    return frame


def structure_set(
    phantom: Phantom, identity: StudyIdentity, ct_series_uid: str, ct_uids: list[str]
) -> Dataset:
    """The RTSTRUCT dataset; ``ct_uids`` are the CT slices' SOP Instance UIDs in z order."""
    nz = phantom.shape[0]
    if len(ct_uids) != nz:
        raise DicomExportError(f"ct_uids: {len(ct_uids)} UIDs for {nz} slices")
    if not phantom.structures:
        raise DicomExportError(f"{phantom.name}: no structures to write to an RTSTRUCT")
    ds = new_dataset(
        identity,
        sop_class_uid=RTStructureSetStorage,
        sop_instance_uid=identity.uid("rtstruct"),
        modality="RTSTRUCT",
        series_uid=identity.uid("rtstruct-series"),
        series_number=RTSTRUCT_SERIES_NUMBER,
        series_description=f"{phantom.name} structures",
    )
    ds.InstanceNumber = 1
    ds.StructureSetLabel = phantom.name[:16] or "structures"
    ds.StructureSetName = phantom.name[:64]
    ds.StructureSetDate = identity.date
    ds.StructureSetTime = identity.time
    ds.ReferencedFrameOfReferenceSequence = Sequence(
        [_referenced_frame(identity, ct_series_uid, ct_uids)]
    )
    z_mm, y_mm, x_mm = phantom.axes_mm()
    rois, roi_contours, observations = [], [], []
    for name, number in roi_numbers(phantom).items():
        structure = phantom.structures[name]
        roi = Dataset()
        roi.ROINumber = number
        roi.ReferencedFrameOfReferenceUID = identity.frame_of_reference_uid
        roi.ROIName = name[:64]
        roi.ROIGenerationAlgorithm = "AUTOMATIC"
        rois.append(roi)

        contours = []
        for k in np.flatnonzero(structure.mask.any(axis=(1, 2))):
            for points in mask_contours_mm(structure.mask[k], y_mm, x_mm):
                contour = Dataset()
                contour.ContourImageSequence = Sequence([_contour_image(ct_uids[k])])
                contour.ContourGeometricType = "CLOSED_PLANAR"
                contour.NumberOfContourPoints = len(points)
                xyz = np.column_stack([points, np.full(len(points), z_mm[k])])
                contour.ContourData = ds_values(xyz.ravel())
                contours.append(contour)
        roi_contour = Dataset()
        colour = (
            _EXTERNAL_COLOUR
            if structure.kind == "external"
            else _COLOURS[(number - 1) % len(_COLOURS)]
        )
        roi_contour.ROIDisplayColor = list(colour)
        roi_contour.ReferencedROINumber = number
        roi_contour.ContourSequence = Sequence(contours)
        roi_contours.append(roi_contour)

        observation = Dataset()
        observation.ObservationNumber = number
        observation.ReferencedROINumber = number
        observation.RTROIInterpretedType = INTERPRETED_TYPE[structure.kind]
        observation.ROIInterpreter = ""
        observations.append(observation)
    ds.StructureSetROISequence = Sequence(rois)
    ds.ROIContourSequence = Sequence(roi_contours)
    ds.RTROIObservationsSequence = Sequence(observations)
    return ds
