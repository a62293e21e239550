"""Training targets for centre-point detection, and the flips that multiply the bags.

A box becomes a Gaussian bump on its class's heatmap (elliptical, sized to the box, as in
TTFNet, so a long baton gets a long bump), its log size and its centre's sub-cell offset at
the peak cell. Flips and transposes are exact for a conveyor scanner: a bag can lie any way
round on the belt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MAX_OBJECTS", "Targets", "augment", "make_targets"]

MAX_OBJECTS = 16
_GAUSSIAN_ALPHA = 0.54


@dataclass
class Targets:
    heatmap: np.ndarray  # (n, classes, h, w) float32 in 0..1, exactly 1 at centres
    index: np.ndarray  # (n, MAX_OBJECTS) int64 flat cell index of each centre
    size: np.ndarray  # (n, MAX_OBJECTS, 2) log(width, height) in output cells
    offset: np.ndarray  # (n, MAX_OBJECTS, 2) centre minus its cell, 0..1
    mask: np.ndarray  # (n, MAX_OBJECTS) float32, 1 where an object is


def augment(
    x: np.ndarray, boxes: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One of the 8 flips/rotations of a square ``x[c, s, s]`` with its boxes (cls, x0, y0,
    x1, y1)."""
    size = x.shape[-1]
    b = boxes.copy()
    if rng.random() < 0.5:  # transpose: swap axes
        x = x.transpose(0, 2, 1)
        b[:, [1, 2, 3, 4]] = b[:, [2, 1, 4, 3]]
    if rng.random() < 0.5:  # left-right
        x = x[:, :, ::-1]
        b[:, [1, 3]] = size - b[:, [3, 1]]
    if rng.random() < 0.5:  # up-down
        x = x[:, ::-1, :]
        b[:, [2, 4]] = size - b[:, [4, 2]]
    return np.ascontiguousarray(x), b


def make_targets(
    boxes: list[np.ndarray], classes: int, out_h: int, out_w: int, stride: int
) -> Targets:
    n = len(boxes)
    heatmap = np.zeros((n, classes, out_h, out_w), np.float32)
    index = np.zeros((n, MAX_OBJECTS), np.int64)
    size = np.zeros((n, MAX_OBJECTS, 2), np.float32)
    offset = np.zeros((n, MAX_OBJECTS, 2), np.float32)
    mask = np.zeros((n, MAX_OBJECTS), np.float32)
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    for i, image_boxes in enumerate(boxes):
        for k, (cls, x0, y0, x1, y1) in enumerate(image_boxes[:MAX_OBJECTS]):
            w, h = (x1 - x0) / stride, (y1 - y0) / stride
            if w <= 0 or h <= 0:
                continue
            cx, cy = (x0 + x1) / 2 / stride, (y0 + y1) / 2 / stride
            col = min(int(cx), out_w - 1)
            row = min(int(cy), out_h - 1)
            sx, sy = max(_GAUSSIAN_ALPHA * w / 6, 0.5), max(_GAUSSIAN_ALPHA * h / 6, 0.5)
            bump = np.exp(-((xs - col) ** 2) / (2 * sx * sx) - ((ys - row) ** 2) / (2 * sy * sy))
            plane = heatmap[i, int(cls) - 1]
            np.maximum(plane, bump, out=plane)
            plane[row, col] = 1.0
            index[i, k] = row * out_w + col
            size[i, k] = np.log(max(w, 0.25)), np.log(max(h, 0.25))
            offset[i, k] = cx - col, cy - row
            mask[i, k] = 1.0
    return Targets(heatmap, index, size, offset, mask)
