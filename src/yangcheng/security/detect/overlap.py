"""One label per object: a screener wants one box on a bottle, not one per class scored.

The network scores each class separately, so one object can carry several boxes. Boxes that
overlap a more confident one are folded into it; callers keep the folded ones as the
"also possible" classes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def iou_xywh(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(a[2] * a[3] + b[2] * b[3] - inter, 1e-9)


def fold_overlaps(
    items: Sequence[T],
    box: Callable[[T], Sequence[float]],
    score: Callable[[T], float],
    iou: float = 0.5,
) -> list[tuple[T, list[T]]]:
    """Most confident first: each kept item with the items folded into it."""
    kept: list[tuple[T, list[T]]] = []
    for item in sorted(items, key=lambda i: -score(i)):
        for head, folded in kept:
            if iou_xywh(box(head), box(item)) >= iou:
                folded.append(item)
                break
        else:
            kept.append((item, []))
    return kept
