"""Wedge steps read off a scanner's own image of its step wedges.

A calibration kit is scanned once per scanner; where each step lies in the image is fixed by
the kit's layout, so it is given once as a table of rectangles: one row per step, ``x, y, w,
h`` in image pixels and the ``<material>_cm`` thicknesses that step crosses (CSV, ``#``
comments). Each step's reading is the mean of its rectangle in both channels. A rectangle that
straddles a step's edge, or the wedge's, would average two thicknesses into one reading
nothing crosses, so it is refused: its four quarters must agree within their noise.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yangcheng.security.materials import MATERIALS
from yangcheng.security.wedge_table import InvalidWedgeTable, WedgeStep

__all__ = ["StepRegion", "read_step_regions", "steps_from_images"]

_SUFFIX = "_cm"
_MIN_PIXELS = 16
_EDGE_TOLERANCE = 0.02
"""Quarters of one step may differ by this share of its mean, beyond their noise."""


@dataclass(frozen=True)
class StepRegion:
    """Where one step lies in the wedge image, and what it crosses."""

    x: int
    y: int
    w: int
    h: int
    thickness_cm: dict[str, float]
    line: int


def read_step_regions(path: Path) -> list[StepRegion]:
    """The rectangles of a step-region table, refusing what would misread a step."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise InvalidWedgeTable(str(path), f"cannot be read ({exc.strerror})") from None
    rows = [(i, t) for i, t in enumerate(lines, 1) if t.strip() and not t.startswith("#")]
    if not rows:
        raise InvalidWedgeTable(str(path), "holds no header and no steps")
    header = [h.strip() for h in next(csv.reader([rows[0][1]]))]
    where = f"{path.name} line {rows[0][0]}"
    missing = [c for c in ("x", "y", "w", "h") if c not in header]
    if missing:
        raise InvalidWedgeTable(where, f"the header has no {missing} column(s): {header}")
    materials = []
    for column in header:
        if column in ("x", "y", "w", "h"):
            continue
        name = column.removesuffix(_SUFFIX)
        if not column.endswith(_SUFFIX) or name not in MATERIALS:
            raise InvalidWedgeTable(
                where, f"column {column!r} is neither x, y, w, h nor <material>_cm"
            )
        materials.append((column, name))
    regions = []
    for number, text in rows[1:]:
        where = f"{path.name} line {number}"
        values = [c.strip() for c in next(csv.reader([text]))]
        if len(values) != len(header):
            raise InvalidWedgeTable(
                where, f"has {len(values)} fields; the header has {len(header)}"
            )
        row = dict(zip(header, values, strict=True))
        try:
            x, y, w, h = (int(row[c]) for c in ("x", "y", "w", "h"))
            thickness = {n: float(row[c]) for c, n in materials}
        except ValueError:
            raise InvalidWedgeTable(where, "holds a value that is not a number") from None
        if w * h < _MIN_PIXELS or min(w, h) < 2 or min(x, y) < 0:
            raise InvalidWedgeTable(
                where, f"rectangle {x},{y},{w},{h} must lie at x, y >= 0 and hold >= 16 pixels"
            )
        if any(t < 0 or not np.isfinite(t) for t in thickness.values()):
            raise InvalidWedgeTable(where, "a thickness is negative or not finite")
        if not any(t > 0 for t in thickness.values()):
            raise InvalidWedgeTable(where, "crosses no material")
        regions.append(StepRegion(x, y, w, h, thickness, number))
    if not regions:
        raise InvalidWedgeTable(path.name, "has a header but no steps")
    return regions


def _reading(image: np.ndarray, r: StepRegion, channel: str) -> float:
    patch = image[r.y : r.y + r.h, r.x : r.x + r.w].astype(np.float64)
    half_h, half_w = r.h // 2, r.w // 2
    quarters = [
        patch[:half_h, :half_w], patch[:half_h, half_w:],
        patch[half_h:, :half_w], patch[half_h:, half_w:],
    ]  # fmt: skip
    means = np.array([q.mean() for q in quarters])
    noise = max(float(np.std(patch)) / np.sqrt(patch.size / 4), 1e-9)
    spread = float(means.max() - means.min())
    mean = float(patch.mean())
    if spread > 4 * noise + _EDGE_TOLERANCE * abs(mean):
        raise InvalidWedgeTable(
            f"step regions line {r.line}",
            f"the {channel} reading varies across rectangle {r.x},{r.y},{r.w},{r.h} "
            f"(quarters {means.min():.6g}..{means.max():.6g}): it straddles an edge",
        )
    return mean


def steps_from_images(
    low: np.ndarray, high: np.ndarray, regions: list[StepRegion]
) -> list[WedgeStep]:
    """Each region's mean raw reading in both channels of the wedge images."""
    if low.ndim != 2 or low.shape != high.shape:
        raise InvalidWedgeTable(
            "wedge images",
            f"must be two single-channel images of one size: {low.shape}, {high.shape}",
        )
    height, width = low.shape
    steps = []
    for r in regions:
        if r.x + r.w > width or r.y + r.h > height:
            raise InvalidWedgeTable(
                f"step regions line {r.line}",
                f"rectangle {r.x},{r.y},{r.w},{r.h} runs outside the {width}x{height} image",
            )
        steps.append(
            WedgeStep(dict(r.thickness_cm), _reading(low, r, "low"), _reading(high, r, "high"))
        )
    return steps
