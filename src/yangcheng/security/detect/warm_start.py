"""A trainable CenterNet from a shipped ONNX file, so training can go on from the model
``make run`` serves instead of from scratch.

Only the ONNX graph ships (a few MB); its exporter folded every BatchNorm into the
convolution before it. The folded weights go back into the convolutions, and each
BatchNorm is then set to the statistics its input really has on training images, with scale
and shift chosen so that the eval-mode network computes exactly what the ONNX graph
computes. Batch statistics during training are then close to the running ones, so the first
steps do not throw the learnt function away.

A model may go on with more input channels than its start took (the detail channel,
``inputs.DETAIL_CHANNEL``): the first convolution's weights for the new channels start at
zero, so the continued model starts computing exactly what its start did and training finds
out what the new channels are worth. Folding left that convolution's weights at least 14x
larger than any other layer's (mean |w| ~2 against 0.005-0.14: its inputs vary little, so
its BatchNorm scaled up a lot), and Adam moves a weight by about the learning rate a step
whatever its size: a zero-started channel there stayed at 0.5 % of its neighbours after 1,200
steps at 3e-4. Its weights are therefore scaled back to a fresh convolution's size per output
channel, the scale moved into the BatchNorm after it, which leaves the function as it was.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from yangcheng.security.detect.inputs import with_input_channels
from yangcheng.security.detect.model import CenterNet

__all__ = ["model_from_onnx"]


def _convs_in_call_order(model: CenterNet, x: torch.Tensor) -> list[nn.Conv2d]:
    order: list[nn.Conv2d] = []
    hooks = [
        m.register_forward_hook(lambda m, _i, _o: order.append(m))
        for m in model.modules()
        if isinstance(m, nn.Conv2d)
    ]
    with torch.no_grad():
        model.eval()(x)
    for h in hooks:
        h.remove()
    return order


def _batchnorm_after(model: CenterNet) -> dict[nn.Conv2d, nn.BatchNorm2d]:
    """Each bias-free convolution's BatchNorm: the module right after it in its block."""
    pairs: dict[nn.Conv2d, nn.BatchNorm2d] = {}
    modules = list(model.modules())
    for m, following in itertools.pairwise(modules):
        if isinstance(m, nn.Conv2d) and m.bias is None:
            if not isinstance(following, nn.BatchNorm2d):
                raise ValueError(f"a bias-free convolution without a BatchNorm after it: {m}")
            pairs[m] = following
    return pairs


def model_from_onnx(path: Path, calibration: np.ndarray, width: int = 32) -> CenterNet:
    """The CenterNet whose eval-mode forward equals ``path``'s graph; ``calibration`` is a
    batch of network inputs ``[n, c, h, w]`` (a few dozen training images) for the
    BatchNorm statistics. With more channels ``c`` than the graph takes, the extra ones
    get zero weights."""
    graph = onnx.load(str(path)).graph
    weights = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    gemms = [n for n in graph.node if n.op_type == "Gemm"]
    heatmap = weights.get("model.heatmap.bias")
    if heatmap is None or len(gemms) != 1:
        raise ValueError(f"{path} is not an exported xray-centernet graph")
    x = torch.from_numpy(np.asarray(calibration, np.float32))
    model = CenterNet(int(heatmap.shape[0]), in_channels=int(x.shape[1]), width=width)
    order = _convs_in_call_order(model, x[:1])
    if len(order) != len(convs):
        raise ValueError(
            f"{path} has {len(convs)} convolutions; a width-{width} CenterNet has {len(order)}"
        )
    norms = _batchnorm_after(model)
    with torch.no_grad():
        for module, node in zip(order, convs, strict=True):
            folded = weights[node.input[1]]
            b = torch.from_numpy(weights[node.input[2]].copy())
            gain = torch.ones(folded.shape[0])
            if module is order[0] and folded.shape[1] < module.weight.shape[1]:
                folded = with_input_channels(folded, module.weight.shape[1])
                w, gain = _at_fresh_scale(torch.from_numpy(folded))
            else:
                w = torch.from_numpy(folded.copy())
            if w.shape != module.weight.shape:
                raise ValueError(
                    f"{path}: convolution {node.name} is {tuple(w.shape)}, "
                    f"expected {tuple(module.weight.shape)}"
                )
            module.weight.copy_(w)
            if module.bias is not None:
                module.bias.copy_(b)
                continue
            bn = norms[module]
            mean, var = _running(bn)
            bn.weight.copy_(gain)
            bn.bias.copy_(b)
            mean.zero_()
            var.fill_(1.0 - bn.eps)
        gemm = gemms[0]
        model.bag.weight.copy_(torch.from_numpy(weights[gemm.input[1]].copy()))
        model.bag.bias.copy_(torch.from_numpy(weights[gemm.input[2]].copy()))
        _calibrate(model, x, norms)
    return model


def _at_fresh_scale(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The first convolution's weights with each output channel scaled to a freshly
    initialised convolution's RMS, and the gain per output channel that undoes it."""
    fan_in = w[0].numel()
    fresh_rms = 1.0 / math.sqrt(3.0 * fan_in)  # PyTorch's default U(-1/sqrt(fan_in), ...)
    gain = w.flatten(1).pow(2).mean(dim=1).sqrt().clamp(min=1e-12) / fresh_rms
    return w / gain[:, None, None, None], gain


def _calibrate(model: CenterNet, x: torch.Tensor, norms: dict[nn.Conv2d, nn.BatchNorm2d]) -> None:
    stats: dict[nn.Conv2d, tuple[torch.Tensor, torch.Tensor]] = {}

    def keep(conv: nn.Module, _inputs: object, y: torch.Tensor) -> None:
        assert isinstance(conv, nn.Conv2d)
        stats[conv] = (y.mean(dim=(0, 2, 3)), y.var(dim=(0, 2, 3), unbiased=False))

    hooks = [conv.register_forward_hook(keep) for conv in norms]
    model.eval()(x)
    for h in hooks:
        h.remove()
    for conv, bn in norms.items():
        mean, var = stats[conv]
        shift = bn.bias.clone()  # the folded convolution's bias
        gain = bn.weight.clone()  # what the convolution's weights were divided by
        running_mean, running_var = _running(bn)
        running_mean.copy_(mean)
        running_var.copy_(var)
        bn.weight.copy_(gain * torch.sqrt(var + bn.eps))
        bn.bias.copy_(gain * mean + shift)


def _running(bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError(f"{bn} keeps no running statistics")
    return bn.running_mean, bn.running_var
