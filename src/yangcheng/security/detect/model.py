"""The network: a compact CenterNet (objects as centre points) written here, ~1 M parameters.

Centre-point detection needs no anchors and no NMS over box pairs, which keeps both the
training code and the ONNX graph small; a residual backbone with a feature pyramid back to
stride 4 sees a 500 mm baton whole and a 10 mm cartridge as a few output cells. Only
PyTorch is needed to train it; serving uses the exported ONNX graph.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from yangcheng.security.detect.inputs import OUTPUT_STRIDE

__all__ = ["OUTPUT_STRIDE", "CenterNet", "ExportWrapper"]


def _conv(c_in: int, c_out: int, stride: int = 1, k: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class _Residual(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c, c, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(inplace=True),
            nn.Conv2d(c, c, 3, 1, 1, bias=False),
            nn.BatchNorm2d(c),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


def _stage(c_in: int, c_out: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(_conv(c_in, c_out, 2), *(_Residual(c_out) for _ in range(blocks)))


class CenterNet(nn.Module):
    """``x[n, in_channels, h, w]`` (h, w multiples of 32) -> heatmap logits
    ``[n, classes, h/4, w/4]``,
    box size ``[n, 2, h/4, w/4]`` (width, height in output cells, log scale), the centre's
    sub-cell offset ``[n, 2, h/4, w/4]`` and the bag's threat logit ``[n, 1]``."""

    def __init__(self, classes: int, in_channels: int = 3, width: int = 32) -> None:
        super().__init__()
        c2, c3, c4, c5 = width, width * 2, width * 3, width * 4
        self.classes = classes
        self.in_channels = in_channels
        self.stem = nn.Sequential(_conv(in_channels, 24, 2), _conv(24, c2, 2))
        self.c3 = _stage(c2, c3, 1)
        self.c4 = _stage(c3, c4, 2)
        self.c5 = _stage(c4, c5, 2)
        f = 48
        self.lateral = nn.ModuleList(nn.Conv2d(c, f, 1) for c in (c2, c3, c4, c5))
        self.smooth = nn.ModuleList(_conv(f, f) for _ in range(3))
        self.heatmap = nn.Conv2d(f, classes, 1)
        self.size = nn.Conv2d(f, 2, 1)
        self.offset = nn.Conv2d(f, 2, 1)
        self.bag = nn.Linear(f + c5, 1)
        assert self.heatmap.bias is not None
        nn.init.constant_(self.heatmap.bias, -4.6)  # prior 1 %: focal loss starts stable

    def forward(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        p2 = self.stem(x)
        p3 = self.c3(p2)
        p4 = self.c4(p3)
        p5 = self.c5(p4)
        top = self.lateral[3](p5)
        for level, lateral, smooth in zip(
            (p4, p3, p2),
            (self.lateral[2], self.lateral[1], self.lateral[0]),
            self.smooth,
            strict=True,
        ):
            top = smooth(lateral(level) + F.interpolate(top, size=level.shape[-2:]))
        # the bag head: is anything prohibited in this bag at all? Trained on the very
        # question the alarm answers, from the finest map's strongest response and the
        # coarsest map's context.
        pooled = torch.cat([top.amax(dim=(2, 3)), p5.mean(dim=(2, 3))], dim=1)
        return self.heatmap(top), self.size(top), self.offset(top), self.bag(pooled)


class ExportWrapper(nn.Module):
    """What the ONNX graph computes: class scores (sigmoid) kept only at local maxima, so the
    decoder outside the graph is a top-k over peaks."""

    def __init__(self, model: CenterNet) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        logits, size, offset, bag = self.model(x)
        scores = torch.sigmoid(logits)
        peaks = F.max_pool2d(scores, 3, stride=1, padding=1)
        return scores * (scores == peaks).to(scores.dtype), size, offset, torch.sigmoid(bag)
