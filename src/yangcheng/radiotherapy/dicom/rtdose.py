"""The plan's dose cube as an RT Dose: multi-frame uint32 on the CT grid, in Gy.

The grid is the phantom's own (one frame per CT slice, same pixel spacing and position), so a
viewer needs no resampling to overlay it. Stored values are ``round(dose / DoseGridScaling)``,
with the scaling chosen so that the maximum dose uses nearly the whole uint32 range; the
scaling is parsed back from its 16-character decimal string before the values are computed,
so the reader's dose differs from ours by at most half a scaling step.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag
from pydicom.uid import RTDoseStorage, RTPlanStorage

from yangcheng.radiotherapy.dicom.base import ds_value, ds_values, new_dataset
from yangcheng.radiotherapy.dicom.errors import InvalidDoseError
from yangcheng.radiotherapy.dicom.geometry import IMAGE_ORIENTATION_HFS
from yangcheng.radiotherapy.dicom.identity import StudyIdentity
from yangcheng.radiotherapy.phantoms import Phantom

__all__ = ["RTDOSE_SERIES_NUMBER", "check_dose", "dose_grid_scaling", "rt_dose"]

RTDOSE_SERIES_NUMBER = 4
_UINT32_MAX = float(np.iinfo(np.uint32).max)
_HEADROOM = 1.0 - 1e-6  # DS rounding of the scaling must not push the maximum past uint32


def check_dose(dose_gy: NDArray[np.floating], phantom: Phantom) -> NDArray[np.float64]:
    """``dose_gy`` as float64 on the phantom's grid; wrong shape, NaN, inf or < 0 are errors."""
    dose = np.asarray(dose_gy, dtype=np.float64)
    if dose.shape != phantom.shape:
        raise InvalidDoseError(
            f"dose_gy: shape {dose.shape} differs from the phantom grid {phantom.shape} (z, y, x)"
        )
    bad = ~np.isfinite(dose)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InvalidDoseError(
            f"dose_gy: {int(bad.sum())} NaN or infinite value(s), first at (z, y, x)={where}"
        )
    if dose.size and dose.min() < 0:
        where = tuple(int(i) for i in np.unravel_index(int(dose.argmin()), dose.shape))
        raise InvalidDoseError(
            f"dose_gy: negative dose {dose.min():.6g} Gy at (z, y, x)={where}; "
            f"{int((dose < 0).sum())} voxel(s) below 0"
        )
    return dose


def dose_grid_scaling(max_dose_gy: float) -> str:
    """DoseGridScaling (Gy per stored unit) as the decimal string that is written."""
    if max_dose_gy <= 0:
        return "1"
    return ds_value(max_dose_gy / _UINT32_MAX / _HEADROOM)


def rt_dose(
    dose_gy: NDArray[np.floating], phantom: Phantom, identity: StudyIdentity, rt_plan_uid: str
) -> Dataset:
    """The RTDOSE dataset of the whole plan (DoseSummationType PLAN), referencing the plan."""
    dose = check_dose(dose_gy, phantom)
    nz, ny, nx = phantom.shape
    dz, dy, dx = phantom.spacing_mm
    z_mm, y_mm, x_mm = phantom.axes_mm()
    scaling_text = dose_grid_scaling(float(dose.max()) if dose.size else 0.0)
    stored = np.rint(dose / float(scaling_text))
    if stored.size and stored.max() > _UINT32_MAX:
        raise InvalidDoseError(f"dose_gy: maximum {dose.max():.6g} Gy overflows uint32 scaling")

    ds = new_dataset(
        identity,
        sop_class_uid=RTDoseStorage,
        sop_instance_uid=identity.uid("rtdose"),
        modality="RTDOSE",
        series_uid=identity.uid("rtdose-series"),
        series_number=RTDOSE_SERIES_NUMBER,
        series_description="dose",
    )
    ds.InstanceNumber = 1
    ds.ContentDate = identity.date
    ds.ContentTime = identity.time
    ds.ImagePositionPatient = ds_values((x_mm[0], y_mm[0], z_mm[0]))
    ds.ImageOrientationPatient = ds_values(IMAGE_ORIENTATION_HFS)
    ds.PixelSpacing = ds_values((dy, dx))
    ds.SliceThickness = ds_value(dz)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = nz
    ds.FrameIncrementPointer = Tag("GridFrameOffsetVector")
    ds.GridFrameOffsetVector = ds_values(z_mm - z_mm[0])
    ds.Rows = ny
    ds.Columns = nx
    ds.BitsAllocated = 32
    ds.BitsStored = 32
    ds.HighBit = 31
    ds.PixelRepresentation = 0
    ds.DoseUnits = "GY"
    ds.DoseType = "PHYSICAL"
    ds.DoseSummationType = "PLAN"
    ds.DoseGridScaling = scaling_text
    ds.TissueHeterogeneityCorrection = ["IMAGE"]
    plan_ref = Dataset()
    plan_ref.ReferencedSOPClassUID = RTPlanStorage
    plan_ref.ReferencedSOPInstanceUID = rt_plan_uid
    ds.ReferencedRTPlanSequence = Sequence([plan_ref])
    ds.PixelData = np.ascontiguousarray(stored, dtype="<u4").tobytes()
    return ds
