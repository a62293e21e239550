"""The phantom's HU cube as a CT Image Storage series, one file per axial slice.

HU are stored as signed 16-bit integers with RescaleSlope 1 and RescaleIntercept 0, so the
stored value is the HU (rounded to the nearest integer when the phantom holds floats).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.uid import CTImageStorage

from yangcheng.radiotherapy.dicom.base import ds_value, ds_values, new_dataset
from yangcheng.radiotherapy.dicom.errors import DicomExportError
from yangcheng.radiotherapy.dicom.geometry import IMAGE_ORIENTATION_HFS, PATIENT_POSITION
from yangcheng.radiotherapy.dicom.identity import StudyIdentity
from yangcheng.radiotherapy.phantoms import Phantom

__all__ = ["CT_SERIES_NUMBER", "ct_image_uids", "ct_slices", "hu_as_int16"]

CT_SERIES_NUMBER = 1
_INT16 = np.iinfo(np.int16)


def hu_as_int16(hu: NDArray[np.generic], name: str = "phantom.hu") -> NDArray[np.int16]:
    """Round HU to int16; NaN, infinities and values outside int16 are errors, not clipped."""
    values = np.asarray(hu)
    if np.issubdtype(values.dtype, np.integer):
        wide = values.astype(np.int64)
    else:
        floats = values.astype(np.float64)
        bad = ~np.isfinite(floats)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise DicomExportError(
                f"{name}: {int(bad.sum())} non-finite HU value(s), first at (z, y, x)={where}"
            )
        wide = np.rint(floats).astype(np.int64)
    if wide.size and (wide.min() < _INT16.min or wide.max() > _INT16.max):
        raise DicomExportError(
            f"{name}: HU range [{wide.min()}, {wide.max()}] does not fit int16 "
            f"[{_INT16.min}, {_INT16.max}]"
        )
    return wide.astype(np.int16)


def ct_image_uids(identity: StudyIdentity, n_slices: int) -> list[str]:
    """SOP Instance UIDs of the CT slices, inferior (index 0) to superior."""
    return [identity.uid("ct-image", k) for k in range(n_slices)]


def ct_slices(phantom: Phantom, identity: StudyIdentity) -> list[Dataset]:
    """One CT dataset per z slice of ``phantom``, in the order of the phantom's z axis."""
    hu = hu_as_int16(phantom.hu)
    nz, ny, nx = phantom.shape
    dz, dy, dx = phantom.spacing_mm
    z_mm, y_mm, x_mm = phantom.axes_mm()
    series_uid = identity.uid("ct-series")
    datasets = []
    for k, sop_uid in enumerate(ct_image_uids(identity, nz)):
        ds = new_dataset(
            identity,
            sop_class_uid=CTImageStorage,
            sop_instance_uid=sop_uid,
            modality="CT",
            series_uid=series_uid,
            series_number=CT_SERIES_NUMBER,
            series_description=f"{phantom.name} CT",
        )
        ds.ImageType = ["DERIVED", "SECONDARY", "AXIAL"]
        ds.PatientPosition = PATIENT_POSITION
        ds.ContentDate = identity.date
        ds.ContentTime = identity.time
        ds.InstanceNumber = k + 1
        ds.AcquisitionNumber = ""
        ds.PatientOrientation = ""
        ds.KVP = ""
        ds.ImagePositionPatient = ds_values((x_mm[0], y_mm[0], z_mm[k]))
        ds.ImageOrientationPatient = ds_values(IMAGE_ORIENTATION_HFS)
        ds.PixelSpacing = ds_values((dy, dx))  # (row spacing, column spacing)
        ds.SliceThickness = ds_value(dz)
        ds.SliceLocation = ds_value(z_mm[k])
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = ny
        ds.Columns = nx
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        ds.RescaleIntercept = "0"
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
        ds.WindowCenter = "40"
        ds.WindowWidth = "400"
        ds.PixelData = np.ascontiguousarray(hu[k], dtype="<i2").tobytes()
        datasets.append(ds)
    return datasets
