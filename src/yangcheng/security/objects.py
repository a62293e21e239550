"""Procedural 3-D objects, rendered as the per-pixel path lengths an X-ray beam crosses.

A scanner sees an object only through how far the beam travels in each of its materials, so an
object here *is* a set of (material, thickness map) layers. Each shape is built from simple
solids whose path length is known in closed form (a rod seen from the side has chord
2*sqrt(r^2 - d^2), a plate is constant, a blade tapers from spine to edge), outlined with
OpenCV polygon fills. Sizes, proportions and materials vary with the generator so a detector
cannot learn one template; the object is then tilted out of plane (projected as the tilted
solid: a flat part foreshortened with its paths stretched by 1/cos, a round one unchanged when
turned about its own axis) and rotated in plane, on a canvas enlarged so nothing is cut.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from yangcheng.security.materials import material

__all__ = ["CLASSES", "PROHIBITED", "ObjectClass", "Sprite", "make_sprite", "object_class"]

_MIN_CM = 1e-3  # path lengths below 10 µm are interpolation dust, not material


@dataclass(frozen=True)
class ObjectClass:
    """One kind of object; ids run over prohibited classes first so detectors get 1..N."""

    id: int
    name: str
    prohibited: bool
    category: str


_CLASS_TABLE: tuple[tuple[str, bool, str], ...] = (
    ("knife", True, "knives"),
    ("gun", True, "guns"),
    ("gun_part", True, "guns"),
    ("ammunition", True, "guns"),
    ("scissors", True, "knives"),
    ("battery_cell", True, "batteries"),
    ("power_bank", True, "batteries"),
    ("lighter", True, "flammables"),
    ("aerosol_can", True, "gases"),
    ("flammable_liquid", True, "liquids"),
    ("powder", True, "powders"),
    ("drug_package", True, "drugs"),
    ("explosive_block", True, "explosives"),
    ("firework", True, "explosives"),
    ("baton", True, "blunt"),
    ("hammer", True, "tools"),
    ("wrench", True, "tools"),
    ("pliers", True, "tools"),
    ("screwdriver", True, "tools"),
    ("razor_blade", True, "knives"),
    ("handcuffs", True, "restraints"),
    ("compressed_gas_cylinder", True, "gases"),
    ("pepper_spray", True, "gases"),
    ("laptop", False, "electronics"),
    ("phone", False, "electronics"),
    ("clothes", False, "clothing"),
    ("water_bottle", False, "liquids"),
    ("book", False, "paper"),
    ("cable", False, "electronics"),
    ("toiletry", False, "toiletries"),
    ("shoe", False, "clothing"),
    ("umbrella", False, "accessories"),
    ("charger", False, "electronics"),
)

CLASSES: tuple[ObjectClass, ...] = tuple(
    ObjectClass(i + 1, name, prohibited, category)
    for i, (name, prohibited, category) in enumerate(_CLASS_TABLE)
)
PROHIBITED: tuple[ObjectClass, ...] = tuple(c for c in CLASSES if c.prohibited)
_BY_NAME = {c.name: c for c in CLASSES}


def object_class(name: str) -> ObjectClass:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no object class {name!r}; known: {', '.join(_BY_NAME)}") from None


@dataclass
class Sprite:
    """One posed object: per-material path lengths (cm) on a common tight canvas."""

    class_id: int
    layers: list[tuple[str, np.ndarray]]

    @property
    def mask(self) -> np.ndarray:
        """Where the beam crosses any of the object's material."""
        return np.any(np.stack([t for _, t in self.layers]) > 0, axis=0)

    @property
    def shape(self) -> tuple[int, int]:
        h, w = self.layers[0][1].shape
        return h, w


# --- drawing: solids with closed-form path lengths, in millimetres -----------------------------


class _Canvas:
    """A drawing board in mm; accumulates path length (mm) per material."""

    def __init__(self, width_mm: float, height_mm: float, pixel_mm: float) -> None:
        self.p = pixel_mm
        self.w = max(math.ceil(width_mm / pixel_mm), 2)
        self.h = max(math.ceil(height_mm / pixel_mm), 2)
        self.x = ((np.arange(self.w, dtype=np.float32) + 0.5) * pixel_mm)[None, :]
        self.y = ((np.arange(self.h, dtype=np.float32) + 0.5) * pixel_mm)[:, None]
        self.layers: dict[str, np.ndarray] = {}

    def add(self, mat: str, t_mm: np.ndarray) -> None:
        material(mat)  # fail early on a typo, not in the scene composer
        if mat in self.layers:
            self.layers[mat] += t_mm
        else:
            self.layers[mat] = np.broadcast_to(t_mm, (self.h, self.w)).astype(np.float32)

    def _fill(self, pts_mm: list[tuple[float, float]]) -> np.ndarray:
        m = np.zeros((self.h, self.w), np.uint8)
        pts = np.round(np.asarray(pts_mm) / self.p * 16 - 8).astype(np.int32)
        cv2.fillPoly(m, [pts], 1, lineType=cv2.LINE_8, shift=4)
        return m.astype(bool)

    def poly(
        self,
        mat: str,
        pts_mm: list[tuple[float, float]],
        t_mm: float,
        taper: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ) -> None:
        """A flat part; ``taper(x, y)`` in 0..1 scales the thickness (a blade's edge)."""
        inside = self._fill(pts_mm)
        t = np.where(inside, np.float32(t_mm), np.float32(0))
        if taper is not None:
            t = t * np.clip(taper(self.x, self.y), 0.0, 1.0)
        self.add(mat, t)

    def box(self, mat: str, x0: float, y0: float, x1: float, y1: float, t_mm: float) -> None:
        self.poly(mat, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], t_mm)

    def polyline(self, mat: str, pts_mm: list[tuple[float, float]], width_mm: float) -> None:
        """A wire or cord: constant mean chord (pi/4 of its diameter) along a path."""
        m = np.zeros((self.h, self.w), np.uint8)
        pts = np.round(np.asarray(pts_mm) / self.p * 16 - 8).astype(np.int32)
        px = max(round(width_mm / self.p), 1)
        cv2.polylines(m, [pts], False, 1, thickness=px, lineType=cv2.LINE_8, shift=4)
        self.add(mat, m.astype(np.float32) * np.float32(width_mm * math.pi / 4))

    def _axis(
        self, a: tuple[float, float], b: tuple[float, float]
    ) -> tuple[np.ndarray, np.ndarray, float]:
        dx, dy = b[0] - a[0], b[1] - a[1]
        length = math.hypot(dx, dy) or 1e-6
        ux, uy = dx / length, dy / length
        rx, ry = self.x - a[0], self.y - a[1]
        along = rx * ux + ry * uy
        across = np.abs(rx * uy - ry * ux)
        return along, across, length

    def rod(
        self,
        mat: str,
        a: tuple[float, float],
        b: tuple[float, float],
        r_mm: float,
        *,
        wall_mm: float | None = None,
        fill: str | None = None,
        fill_frac: float = 1.0,
        flat: float = 1.0,
    ) -> None:
        """A cylinder lying in the plane from ``a`` to ``b``; hollow with ``wall_mm``.

        Seen from the side, the beam crosses chord 2*sqrt(r^2 - d^2) at distance d from the
        axis; a tube is the outer chord minus the inner one, and its contents (``fill``) the
        inner chord over the first ``fill_frac`` of its length. ``flat`` squashes the section.
        """
        along, across, length = self._axis(a, b)
        on = (along >= 0) & (along <= length)
        outer = 2 * np.sqrt(np.clip(r_mm**2 - across**2, 0, None)) * on * flat
        if wall_mm is None:
            self.add(mat, outer)
            return
        ri = max(r_mm - wall_mm, 0.0)
        inner = 2 * np.sqrt(np.clip(ri**2 - across**2, 0, None)) * on * flat
        self.add(mat, outer - inner)
        if fill is not None:
            self.add(fill, inner * (along <= fill_frac * length))

    def ball(self, mat: str, cx: float, cy: float, r_mm: float) -> None:
        d2 = (self.x - cx) ** 2 + (self.y - cy) ** 2
        self.add(mat, 2 * np.sqrt(np.clip(r_mm**2 - d2, 0, None)))

    def ring(
        self, mat: str, cx: float, cy: float, r_mm: float, band_mm: float, t_mm: float
    ) -> None:
        """A flat annulus (a cuff, a finger loop) seen face-on."""
        d = np.sqrt((self.x - cx) ** 2 + (self.y - cy) ** 2)
        self.add(mat, ((d <= r_mm) & (d >= r_mm - band_mm)) * np.float32(t_mm))

    def pillow(self, mat: str, x0: float, y0: float, x1: float, y1: float, t_mm: float) -> None:
        """A soft filled bag: thickest in the middle, tapering as an ellipsoid to the seams."""
        u = (2 * self.x - x0 - x1) / max(x1 - x0, 1e-6)
        v = (2 * self.y - y0 - y1) / max(y1 - y0, 1e-6)
        self.add(mat, t_mm * np.sqrt(np.clip(1 - u**4, 0, None) * np.clip(1 - v**4, 0, None)))


# --- the objects ----------------------------------------------------------------------------
# Each builder gets a jitter function j(x) = x * U(0.75, 1.3) and returns a drawn canvas with the
# long axis along x.

_Jitter = Callable[[float], float]


def _pick(rng: np.random.Generator, *options: str) -> str:
    return options[int(rng.integers(len(options)))]


def _knife(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    blade, width, handle = j(140), j(28), j(100)
    c = _Canvas(blade + handle + 10, width + 10, p)
    top, bot, xb = 5.0, 5.0 + width, 5.0 + handle
    ceramic = rng.random() < 0.25
    spine = j(2.5)
    c.poly(
        "ceramic" if ceramic else "steel",
        [
            (xb, top),
            (xb + 0.75 * blade, top),
            (xb + blade, top + 0.7 * width),
            (xb + 0.65 * blade, bot),
            (xb, bot),
        ],
        spine,
        taper=lambda x, y: 0.08 + (bot - y) / width,
    )
    cy = top + width / 2
    hr = width * 0.38
    c.rod(_pick(rng, "abs", "polyethylene", "rubber"), (5, cy), (xb, cy), hr, flat=0.7)
    if not ceramic:
        c.box("steel", 8, cy - hr * 0.6, xb, cy + hr * 0.6, spine)  # full tang
    return c


def _gun_body(c: _Canvas, rng: np.random.Generator, j: _Jitter, x0: float, y0: float) -> None:
    slide, h = j(180), j(32)
    c.box("steel", x0, y0, x0 + slide, y0 + h, j(8))
    c.rod("steel", (x0, y0 + h / 2), (x0 + slide, y0 + h / 2), j(7), wall_mm=j(2.5))
    frame = _pick(rng, "steel", "abs", "abs")
    ft = 6.0 if frame == "steel" else 14.0
    c.box(frame, x0 + 10, y0 + h, x0 + slide - 5, y0 + h + 14, ft)
    gx = x0 + 20
    grip = [(gx, y0 + h), (gx + 40, y0 + h), (gx + 30, y0 + h + 110), (gx - 15, y0 + h + 105)]
    c.poly(frame, grip, ft * 2)
    c.box("steel", gx + 5, y0 + h + 15, gx + 22, y0 + h + 95, 2.5)  # magazine
    for k in range(int(rng.integers(0, 7))):
        cy = y0 + h + 25 + 11 * k
        c.rod("brass", (gx + 4, cy), (gx + 26, cy), 4.5, wall_mm=0.5, fill="black powder")
    c.ring("steel" if frame == "steel" else "abs", gx + 60, y0 + h + 25, 14, 4, ft)


def _gun(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    c = _Canvas(250, 200, p)
    _gun_body(c, rng, j, 10, 10)
    return c


def _gun_part(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    kind = int(rng.integers(3))
    if kind == 0:  # barrel
        length, r = j(110), j(7)
        c = _Canvas(length + 10, 2 * r + 10, p)
        c.rod("steel", (5, r + 5), (5 + length, r + 5), r, wall_mm=r * 0.55)
    elif kind == 1:  # slide
        length, h = j(180), j(30)
        c = _Canvas(length + 10, h + 10, p)
        c.box("steel", 5, 5, 5 + length, 5 + h, j(9))
        c.box("steel", 5 + length * 0.6, 5, 5 + length * 0.8, 5 + h * 0.5, 12)
    else:  # loaded magazine
        length, w = j(120), j(25)
        c = _Canvas(length + 10, w + 10, p)
        c.box("steel", 5, 5, 5 + length, 5 + w, j(2.5))
        for k in range(int(rng.integers(3, 11))):
            x = 10 + k * 10.5
            if x + 9 < 5 + length:
                c.rod(
                    "brass", (x + 4.5, 8), (x + 4.5, 3 + w), 4.5, wall_mm=0.5, fill="black powder"
                )
    return c


def _ammunition(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    n, r, case = int(rng.integers(1, 11)), j(4.5), j(22)
    cols = math.ceil(math.sqrt(n))
    c = _Canvas(cols * (2 * r + 3) + 10, cols * (case + 18) + 10, p)
    for k in range(n):
        x = 5 + (k % cols) * (2 * r + 3) + r
        y = 5 + (k // cols) * (case + 18)
        c.rod("brass", (x, y + 15), (x, y + 15 + case), r, wall_mm=0.5, fill="black powder")
        c.rod("lead", (x, y + 5), (x, y + 15), r * 0.9)
        c.ball("lead", x, y + 5, r * 0.9)
    return c


def _scissors(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    blade, w = j(100), j(16)
    c = _Canvas(blade + 90, 80, p)
    px, py = 70.0, 40.0
    for s in (-1, 1):
        pts = [
            (px - 10, py + s * 3),
            (px + blade, py - s * 2),
            (px + blade, py),
            (px - 10, py + s * w),
        ]
        c.poly("steel", pts, j(2.2), taper=lambda x, y: 1.0 - (x - px) / (blade * 1.5))
        c.ring(_pick(rng, "abs", "polyethylene", "steel"), 30, py + s * 18, 16, 6, 5)
        c.box("steel", 40, py + s * 4 - 3, px, py + s * 4 + 3, 2)
    c.ball("steel", px, py, 4)
    return c


def _cell(c: _Canvas, a: tuple[float, float], b: tuple[float, float], r: float) -> None:
    c.rod("steel", a, b, r, wall_mm=0.3, fill="li-ion cell")


def _battery_cell(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    r, length = [(9.0, 65.0), (10.5, 70.0), (13.0, 65.0), (7.0, 50.0)][int(rng.integers(4))]
    c = _Canvas(length + 10, 2 * r + 10, p)
    _cell(c, (5, r + 5), (5 + length, r + 5), r)
    c.box("steel", 5 + length - 1, r + 5 - 3, 5 + length, r + 5 + 3, 4)
    return c


def _power_bank(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    n, r, length = int(rng.integers(2, 7)), 9.0, 65.0
    w, h = length + 30, n * (2 * r + 1) + 16
    c = _Canvas(w + 10, h + 10, p)
    c.box("abs", 5, 5, 5 + w, 5 + h, 2 * j(1.8))
    c.box("abs", 5, 5, 5 + w, 8, 22)  # walls seen edge-on
    c.box("abs", 5, 2 + h, 5 + w, 5 + h, 22)
    for k in range(n):
        y = 13 + r + k * (2 * r + 1)
        _cell(c, (10, y), (10 + length, y), r)
    c.box("glass", 12 + length, 12, w, h - 2, 1.6)  # circuit board
    c.box("copper", 12 + length, 12, w, h - 2, 0.07)
    return c


def _lighter(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    length, w = j(80), j(24)
    c = _Canvas(length + 10, w + 10, p)
    c.box(_pick(rng, "abs", "polyethylene"), 5, 5, 5 + length * 0.85, 5 + w, 3)
    c.pillow("butane", 7, 7, 5 + length * rng.uniform(0.3, 0.8), 3 + w, 8)
    c.box("steel", 5 + length * 0.85, 5, 5 + length, 5 + w, j(4))
    return c


def _can(
    c: _Canvas, rng: np.random.Generator, j: _Jitter, fill: str, r: float, length: float
) -> None:
    wall = _pick(rng, "aluminium", "steel")
    y = r + 5
    c.rod(wall, (5, y), (5 + length, y), r, wall_mm=0.4, fill=fill, fill_frac=rng.uniform(0.5, 1))
    c.rod("polyethylene", (5 + length, y), (5 + length + r, y), r * 0.8, wall_mm=1.2)


def _aerosol_can(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    r, length = j(26), j(160)
    c = _Canvas(length + r + 12, 2 * r + 10, p)
    _can(c, rng, j, "butane", r, length)
    return c


def _pepper_spray(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    r, length = j(15), j(95)
    c = _Canvas(length + r + 12, 2 * r + 10, p)
    _can(c, rng, j, "pepper spray", r, length)
    return c


def _bottle(
    c: _Canvas, rng: np.random.Generator, j: _Jitter, contents: str, glass_p: float
) -> None:
    r, length = j(35), j(200)
    wall, wall_mm = ("glass", 3.0) if rng.random() < glass_p else ("pvc", 0.5)
    y = r + 5
    c.rod(
        wall,
        (5, y),
        (5 + length, y),
        r,
        wall_mm=wall_mm,
        fill=contents,
        fill_frac=rng.uniform(0.4, 1.0),
    )
    c.rod(wall, (5 + length, y), (5 + length + 25, y), r * 0.4, wall_mm=wall_mm)
    c.rod("polyethylene", (5 + length + 25, y), (5 + length + 40, y), r * 0.45, wall_mm=1.5)


def _flammable_liquid(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    c = _Canvas(j(200) * 1.3 + 60, 100, p)
    liquid = _pick(rng, "ethanol", "gasoline", "acetone", "hydrogen peroxide")
    _bottle(c, rng, j, liquid, 0.4)
    return c


def _water_bottle(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    c = _Canvas(j(200) * 1.3 + 60, 100, p)
    _bottle(c, rng, j, "water", 0.1)
    return c


def _powder(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    w, h = j(150), j(100)
    c = _Canvas(w + 10, h + 10, p)
    stuff = _pick(rng, "alkaloid powder", "heroin-like powder", "sugar", "flour")
    c.pillow(stuff, 5, 5, 5 + w, 5 + h, j(30))
    c.box("polyethylene", 5, 5, 5 + w, 5 + h, 0.2)
    return c


def _drug_package(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    w, h = j(180), j(110)
    c = _Canvas(w + 10, h + 10, p)
    c.box(_pick(rng, "alkaloid powder", "heroin-like powder"), 6, 6, 4 + w, 4 + h, j(45))
    c.box("polyethylene", 5, 5, 5 + w, 5 + h, 0.5)
    c.box("rubber", 5, 5, 5 + w, 5 + h, 1.0)  # tape wrapping
    return c


def _explosive_block(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    w, h = j(150), j(90)
    c = _Canvas(w + 90, h + 40, p)
    charge = _pick(rng, "tnt", "ammonium nitrate", "tatp")
    if rng.random() < 0.5:
        c.pillow(charge, 5, 5, 5 + w, 5 + h, j(50))
    else:
        n = int(rng.integers(2, 6))
        for k in range(n):
            y = 5 + (k + 0.5) * h / n
            c.rod(charge, (5, y), (5 + w, y), h / n / 2, wall_mm=0.3, fill=charge)
    c.rod("aluminium", (w * 0.5, h * 0.5), (w * 0.5 + 40, h * 0.5), 3.5, wall_mm=0.4)
    bx, by = w + 40, h * 0.6
    _cell(c, (bx, by), (bx + 45, by), 7)
    for dy in (-2, 2):
        c.polyline(
            "copper", [(w * 0.5 + 40, h * 0.5 + dy), (w + 15, h + 25 + dy), (bx, by + dy)], 1.0
        )
    return c


def _firework(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    n, r, length = int(rng.integers(1, 8)), j(12), j(140)
    c = _Canvas(length + 40, n * (2 * r + 2) + 10, p)
    for k in range(n):
        y = 5 + r + k * (2 * r + 2)
        c.rod(
            "paper",
            (5, y),
            (5 + length, y),
            r,
            wall_mm=2.5,
            fill="black powder",
            fill_frac=rng.uniform(0.6, 0.95),
        )
        c.polyline("paper", [(5 + length, y), (30 + length, y + rng.uniform(-8, 8))], 2)
    return c


def _baton(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    length = j(450)
    c = _Canvas(length + 10, 40, p)
    if rng.random() < 0.6:  # telescopic steel
        r, x = 11.0, 5.0
        for k in range(3):
            seg = length / 3
            c.rod("steel", (x, 20), (x + seg + 5, 20), r - 2.5 * k, wall_mm=1.5)
            x += seg
        c.rod("rubber", (5, 20), (5 + length * 0.3, 20), 13, wall_mm=2)
    else:
        c.rod(_pick(rng, "polyethylene", "rubber", "aluminium"), (5, 20), (5 + length, 20), j(14))
    return c


def _hammer(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    length, head = j(300), j(110)
    c = _Canvas(length + 30, head + 10, p)
    y = 5 + head / 2
    c.rod(_pick(rng, "paper", "steel", "abs"), (5, y), (5 + length, y), j(14), flat=0.7)
    c.box("steel", length - 10, 5, length + 20, 5 + head, j(28))
    return c


def _wrench(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    length, w, t = j(200), j(18), j(6)
    c = _Canvas(length + 60, 70, p)
    y = 35.0
    c.box("steel", 30, y - w / 2, length + 30, y + w / 2, t)
    c.poly(
        "steel",
        [
            (length + 20, y - 25),
            (length + 55, y - 25),
            (length + 55, y - 8),
            (length + 38, y - 8),
            (length + 38, y + 8),
            (length + 55, y + 8),
            (length + 55, y + 25),
            (length + 20, y + 25),
        ],
        t * 1.2,
    )
    c.ring("steel", 25, y, 20, 8, t * 1.2)
    return c


def _pliers(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    length = j(180)
    c = _Canvas(length + 20, 70, p)
    y, pivot = 35.0, 10 + length * 0.35
    for s in (-1, 1):
        c.poly("steel", [(10, y + s * 2), (pivot, y + s * 2), (pivot, y + s * 10)], 8)
        c.poly(
            "steel",
            [(pivot, y + s * 3), (10 + length, y + s * 25), (10 + length, y + s * 15), (pivot, y)],
            5,
        )
        c.rod("pvc", (pivot + 20, y + s * 8), (5 + length, y + s * 22), 7, wall_mm=2)
    c.ball("steel", pivot, y, 6)
    return c


def _screwdriver(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    shaft, handle = j(120), j(100)
    c = _Canvas(shaft + handle + 10, 40, p)
    c.rod(_pick(rng, "abs", "polyethylene", "pvc"), (5, 20), (5 + handle, 20), j(14))
    c.rod("steel", (handle, 20), (5 + handle + shaft, 20), j(3))
    return c


def _razor_blade(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    if rng.random() < 0.5:  # double-edge safety razor blade
        c = _Canvas(53, 32, p)
        c.box("steel", 5, 5, 48, 27, 0.1)
        c.box("steel", 5, 14, 48, 18, -0.1)  # slot
    else:  # utility knife blade
        c = _Canvas(70, 30, p)
        c.poly("steel", [(5, 25), (65, 25), (50, 5), (20, 5)], 0.6)
    return c


def _handcuffs(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    r = j(38)
    c = _Canvas(4 * r + 50, 2 * r + 10, p)
    y = r + 5
    c.ring("steel", 5 + r, y, r, 9, 7)
    c.ring("steel", 3 * r + 37, y, r, 9, 7)
    for k in range(3):  # chain links overlapping each other and both cuffs
        c.ring("steel", 5 + 2 * r + 5 + 11 * k, y, 7, 3, 3)
    return c


def _compressed_gas_cylinder(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    r, length = j(35), j(250)
    c = _Canvas(length + 40, 2 * r + 10, p)
    y = r + 5
    shell = _pick(rng, "steel", "aluminium")
    c.rod(shell, (5, y), (5 + length, y), r, wall_mm=j(3.5), fill="butane")
    c.box("brass", 5 + length, y - 8, 35 + length, y + 8, 16)
    return c


def _laptop(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    w, h = j(320), j(220)
    c = _Canvas(w + 10, h + 10, p)
    c.box(_pick(rng, "abs", "aluminium"), 5, 5, 5 + w, 5 + h, 3)
    c.box("glass", 5, 5, 5 + w, 5 + h, 0.7)
    c.box("li-ion cell", 15, h - 70, w - 10, h - 5, 6)
    c.box("glass", 20, 15, w * 0.5, h * 0.5, 1.2)
    c.box("copper", 20, 15, w * 0.5, h * 0.5, 0.1)
    c.box("steel", 5, 5, 5 + w, 12, 6)  # hinge
    return c


def _phone(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    w, h = j(150), j(72)
    c = _Canvas(w + 10, h + 10, p)
    c.box("glass", 5, 5, 5 + w, 5 + h, 1.4)
    c.box("aluminium", 5, 5, 5 + w, 5 + h, 0.5)
    c.box("li-ion cell", 5 + w * 0.3, 12, 5 + w * 0.9, h - 2, 5)
    c.box("copper", 10, 10, 5 + w * 0.3, h, 0.15)
    return c


def _garment(c: _Canvas, rng: np.random.Generator, w: float, h: float, t_mm: float) -> None:
    """A folded garment: whole layers of cloth, not a smooth pillow.

    Folding stacks the cloth in whole layers, so a folded shirt or pair of trousers shows as
    plateaus with straight steps where flaps end (sides and sleeves folded in, a shorter
    turn-over), doubled seams, a thicker collar or waistband, and sometimes a row of buttons;
    a screener tells it from a packed powder by that texture. Its mass per area keeps the
    smooth pillow's mean (0.76 of ``t_mm``), and the stack rounds off over half its thickness
    where it is folded over at the edges.
    """
    x0, y0, x1, y1 = 5.0, 5.0, 5.0 + w, 5.0 + h
    inside = (c.x >= x0) & (c.x <= x1) & (c.y >= y0) & (c.y <= y1)
    layers = np.where(inside, np.float32(2), np.float32(0))  # front and back
    for edge in (y0, y1):  # sides or sleeves folded in along the long edges
        if rng.random() < 0.8:
            reach = h * rng.uniform(0.15, 0.4)
            band = np.abs(c.y - edge) <= reach
            layers += np.where(inside & band, np.float32(2), np.float32(0))
    if rng.random() < 0.7:  # a turn-over across the length, shorter than what it lies on
        reach = w * rng.uniform(0.25, 0.6)
        side = (c.x - x0 <= reach) if rng.random() < 0.5 else (x1 - c.x <= reach)
        layers = layers + np.where(inside & side, layers, np.float32(0))
    for _ in range(int(rng.integers(1, 4))):  # seams: doubled cloth in a narrow strip
        width = rng.uniform(4, 9)
        if rng.random() < 0.5:
            at = rng.uniform(y0 + 10, y1 - 10)
            seam = np.abs(c.y - at) <= width / 2
        else:
            at = rng.uniform(x0 + 10, x1 - 10)
            seam = np.abs(c.x - at) <= width / 2
        layers += np.where(inside & seam, np.float32(2), np.float32(0))
    if rng.random() < 0.5:  # collar or waistband at one end
        reach = rng.uniform(15, 40)
        end = (c.x - x0 <= reach) if rng.random() < 0.5 else (x1 - c.x <= reach)
        layers += np.where(inside & end, np.float32(3), np.float32(0))
    # cloth compresses unevenly under what lies on it
    squash = rng.uniform(0.85, 1.15, size=(3, 3)).astype(np.float32)
    layers *= cv2.resize(squash, (c.w, c.h), interpolation=cv2.INTER_CUBIC)
    to_edge = np.minimum(np.minimum(c.x - x0, x1 - c.x), np.minimum(c.y - y0, y1 - c.y))
    bend = np.sqrt(np.clip(to_edge / max(t_mm / 2, 1e-6), 0, 1))
    stack = layers * bend
    mean = float(stack[inside].mean()) if inside.any() else 0.0
    if mean > 0:
        c.add("clothing", stack * np.float32(0.76 * t_mm / mean))
    if rng.random() < 0.3:  # buttons down a placket
        at = rng.uniform(y0 + 0.3 * h, y1 - 0.3 * h)
        n = int(rng.integers(4, 8))
        r = rng.uniform(4, 7)
        for k in range(n):
            c.ring("abs", x0 + (k + 0.5) * w / n, at, r, r, 2.0)


def _clothes(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    w, h = j(280), j(200)
    c = _Canvas(w + 10, h + 10, p)
    # The folds draw from their own stream, so every other object in the bag keeps the place
    # and pose simulator 2 gave it.
    _garment(c, rng.spawn(1)[0], w, h, j(50))
    if rng.random() < 0.4:
        c.polyline(_pick(rng, "brass", "steel"), [(10, h * 0.5), (w, h * 0.5)], 2.0)  # zip
    return c


def _book(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    w, h = j(220), j(150)
    c = _Canvas(w + 10, h + 10, p)
    c.box("paper", 5, 5, 5 + w, 5 + h, j(25))
    return c


def _cable(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    c = _Canvas(200, 200, p)
    pts = [(float(x), float(y)) for x, y in rng.uniform(15, 185, size=(int(rng.integers(3, 8)), 2))]
    c.polyline("pvc", pts, 4)
    c.polyline("copper", pts, 1.2)
    return c


def _toiletry(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    r, length = j(22), j(110)
    c = _Canvas(length + 30, 2 * r + 10, p)
    y = r + 5
    c.rod(
        "polyethylene",
        (5, y),
        (5 + length, y),
        r,
        wall_mm=1.0,
        fill="water",
        fill_frac=rng.uniform(0.5, 1),
    )
    c.rod("polyethylene", (5 + length, y), (25 + length, y), r * 0.6)
    return c


def _shoe(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    length, w = j(280), j(100)
    c = _Canvas(length + 10, w + 10, p)
    c.pillow("rubber", 5, 5, 5 + length, 5 + w, j(25))
    c.pillow("clothing", 10, 10, length * 0.8, w, 60)
    return c


def _umbrella(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    length = j(250)
    c = _Canvas(length + 50, 60, p)
    c.pillow("polyethylene", 5, 10, 5 + length, 50, 12)
    c.rod(_pick(rng, "aluminium", "steel"), (5, 30), (5 + length, 30), 4, wall_mm=0.8)
    for k in range(6):
        c.polyline("steel", [(10, 30), (length, 14 + 6.4 * k)], 1.2)
    c.rod("abs", (5 + length, 30), (45 + length, 30), 13)
    return c


def _charger(rng: np.random.Generator, j: _Jitter, p: float) -> _Canvas:
    w = j(55)
    c = _Canvas(w + 30, w + 10, p)
    c.box("abs", 5, 5, 5 + w, 5 + w, 2 * 2.0)
    c.box("copper", 15, 15, w - 5, w - 5, 6)  # transformer windings
    c.box("steel", 15, 15, w - 5, w - 5, 4)  # its core
    c.box("brass", 5 + w, 15, 25 + w, 20, 1.5)  # prongs
    c.box("brass", 5 + w, w - 10, 25 + w, w - 5, 1.5)
    return c


_BUILDERS: dict[str, Callable[[np.random.Generator, _Jitter, float], _Canvas]] = {
    "knife": _knife, "gun": _gun, "gun_part": _gun_part, "ammunition": _ammunition,
    "scissors": _scissors, "battery_cell": _battery_cell, "power_bank": _power_bank,
    "lighter": _lighter, "aerosol_can": _aerosol_can, "flammable_liquid": _flammable_liquid,
    "powder": _powder, "drug_package": _drug_package, "explosive_block": _explosive_block,
    "firework": _firework, "baton": _baton, "hammer": _hammer, "wrench": _wrench,
    "pliers": _pliers, "screwdriver": _screwdriver, "razor_blade": _razor_blade,
    "handcuffs": _handcuffs, "compressed_gas_cylinder": _compressed_gas_cylinder,
    "pepper_spray": _pepper_spray, "laptop": _laptop, "phone": _phone, "clothes": _clothes,
    "water_bottle": _water_bottle, "book": _book, "cable": _cable, "toiletry": _toiletry,
    "shoe": _shoe, "umbrella": _umbrella, "charger": _charger,
}  # fmt: skip


# --- posing -----------------------------------------------------------------------------------


def _tilt(stack: np.ndarray, cos_tilt: float, pixel_mm: float) -> np.ndarray:
    """Project the object tilted by ``acos(cos_tilt)`` about its x axis (rows foreshortened).

    Every builder draws its parts symmetric about the mid-plane, so the material at pixel
    (y, x) fills the depth ``|z| <= c/2``, with ``c`` the pixel's summed path length. Tilted,
    a point (y, z) lands at ``y cos + z sin``: rows close up by ``cos`` (resampled by area,
    paths stretched by 1/cos so mass is kept), and each row's material then spreads over
    ``c sin`` of its own. For a flat part ``c`` is small and only the first step shows; a solid
    round about x (a bottle's contents, a can, a rod) comes out as it went in, as a real one
    turned about its own axis does, where foreshortening alone made it narrower and denser.
    """
    h, w, k = stack.shape
    sin_tilt = math.sqrt(max(1.0 - cos_tilt**2, 0.0))
    nh = max(round(h * cos_tilt), 1)
    gain = np.float32(h / nh)  # path x area is invariant

    def closed_up(plane: np.ndarray) -> np.ndarray:
        return cv2.resize(np.ascontiguousarray(plane), (w, nh), interpolation=cv2.INTER_AREA)

    depth = closed_up(stack.sum(axis=-1)).astype(np.float64)  # mm, the mean c in each pixel
    width = np.maximum(depth * sin_tilt / pixel_mm, 1e-3)  # px each pixel spreads over
    pad = math.ceil(float(width.max()) / 2) + 1
    out_h = nh + 2 * pad + 1
    centre = np.arange(nh, dtype=np.float64)[:, None] + 0.5 + pad
    lo, hi = centre - width / 2, centre + width / 2
    n_lo, n_hi = np.floor(lo).astype(np.int64), np.floor(hi).astype(np.int64)
    f_lo, f_hi = lo - n_lo, hi - n_hi
    col = np.broadcast_to(np.arange(w, dtype=np.int64)[None, :], (nh, w))
    size = (out_h + 1) * w
    out = np.empty((out_h, w, k), np.float32)
    for j in range(k):
        # Each pixel deposits its mass as a box: the box's slope changes at its two ends,
        # split between the two rows around each end, and one running sum turns the slope
        # changes into the mass each row receives (exact for boxes with fractional ends).
        s = closed_up(stack[..., j]).astype(np.float64) * gain / width
        kinks = np.zeros(size, np.float64)
        for rows, weight in (
            (n_lo, s * (1 - f_lo)),
            (n_lo + 1, s * f_lo),
            (n_hi, -s * (1 - f_hi)),
            (n_hi + 1, -s * f_hi),
        ):
            kinks += np.bincount((rows * w + col).ravel(), weight.ravel(), minlength=size)
        rows_mass = np.cumsum(kinks.reshape(out_h + 1, w), axis=0)[:out_h]
        out[..., j] = np.clip(rows_mass, 0.0, None)
    return out


def _pose(
    layers: dict[str, np.ndarray], rng: np.random.Generator, thin: bool, pixel_mm: float
) -> list[tuple[str, np.ndarray]]:
    """Tilt out of plane about one of the object's axes (``_tilt``), then rotate in plane.

    The rotation goes onto a canvas sized to the rotated corners, so nothing is cut. ``thin``
    turns the object nearly edge-on about its long axis: a flat one's outline collapses and
    its paths lengthen, while a round one (a bottle, a can) looks as it did.
    """
    if thin:
        cos_tilt, axis = rng.uniform(0.2, 0.4), 0  # nearly edge-on across the short (y) axis
    elif rng.random() < 0.5:
        cos_tilt, axis = math.cos(rng.uniform(0.0, math.radians(55))), int(rng.integers(2))
    else:
        cos_tilt, axis = 1.0, 0
    angle = rng.uniform(0.0, 360.0)
    names = list(layers)
    stack = np.stack([layers[n] for n in names], axis=-1)  # (h, w, K) mm
    h, w = stack.shape[:2]
    if cos_tilt < 1.0:
        if axis == 0:
            stack = _tilt(stack, cos_tilt, pixel_mm)
        else:
            stack = _tilt(stack.transpose(1, 0, 2), cos_tilt, pixel_mm).transpose(1, 0, 2)
        h, w = stack.shape[:2]
    a = math.radians(angle)
    ca, sa = math.cos(a), math.sin(a)
    out_w = math.ceil(abs(w * ca) + abs(h * sa)) + 2
    out_h = math.ceil(abs(w * sa) + abs(h * ca)) + 2
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 2] += out_w / 2 - w / 2
    m[1, 2] += out_h / 2 - h / 2
    planes = [
        cv2.warpAffine(
            np.ascontiguousarray(stack[..., k]),
            m,
            (out_w, out_h),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0.0,
        )
        for k in range(stack.shape[-1])
    ]
    cm = [np.where(pl / 10 >= _MIN_CM, pl / 10, 0).astype(np.float32) for pl in planes]
    mask = np.any(np.stack(cm) > 0, axis=0)
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    return [(n, t[y0:y1, x0:x1].copy()) for n, t in zip(names, cm, strict=True) if t.any()]


def make_sprite(
    name: str, rng: np.random.Generator, pixel_mm: float = 1.5, *, thin: bool = False
) -> Sprite:
    """A randomly sized, posed instance of class ``name`` at ``pixel_mm`` per pixel.

    ``thin`` turns a flat object nearly edge-on (cos of tilt 0.2-0.4): the projected outline
    collapses and paths lengthen, the hard case for screeners and detectors alike. A round
    object turned so about its own axis looks the same, as a real bottle would.
    """
    cls = object_class(name)
    scale = rng.uniform(0.8, 1.2)

    def jitter(x: float) -> float:
        return float(x * scale * rng.uniform(0.8, 1.15))

    canvas = _BUILDERS[name](rng, jitter, pixel_mm)
    layers = {k: np.clip(v, 0, None) for k, v in canvas.layers.items() if v.max() > 0}
    return Sprite(cls.id, _pose(layers, rng, thin, pixel_mm))
