"""Export a whole, consistent DICOM-RT study: CT series, RTSTRUCT, RTPLAN and RTDOSE.

Viewers (3D Slicer with SlicerRT, dicompyler, Eclipse, RayStation) open an RT dose only
together with its CT and usually a structure set on the same Frame of Reference, so the four
are always written together, sharing the Study and Frame of Reference UIDs, and reference
each other: RTDOSE -> RTPLAN -> RTSTRUCT -> every CT slice. All inputs are checked before
the first file is written, so a bad dose or plan leaves no half-written study.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.dicom.base import save
from yangcheng.radiotherapy.dicom.ct import ct_slices
from yangcheng.radiotherapy.dicom.errors import DicomExportError, InvalidPlanError
from yangcheng.radiotherapy.dicom.identity import StudyIdentity
from yangcheng.radiotherapy.dicom.rtdose import check_dose, rt_dose
from yangcheng.radiotherapy.dicom.rtplan import rt_plan
from yangcheng.radiotherapy.dicom.rtstruct import roi_numbers, structure_set
from yangcheng.radiotherapy.dose import Beam, Beamlets
from yangcheng.radiotherapy.phantoms import Phantom

__all__ = ["export_study"]


def _target_roi(phantom: Phantom, target: str | None) -> int | None:
    numbers = roi_numbers(phantom)
    if target is None:
        targets = phantom.targets()
        return numbers[targets[0]] if targets else None
    if target not in numbers:
        raise InvalidPlanError(f"target: {target!r} is not a structure of {sorted(numbers)}")
    return numbers[target]


def export_study(
    path: str | os.PathLike[str],
    phantom: Phantom,
    dose_gy: NDArray[np.floating],
    beams: list[Beam],
    beamlets: Beamlets,
    weights: NDArray[np.floating],
    *,
    identity: StudyIdentity | None = None,
    prescription_gy: float = 50.0,
    n_fractions: int = 25,
    target: str | None = None,
    machine_name: str | None = None,
) -> dict[str, list[Path]]:
    """Write the study into the folder ``path`` (created if needed) and return the files by
    modality: ``{"CT": [...], "RTSTRUCT": [...], "RTPLAN": [...], "RTDOSE": [...]}``.

    ``dose_gy`` is the whole plan's dose on the phantom's (z, y, x) grid and ``weights`` the
    beamlet weights that give it (`PlanResult.dose_gy`, `.beam_set`, `.beamlet_set`,
    `.fluence.weights`); ``target`` (default: the phantom's first target) is the ROI the
    ``prescription_gy`` over ``n_fractions`` refers to.
    """
    identity = identity or StudyIdentity(plan_id=phantom.name)
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise DicomExportError(f"path: {out} exists and is not a folder")
    check_dose(dose_gy, phantom)
    cts = ct_slices(phantom, identity)
    rtstruct = structure_set(
        phantom, identity, str(cts[0].SeriesInstanceUID), [str(c.SOPInstanceUID) for c in cts]
    )
    rtplan = rt_plan(
        identity,
        beams,
        beamlets,
        weights,
        structure_set_uid=str(rtstruct.SOPInstanceUID),
        target_roi_number=_target_roi(phantom, target),
        prescription_gy=prescription_gy,
        n_fractions=n_fractions,
        machine_name=machine_name,
    )
    rtdose = rt_dose(dose_gy, phantom, identity, str(rtplan.SOPInstanceUID))

    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {"CT": [], "RTSTRUCT": [], "RTPLAN": [], "RTDOSE": []}
    for k, ds in enumerate(cts):
        written["CT"].append(out / f"CT.{k + 1:04d}.dcm")
        save(ds, written["CT"][-1])
    for key, name, ds in (
        ("RTSTRUCT", "RS.dcm", rtstruct),
        ("RTPLAN", "RP.dcm", rtplan),
        ("RTDOSE", "RD.dcm", rtdose),
    ):
        written[key].append(out / name)
        save(ds, out / name)
    return written
