"""Beams and their beamlets (pencil beams or circular cones).

A beam is a point source aimed at an isocentre. Beamlets live in the beam's eye
view (BEV): a plane through the isocentre, perpendicular to the beam axis, with
orthonormal axes ``u`` and ``v``; a beamlet is a square (pencil beam / bixel of
an IMRT fluence map) or a disc (a robotic-linac collimator cone), sized at the
isocentre plane and diverging from the source. Vectors are (z, y, x) in mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.dose.errors import BeamError
from yangcheng.radiotherapy.dose.grid import DoseGrid

__all__ = [
    "CARM_SAD_MM",
    "ROBOTIC_SAD_MM",
    "Beam",
    "BeamletShape",
    "Beamlets",
    "cone_beamlets",
    "field_beamlets",
    "pencil_beamlets",
]

FloatArray = NDArray[np.float64]
BeamletShape = Literal["square", "cone"]

ROBOTIC_SAD_MM = 800.0
CARM_SAD_MM = 1000.0


def _unit(v: FloatArray, name: str) -> FloatArray:
    n = float(np.linalg.norm(v))
    if not math.isfinite(n) or n < 1e-9:
        raise BeamError(f"{name}: zero or non-finite vector {v.tolist()}")
    return v / n


@dataclass(frozen=True)
class Beam:
    """A point source aimed at an isocentre; the BEV axes are fixed at creation.

    ``u`` is perpendicular to the axis and to z (superior-inferior) when it can
    be, so coplanar beams have ``v`` along z; this makes beamlet grids of
    coplanar beams line up with the slices.
    """

    source_mm: FloatArray
    isocenter_mm: FloatArray
    axis: FloatArray = field(init=False)
    u: FloatArray = field(init=False)
    v: FloatArray = field(init=False)
    sad_mm: float = field(init=False)

    def __post_init__(self) -> None:
        src = np.asarray(self.source_mm, dtype=np.float64).reshape(-1)
        iso = np.asarray(self.isocenter_mm, dtype=np.float64).reshape(-1)
        if src.shape != (3,) or iso.shape != (3,):
            raise BeamError(
                f"source_mm/isocenter_mm: expected 3 values (z, y, x), got {src.shape}, {iso.shape}"
            )
        axis = _unit(iso - src, "isocenter_mm - source_mm")
        ref = np.array([1.0, 0.0, 0.0])  # z
        if abs(float(axis @ ref)) > 0.99:
            ref = np.array([0.0, 1.0, 0.0])
        u = _unit(np.cross(ref, axis), "u axis")
        v = np.cross(axis, u)
        object.__setattr__(self, "source_mm", src)
        object.__setattr__(self, "isocenter_mm", iso)
        object.__setattr__(self, "axis", axis)
        object.__setattr__(self, "u", u)
        object.__setattr__(self, "v", v)
        object.__setattr__(self, "sad_mm", float(np.linalg.norm(iso - src)))

    @classmethod
    def from_direction(
        cls, isocenter_mm: FloatArray, direction: FloatArray, sad_mm: float = ROBOTIC_SAD_MM
    ) -> Beam:
        """A robotic (non-coplanar) beam: any direction of travel towards the isocentre."""
        if sad_mm <= 0:
            raise BeamError(f"sad_mm: must be > 0, got {sad_mm}")
        d = _unit(np.asarray(direction, dtype=np.float64), "direction")
        iso = np.asarray(isocenter_mm, dtype=np.float64)
        return cls(iso - sad_mm * d, iso)

    @classmethod
    def from_angles(
        cls,
        isocenter_mm: FloatArray,
        gantry_deg: float,
        couch_deg: float = 0.0,
        sad_mm: float = CARM_SAD_MM,
    ) -> Beam:
        """A C-arm beam. Gantry 0 puts the source anterior (-y), beam travelling +y;
        the gantry turns in the axial (x-y) plane, 90 deg puts the source at +x.
        The couch turns the source about the y (vertical) axis.
        """
        g, c = math.radians(gantry_deg), math.radians(couch_deg)
        # source direction from the isocentre, (z, y, x)
        s = np.array([0.0, -math.cos(g), math.sin(g)])
        rot = np.array(
            [[math.cos(c), 0.0, -math.sin(c)], [0.0, 1.0, 0.0], [math.sin(c), 0.0, math.cos(c)]]
        )
        return cls.from_direction(isocenter_mm, -(rot @ s), sad_mm)

    def project(self, points_mm: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Distance along the axis from the source, and BEV (u, v) at the isocentre plane."""
        rel = np.asarray(points_mm, dtype=np.float64) - self.source_mm
        t = rel @ self.axis
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(t > 1e-9, self.sad_mm / t, np.nan)
        return t, (rel @ self.u) * scale, (rel @ self.v) * scale


@dataclass(frozen=True)
class Beamlets:
    """All beamlets of a plan, one row each; the column order of the influence matrix."""

    beam_index: NDArray[np.intp]
    u_mm: FloatArray
    v_mm: FloatArray
    size_mm: FloatArray
    shape: BeamletShape = "square"

    def __post_init__(self) -> None:
        n = len(self.beam_index)
        for name in ("u_mm", "v_mm", "size_mm"):
            if len(getattr(self, name)) != n:
                raise BeamError(
                    f"{name}: length {len(getattr(self, name))} differs from beam_index {n}"
                )
        if n and float(np.min(self.size_mm)) <= 0:
            raise BeamError("size_mm: beamlet sizes must be > 0")
        if self.shape not in ("square", "cone"):
            raise BeamError(f"shape: expected 'square' or 'cone', got {self.shape!r}")

    def __len__(self) -> int:
        return len(self.beam_index)

    @staticmethod
    def concat(parts: list[Beamlets]) -> Beamlets:
        shapes = {p.shape for p in parts}
        if len(shapes) > 1:
            raise BeamError(f"concat: mixed beamlet shapes {sorted(shapes)}")
        return Beamlets(
            np.concatenate([p.beam_index for p in parts]).astype(np.intp),
            np.concatenate([p.u_mm for p in parts]),
            np.concatenate([p.v_mm for p in parts]),
            np.concatenate([p.size_mm for p in parts]),
            parts[0].shape if parts else "square",
        )


def cone_beamlets(n_beams: int, diameter_mm: float | FloatArray) -> Beamlets:
    """One central cone per beam, as a robotic linac delivers (5-60 mm at 800 mm)."""
    d = np.broadcast_to(np.asarray(diameter_mm, dtype=np.float64), (n_beams,)).copy()
    z = np.zeros(n_beams)
    return Beamlets(np.arange(n_beams, dtype=np.intp), z, z.copy(), d, "cone")


def field_beamlets(
    beam_index: int, width_u_mm: float, width_v_mm: float, bixel_mm: float = 5.0
) -> Beamlets:
    """A rectangular open field tiled with square bixels, centred on the axis."""
    if bixel_mm <= 0 or width_u_mm < bixel_mm or width_v_mm < bixel_mm:
        raise BeamError(
            f"field_beamlets: field {width_u_mm}x{width_v_mm} mm vs bixel {bixel_mm} mm"
        )
    nu, nv = round(width_u_mm / bixel_mm), round(width_v_mm / bixel_mm)
    cu = (np.arange(nu) - (nu - 1) / 2) * bixel_mm
    cv = (np.arange(nv) - (nv - 1) / 2) * bixel_mm
    uu, vv = np.meshgrid(cu, cv, indexing="ij")
    n = uu.size
    return Beamlets(np.full(n, beam_index, np.intp), uu.ravel(), vv.ravel(), np.full(n, bixel_mm))


def pencil_beamlets(
    beams: list[Beam],
    grid: DoseGrid,
    target_mask: NDArray[np.bool_],
    bixel_mm: float = 5.0,
    margin_mm: float = 0.0,
) -> Beamlets:
    """Square bixels on a regular BEV grid covering each beam's projection of the target.

    A bixel is kept when a target voxel centre projects within half a bixel
    (plus ``margin_mm``) of its centre, so the target's shadow is covered.
    """
    mask = grid.check_mask(target_mask, "target_mask")
    pts = grid.centres_mm(np.flatnonzero(mask))
    if len(pts) == 0:
        raise BeamError("target_mask: empty target, no beamlets to place")
    parts: list[Beamlets] = []
    if bixel_mm <= 0 or margin_mm < 0:
        raise BeamError(
            f"pencil_beamlets: bixel_mm={bixel_mm} must be > 0, margin_mm={margin_mm} >= 0"
        )
    for b, beam in enumerate(beams):
        _, pu, pv = beam.project(pts)
        ok = np.isfinite(pu)
        cells: set[tuple[int, int]] = set()
        steps = math.ceil(margin_mm / bixel_mm) if margin_mm > 0 else 0
        iu = np.round(pu[ok] / bixel_mm).astype(np.int64)
        iv = np.round(pv[ok] / bixel_mm).astype(np.int64)
        for du in range(-steps, steps + 1):
            for dv in range(-steps, steps + 1):
                cells.update(zip((iu + du).tolist(), (iv + dv).tolist(), strict=True))
        arr = np.array(sorted(cells), dtype=np.float64).reshape(-1, 2) * bixel_mm
        n = len(arr)
        parts.append(Beamlets(np.full(n, b, np.intp), arr[:, 0], arr[:, 1], np.full(n, bixel_mm)))
    return Beamlets.concat(parts)
