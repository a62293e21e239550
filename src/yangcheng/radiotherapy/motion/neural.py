"""A small MLP on delay embeddings, trained in PyTorch, served through ONNX Runtime.

The network is *univariate and pooled*: every marker coordinate of every training trace is
a sample stream, inputs are the last ``window`` displacements ``x_t - x_{t-k}`` of one
coordinate divided by that coordinate's scale (RMS one-step change times the horizon), the
output is the scaled displacement ``h`` steps ahead. Pooling gives the network ~80 streams
to learn the (nonlinear) shape of breathing cycles from, far more than one sequence's
linear model could use. It does not adapt online; ``Blend`` averages it with the online
RLS filter, which does.
"""

from __future__ import annotations

import json
import os
import warnings
from collections import deque
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch

from yangcheng.radiotherapy.motion.predictors import (
    InvalidPredictorInput,
    Predictor,
    _check_series,
)

__all__ = ["Blend", "OnnxMLPPredictor", "export_mlp_onnx", "train_pooled_mlp"]

ONNX_OPSET = 17
_METADATA_KEY = "yangcheng.motion"


def _scale(train: np.ndarray, horizon_steps: int) -> np.ndarray:
    step = np.sqrt((np.diff(train, axis=0) ** 2).mean(axis=0))
    return np.maximum(step * horizon_steps, 1e-3)


def _windows(series: np.ndarray, horizon_steps: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    scale = _scale(series, horizon_steps)
    ts = np.arange(window, series.shape[0] - horizon_steps)
    feats = np.stack([series[ts] - series[ts - k] for k in range(1, window + 1)], axis=-1)
    target = (series[ts + horizon_steps] - series[ts]) / scale
    return (feats / scale[:, None]).reshape(-1, window), target.reshape(-1)


def train_pooled_mlp(
    series: Sequence[np.ndarray],
    horizon_steps: int,
    window: int = 10,
    hidden: int = 64,
    epochs: int = 30,
    seed: int = 0,
) -> torch.nn.Module:
    """Fit the MLP on all coordinates of the given ``(T, d)`` traces (training parts only)."""
    if horizon_steps < 1 or window < 1:
        raise InvalidPredictorInput(f"horizon_steps ({horizon_steps}), window ({window}) < 1")
    pairs = [
        _windows(
            _check_series(s, "train_pooled_mlp", window + horizon_steps + 2), horizon_steps, window
        )
        for s in series
    ]
    X = torch.tensor(np.concatenate([p[0] for p in pairs]), dtype=torch.float32)
    Y = torch.tensor(np.concatenate([p[1] for p in pairs]), dtype=torch.float32)
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(window, hidden),
        torch.nn.Tanh(),
        torch.nn.Linear(hidden, hidden),
        torch.nn.Tanh(),
        torch.nn.Linear(hidden, 1),
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(X.shape[0], generator=gen)
        for i in range(0, X.shape[0], 256):
            idx = perm[i : i + 256]
            loss = ((net(X[idx]).squeeze(1) - Y[idx]) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    net.window = window  # type: ignore[assignment]
    net.horizon_steps = horizon_steps  # type: ignore[assignment]
    return net


def export_mlp_onnx(net: torch.nn.Module, path: Path | str) -> Path:
    """Write the network as ONNX (dynamic batch) with its window and horizon in metadata."""
    window, horizon = int(net.window), int(net.horizon_steps)  # type: ignore[arg-type]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        torch.onnx.export(
            net,
            (torch.zeros(1, window),),
            str(tmp),
            input_names=["displacements"],
            output_names=["ahead"],
            dynamic_axes={"displacements": {0: "batch"}, "ahead": {0: "batch"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    graph = onnx.load(str(tmp))
    entry = graph.metadata_props.add()
    entry.key = _METADATA_KEY
    entry.value = json.dumps({"window": window, "horizon_steps": horizon})
    onnx.save(graph, str(tmp))
    os.replace(tmp, path)
    return path


class OnnxMLPPredictor(Predictor):
    """Streams the exported MLP: one ONNX Runtime call per sample for all coordinates."""

    def __init__(self, horizon_steps: int, model_path: Path | str, threads: int = 1) -> None:
        super().__init__(horizon_steps)
        self.model_path = Path(model_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(self.model_path), options, providers=["CPUExecutionProvider"]
        )
        meta = self._session.get_modelmeta().custom_metadata_map.get(_METADATA_KEY)
        if meta is None:
            raise InvalidPredictorInput(f"{self.model_path}: not a motion MLP (no metadata)")
        info = json.loads(meta)
        if info["horizon_steps"] != horizon_steps:
            raise InvalidPredictorInput(
                f"{self.model_path}: trained for {info['horizon_steps']} steps, "
                f"asked {horizon_steps}"
            )
        self.window = int(info["window"])
        self._buf: deque[np.ndarray] = deque(maxlen=self.window + 1)

    def fit(self, train: np.ndarray) -> OnnxMLPPredictor:
        arr = _check_series(train, "OnnxMLPPredictor.fit", self.window + 2)
        self.scale_ = _scale(arr, self.horizon_steps)
        self._buf.clear()
        self._buf.extend(arr[-(self.window + 1) :])
        return self

    def update(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        self._buf.append(x)
        if len(self._buf) < self.window + 1:
            return x.copy()
        lags = np.stack([x - self._buf[-1 - k] for k in range(1, self.window + 1)], axis=-1)
        feats = (lags / self.scale_[:, None]).astype(np.float32)
        (out,) = self._session.run(["ahead"], {"displacements": feats})
        return x + out[:, 0].astype(np.float64) * self.scale_


class Blend(Predictor):
    """Weighted average of member predictors (all for the same horizon)."""

    def __init__(self, members: Sequence[Predictor], weights: Sequence[float]) -> None:
        if not members or len(members) != len(weights):
            raise InvalidPredictorInput(f"Blend: {len(members)} members, {len(weights)} weights")
        horizons = {m.horizon_steps for m in members}
        if len(horizons) != 1:
            raise InvalidPredictorInput(f"Blend: members have different horizons {horizons}")
        super().__init__(horizons.pop())
        total = float(sum(weights))
        if total <= 0 or min(weights) < 0:
            raise InvalidPredictorInput(
                f"Blend: weights must be >= 0 with a positive sum: {weights}"
            )
        self.members = list(members)
        self.weights = [w / total for w in weights]

    def fit(self, train: np.ndarray) -> Blend:
        for m in self.members:
            m.fit(train)
        return self

    def update(self, x: np.ndarray) -> np.ndarray:
        return sum(w * m.update(x) for w, m in zip(self.weights, self.members, strict=True))  # type: ignore[return-value]
