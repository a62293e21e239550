"""DICOM-RT export of a plan: CT series, RTSTRUCT, RTPLAN and RTDOSE that clinical viewers
open together (one Study and Frame of Reference, HFS patient, DICOM LPS coordinates)."""

from __future__ import annotations

from yangcheng.radiotherapy.dicom.ct import ct_slices, hu_as_int16
from yangcheng.radiotherapy.dicom.errors import DicomExportError, InvalidDoseError, InvalidPlanError
from yangcheng.radiotherapy.dicom.fluence import (
    PRIVATE_CREATOR,
    PRIVATE_GROUP,
    FluenceMap,
    read_fluence_map,
)
from yangcheng.radiotherapy.dicom.geometry import (
    IMAGE_ORIENTATION_HFS,
    PATIENT_POSITION,
    BeamAngles,
    beam_angles,
    beam_axis_from_iec,
    iec_gantry_axes,
    to_patient_mm,
)
from yangcheng.radiotherapy.dicom.identity import StudyIdentity
from yangcheng.radiotherapy.dicom.meterset import GY_PER_MU, MU_PER_UNIT_WEIGHT, weights_to_mu
from yangcheng.radiotherapy.dicom.rtdose import check_dose, rt_dose
from yangcheng.radiotherapy.dicom.rtplan import rt_plan
from yangcheng.radiotherapy.dicom.rtstruct import structure_set
from yangcheng.radiotherapy.dicom.study import export_study

__all__ = [
    "GY_PER_MU",
    "IMAGE_ORIENTATION_HFS",
    "MU_PER_UNIT_WEIGHT",
    "PATIENT_POSITION",
    "PRIVATE_CREATOR",
    "PRIVATE_GROUP",
    "BeamAngles",
    "DicomExportError",
    "FluenceMap",
    "InvalidDoseError",
    "InvalidPlanError",
    "StudyIdentity",
    "beam_angles",
    "beam_axis_from_iec",
    "check_dose",
    "ct_slices",
    "export_study",
    "hu_as_int16",
    "iec_gantry_axes",
    "read_fluence_map",
    "rt_dose",
    "rt_plan",
    "structure_set",
    "to_patient_mm",
    "weights_to_mu",
]
