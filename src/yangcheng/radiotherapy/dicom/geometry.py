"""Engine (z, y, x) coordinates to DICOM patient (LPS) coordinates, and beam directions to
IEC 61217 gantry / patient support / beam limiting device angles.

The engine's axes are the DICOM patient axes in reverse order, so the mapping is a reordering
with no sign change: engine x = DICOM x (towards the patient's Left), engine y = DICOM y
(Posterior; the couch under a supine patient is at +y), engine z = DICOM z (Superior). This is
the convention matRad (and `phantoms.matrad`) reads from DICOM CT, and `Beam.from_angles`
already follows IEC 61217 under it (gantry 90 puts the source on the patient's left), which
the tests check. The patient is written Head First Supine (HFS): ImageOrientationPatient
(1, 0, 0, 0, 1, 0), so image columns run to the patient's left (shown on the viewer's right,
the radiological convention) and rows run posterior.

IEC 61217 for an HFS patient: fixed system Xf = patient left, Yf = superior (towards the
gantry), Zf = anterior (up). The gantry turns about Yf (source at +Zf at 0 deg, at +Xf at
90 deg), the patient support about Zf, the beam limiting device about the beam axis towards
the source (Zg); all angles are right-handed rotations reported in [0, 360). A non-coplanar
(robotic) direction becomes a gantry + couch pair; of the two pairs that give one direction,
the one with the couch within [-90, 90] deg (written 270-360 or 0-90) is chosen, as a C-arm
couch can reach it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.dicom.errors import InvalidPlanError
from yangcheng.radiotherapy.dose import Beam

__all__ = [
    "IMAGE_ORIENTATION_HFS",
    "PATIENT_POSITION",
    "BeamAngles",
    "beam_angles",
    "beam_axis_from_iec",
    "iec_gantry_axes",
    "to_patient_mm",
]

FloatArray = NDArray[np.float64]

PATIENT_POSITION = "HFS"
IMAGE_ORIENTATION_HFS = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
_EPS = 1e-9


def to_patient_mm(points_zyx: FloatArray) -> FloatArray:
    """Engine (z, y, x) points, shape (..., 3), to DICOM patient (x, y, z) in mm."""
    return np.asarray(points_zyx, dtype=np.float64)[..., ::-1].copy()


def _patient_support_to_engine(v_iec: FloatArray) -> FloatArray:
    """A vector in the patient support system (Xs, Ys, Zs) to engine (z, y, x), for HFS:
    patient left = Xs, superior = Ys, posterior = -Zs."""
    return np.array([v_iec[1], -v_iec[2], v_iec[0]])


def _rot_z(angle_rad: float) -> FloatArray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rot_y(angle_rad: float) -> FloatArray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def iec_gantry_axes(
    gantry_deg: float, couch_deg: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The gantry system's (Xg, Yg, Zg) as engine (z, y, x) unit vectors; Zg points from the
    isocentre to the source. The patient support turns the patient, so a gantry vector seen
    from the patient is turned by the inverse couch rotation."""
    to_support = _rot_z(math.radians(couch_deg)).T @ _rot_y(math.radians(gantry_deg))
    return (
        _patient_support_to_engine(to_support[:, 0]),
        _patient_support_to_engine(to_support[:, 1]),
        _patient_support_to_engine(to_support[:, 2]),
    )


def beam_axis_from_iec(gantry_deg: float, couch_deg: float) -> FloatArray:
    """The direction of travel (source to isocentre), engine (z, y, x), of a beam at these
    IEC angles; the inverse of `beam_angles` for the axis."""
    return -iec_gantry_axes(gantry_deg, couch_deg)[2]


@dataclass(frozen=True)
class BeamAngles:
    """IEC 61217 angles in [0, 360) deg that rebuild a `Beam`'s axis and its BEV ``u`` axis
    (the beam limiting device X axis; ``v`` is then its Y axis)."""

    gantry_deg: float
    couch_deg: float
    collimator_deg: float


def _wrap_deg(angle_deg: float) -> float:
    wrapped = angle_deg % 360.0
    return 0.0 if abs(wrapped - 360.0) < 1e-9 or abs(wrapped) < 1e-9 else wrapped


def beam_angles(beam: Beam) -> BeamAngles:
    """Gantry, couch and collimator angles of ``beam`` for an HFS patient."""
    axis = np.asarray(beam.axis, dtype=np.float64)
    if not np.all(np.isfinite(axis)) or abs(float(np.linalg.norm(axis)) - 1.0) > 1e-6:
        raise InvalidPlanError(f"beam axis {axis.tolist()} is not a finite unit vector")
    sz, sy, sx = -axis  # isocentre -> source, engine (z, y, x)
    # patient support system components of the source direction: Xs = x, Ys = z, Zs = -y
    gantry_rad = math.acos(max(-1.0, min(1.0, -sy)))
    r = math.hypot(sx, sz)  # = |sin(gantry)|
    if r < _EPS:
        couch_rad = 0.0  # straight up or down: the couch does not change the direction
    elif sx >= 0.0:
        couch_rad = math.atan2(-sz, sx)
    else:
        gantry_rad = -gantry_rad
        couch_rad = math.atan2(sz, -sx)
    gantry_deg, couch_deg = math.degrees(gantry_rad), math.degrees(couch_rad)
    xg, yg, _ = iec_gantry_axes(gantry_deg, couch_deg)
    u = np.asarray(beam.u, dtype=np.float64)
    collimator_deg = math.degrees(math.atan2(float(u @ yg), float(u @ xg)))
    return BeamAngles(_wrap_deg(gantry_deg), _wrap_deg(couch_deg), _wrap_deg(collimator_deg))
