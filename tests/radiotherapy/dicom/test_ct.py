from __future__ import annotations

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

from tests.radiotherapy.dicom.conftest import ExportedPlan
from yangcheng.radiotherapy.dicom import (
    DicomExportError,
    StudyIdentity,
    ct_slices,
    export_study,
    hu_as_int16,
)
from yangcheng.radiotherapy.dose import Beam, Beamlets
from yangcheng.radiotherapy.phantoms import Phantom, Structure, water_phantom


def test_ct_round_trips_hu_slice_by_slice(exported: ExportedPlan) -> None:
    files = exported.files["CT"]
    assert len(files) == exported.phantom.shape[0]
    z_mm, y_mm, x_mm = exported.phantom.axes_mm()
    dz, dy, dx = exported.phantom.spacing_mm
    for k, path in enumerate(files):
        ds = dcmread(path)
        assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
        assert ds.SOPClassUID == CTImageStorage == ds.file_meta.MediaStorageSOPClassUID
        assert ds.pixel_array.dtype == np.int16
        hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        np.testing.assert_array_equal(hu, exported.phantom.hu[k])
        np.testing.assert_allclose(
            [float(v) for v in ds.ImagePositionPatient], [x_mm[0], y_mm[0], z_mm[k]]
        )
        assert [float(v) for v in ds.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0]
        assert [float(v) for v in ds.PixelSpacing] == [dy, dx]
        assert float(ds.SliceThickness) == dz
        assert ds.PatientPosition == "HFS"


def test_structure_at_high_x_is_on_the_patient_left_shown_on_the_image_right(
    tmp_path,
) -> None:
    """Engine +x is DICOM +x (patient Left). With orientation (1,0,0,0,1,0) image columns run
    towards +x, so the insert sits in the high columns: the right of the displayed image
    (radiological convention), and its RTSTRUCT contour has x > 0."""
    water = water_phantom((20.0, 60.0, 60.0), (5.0, 5.0, 5.0), margin_voxels=1)
    _, _, x_mm = water.axes_mm()
    insert = np.zeros(water.shape, dtype=bool)
    insert[:, 5:8, x_mm > 15.0] = True
    hu = np.asarray(water.hu).copy()
    hu[insert] = 1000
    phantom = Phantom(
        hu,
        water.spacing_mm,
        water.origin_mm,
        {"Left": Structure("Left", insert, "oar"), **water.structures},
        name="left-insert",
    )
    beams = [Beam.from_angles(np.zeros(3), 0.0)]
    beamlets = Beamlets(np.zeros(1, np.intp), np.zeros(1), np.zeros(1), np.full(1, 10.0))
    files = export_study(tmp_path, phantom, np.zeros(phantom.shape), beams, beamlets, np.ones(1))
    ds = dcmread(files["CT"][0])
    cols = np.nonzero(ds.pixel_array.max(axis=0) == 1000)[0]
    assert cols.min() > ds.Columns / 2
    x_of_col = float(ds.ImagePositionPatient[0]) + cols * float(ds.PixelSpacing[1])
    assert x_of_col.min() > 15.0
    rs = dcmread(files["RTSTRUCT"][0])
    contour = np.array(rs.ROIContourSequence[0].ContourSequence[0].ContourData, float)
    assert contour.reshape(-1, 3)[:, 0].min() >= 15.0  # voxel edge, half a voxel out


def test_float_hu_are_rounded_and_impossible_hu_are_refused() -> None:
    np.testing.assert_array_equal(hu_as_int16(np.array([[[-0.6, 0.4, 1000.5]]])), [[[-1, 0, 1000]]])
    with pytest.raises(DicomExportError, match=r"phantom\.hu: 1 non-finite HU"):
        hu_as_int16(np.array([[[0.0, np.nan]]]))
    with pytest.raises(DicomExportError, match="does not fit int16"):
        hu_as_int16(np.array([[[40000.0]]]))


def test_ct_slices_use_one_series_and_distinct_instances() -> None:
    phantom = water_phantom((10.0, 20.0, 20.0), (5.0, 5.0, 5.0), margin_voxels=0)
    slices = ct_slices(phantom, StudyIdentity(plan_id="w"))
    assert len({s.SeriesInstanceUID for s in slices}) == 1
    assert len({s.SOPInstanceUID for s in slices}) == len(slices)
    assert [s.InstanceNumber for s in slices] == list(range(1, len(slices) + 1))
