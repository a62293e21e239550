from __future__ import annotations

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import RTDoseStorage

from tests.radiotherapy.dicom.conftest import ExportedPlan
from yangcheng.radiotherapy.dicom import InvalidDoseError, StudyIdentity, rt_dose
from yangcheng.radiotherapy.phantoms import water_phantom


def test_dose_round_trips_within_one_scaling_step(exported: ExportedPlan) -> None:
    ds = dcmread(exported.files["RTDOSE"][0])
    assert ds.SOPClassUID == RTDoseStorage
    assert (ds.DoseUnits, ds.DoseType, ds.DoseSummationType) == ("GY", "PHYSICAL", "PLAN")
    assert ds.BitsAllocated == 32 and ds.PixelRepresentation == 0
    pixels = ds.pixel_array
    assert pixels.dtype == np.uint32 and pixels.shape == exported.phantom.shape
    scaling = float(ds.DoseGridScaling)
    dose = pixels * scaling
    error = float(np.abs(dose - exported.dose_gy).max())
    assert error <= scaling
    assert exported.dose_gy.max() > 1.0  # a real dose, not an empty cube
    assert pixels.max() > 0.99 * np.iinfo(np.uint32).max  # the range is used


def test_dose_grid_lies_on_the_ct_grid(exported: ExportedPlan) -> None:
    ds = dcmread(exported.files["RTDOSE"][0])
    ct0 = dcmread(exported.files["CT"][0])
    assert ds.ImagePositionPatient == ct0.ImagePositionPatient
    assert ds.PixelSpacing == ct0.PixelSpacing
    assert ds.FrameIncrementPointer == 0x3004000C
    z_mm = exported.phantom.axes_mm()[0]
    np.testing.assert_allclose([float(v) for v in ds.GridFrameOffsetVector], z_mm - z_mm[0])
    ct_z = [float(dcmread(p).ImagePositionPatient[2]) for p in exported.files["CT"]]
    np.testing.assert_allclose(float(ds.ImagePositionPatient[2]) + z_mm - z_mm[0], ct_z)


def test_zero_dose_is_written_as_zeros() -> None:
    phantom = water_phantom((10.0, 10.0, 10.0), (5.0, 5.0, 5.0), margin_voxels=0)
    ds = rt_dose(np.zeros(phantom.shape), phantom, StudyIdentity(), "1.2.3")
    assert np.frombuffer(ds.PixelData, "<u4").max() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d[:-1], r"dose_gy: shape \(1, 2, 2\) differs from the phantom grid \(2, 2, 2\)"),
        (lambda d: np.where(d > 0.5, np.nan, d), r"dose_gy: 4 NaN or infinite"),
        (lambda d: d - 0.75, r"dose_gy: negative dose -0\.75 Gy at \(z, y, x\)=\(0, 0, 0\)"),
    ],
)
def test_bad_dose_is_refused_naming_it(change, message: str) -> None:
    phantom = water_phantom((10.0, 10.0, 10.0), (5.0, 5.0, 5.0), margin_voxels=0)
    dose = np.arange(8, dtype=float).reshape(phantom.shape) / 7.0
    with pytest.raises(InvalidDoseError, match=message):
        rt_dose(change(dose), phantom, StudyIdentity(), "1.2.3")
