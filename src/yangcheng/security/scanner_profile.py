"""Scanner profiles: another scanner's images brought to the scanner the detector learnt.

The detector was trained on one scanner's physics (`physics.LOW` and `physics.HIGH`: 80 and
160 kVp, 1.5 mm pixels). A site's scanner has its own tube voltage, filtration, scintillator
and pitch, so the same bag reads other attenuations and another effective Z there: through
a 70/140 kVp scanner with thinner scintillators, a bag's pixels read Z off by a median 0.9
and attenuation by 5 % (p95 14 %), and the detector's mAP falls from 0.93 to 0.80; through a
dual-layer scanner, to 0.33 (`benchmarks/security/scanner_transfer.py`). That is what
scanners' own step-wedge calibration is for, and the same readings serve here.

Dual energy measures two numbers per pixel, and two basis materials of different Z span what
it can tell (Alvarez and Macovski, 1976: photo-electric absorption and Compton scattering).
So one smooth map carries a pixel's attenuation pair on the site's scanner to the pair the
reference scanner would read for the same path, whatever the materials: it is fitted on wedge
steps, whose reference readings the simulator's physics gives exactly. The map works in the
coordinates the effective Z is read in (log high-energy attenuation, and the low/high ratio),
as a thin-plate spline through the steps (scipy's `RBFInterpolator`), tabulated on a grid
for speed: a polynomial of degree 4 in the same coordinates read water 5x and glass 2x further
off on the 70/140 kVp scanner, and left a dual-layer scanner's own wedge steps a median 0.35
of Z off, against the spline's 0.01 on steps held out of its fit. The map predicts the ratio
and the change of the high attenuation, so beyond the wedges' range (clamped there) a pixel
keeps its ratio and scales with its path. Then the image is resampled to 1.5 mm pixels.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy.interpolate import RBFInterpolator

from yangcheng.security.detect.inputs import DetectorInputError
from yangcheng.security.physics import (
    HIGH,
    LOW,
    DualEnergyImage,
    channel_transmission,
    estimate_z_eff,
)
from yangcheng.security.wedge_table import InvalidWedgeTable, WedgeStep

__all__ = [
    "PROFILE_NAME",
    "REFERENCE_PIXEL_MM",
    "ScannerProfile",
    "UnknownScanner",
    "fit_profile",
    "load_profile",
    "profiles_dir",
    "save_profile",
]

REFERENCE_PIXEL_MM = 1.5
"""The simulator's pitch, which the detector's 3 mm input is halved from."""
PROFILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_LOOKUP = 256
_SMOOTHING = 1e-4
"""Of the spline: wedge readings are means of thousands of pixels, but not exact."""
_MIN_STEPS = 30
_FOLDS = 5
_USABLE_HIGH = (0.02, 8.0)
"""Reference high-energy attenuation of the steps a fit uses: fainter ones carry no material
information (their ratio is noise), denser ones next to none of the beam."""
_MIN_READING = 1e-5
_OPAQUE = -np.log(1e-4)
"""A step transmitting less than this on the site's scanner has no ratio worth fitting."""


class UnknownScanner(LookupError):
    """No usable profile of that name: none was fitted here, or its file does not read."""


def _spline(knots: np.ndarray, values: np.ndarray, smoothing: float) -> RBFInterpolator:
    return RBFInterpolator(knots, values, kernel="thin_plate_spline", smoothing=smoothing)


def _remap(table: np.ndarray, col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Bilinear lookup of ``table[row, col]`` at any shape (OpenCV takes images of at most
    32,767 a side, so the points go in as rows of 1,024)."""
    n = col.size
    width = 1024
    padded = -(-n // width) * width
    cols = np.zeros(padded, np.float32)
    rows = np.zeros(padded, np.float32)
    cols[:n], rows[:n] = col.ravel(), row.ravel()
    out = cv2.remap(
        table,
        cols.reshape(-1, width),
        rows.reshape(-1, width),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(out.reshape(-1, 2)[:n].reshape(*col.shape, 2))


@dataclass(frozen=True)
class ScannerProfile:
    """How to read one scanner's raw images as the reference scanner's transmission."""

    name: str
    pixel_mm: tuple[float, float]
    """Pitch of the scanner's image, (across columns, down rows): detector pitch across the
    belt, and belt travel per line along it."""
    dark: tuple[float, float]
    """Raw (low, high) reading with the beam off."""
    air: tuple[float, float]
    """Raw (low, high) reading through nothing but air."""
    knots: tuple[tuple[float, float], ...]
    """The wedge steps the map passes through, as (log high attenuation, low/high ratio),
    each scaled to -1..1 over the ranges below."""
    values: tuple[tuple[float, float], ...]
    """At each knot: (log of the high attenuation's change, the reference low/high ratio)."""
    log_high_range: tuple[float, float]
    ratio_range: tuple[float, float]
    smoothing: float = _SMOOTHING
    fit: dict[str, Any] = field(default_factory=dict)
    """What the fit saw and how well it carries the wedge steps over."""
    operating_point: dict[str, Any] | None = None
    """Alarm thresholds fixed on bags this scanner scanned (`scanner_calibration`):
    ``threshold``, ``box_threshold`` and what they were fixed on; None: the model's own,
    fixed on the reference scanner's bags."""

    @property
    def thresholds(self) -> tuple[float, float] | None:
        """(bag, box) alarm thresholds of this scanner's own, if it has them."""
        op = self.operating_point
        return None if op is None else (float(op["threshold"]), float(op["box_threshold"]))

    def map_attenuation(
        self, a_low: np.ndarray, a_high: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The reference scanner's (low, high) attenuation for this scanner's."""
        a_low = np.asarray(a_low, np.float32)
        a_high = np.maximum(np.asarray(a_high, np.float32), np.float32(1e-6))
        (h0, h1), (r0, r1) = self.log_high_range, self.ratio_range
        last = _LOOKUP - 1
        col = (np.clip(np.log(a_high), h0, h1) - h0) * np.float32(last / (h1 - h0))
        row = (np.clip(a_low / a_high, r0, r1) - r0) * np.float32(last / (r1 - r0))
        out = _remap(self._lookup, col, row)
        high = a_high * np.exp(out[..., 0])
        return out[..., 1] * high, high

    def surface(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The fitted map at scaled coordinates ``u`` (log high attenuation) and ``v``
        (ratio), each -1..1 over the wedges' range: (log high change, reference ratio)."""
        spline = _spline(np.asarray(self.knots), np.asarray(self.values), self.smoothing)
        points = np.stack([np.ravel(u), np.ravel(v)], axis=1)
        return np.asarray(spline(points)).reshape(*np.shape(u), 2)

    @cached_property
    def _lookup(self) -> np.ndarray:
        """The spline tabulated on a grid (rows: ratio, columns: log high attenuation):
        interpolating it per pixel is hundreds of times faster than evaluating the spline, and
        the map is smooth on the grid's scale."""
        grid = np.linspace(-1.0, 1.0, _LOOKUP)
        u, v = np.meshgrid(grid, grid)
        return self.surface(u, v).astype(np.float32)

    def transmission(self, raw: np.ndarray, field: str) -> np.ndarray:
        """Raw readings of one channel as the fraction of the open beam."""
        array = np.asarray(raw)
        if array.ndim == 3 and array.shape[2] in (3, 4):
            raise DetectorInputError(
                field, f"is a colour image {array.shape}; send the scanner's raw counts"
            )
        if array.ndim != 2:
            raise DetectorInputError(field, f"must be a 2-D image, got shape {array.shape}")
        if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
            raise DetectorInputError(field, f"has pixel type {array.dtype}; use uint16 or float")
        values = array.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise DetectorInputError(field, "holds NaN or infinite values")
        k = 0 if field == "low" else 1
        dark, air = self.dark[k], self.air[k]
        if np.median(values) > air * 1.5 + 1:
            raise DetectorInputError(
                field,
                f"reads a median {np.median(values):.4g}, far above scanner {self.name!r}'s air "
                f"level {air:g}: not this scanner's raw counts",
            )
        return np.clip((values - dark) / (air - dark), _MIN_READING, 1.0)

    def to_reference(self, low: np.ndarray, high: np.ndarray) -> DualEnergyImage:
        """This scanner's raw images as the reference scanner's transmission at 1.5 mm."""
        t_low, t_high = self.transmission(low, "low"), self.transmission(high, "high")
        if t_low.shape != t_high.shape:
            raise DetectorInputError(
                "high",
                f"is {t_high.shape[1]}x{t_high.shape[0]} but low is "
                f"{t_low.shape[1]}x{t_low.shape[0]}; the two energies must be the same size",
            )
        a_low, a_high = self.map_attenuation(-np.log(t_low), -np.log(t_high))
        h, w = t_low.shape
        size = (
            max(round(w * self.pixel_mm[0] / REFERENCE_PIXEL_MM), 1),
            max(round(h * self.pixel_mm[1] / REFERENCE_PIXEL_MM), 1),
        )
        if size != (w, h):
            shrink = size[0] * size[1] < w * h
            method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            a_low = cv2.resize(a_low.astype(np.float32), size, interpolation=method)
            a_high = cv2.resize(a_high.astype(np.float32), size, interpolation=method)
        return DualEnergyImage(
            low=np.exp(-a_low).astype(np.float32), high=np.exp(-a_high).astype(np.float32)
        )


def _reference_attenuation(step: WedgeStep) -> tuple[float, float]:
    materials, thickness = step.materials()
    return tuple(  # type: ignore[return-value]
        -float(np.log(channel_transmission(thickness[None, :], materials, c)[0]))
        for c in (LOW, HIGH)
    )


def _z_eff(a_low: np.ndarray, a_high: np.ndarray) -> np.ndarray:
    return estimate_z_eff(DualEnergyImage(low=np.exp(-a_low), high=np.exp(-a_high)))


def fit_profile(
    steps: list[WedgeStep],
    name: str,
    *,
    pixel_mm: tuple[float, float] = (REFERENCE_PIXEL_MM, REFERENCE_PIXEL_MM),
    dark: tuple[float, float] = (0.0, 0.0),
    air: tuple[float, float] = (65535.0, 65535.0),
    smoothing: float = _SMOOTHING,
) -> ScannerProfile:
    """The profile whose map carries these wedge readings to the reference scanner's.

    Refuses tables that cannot pin the map down: too few usable steps, or steps of one kind
    of material only (the map needs a light and a heavy one to tell Z from thickness).
    """
    if not re.fullmatch(PROFILE_NAME, name):
        raise ValueError(f"profile name {name!r}: use letters, digits, '_', '.', '-' (<= 64)")
    for label, pair in (("pixel_mm", pixel_mm), ("air", air)):
        if min(pair) <= 0:
            raise ValueError(f"{label} must be positive, got {pair}")
    if any(a <= d for a, d in zip(air, dark, strict=True)):
        raise ValueError(f"the air level {air} must be above the dark level {dark}")
    x, y, z_mix = [], [], []
    for i, step in enumerate(steps):
        reading = []
        for k, value in enumerate((step.low, step.high)):
            fraction = (value - dark[k]) / (air[k] - dark[k])
            if not -0.02 <= fraction <= 1.02:
                raise InvalidWedgeTable(
                    f"step {i + 1}",
                    f"{('low', 'high')[k]} reading {value:g} is outside dark {dark[k]:g} .. air "
                    f"{air[k]:g}: check the air and dark levels",
                )
            reading.append(-np.log(min(max(fraction, 1e-12), 1.0)))
        ref = _reference_attenuation(step)
        usable = _USABLE_HIGH[0] <= ref[1] <= _USABLE_HIGH[1]
        if not usable or min(reading) <= 0 or max(reading) > _OPAQUE:
            continue  # air-like, or a step the beam hardly crossed on either scanner
        x.append(reading)
        y.append(ref)
        materials, _ = step.materials()
        z_mix.append(max(m.z_eff for m in materials))
    x_arr, y_arr = np.asarray(x).reshape(-1, 2), np.asarray(y).reshape(-1, 2)
    if len(x_arr) < _MIN_STEPS:
        raise InvalidWedgeTable(
            "table",
            f"{len(x_arr)} steps are in the usable range (reference high-energy attenuation "
            f"{_USABLE_HIGH[0]}-{_USABLE_HIGH[1]}); the map needs at least {_MIN_STEPS}",
        )
    if min(z_mix) >= 10 or max(z_mix) < 12:
        raise InvalidWedgeTable(
            "table",
            "needs wedges of a light (organic, Z < 10: polyethylene) and a heavy material "
            "(Z >= 12: aluminium, steel); with one kind the map cannot tell Z from thickness",
        )
    log_high = np.log(x_arr[:, 1])
    ratio = x_arr[:, 0] / x_arr[:, 1]
    h_range = (float(log_high.min()), float(log_high.max()))
    r_range = (float(ratio.min()), float(ratio.max()))
    u = (log_high - sum(h_range) / 2) / ((h_range[1] - h_range[0]) / 2)
    v = (ratio - sum(r_range) / 2) / ((r_range[1] - r_range[0]) / 2)
    target = np.stack([np.log(y_arr[:, 1] / x_arr[:, 1]), y_arr[:, 0] / y_arr[:, 1]], axis=1)
    profile = ScannerProfile(
        name=name,
        pixel_mm=(float(pixel_mm[0]), float(pixel_mm[1])),
        dark=(float(dark[0]), float(dark[1])),
        air=(float(air[0]), float(air[1])),
        knots=tuple((float(a), float(b)) for a, b in zip(u, v, strict=True)),
        values=tuple((float(a), float(b)) for a, b in target),
        log_high_range=h_range,
        ratio_range=r_range,
        smoothing=smoothing,
    )
    fit = _fit_report(steps, x_arr, y_arr, np.stack([u, v], axis=1), target, smoothing)
    return replace(profile, fit=fit)


def _fit_report(
    steps: list[WedgeStep],
    x: np.ndarray,
    y: np.ndarray,
    knots: np.ndarray,
    values: np.ndarray,
    smoothing: float,
) -> dict[str, Any]:
    """How far each step lands from its reference reading when the map is fitted without
    it (five folds, every fifth step held out in turn): a spline passes through its own
    knots, so only held-out steps say how it carries a reading it was not given."""
    held_out = np.empty_like(values)
    folds = np.arange(len(x)) % _FOLDS
    for fold in range(_FOLDS):
        out = folds == fold
        held_out[out] = _spline(knots[~out], values[~out], smoothing)(knots[out])
    high = x[:, 1] * np.exp(held_out[:, 0])
    mapped = np.stack([held_out[:, 1] * high, high], axis=1)
    dense = y[:, 1] >= 0.1
    z_ref = _z_eff(y[:, 0], y[:, 1])
    z_err = np.abs(_z_eff(mapped[:, 0], mapped[:, 1]) - z_ref)[dense]
    z_raw = np.abs(_z_eff(x[:, 0], x[:, 1]) - z_ref)[dense]
    a_err = np.abs(mapped / y - 1)
    return {
        "steps": len(steps),
        "steps_used": len(x),
        "materials": sorted({n for s in steps for n, t in s.thickness_cm.items() if t > 0}),
        "held_out_folds": _FOLDS,
        "attenuation_error_pct": {
            "unmapped_median": round(float(np.median(np.abs(x / y - 1))) * 100, 2),
            "median": round(float(np.median(a_err)) * 100, 2),
            "max": round(float(np.max(a_err)) * 100, 2),
        },
        "z_eff_error": {
            "unmapped_median": round(float(np.nanmedian(z_raw)), 3),
            "median": round(float(np.nanmedian(z_err)), 3),
            "p95": round(float(np.nanpercentile(z_err, 95)), 3),
        },
    }


def profiles_dir(home: Path) -> Path:
    return home / "security" / "scanners"


def save_profile(profile: ScannerProfile, home: Path) -> Path:
    path = profiles_dir(home) / f"{profile.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(profile), indent=1))
    tmp.replace(path)
    return path


def load_profile(name: str, home: Path) -> ScannerProfile:
    if not re.fullmatch(PROFILE_NAME, name):
        raise UnknownScanner(f"{name!r} is not a profile name")
    path = profiles_dir(home) / f"{name}.json"
    if not path.exists():
        known = sorted(p.stem for p in profiles_dir(home).glob("*.json"))
        raise UnknownScanner(
            f"no scanner profile {name!r} under {path.parent} (known: {known or 'none'}); "
            "fit one with `yangcheng security scanner fit`"
        )
    try:
        data = json.loads(path.read_text())
        profile = ScannerProfile(
            name=data["name"],
            pixel_mm=tuple(data["pixel_mm"]),
            dark=tuple(data["dark"]),
            air=tuple(data["air"]),
            knots=tuple(tuple(k) for k in data["knots"]),
            values=tuple(tuple(v) for v in data["values"]),
            log_high_range=tuple(data["log_high_range"]),
            ratio_range=tuple(data["ratio_range"]),
            smoothing=float(data["smoothing"]),
            fit=data.get("fit", {}),
            operating_point=data.get("operating_point"),
        )
        if profile.operating_point is not None:
            _ = profile.thresholds  # both numbers present
        shapes = np.shape(profile.knots), np.shape(profile.values)
        if shapes[0] != shapes[1] or len(shapes[0]) != 2 or shapes[0][1] != 2:
            raise ValueError(f"knots {shapes[0]} and values {shapes[1]} do not pair up")
        return profile
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnknownScanner(
            f"scanner profile {path} does not read ({type(exc).__name__}: {exc}); fit it again"
        ) from None
