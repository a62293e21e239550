from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from yangcheng.security.detect.model import CenterNet
from yangcheng.security.detect.train import StepReport, TrainConfig, export_onnx, train
from yangcheng.security.detect.training_data import Batch
from yangcheng.security.detect.warm_start import model_from_onnx


def _trained_like(seed: int = 0) -> CenterNet:
    """A CenterNet whose BatchNorms hold non-trivial statistics, as after training."""
    torch.manual_seed(seed)
    model = CenterNet(5, width=8)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
                m.running_mean.normal_(0, 0.3)
                m.running_var.uniform_(0.5, 2.0)
        model.heatmap.weight.normal_(0, 1)
    return model.eval()


def _inputs(n: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 3, 64, 64), dtype=np.float32)


def test_the_rebuilt_model_computes_what_the_exported_one_did(tmp_path: Path) -> None:
    original = _trained_like()
    path = tmp_path / "m.onnx"
    export_onnx(original, path)
    rebuilt = model_from_onnx(path, _inputs(8), width=8).eval()
    x = torch.from_numpy(_inputs(2, seed=5))
    with torch.no_grad():
        for a, b in zip(original(x), rebuilt(x), strict=True):
            assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()


def test_batch_statistics_start_close_to_the_running_ones(tmp_path: Path) -> None:
    """Training mode normalises by the batch: the statistics set from the calibration
    images keep the first training step's function near the exported one."""
    path = tmp_path / "m.onnx"
    export_onnx(_trained_like(), path)
    calibration = _inputs(16)
    rebuilt = model_from_onnx(path, calibration, width=8)
    x = torch.from_numpy(calibration)
    with torch.no_grad():
        in_eval = torch.sigmoid(rebuilt.eval()(x)[0])
        in_training = torch.sigmoid(rebuilt.train()(x)[0])
    assert (in_eval - in_training).abs().max() < 1e-3


def test_a_graph_of_another_width_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.onnx"
    export_onnx(_trained_like(), path)
    with pytest.raises(ValueError, match="convolution"):
        model_from_onnx(path, _inputs(2), width=16)


def test_training_goes_on_from_an_exported_model(tmp_path: Path) -> None:
    """A run continued from ONNX starts where the exported model stands: its first loss is
    the trained model's, far below a fresh one's."""
    rng = np.random.default_rng(0)
    x = np.zeros((8, 3, 64, 64), np.float16)
    boxes = []
    for i in range(8):
        x0, y0 = rng.integers(4, 40, size=2)
        x[i, :, y0 : y0 + 16, x0 : x0 + 10] = 0.8
        boxes.append(np.array([[1, x0, y0, x0 + 10, y0 + 16]], np.float32))
    data = Batch(x, boxes)
    base = TrainConfig(epochs=30, batch_size=4, warmup_steps=1, width=8, threads=1, lr=5e-3)
    trained: list[StepReport] = []
    first = train(data, tmp_path / "first", base, trained.append)
    path = tmp_path / "first.onnx"
    export_onnx(first, path)
    losses: dict[str, float] = {}
    for name, config in (
        ("fresh", TrainConfig(**{**base.__dict__, "epochs": 1, "checkpoint_every": 1})),
        (
            "continued",
            TrainConfig(
                **{**base.__dict__, "epochs": 1, "checkpoint_every": 1, "init_from": str(path)}
            ),
        ),
    ):
        reports: list[StepReport] = []
        train(data, tmp_path / name, config, reports.append)
        losses[name] = reports[0].heatmap
    assert losses["continued"] < 2 * trained[-1].heatmap < 0.5 * losses["fresh"]


def test_an_added_input_channel_starts_with_zero_weights(tmp_path: Path) -> None:
    """A model continued with the detail channel computes what its start did, whatever the
    new channel holds, until training gives the channel weight."""
    original = _trained_like()
    path = tmp_path / "m.onnx"
    export_onnx(original, path)
    rng = np.random.default_rng(3)
    calibration = np.concatenate([_inputs(8), rng.random((8, 1, 64, 64), np.float32)], axis=1)
    rebuilt = model_from_onnx(path, calibration, width=8).eval()
    assert rebuilt.in_channels == 4
    first = rebuilt.stem[0][0].weight  # scaled to a fresh layer's size so the new channel learns
    assert torch.all(first[:, 3] == 0)
    rms = first.detach().flatten(1).pow(2).mean(dim=1).sqrt()
    assert torch.allclose(rms, torch.full_like(rms, 1 / (3 * 36) ** 0.5), rtol=1e-4)
    x = torch.from_numpy(_inputs(2, seed=5))
    extra = torch.from_numpy(rng.random((2, 1, 64, 64), np.float32))
    with torch.no_grad():
        for a, b in zip(original(x), rebuilt(torch.cat([x, extra], dim=1)), strict=True):
            assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()
    with torch.no_grad():  # and training mode starts near it, as without the new channel
        batch = torch.from_numpy(calibration)
        in_eval = torch.sigmoid(rebuilt.eval()(batch)[0])
        in_training = torch.sigmoid(rebuilt.train()(batch)[0])
    assert (in_eval - in_training).abs().max() < 1e-3
    exported = tmp_path / "four.onnx"
    export_onnx(rebuilt, exported)
    with pytest.raises(ValueError, match="convolution"):  # fewer inputs cannot be taken
        model_from_onnx(exported, _inputs(2), width=8)
