"""Bags: a shell, clothing, clutter and prohibited items, annotated by construction.

Every object is placed as a sprite of per-material path lengths, and path lengths simply add
where objects overlap, as X-ray attenuation does. The annotation of a prohibited item is the
set of pixels its own sprite covers, so a box or mask is exact whatever lies on top of it.
Material planes are merged by material (not by object), keeping K small for `transmit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from yangcheng.security.materials import Material, material
from yangcheng.security.objects import CLASSES, PROHIBITED, Sprite, make_sprite

__all__ = ["Annotation", "Placement", "Scene", "generate_scene"]

_CLUTTER = tuple(c.name for c in CLASSES if not c.prohibited)


@dataclass
class Annotation:
    """A prohibited item: class, tight box (x, y, w, h) of its mask, and its materials."""

    class_id: int
    bbox_xywh: tuple[int, int, int, int]
    mask: np.ndarray
    material_ids: tuple[int, ...]


@dataclass
class Placement:
    """A sprite at (top, left) in image pixels (may be negative: clipped at the border)."""

    sprite: Sprite
    top: int
    left: int
    annotation: int | None = None  # index into Scene.annotations for prohibited items


@dataclass
class Scene:
    """Path lengths ``thickness_cm[H, W, K]`` through ``materials[K]``, plus ground truth."""

    thickness_cm: np.ndarray
    materials: list[Material]
    annotations: list[Annotation]
    placements: list[Placement] = field(default_factory=list)

    def without(self, annotation: int) -> Scene:
        """The same bag with one annotated item taken out (for checks and threat removal)."""
        kept = [p for p in self.placements if p.annotation != annotation]
        thickness, materials = _compose(kept, self.thickness_cm.shape[:2])
        others = [a for i, a in enumerate(self.annotations) if i != annotation]
        return Scene(thickness, materials, others, kept)


def _compose(
    placements: list[Placement], size: tuple[int, int]
) -> tuple[np.ndarray, list[Material]]:
    h, w = size
    planes: dict[str, np.ndarray] = {}
    for p in placements:
        sh, sw = p.sprite.shape
        y0, x0 = max(p.top, 0), max(p.left, 0)
        y1, x1 = min(p.top + sh, h), min(p.left + sw, w)
        if y1 <= y0 or x1 <= x0:
            continue
        for name, t in p.sprite.layers:
            plane = planes.get(name)
            if plane is None:
                plane = planes[name] = np.zeros((h, w), np.float32)
            plane[y0:y1, x0:x1] += t[y0 - p.top : y1 - p.top, x0 - p.left : x1 - p.left]
    names = sorted(planes, key=lambda n: material(n).id)
    if not names:
        return np.zeros((h, w, 0), np.float32), []
    return np.stack([planes[n] for n in names], axis=-1), [material(n) for n in names]


def _garment_steps(rng: np.random.Generator, inside: np.ndarray, pixel_mm: float) -> np.ndarray:
    """Relative cloth depth of packed garments: steps where one folded piece ends.

    Packed clothes are folded pieces lying on each other, so their depth changes in steps
    along straight edges rather than smoothly; this is the texture that tells a screener the
    organic mass is cloth. The factor averages 1 over the bag, keeping its mass of cloth, and
    draws from its own stream so the bag's objects keep their simulator-2 places.
    """
    h, w = inside.shape
    steps = np.ones((h, w), np.float32)
    for _ in range(int(rng.integers(6, 15))):
        piece = np.zeros((h, w), np.uint8)
        centre = (float(rng.uniform(0, w)), float(rng.uniform(0, h)))
        extent = (float(rng.uniform(150, 400) / pixel_mm), float(rng.uniform(100, 300) / pixel_mm))
        corners = cv2.boxPoints((centre, extent, float(rng.uniform(0, 180))))
        cv2.fillPoly(piece, [np.round(corners).astype(np.int32)], 1)
        steps += piece.astype(np.float32) * np.float32(rng.uniform(0.3, 0.8))
    mean = float(steps[inside].mean()) if inside.any() else 1.0
    return steps / np.float32(mean)


def _bag(rng: np.random.Generator, size: tuple[int, int], pixel_mm: float) -> Sprite:
    """Shell (top and bottom faces, walls edge-on at the rim), trolley handle, clothing."""
    h, w = size
    x0, x1 = sorted(rng.integers([int(0.02 * w), int(0.85 * w)], [int(0.12 * w), w]))
    y0, y1 = sorted(rng.integers([int(0.02 * h), int(0.85 * h)], [int(0.12 * h), h]))
    suitcase = rng.random() < 0.6
    radius = int((0.06 if suitcase else 0.2) * min(x1 - x0, y1 - y0))
    m = np.zeros((h, w), np.uint8)
    cv2.rectangle(m, (int(x0 + radius), int(y0)), (int(x1 - radius), int(y1 - 1)), 1, -1)
    cv2.rectangle(m, (int(x0), int(y0 + radius)), (int(x1 - 1), int(y1 - radius)), 1, -1)
    for cx, cy in ((x0 + radius, y0 + radius), (x1 - 1 - radius, y0 + radius),
                   (x0 + radius, y1 - 1 - radius), (x1 - 1 - radius, y1 - 1 - radius)):  # fmt: skip
        cv2.circle(m, (int(cx), int(cy)), radius, 1, -1)
    inside = m.astype(bool)
    dist_mm = cv2.distanceTransform(m, cv2.DIST_L2, 3) * pixel_mm
    shell = "abs" if suitcase else "polyethylene"
    face_mm, wall_mm, depth_cm = rng.uniform(1.5, 4.0), rng.uniform(2.0, 4.0), rng.uniform(12, 25)
    shell_cm = np.where(inside, 2 * face_mm / 10, 0).astype(np.float32)
    shell_cm += np.where(inside & (dist_mm <= wall_mm), depth_cm, 0).astype(np.float32)
    layers = [(shell, shell_cm)]
    # clothing: a smooth random field, thinning towards the walls
    noise = rng.uniform(0.2, 1.0, size=(6, 6)).astype(np.float32)
    field_ = cv2.resize(noise, (int(x1 - x0), int(y1 - y0)), interpolation=cv2.INTER_CUBIC)
    cloth = np.zeros((h, w), np.float32)
    cloth[y0:y1, x0:x1] = np.clip(field_, 0.05, None) * rng.uniform(3, 12)
    cloth *= np.clip(dist_mm / 30.0, 0, 1) * _garment_steps(rng.spawn(1)[0], inside, pixel_mm)
    layers.append(("clothing", cloth))
    if suitcase:  # telescopic handle: two aluminium tubes along one wall
        al = np.zeros((h, w), np.float32)
        tube_px = max(int(20 / pixel_mm), 2)
        ty = slice(int(y0 + 0.15 * (y1 - y0)), int(y1 - 0.15 * (y1 - y0)))
        for tx in (int(x0 + 0.25 * (x1 - x0)), int(x0 + 0.7 * (x1 - x0))):
            al[ty, tx : tx + tube_px] = 0.25
        layers.append(("aluminium", al * inside))
    return Sprite(0, layers)


def _place(sprite: Sprite, cy: float, cx: float, annotation: int | None = None) -> Placement:
    sh, sw = sprite.shape
    return Placement(sprite, round(cy - sh / 2), round(cx - sw / 2), annotation)


def generate_scene(
    rng: np.random.Generator,
    size: tuple[int, int] = (512, 512),
    *,
    n_prohibited: int | None = None,
    n_clutter: int | None = None,
    hard: bool = False,
    pixel_mm: float = 1.5,
) -> Scene:
    """One bag with ``n_prohibited`` (default 0-3) annotated items among ``n_clutter`` benign ones.

    ``hard`` means 2-3x the clutter, prohibited items laid over clutter, and half of them
    turned nearly edge-on: the cases screeners miss. Only prohibited items are annotated.
    """
    h, w = size
    bag = _bag(rng, size, pixel_mm)
    bag_mask = bag.layers[0][1] > 0
    ys, xs = np.nonzero(bag_mask)
    by0, by1, bx0, bx1 = ys.min(), ys.max(), xs.min(), xs.max()

    def inside_bag() -> tuple[float, float]:
        return rng.uniform(by0, by1), rng.uniform(bx0, bx1)

    if n_prohibited is None:
        n_prohibited = int(rng.integers(0, 4))
    if n_clutter is None:
        n_clutter = int(rng.integers(3, 9))
        if hard:
            n_clutter = round(n_clutter * rng.uniform(2.0, 3.0))
    placements = [Placement(bag, 0, 0)]
    centres: list[tuple[float, float]] = []
    for _ in range(n_clutter):
        name = _CLUTTER[int(rng.integers(len(_CLUTTER)))]
        centre = inside_bag()
        centres.append(centre)
        placements.append(_place(make_sprite(name, rng, pixel_mm), *centre))

    annotations: list[Annotation] = []
    for _ in range(n_prohibited):
        cls = PROHIBITED[int(rng.integers(len(PROHIBITED)))]
        thin = hard and rng.random() < 0.5
        sprite = make_sprite(cls.name, rng, pixel_mm, thin=thin)
        if hard and centres:
            cy, cx = centres[int(rng.integers(len(centres)))]
            cy, cx = cy + rng.normal(0, 10), cx + rng.normal(0, 10)
            cy, cx = float(np.clip(cy, by0, by1)), float(np.clip(cx, bx0, bx1))
        else:
            cy, cx = inside_bag()
        p = _place(sprite, cy, cx, len(annotations))
        mask = np.zeros((h, w), bool)
        sh, sw = sprite.shape
        y0, x0 = max(p.top, 0), max(p.left, 0)
        y1, x1 = min(p.top + sh, h), min(p.left + sw, w)
        if y1 > y0 and x1 > x0:
            mask[y0:y1, x0:x1] = sprite.mask[y0 - p.top : y1 - p.top, x0 - p.left : x1 - p.left]
        if not mask.any():
            continue
        rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        bbox = (
            int(cols[0]),
            int(rows[0]),
            int(cols[-1] - cols[0] + 1),
            int(rows[-1] - rows[0] + 1),
        )
        ids = tuple(sorted({material(n).id for n, _ in sprite.layers}))
        annotations.append(Annotation(cls.id, bbox, mask, ids))
        placements.append(p)

    thickness, materials = _compose(placements, size)
    return Scene(thickness, materials, annotations, placements)
