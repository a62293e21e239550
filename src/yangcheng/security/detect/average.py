"""Averaging a continued run's weights with the weights it started from.

A run continued from the shipped model at a low learning rate stays in the same basin, and
the mean of its end and its start is often better than either (weight averaging, as in
"model soups" and WiSE-FT): on the 4,000-bag validation split the shipped weights came out of
such a mean (false alarms at the 1 per mille miss point 59 -> 54 %). The mean is taken over the
exported ONNX initializers, where the export has folded each batch norm into its convolution;
the two graphs must be the same network, except that a run which added input channels (the
detail channel) is averaged with a start whose first convolution gets zero weights for them,
the start as the run itself began. The result's card is the run's card, marked with the
weight, so ``security retrain`` can redo the mean after replaying the run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from yangcheng.security.detect.inputs import with_input_channels
from yangcheng.security.detect.model_files import ModelFiles

__all__ = ["AVERAGE_KEY", "average_onnx", "average_with_start"]

AVERAGE_KEY = "averaged_with_start"
"""The key in a card's ``training`` entry: the run's weights were averaged with its start's."""


def average_onnx(end: Path, start: Path, out: Path, weight: float = 0.5) -> None:
    """Write ``weight * end + (1 - weight) * start`` over every initializer to ``out``."""
    if not 0.0 < weight <= 1.0:
        raise ValueError(f"weight must be in (0, 1], got {weight}")
    a, b = onnx.load(str(end)), onnx.load(str(start))
    ops_a = [n.op_type for n in a.graph.node]
    ops_b = [n.op_type for n in b.graph.node]
    if ops_a != ops_b:
        raise ValueError(f"{end.name} and {start.name} are different networks (layers differ)")
    starts = {t.name: t for t in b.graph.initializer}
    first = _first_weight(a)
    for tensor in a.graph.initializer:
        other = starts.get(tensor.name)
        if other is None:
            raise ValueError(f"{start.name} has no weight {tensor.name!r}")
        x, y = numpy_helper.to_array(tensor), numpy_helper.to_array(other)
        if tensor.name == first and x.ndim == 4 and y.ndim == 4 and y.shape[1] < x.shape[1]:
            y = with_input_channels(y, x.shape[1])
        if x.shape != y.shape or x.dtype != y.dtype:
            raise ValueError(
                f"weight {tensor.name!r} is {x.shape} {x.dtype} in {end.name} but "
                f"{y.shape} {y.dtype} in {start.name}"
            )
        if np.issubdtype(x.dtype, np.floating):
            mean = weight * x.astype(np.float64) + (1.0 - weight) * y.astype(np.float64)
            tensor.CopyFrom(numpy_helper.from_array(mean.astype(x.dtype), tensor.name))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.onnx")
    onnx.save(a, str(tmp))
    tmp.replace(out)


def _first_weight(model: onnx.ModelProto) -> str | None:
    """The weight of the convolution that reads the graph's input."""
    source = model.graph.input[0].name
    for node in model.graph.node:
        if node.op_type == "Conv" and node.input[0] == source:
            return str(node.input[1])
    return None


def average_with_start(run: ModelFiles, start: Path, out: ModelFiles, weight: float) -> None:
    """Average a continued run with the model it went on from, checked by digest, and write
    the card without an operating point: the caller calibrates the mean."""
    card = run.card()
    training: dict[str, Any] = dict(card.get("training") or {})
    recorded = (training.get("continued_from") or {}).get("sha256")
    if recorded is None:
        raise ValueError(f"{run.card_path.name} records no model the run went on from")
    digest = hashlib.sha256(start.read_bytes()).hexdigest()
    if digest != recorded:
        raise ValueError(
            f"{start.name} is not the model {run.onnx.name} went on from (sha256 {digest[:12]} "
            f"against the card's {recorded[:12]})"
        )
    if AVERAGE_KEY in training:
        raise ValueError(f"{run.onnx.name} is already an average with its start")
    average_onnx(run.onnx, start, out.onnx, weight)
    training[AVERAGE_KEY] = {"weight": weight}
    result = {k: v for k, v in card.items() if k not in ("operating_point", "validation", "test")}
    result["training"] = training
    out.card_path.write_text(json.dumps(result, indent=2))
