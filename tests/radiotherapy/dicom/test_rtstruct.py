from __future__ import annotations

import numpy as np
from pydicom import dcmread
from pydicom.uid import RTStructureSetStorage

from tests.radiotherapy.dicom.conftest import ExportedPlan
from yangcheng.radiotherapy.dicom import StudyIdentity, structure_set
from yangcheng.radiotherapy.dicom.contours import mask_contours_mm
from yangcheng.radiotherapy.dicom.ct import ct_image_uids
from yangcheng.radiotherapy.phantoms import Phantom, Structure, water_phantom


def _box_phantom() -> tuple[Phantom, tuple[slice, slice, slice]]:
    water = water_phantom((40.0, 60.0, 80.0), (4.0, 3.0, 2.0), margin_voxels=1)
    box = np.zeros(water.shape, dtype=bool)
    where = (slice(3, 7), slice(4, 12), slice(10, 30))
    box[where] = True
    water.structures = {"Box": Structure("Box", box, "target", 1), **water.structures}
    return water, where


def test_box_contours_span_the_box_in_patient_mm() -> None:
    phantom, (zs, ys, xs) = _box_phantom()
    identity = StudyIdentity(plan_id="box")
    uids = ct_image_uids(identity, phantom.shape[0])
    ds = structure_set(phantom, identity, identity.uid("ct-series"), uids)
    z_mm, y_mm, x_mm = phantom.axes_mm()
    _, dy, dx = phantom.spacing_mm
    box = ds.ROIContourSequence[0]
    assert ds.StructureSetROISequence[0].ROIName == "Box"
    points = []
    for contour in box.ContourSequence:
        assert contour.ContourGeometricType == "CLOSED_PLANAR"
        xyz = np.array(contour.ContourData, dtype=float).reshape(-1, 3)
        assert len(xyz) == contour.NumberOfContourPoints
        assert len(np.unique(xyz[:, 2])) == 1  # planar, on its slice
        k = int(np.argmin(np.abs(z_mm - xyz[0, 2])))
        assert contour.ContourImageSequence[0].ReferencedSOPInstanceUID == uids[k]
        points.append(xyz)
    allp = np.concatenate(points)
    # the outline runs on voxel edges: half a voxel beyond the outermost voxel centres
    np.testing.assert_allclose(allp[:, 0].min(), x_mm[xs.start] - dx / 2)
    np.testing.assert_allclose(allp[:, 0].max(), x_mm[xs.stop - 1] + dx / 2)
    np.testing.assert_allclose(allp[:, 1].min(), y_mm[ys.start] - dy / 2)
    np.testing.assert_allclose(allp[:, 1].max(), y_mm[ys.stop - 1] + dy / 2)
    np.testing.assert_allclose(sorted(set(allp[:, 2])), z_mm[zs])
    assert len(box.ContourSequence) == zs.stop - zs.start  # one contour per slice, no holes


def test_contour_of_a_ring_has_an_outer_line_and_a_hole() -> None:
    mask = np.zeros((12, 12), dtype=bool)
    mask[2:10, 2:10] = True
    mask[5:7, 5:7] = False
    axis = np.arange(12, dtype=float)
    lines = mask_contours_mm(mask, axis, axis)
    assert len(lines) == 2
    extents = sorted(float(np.ptp(line[:, 0])) for line in lines)
    assert extents == [2.0, 8.0]
    assert all(not np.allclose(line[0], line[-1]) for line in lines)  # closure is implied


def test_exported_structure_set_names_rois_and_observations(exported: ExportedPlan) -> None:
    ds = dcmread(exported.files["RTSTRUCT"][0])
    assert ds.SOPClassUID == RTStructureSetStorage and ds.Modality == "RTSTRUCT"
    names = [r.ROIName for r in ds.StructureSetROISequence]
    assert names == list(exported.phantom.structures)
    kinds = {
        names[o.ReferencedROINumber - 1]: o.RTROIInterpretedType
        for o in ds.RTROIObservationsSequence
    }
    assert kinds == {"PTV": "PTV", "Core": "ORGAN", "Body": "EXTERNAL"}
    assert all(
        r.ReferencedFrameOfReferenceUID == ds.FrameOfReferenceUID
        for r in ds.StructureSetROISequence
    )
    core_slices = exported.phantom.mask_of("Core").any(axis=(1, 2)).sum()
    core = ds.ROIContourSequence[names.index("Core")]
    assert len(core.ContourSequence) == core_slices
