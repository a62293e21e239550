"""Beam data of a robotic linac's circular cones: TMR, OCR and output factors per cone.

The ray-tracing engine (cone_raytrace.py) needs, for each cone, the measured
tables a physicist takes at commissioning: TMR(depth) on the axis at a fixed
source-to-detector distance of 800 mm, OCR(radius, depth) profiles with the
radius projected to 800 mm, and the output factor at 15 mm depth relative to
the 60 mm cone.

THE DEFAULT TABLES ARE NOT MEASURED. No licence-clean measured CyberKnife
dataset is available here, so ``generate_cone_data`` computes them from this
package's own pencil-beam model (``PhotonBeamModel``): a simulated
commissioning in a water phantom, through the same ray trace and beamlet dose
as the pencil-beam engine. So they inherit that model's limits (no head
scatter in the output factors, which therefore only reflect phantom scatter
and source occlusion; no electron contamination) and are only as right as
the model. Their use is to give the ray-tracing engine a self-consistent
dataset it can be checked against; a centre loads its own measured data with
``load_cone_data`` instead.

Files a centre can write (``load_cone_data`` picks the format by suffix):

CSV, one value per row, header ``table,cone_mm,depth_mm,radius_mm,value``,
lines starting with ``#`` ignored, unused cells left empty::

    table,cone_mm,depth_mm,radius_mm,value
    sad_mm,,,,800              # optional, default 800
    reference_depth_mm,,,,15   # optional, default 15
    dose_per_mu_gy,,,,0.01     # optional, default 0.01 (1 cGy/MU, 60 mm cone, 15 mm, 800 mm)
    of,7.5,,,0.72
    tmr,7.5,15,,1.0
    ocr,7.5,15,2.5,0.61

Every cone needs one ``of`` row, at least two ``tmr`` depths, and ``ocr`` on
a full depth x radius grid (its own grid per cone; radii start at 0). JSON::

    {"sad_mm": 800, "reference_depth_mm": 15, "dose_per_mu_gy": 0.01,
     "cones": [{"diameter_mm": 7.5, "output_factor": 0.72,
                "tmr": {"depths_mm": [...], "values": [...]},
                "ocr": {"depths_mm": [...], "radii_mm": [...],
                        "values": [[...one row per depth...], ...]}}]}

Values must be finite and >= 0 (output factors > 0); TMR must be 1 at the
reference depth and OCR 1 on the axis (within 0.02), which catches a PDD or
an unnormalised profile loaded by mistake. Errors name the row and column
(CSV) or the JSON path, or the cone, depth and radius of a missing point.
"""

from __future__ import annotations

import csv
import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.dose.beams import ROBOTIC_SAD_MM, Beam
from yangcheng.radiotherapy.dose.grid import DoseGrid
from yangcheng.radiotherapy.dose.pencil_beam import PhotonBeamModel, beamlet_dose
from yangcheng.radiotherapy.dose.raytrace import radiological_depth

__all__ = [
    "CONE_DIAMETERS_MM",
    "REFERENCE_CONE_MM",
    "REFERENCE_DEPTH_MM",
    "ConeBeamData",
    "ConeDataError",
    "ConeTable",
    "cone_data_from_dict",
    "cone_data_to_dict",
    "generate_cone_data",
    "load_cone_data",
    "save_cone_data",
]

FloatArray = NDArray[np.float64]

CONE_DIAMETERS_MM: tuple[float, ...] = (
    5.0,
    7.5,
    10.0,
    12.5,
    15.0,
    20.0,
    25.0,
    30.0,
    35.0,
    40.0,
    50.0,
    60.0,
)
REFERENCE_CONE_MM = 60.0
REFERENCE_DEPTH_MM = 15.0
_NORMALISATION_TOL = 0.02
_CSV_HEADER = ("table", "cone_mm", "depth_mm", "radius_mm", "value")
_SCALARS = ("sad_mm", "reference_depth_mm", "dose_per_mu_gy")

# commissioning grids: fine where the dose changes fast (build-up, penumbra)
_TMR_DEPTHS_MM = np.concatenate(
    [np.arange(0.0, 30.0, 0.5), np.arange(30.0, 100.0, 2.0), np.arange(100.0, 450.1, 5.0)]
)
_OCR_DEPTHS_MM = np.concatenate(
    [np.array([1.0, 5.0]), np.arange(10.0, 100.0, 10.0), np.arange(100.0, 450.1, 25.0)]
)
_OCR_RADII_MM = np.concatenate([np.arange(0.0, 40.0, 0.25), np.arange(40.0, 120.1, 1.0)])


class ConeDataError(ValueError):
    """A cone beam-data table is missing, malformed or physically impossible."""


def _frozen(a: Any) -> FloatArray:
    arr = np.array(a, dtype=np.float64)
    arr.flags.writeable = False
    return arr


def _check_axis(values: FloatArray, name: str) -> None:
    if values.ndim != 1 or len(values) < 2:
        raise ConeDataError(f"{name}: need at least 2 values, got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(np.diff(values) <= 0):
        raise ConeDataError(f"{name}: must be finite and strictly increasing")


def _check_values(values: FloatArray, name: str) -> None:
    bad = np.argwhere(~np.isfinite(values) | (values < 0))
    if len(bad):
        i = tuple(int(k) for k in bad[0])
        where = "".join(f"[{k}]" for k in i)
        raise ConeDataError(f"{name}{where}: value {values[i]} is not finite and >= 0")


@dataclass(frozen=True, eq=False)
class ConeTable:
    """One cone's data: TMR on a depth grid, OCR on a (depth, radius) grid, output factor.

    Radii are at the data's SAD (the cone's nominal plane), depths are
    water-equivalent; arrays are read-only so a shared table cannot drift.
    """

    diameter_mm: float
    output_factor: float
    tmr_depths_mm: FloatArray
    tmr: FloatArray
    ocr_depths_mm: FloatArray
    ocr_radii_mm: FloatArray
    ocr: FloatArray

    def __post_init__(self) -> None:
        name = f"cone {self.diameter_mm:g} mm"
        if not math.isfinite(self.diameter_mm) or self.diameter_mm <= 0:
            raise ConeDataError(f"{name}: diameter must be > 0")
        if not math.isfinite(self.output_factor) or self.output_factor <= 0:
            raise ConeDataError(f"{name}: output factor {self.output_factor} must be > 0")
        for attr in ("tmr_depths_mm", "tmr", "ocr_depths_mm", "ocr_radii_mm", "ocr"):
            object.__setattr__(self, attr, _frozen(getattr(self, attr)))
        _check_axis(self.tmr_depths_mm, f"{name}: tmr_depths_mm")
        _check_axis(self.ocr_depths_mm, f"{name}: ocr_depths_mm")
        _check_axis(self.ocr_radii_mm, f"{name}: ocr_radii_mm")
        if self.tmr.shape != self.tmr_depths_mm.shape:
            raise ConeDataError(
                f"{name}: tmr has shape {self.tmr.shape}, depths {self.tmr_depths_mm.shape}"
            )
        want = (len(self.ocr_depths_mm), len(self.ocr_radii_mm))
        if self.ocr.shape != want:
            raise ConeDataError(f"{name}: ocr has shape {self.ocr.shape}, expected {want}")
        if self.ocr_depths_mm[0] < 0 or self.tmr_depths_mm[0] < 0:
            raise ConeDataError(f"{name}: depths must be >= 0")
        if self.ocr_radii_mm[0] != 0:
            raise ConeDataError(f"{name}: ocr_radii_mm must start at 0 (the axis)")
        _check_values(self.tmr, f"{name}: tmr")
        _check_values(self.ocr, f"{name}: ocr")
        on_axis = self.ocr[:, 0]
        off = np.flatnonzero(np.abs(on_axis - 1.0) > _NORMALISATION_TOL)
        if len(off):
            k = int(off[0])
            raise ConeDataError(
                f"{name}: ocr at depth {self.ocr_depths_mm[k]:g} mm, radius 0 is "
                f"{on_axis[k]:.4g}; OCR must be 1 on the axis"
            )

    def tmr_at(self, depth_mm: FloatArray) -> FloatArray:
        """TMR by linear interpolation; clamped above the first depth, and beyond the last
        continued with the last two points' exponential fall-off, since a deep voxel
        clamped to the last value would get far too much dose."""
        d = np.asarray(depth_mm, dtype=np.float64)
        out = np.interp(d, self.tmr_depths_mm, self.tmr)
        d1, d2 = self.tmr_depths_mm[-2:]
        t1, t2 = self.tmr[-2:]
        if t1 > 0 and t2 > 0:
            mu = max(0.0, math.log(t1 / t2) / (d2 - d1))
            deep = d > d2
            out = np.where(deep, t2 * np.exp(-mu * np.where(deep, d - d2, 0.0)), out)
        return np.asarray(out)


@dataclass(frozen=True, eq=False)
class ConeBeamData:
    """Beam data of all cones of a machine plus the absolute calibration.

    ``dose_per_mu_gy`` is the dose for one MU of the reference cone at the
    reference depth at ``sad_mm`` (1 cGy/MU at a CyberKnife); for generated
    data it is the pencil-beam model's dose there per unit weight, so that the
    ray-tracing engine's MU and the pencil-beam engine's weights are the same unit.
    """

    cones: tuple[ConeTable, ...]
    sad_mm: float = ROBOTIC_SAD_MM
    reference_depth_mm: float = REFERENCE_DEPTH_MM
    dose_per_mu_gy: float = 0.01
    source: str = "user"
    _by_size: dict[float, ConeTable] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in _SCALARS:
            v = getattr(self, name)
            if not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
                raise ConeDataError(f"{name}: must be a finite number > 0, got {v!r}")
        if not self.cones:
            raise ConeDataError("cones: no cone tables given")
        sizes = [c.diameter_mm for c in self.cones]
        if len(set(sizes)) != len(sizes):
            raise ConeDataError(f"cones: duplicate diameters in {sizes}")
        object.__setattr__(self, "cones", tuple(sorted(self.cones, key=lambda c: c.diameter_mm)))
        object.__setattr__(self, "_by_size", {c.diameter_mm: c for c in self.cones})
        for c in self.cones:
            t_ref = float(c.tmr_at(np.array([self.reference_depth_mm]))[0])
            if abs(t_ref - 1.0) > _NORMALISATION_TOL:
                raise ConeDataError(
                    f"cone {c.diameter_mm:g} mm: tmr at the reference depth "
                    f"{self.reference_depth_mm:g} mm is {t_ref:.4g}; TMR must be 1 there"
                )

    @property
    def diameters_mm(self) -> tuple[float, ...]:
        return tuple(c.diameter_mm for c in self.cones)

    def cone(self, diameter_mm: float) -> ConeTable:
        """The table of a cone; sizes match to 0.01 mm, anything else is refused
        because OCRs of neighbouring cones do not interpolate into a third cone."""
        for size, table in self._by_size.items():
            if abs(size - float(diameter_mm)) <= 0.01:
                return table
        raise ConeDataError(
            f"diameter_mm={diameter_mm:g}: no such cone; available {list(self.diameters_mm)}"
        )


# ---- generation from the pencil-beam model ---------------------------------------------


def _commissioning_phantom(max_depth_mm: float, half_width_mm: float) -> DoseGrid:
    """A water tank, surface at y = 0, wide in x (the profile direction), thin in z:
    the model's lateral scatter does not depend on the tank's width, only the
    ray's path matters."""
    sp = 2.0
    ny = math.ceil((max_depth_mm + 10.0) / sp)
    nx = 2 * math.ceil((half_width_mm + 10.0) / sp) + 1
    nz = 5
    return DoseGrid(
        np.ones((nz, ny, nx)),
        (sp, sp, sp),
        (-(nz - 1) * sp / 2, sp / 2, -(nx - 1) * sp / 2),
    )


def _measure(
    model: PhotonBeamModel,
    grid: DoseGrid,
    sad_mm: float,
    depth_mm: float,
    radii_mm: FloatArray,
    diameters_mm: Sequence[float],
) -> FloatArray:
    """Dose (cones, radii) at ``depth_mm`` with the detector plane at ``sad_mm`` from
    the source (the tank is lowered, the source stays), profile along x."""
    beam = Beam(np.array([0.0, depth_mm - sad_mm, 0.0]), np.array([0.0, depth_mm, 0.0]))
    pts = np.zeros((len(radii_mm), 3))
    pts[:, 1] = depth_mm
    pts[:, 2] = radii_mm
    d = radiological_depth(grid, beam, pts)
    return np.stack(
        [beamlet_dose(model, beam, 0.0, 0.0, float(c), "cone", pts, d) for c in diameters_mm]
    )


@functools.cache
def _generate(
    model: PhotonBeamModel, diameters_mm: tuple[float, ...], sad_mm: float
) -> ConeBeamData:
    grid = _commissioning_phantom(float(_TMR_DEPTHS_MM[-1]), float(_OCR_RADII_MM[-1]))
    axis = np.zeros(1)
    ref = _measure(model, grid, sad_mm, REFERENCE_DEPTH_MM, axis, diameters_mm)[:, 0]
    tmr = (
        np.stack(
            [
                _measure(model, grid, sad_mm, float(d), axis, diameters_mm)[:, 0]
                for d in _TMR_DEPTHS_MM
            ],
            axis=1,
        )
        / ref[:, None]
    )
    prof = np.stack(
        [
            _measure(model, grid, sad_mm, float(d), _OCR_RADII_MM, diameters_mm)
            for d in _OCR_DEPTHS_MM
        ],
        axis=1,
    )  # (cones, depths, radii)
    ocr = prof / prof[:, :, :1]
    i_ref = diameters_mm.index(REFERENCE_CONE_MM)
    cones = tuple(
        ConeTable(
            diameter_mm=float(c),
            output_factor=float(ref[k] / ref[i_ref]),
            tmr_depths_mm=_TMR_DEPTHS_MM,
            tmr=tmr[k],
            ocr_depths_mm=_OCR_DEPTHS_MM,
            ocr_radii_mm=_OCR_RADII_MM,
            ocr=ocr[k],
        )
        for k, c in enumerate(diameters_mm)
    )
    return ConeBeamData(
        cones=cones,
        sad_mm=sad_mm,
        reference_depth_mm=REFERENCE_DEPTH_MM,
        dose_per_mu_gy=float(ref[i_ref]),
        source=f"generated from {model!r} (simulated commissioning, not measured)",
    )


def generate_cone_data(
    model: PhotonBeamModel | None = None,
    diameters_mm: Sequence[float] = CONE_DIAMETERS_MM,
    sad_mm: float = ROBOTIC_SAD_MM,
) -> ConeBeamData:
    """Simulated commissioning of the cones with the pencil-beam model (see module doc).

    TMR: central-axis dose with the point at ``sad_mm`` from the source and the
    tank surface moved, over the dose at 15 mm. OCR: x profiles at that
    distance at several depths, over their axis value. OF: dose at 15 mm over
    the 60 mm cone's. Cached per (model, cones, SAD): the tables are read-only.
    """
    sizes = tuple(float(c) for c in diameters_mm)
    if REFERENCE_CONE_MM not in sizes:
        raise ConeDataError(
            f"diameters_mm={list(sizes)}: must include the {REFERENCE_CONE_MM:g} mm reference cone"
        )
    if min(sizes) <= 0 or len(set(sizes)) != len(sizes):
        raise ConeDataError(f"diameters_mm={list(sizes)}: must be distinct and > 0")
    if not math.isfinite(sad_mm) or sad_mm <= REFERENCE_DEPTH_MM:
        raise ConeDataError(f"sad_mm={sad_mm}: must exceed the reference depth")
    return _generate(model if model is not None else PhotonBeamModel(), sizes, float(sad_mm))


# ---- user files: CSV -------------------------------------------------------------------


def _cell(row: dict[str, str], col: str, where: str, required: bool) -> float | None:
    text = (row.get(col) or "").strip()
    if not text:
        if required:
            raise ConeDataError(f"{where}, column {col!r}: missing value")
        return None
    try:
        v = float(text)
    except ValueError:
        raise ConeDataError(f"{where}, column {col!r}: {text!r} is not a number") from None
    if not math.isfinite(v) or v < 0:
        raise ConeDataError(f"{where}, column {col!r}: {text!r} must be finite and >= 0")
    return v


def _read_csv(path: Path) -> ConeBeamData:
    scalars: dict[str, float] = {}
    of: dict[float, float] = {}
    tmr: dict[float, dict[float, float]] = {}
    ocr: dict[float, dict[tuple[float, float], float]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        lines = [(n, ln) for n, ln in enumerate(fh, start=1) if not ln.lstrip().startswith("#")]
    if not lines:
        raise ConeDataError(f"{path}: empty file")
    reader = csv.reader([ln for _, ln in lines])
    header = tuple(h.strip() for h in next(reader))
    if header != _CSV_HEADER:
        raise ConeDataError(f"{path}: row {lines[0][0]}: header must be {','.join(_CSV_HEADER)}")
    for (line_no, _), cells in zip(lines[1:], reader, strict=True):
        if not any(c.strip() for c in cells):
            continue
        where = f"{path}: row {line_no}"
        if len(cells) != len(_CSV_HEADER):
            raise ConeDataError(f"{where}: {len(cells)} columns, expected {len(_CSV_HEADER)}")
        row = dict(zip(_CSV_HEADER, cells, strict=True))
        table = row["table"].strip().lower()
        value = _cell(row, "value", where, True)
        assert value is not None
        if table in _SCALARS:
            scalars[table] = value
            continue
        cone = _cell(row, "cone_mm", where, True)
        assert cone is not None
        if table == "of":
            if cone in of:
                raise ConeDataError(f"{where}: second output factor for cone {cone:g} mm")
            of[cone] = value
        elif table == "tmr":
            depth = _cell(row, "depth_mm", where, True)
            assert depth is not None
            if depth in tmr.setdefault(cone, {}):
                raise ConeDataError(f"{where}: duplicate tmr for cone {cone:g} mm, depth {depth:g}")
            tmr[cone][depth] = value
        elif table == "ocr":
            depth = _cell(row, "depth_mm", where, True)
            radius = _cell(row, "radius_mm", where, True)
            assert depth is not None and radius is not None
            key = (depth, radius)
            if key in ocr.setdefault(cone, {}):
                raise ConeDataError(
                    f"{where}: duplicate ocr for cone {cone:g} mm, depth {depth:g}, "
                    f"radius {radius:g}"
                )
            ocr[cone][key] = value
        else:
            raise ConeDataError(
                f"{where}, column 'table': {row['table']!r} is not one of "
                f"{', '.join((*_SCALARS, 'of', 'tmr', 'ocr'))}"
            )
    cones = []
    for cone in sorted(set(of) | set(tmr) | set(ocr)):
        name = f"{path}: cone {cone:g} mm"
        if cone not in of:
            raise ConeDataError(f"{name}: missing 'of' row (output factor)")
        if cone not in tmr:
            raise ConeDataError(f"{name}: missing 'tmr' rows")
        if cone not in ocr:
            raise ConeDataError(f"{name}: missing 'ocr' rows")
        depths = np.array(sorted({d for d, _ in ocr[cone]}))
        radii = np.array(sorted({r for _, r in ocr[cone]}))
        grid = np.empty((len(depths), len(radii)))
        for i, d in enumerate(depths):
            for j, r in enumerate(radii):
                v = ocr[cone].get((float(d), float(r)))
                if v is None:
                    raise ConeDataError(f"{name}: ocr missing at depth {d:g} mm, radius {r:g} mm")
                grid[i, j] = v
        td = np.array(sorted(tmr[cone]))
        cones.append(
            _table(
                name,
                cone,
                of[cone],
                td,
                np.array([tmr[cone][float(d)] for d in td]),
                depths,
                radii,
                grid,
            )
        )
    return _beam_data(str(path), tuple(cones), scalars)


def _table(
    name: str,
    cone: float,
    of: float,
    tmr_depths: FloatArray,
    tmr: FloatArray,
    ocr_depths: FloatArray,
    ocr_radii: FloatArray,
    ocr: FloatArray,
) -> ConeTable:
    try:
        return ConeTable(cone, of, tmr_depths, tmr, ocr_depths, ocr_radii, ocr)
    except ConeDataError as exc:
        raise ConeDataError(f"{name}: {exc}") from None


def _beam_data(source: str, cones: tuple[ConeTable, ...], scalars: dict[str, Any]) -> ConeBeamData:
    try:
        return ConeBeamData(
            cones=cones,
            sad_mm=scalars.get("sad_mm", ROBOTIC_SAD_MM),
            reference_depth_mm=scalars.get("reference_depth_mm", REFERENCE_DEPTH_MM),
            dose_per_mu_gy=scalars.get("dose_per_mu_gy", 0.01),
            source=source,
        )
    except ConeDataError as exc:
        raise ConeDataError(f"{source}: {exc}") from None


def _write_csv(data: ConeBeamData, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(f"# cone beam data; source: {data.source}\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(_CSV_HEADER)
        for name in _SCALARS:
            w.writerow([name, "", "", "", repr(float(getattr(data, name)))])
        for c in data.cones:
            cone = repr(c.diameter_mm)
            w.writerow(["of", cone, "", "", repr(c.output_factor)])
            for d, v in zip(c.tmr_depths_mm.tolist(), c.tmr.tolist(), strict=True):
                w.writerow(["tmr", cone, repr(d), "", repr(v)])
            for i, d in enumerate(c.ocr_depths_mm.tolist()):
                for j, r in enumerate(c.ocr_radii_mm.tolist()):
                    w.writerow(["ocr", cone, repr(d), repr(r), repr(float(c.ocr[i, j]))])


# ---- user files: JSON ------------------------------------------------------------------


def _json_number(v: Any, where: str, positive: bool = False) -> float:
    if v is None:
        raise ConeDataError(f"{where}: missing value (null)")
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ConeDataError(f"{where}: {v!r} is not a number")
    x = float(v)
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        raise ConeDataError(f"{where}: {v!r} must be finite and {'> 0' if positive else '>= 0'}")
    return x


def _json_array(v: Any, where: str, ndim: int) -> FloatArray:
    if not isinstance(v, list):
        raise ConeDataError(f"{where}: expected a list, got {type(v).__name__}")
    if ndim == 1:
        return np.array([_json_number(x, f"{where}[{i}]") for i, x in enumerate(v)])
    rows = [_json_array(x, f"{where}[{i}]", ndim - 1) for i, x in enumerate(v)]
    lens = {len(r) for r in rows}
    if len(lens) > 1:
        raise ConeDataError(f"{where}: rows of unequal length {sorted(lens)}")
    return np.array(rows)


def _json_get(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise ConeDataError(f"{where}: expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise ConeDataError(f"{where}.{key}: missing" if where else f"{key}: missing")
    return obj[key]


def cone_data_from_dict(obj: Any, source: str = "json") -> ConeBeamData:
    """Beam data from the JSON layout of the module docstring (already parsed)."""
    scalars = {
        k: _json_number(obj[k], f"{source}: {k}", positive=True)
        for k in _SCALARS
        if isinstance(obj, dict) and k in obj
    }
    raw = _json_get(obj, "cones", "")
    if not isinstance(raw, list):
        raise ConeDataError(f"{source}: cones: expected a list")
    cones = []
    for i, c in enumerate(raw):
        w = f"cones[{i}]"
        tmr, ocr = _json_get(c, "tmr", w), _json_get(c, "ocr", w)
        cones.append(
            _table(
                f"{source}: {w}",
                _json_number(_json_get(c, "diameter_mm", w), f"{source}: {w}.diameter_mm", True),
                _json_number(
                    _json_get(c, "output_factor", w), f"{source}: {w}.output_factor", True
                ),
                _json_array(
                    _json_get(tmr, "depths_mm", f"{w}.tmr"), f"{source}: {w}.tmr.depths_mm", 1
                ),
                _json_array(_json_get(tmr, "values", f"{w}.tmr"), f"{source}: {w}.tmr.values", 1),
                _json_array(
                    _json_get(ocr, "depths_mm", f"{w}.ocr"), f"{source}: {w}.ocr.depths_mm", 1
                ),
                _json_array(
                    _json_get(ocr, "radii_mm", f"{w}.ocr"), f"{source}: {w}.ocr.radii_mm", 1
                ),
                _json_array(_json_get(ocr, "values", f"{w}.ocr"), f"{source}: {w}.ocr.values", 2),
            )
        )
    return _beam_data(source, tuple(cones), scalars)


def cone_data_to_dict(data: ConeBeamData) -> dict[str, Any]:
    """The JSON layout of the module docstring."""
    return {
        "source": data.source,
        "sad_mm": data.sad_mm,
        "reference_depth_mm": data.reference_depth_mm,
        "dose_per_mu_gy": data.dose_per_mu_gy,
        "cones": [
            {
                "diameter_mm": c.diameter_mm,
                "output_factor": c.output_factor,
                "tmr": {"depths_mm": c.tmr_depths_mm.tolist(), "values": c.tmr.tolist()},
                "ocr": {
                    "depths_mm": c.ocr_depths_mm.tolist(),
                    "radii_mm": c.ocr_radii_mm.tolist(),
                    "values": c.ocr.tolist(),
                },
            }
            for c in data.cones
        ],
    }


# ---- files -----------------------------------------------------------------------------


def load_cone_data(path: str | Path) -> ConeBeamData:
    """A centre's measured tables from ``.csv`` or ``.json`` (layouts in the module doc)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return _read_csv(p)
    if suffix == ".json":
        try:
            obj = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConeDataError(f"{p}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        return cone_data_from_dict(obj, str(p))
    raise ConeDataError(f"{p}: unknown suffix {p.suffix!r}, expected .csv or .json")


def save_cone_data(data: ConeBeamData, path: str | Path) -> None:
    """Write the tables as ``.csv`` or ``.json``; floats are written exactly, so a
    saved table loads back bit for bit."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        _write_csv(data, p)
    elif suffix == ".json":
        p.write_text(json.dumps(cone_data_to_dict(data), indent=1), encoding="utf-8")
    else:
        raise ConeDataError(f"{p}: unknown suffix {p.suffix!r}, expected .csv or .json")
