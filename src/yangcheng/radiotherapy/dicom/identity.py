"""Who and what a study is about: patient, study and deterministic UIDs shared by every file.

Every UID comes from `pydicom.uid.generate_uid` with `entropy_srcs` built from the plan id, the
seed, the object's role and its index, so exporting the same plan again gives the same UIDs
(and, with `created` left unset, the same bytes), and two plans with different ids never share
one. The Study and Frame of Reference UIDs are the same in the CT, RTSTRUCT, RTPLAN and RTDOSE,
which is what lets a viewer put the dose on the CT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydicom.uid import generate_uid

from yangcheng.radiotherapy.dicom.errors import DicomExportError

__all__ = ["StudyIdentity"]

_NAMESPACE = "yangcheng.radiotherapy.dicom"


@dataclass(frozen=True)
class StudyIdentity:
    """Patient and study fields written to every file. ``created`` fills the Type 2 dates and
    times; None leaves them empty so that the export is byte-for-byte reproducible."""

    plan_id: str = "plan"
    seed: int = 0
    patient_name: str = "Phantom^Yangcheng"
    patient_id: str = "PHANTOM"
    study_id: str = "1"
    study_description: str = "Radiotherapy plan"
    manufacturer: str = "yangcheng"
    created: datetime | None = None

    def __post_init__(self) -> None:
        if not self.plan_id.strip():
            raise DicomExportError("plan_id: must not be empty (it seeds every UID)")
        if len(self.patient_id) > 64:
            raise DicomExportError(f"patient_id: at most 64 characters, got {len(self.patient_id)}")
        if len(self.study_id) > 16:
            raise DicomExportError(f"study_id: at most 16 characters, got {self.study_id!r}")

    def uid(self, role: str, *index: int) -> str:
        """The UID of ``role`` (e.g. "ct-image", 12): stable for this plan id and seed."""
        sources = [_NAMESPACE, self.plan_id, str(self.seed), role, *(str(i) for i in index)]
        return str(generate_uid(entropy_srcs=sources))

    @property
    def study_uid(self) -> str:
        return self.uid("study")

    @property
    def frame_of_reference_uid(self) -> str:
        return self.uid("frame-of-reference")

    @property
    def date(self) -> str:
        return self.created.strftime("%Y%m%d") if self.created else ""

    @property
    def time(self) -> str:
        return self.created.strftime("%H%M%S") if self.created else ""
