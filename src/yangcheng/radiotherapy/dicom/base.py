"""The parts every exported file shares: file meta, SOP common, patient, general study,
series, equipment and frame of reference modules; and decimal-string formatting.

DS (decimal string) values are at most 16 characters, so numbers are formatted with pydicom's
`format_number_as_ds` before they are stored; code that needs the value a reader will see
(the dose scaling) parses that string back rather than keeping the float.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, UID, ExplicitVRLittleEndian
from pydicom.valuerep import format_number_as_ds

from yangcheng.radiotherapy.dicom.identity import StudyIdentity

__all__ = ["ds_value", "ds_values", "new_dataset", "save"]

IMPLEMENTATION_VERSION = "YANGCHENG_RT_1"


def ds_value(value: float) -> str:
    """``value`` as a DICOM decimal string (at most 16 characters)."""
    text = format_number_as_ds(float(value))
    return "0" if text in ("-0", "-0.0", "0.0") else text


def ds_values(values: Iterable[float]) -> list[str]:
    return [ds_value(v) for v in values]


def new_dataset(
    identity: StudyIdentity,
    *,
    sop_class_uid: str,
    sop_instance_uid: str,
    modality: str,
    series_uid: str,
    series_number: int,
    series_description: str,
) -> Dataset:
    """A dataset with file meta and the modules every IOD here requires."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class_uid)
    meta.MediaStorageSOPInstanceUID = UID(sop_instance_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.InstanceCreationDate = identity.date
    ds.InstanceCreationTime = identity.time
    ds.SOPClassUID = sop_class_uid
    ds.SOPInstanceUID = sop_instance_uid
    # general study
    ds.StudyDate = identity.date
    ds.StudyTime = identity.time
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.Modality = modality
    ds.Manufacturer = identity.manufacturer
    ds.SeriesDescription = series_description
    ds.StudyDescription = identity.study_description
    # patient
    ds.PatientName = identity.patient_name
    ds.PatientID = identity.patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyInstanceUID = identity.study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = identity.study_id
    ds.SeriesNumber = series_number
    ds.OperatorsName = ""  # type 2 in the RT series module: present, may be empty
    if modality == "CT":
        ds.Laterality = ""  # type 2C in the general series module; not a paired organ
    ds.FrameOfReferenceUID = identity.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    return ds


def save(ds: Dataset, path: str | os.PathLike[str]) -> None:
    """Write ``ds`` as a DICOM Part 10 file (preamble, file meta, explicit VR little endian)."""
    ds.save_as(path, enforce_file_format=True)
