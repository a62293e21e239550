from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch

from yangcheng.security.detect.model import CenterNet, ExportWrapper
from yangcheng.security.detect.train import (
    StepReport,
    TrainConfig,
    epoch_pool,
    export_onnx,
    train,
)
from yangcheng.security.detect.training_data import Batch

_CONFIG = TrainConfig(epochs=2, batch_size=2, warmup_steps=1, width=8, threads=1,
                      checkpoint_every=2)  # fmt: skip


def _data() -> Batch:
    rng = np.random.default_rng(0)
    x = np.zeros((6, 3, 64, 64), np.float16)
    boxes = []
    for i in range(6):
        x0, y0 = rng.integers(4, 40, size=2)
        x[i, :, y0 : y0 + 16, x0 : x0 + 10] = 0.8
        boxes.append(np.array([[1 + i % 3, x0, y0, x0 + 10, y0 + 16]], np.float32))
    return Batch(x, boxes)


def test_the_onnx_graph_computes_what_torch_does(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = CenterNet(5, width=8).eval()
    with torch.no_grad():  # untrained scores are all ~1 %: spread them so peaks are not ties
        model.heatmap.weight.normal_(0, 3)
    path = tmp_path / "m.onnx"
    export_onnx(model, path)
    x = np.random.default_rng(1).random((1, 3, 96, 64), dtype=np.float32)
    with torch.no_grad():
        expected = [t.numpy() for t in ExportWrapper(model)(torch.from_numpy(x))]
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})
    assert got[0].shape == (1, 5, 24, 16)
    for a, b in zip(got, expected, strict=True):
        assert np.allclose(a, b, atol=1e-4)
    peaks = got[0][0]
    assert np.count_nonzero(peaks) < peaks.size / 4  # scores only at local maxima


class _Stop(Exception):
    pass


def _cut_at_step_two(data: Batch, out: Path, reports: list[StepReport]) -> None:
    """Train until the checkpoint at step 2, as if the run were stopped there."""

    def stop_at_two(report: StepReport) -> None:
        reports.append(report)
        if report.step == 2:
            raise _Stop

    with pytest.raises(_Stop):
        train(data, out, _CONFIG, stop_at_two)


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path: Path) -> None:
    data = _data()
    whole = train(data, tmp_path / "whole", _CONFIG)
    reports: list[StepReport] = []
    _cut_at_step_two(data, tmp_path / "cut", reports)
    resumed = train(data, tmp_path / "cut", _CONFIG, reports.append)
    assert [r.step for r in reports] == [2, 4, 6]
    for a, b in zip(whole.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.allclose(a.float(), b.float(), atol=1e-5)


def test_resuming_with_other_settings_is_refused(tmp_path: Path) -> None:
    train(_data(), tmp_path, _CONFIG)
    other = TrainConfig(**{**_CONFIG.__dict__, "lr": 0.1})
    with pytest.raises(ValueError, match="resume with the same settings"):
        train(_data(), tmp_path, other)


def test_focus_repeats_the_bags_holding_a_focus_class() -> None:
    data = _data()  # classes 1, 2, 3, 1, 2, 3 (knife, gun, gun_part)
    assert epoch_pool(data.boxes, _CONFIG).tolist() == [0, 1, 2, 3, 4, 5]
    focused = TrainConfig(**{**_CONFIG.__dict__, "focus": ("gun",), "focus_repeat": 3})
    pool = epoch_pool(data.boxes, focused)
    assert sorted(pool.tolist()) == [0, 1, 1, 1, 2, 3, 4, 4, 4, 5]


def test_a_focused_run_takes_the_longer_epochs(tmp_path: Path) -> None:
    focused = TrainConfig(**{**_CONFIG.__dict__, "focus": ["knife"], "focus_repeat": 2})
    assert focused.focus == ("knife",)  # as a card's JSON gives it, equal to the checkpoint's
    reports: list[StepReport] = []
    train(_data(), tmp_path, focused, reports.append)
    assert reports[-1].total == 2 * (6 + 2) // 2


def test_focus_names_must_be_classes() -> None:
    with pytest.raises(ValueError, match="'toaster'"):
        TrainConfig(focus=("razor_blade", "toaster"))
    with pytest.raises(ValueError, match="focus_repeat"):
        TrainConfig(focus_repeat=0)


def test_a_checkpoint_from_before_focus_existed_resumes(tmp_path: Path) -> None:
    reports: list[StepReport] = []
    _cut_at_step_two(_data(), tmp_path, reports)
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=False)
    for key in ("focus", "focus_repeat"):
        del state["config"][key]
    torch.save(state, tmp_path / "checkpoint.pt")
    train(_data(), tmp_path, _CONFIG, reports.append)
    assert [r.step for r in reports] == [2, 4, 6]


def test_a_detail_run_needs_the_detail_shards(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="3 channels"):
        train(_data(), tmp_path, TrainConfig(epochs=1, batch_size=2, width=8, detail=True))
