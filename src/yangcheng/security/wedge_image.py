"""Wedge steps read off a scanner's own image of its step wedges.

A calibration kit is scanned once per scanner; where each step lies in the image is fixed by
the kit's layout, so it is given once as a table of rectangles: one row per step, ``x, y, w,
h`` in image pixels and the ``<material>_cm`` thicknesses that step crosses (CSV, ``#``
comments). Each step's reading is the mean of its rectangle in both channels. A rectangle that
straddles a step's edge, or the wedge's, would average two thicknesses into one reading
nothing crosses, so it is refused: its four quarters must agree within their noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yangcheng.security.csv_rows import table_rows
from yangcheng.security.wedge_table import (
    InvalidWedgeTable,
    WedgeStep,
    step_thickness,
    thickness_columns,
)

__all__ = ["StepRegion", "read_step_regions", "steps_from_images"]

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
    header_where, header, rows = table_rows(path, InvalidWedgeTable)
    materials = thickness_columns(header, ("x", "y", "w", "h"), header_where)
    regions = []
    for line, where, row in rows:
        try:
            x, y, w, h = (int(row[c]) for c in ("x", "y", "w", "h"))
        except ValueError:
            raise InvalidWedgeTable(where, "holds a rectangle that is not whole numbers") from None
        if w * h < _MIN_PIXELS or min(w, h) < 2 or min(x, y) < 0:
            raise InvalidWedgeTable(
                where, f"rectangle {x},{y},{w},{h} must lie at x, y >= 0 and hold >= 16 pixels"
            )
        thickness = step_thickness(row, materials, where)
        regions.append(StepRegion(x, y, w, h, thickness, line))
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
