"""Images with boxes in results: any response carrying an ``annotated_image`` gets it drawn.

Detections, simulated bags, document fields — a reviewer checks a box on the picture faster
than four numbers in JSON. The console knows nothing about what a box means; a response opts
in by including::

    "annotated_image": {
      "png_base64": "iVBORw0KGgo...",
      "width": 512, "height": 512,
      "boxes": [{"x": 303, "y": 62, "w": 119, "h": 223, "label": "knife", "alarm": true,
                 "score": 0.93}]
    }

Coordinates are in the image's pixels, (x, y) the top-left corner; ``score`` may be null (or
left out). The image is shown as an ``<img>`` under an SVG whose viewBox is the image size, so
the boxes scale with it. Anything that does not have that shape — a missing key, a number that
is not finite, ``png_base64`` that is not base64 of a PNG — is simply not drawn.
"""

from __future__ import annotations

import binascii
import math
from base64 import b64decode
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_BOXES", "AnnotatedImage", "ImageBox", "annotated_image", "png_data_uri"]

MAX_BOXES = 300
"""Boxes drawn at most; a response with more shows the first 300 and says so."""
DISPLAY_PX = 512
"""The longer side of the image on the page, in CSS pixels (upscaled or downscaled to it;
narrower columns shrink it further). The try-it page's response column is about this wide."""
FONT_PX = 12
"""Label size on the page; converted to image units so it reads the same at any image size."""
MAX_LABEL_CHARS = 40

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHAR_EM = 0.62
"""Advance of one monospace character in em (DejaVu Sans Mono 0.602), a little generous."""


@dataclass(frozen=True)
class ImageBox:
    """One box and its label tag, in image pixels (the SVG's viewBox units)."""

    x: float
    y: float
    w: float
    h: float
    text: str
    alarm: bool
    tooltip: str
    tag_x: float
    tag_y: float
    tag_w: float
    tag_h: float
    text_x: float
    text_y: float


@dataclass(frozen=True)
class AnnotatedImage:
    src: str
    """A ``data:image/png;base64,...`` URI (the page's CSP allows ``img-src data:``)."""
    width: int
    height: int
    display_width: int
    display_height: int
    font_size: float
    boxes: tuple[ImageBox, ...]
    total_boxes: int
    """Boxes in the response, including any beyond ``MAX_BOXES`` that are not drawn."""
    alarms: int
    """Alarm boxes among those drawn."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _size(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def png_data_uri(text: Any) -> str | None:
    """A data URI for base64 of a PNG, or None for anything else (then nothing is drawn)."""
    return f"data:image/png;base64,{text}" if _is_png_base64(text) else None


def _is_png_base64(text: Any) -> bool:
    if not isinstance(text, str) or not text:
        return False
    try:
        data = b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return data.startswith(_PNG_SIGNATURE)


def _fmt(v: float) -> str:
    return f"{v:g}" if v == int(v) else f"{v:.1f}"


def _box(raw: Any, width: int, height: int, font: float) -> ImageBox | None:
    if not isinstance(raw, Mapping):
        return None
    x, y, w, h = (_number(raw.get(k)) for k in ("x", "y", "w", "h"))
    label, alarm, score_in = raw.get("label"), raw.get("alarm"), raw.get("score")
    score = _number(score_in)
    if (
        x is None
        or y is None
        or w is None
        or h is None
        or w < 0
        or h < 0
        or not isinstance(label, str)
        or not isinstance(alarm, bool)
        or (score_in is not None and score is None)
    ):
        return None
    text = label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"
    if score is not None:
        text = f"{text} {score:.2f}"
    pad = font * 0.3
    tag_w = len(text) * font * _CHAR_EM + 2 * pad
    tag_h = font * 1.35
    # Above the box when there is room, else just inside its top edge; never past the right.
    tag_y = y - tag_h if y - tag_h >= 0 else max(0.0, y)
    tag_x = max(0.0, min(x, width - tag_w))
    kind = "alarm" if alarm else "no alarm"
    tooltip = f"{text} ({kind}): x {_fmt(x)}, y {_fmt(y)}, w {_fmt(w)}, h {_fmt(h)} px"
    return ImageBox(
        x=round(x, 1),
        y=round(y, 1),
        w=round(w, 1),
        h=round(h, 1),
        text=text,
        alarm=alarm,
        tooltip=tooltip,
        tag_x=round(tag_x, 1),
        tag_y=round(tag_y, 1),
        tag_w=round(tag_w, 1),
        tag_h=round(tag_h, 1),
        text_x=round(tag_x + pad, 1),
        text_y=round(tag_y + tag_h - font * 0.35, 1),
    )


def annotated_image(result: Any) -> AnnotatedImage | None:
    """What to draw for ``result["annotated_image"]``, or None when there is none to draw."""
    if not isinstance(result, Mapping) or not isinstance(result.get("annotated_image"), Mapping):
        return None
    data = result["annotated_image"]
    width, height = _size(data.get("width")), _size(data.get("height"))
    boxes_in = data.get("boxes")
    if width is None or height is None or not isinstance(boxes_in, list):
        return None
    png = data.get("png_base64")
    if not _is_png_base64(png):
        return None
    scale = DISPLAY_PX / max(width, height)
    font = round(FONT_PX / scale, 2)
    boxes: list[ImageBox] = []
    for raw in boxes_in[:MAX_BOXES]:
        box = _box(raw, width, height, font)
        if box is None:
            return None
        boxes.append(box)
    return AnnotatedImage(
        src=f"data:image/png;base64,{png}",
        width=width,
        height=height,
        display_width=max(1, round(width * scale)),
        display_height=max(1, round(height * scale)),
        font_size=font,
        boxes=tuple(boxes),
        total_boxes=len(boxes_in),
        alarms=sum(b.alarm for b in boxes),
    )
