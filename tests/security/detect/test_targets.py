from __future__ import annotations

import numpy as np

from yangcheng.security.detect.targets import augment, make_targets


def test_a_box_becomes_a_peak_with_its_size_and_offset() -> None:
    boxes = [np.array([[3, 10, 20, 50, 36]], np.float32), np.zeros((0, 5), np.float32)]
    t = make_targets(boxes, classes=5, out_h=16, out_w=16, stride=4)
    assert t.heatmap.shape == (2, 5, 16, 16)
    row, col = divmod(int(t.index[0, 0]), 16)
    assert (row, col) == (7, 7) and t.heatmap[0, 2, row, col] == 1.0
    assert t.heatmap[0, 2].sum() > 1 and t.heatmap[0, [0, 1, 3, 4]].max() == 0
    assert np.allclose(np.exp(t.size[0, 0]), [10, 4])
    assert np.allclose(t.offset[0, 0], [0.5, 0.0])
    assert t.mask[0].sum() == 1 and t.mask[1].sum() == 0 and t.heatmap[1].max() == 0


def test_flips_move_the_boxes_with_the_pixels() -> None:
    x = np.zeros((3, 64, 64), np.float32)
    x[:, 10:20, 30:50] = 1.0
    boxes = np.array([[1, 30, 10, 50, 20]], np.float32)
    for seed in range(16):
        y, b = augment(x, boxes, np.random.default_rng(seed))
        _, x0, y0, x1, y1 = b[0]
        rows, cols = np.nonzero(y[0])
        assert (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1) == (x0, y0, x1, y1)
