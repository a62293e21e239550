"""Averaging a continued run with its start: the mean of the weights, checked provenance,
and refusals naming what does not match."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from yangcheng.security.detect.average import AVERAGE_KEY, average_onnx, average_with_start
from yangcheng.security.detect.model import CenterNet
from yangcheng.security.detect.model_files import ModelFiles
from yangcheng.security.detect.train import export_onnx


def _exported(path: Path, seed: int, width: int = 8) -> Path:
    torch.manual_seed(seed)
    export_onnx(CenterNet(5, width=width).eval(), path)
    return path


def _weights(path: Path) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}


def test_the_mean_is_taken_weight_by_weight(tmp_path: Path) -> None:
    end, start = _exported(tmp_path / "end.onnx", 1), _exported(tmp_path / "start.onnx", 2)
    out = tmp_path / "mean.onnx"
    average_onnx(end, start, out, weight=0.25)
    a, b, mean = _weights(end), _weights(start), _weights(out)
    assert set(mean) == set(a) and len(mean) > 10
    floats = [name for name in a if np.issubdtype(a[name].dtype, np.floating)]
    for name in floats:
        np.testing.assert_allclose(mean[name], 0.25 * a[name] + 0.75 * b[name], atol=1e-6)
    assert any(not np.allclose(mean[n], a[n]) for n in floats)


def test_different_networks_are_refused(tmp_path: Path) -> None:
    end = _exported(tmp_path / "end.onnx", 1)
    wider = _exported(tmp_path / "wide.onnx", 1, width=16)
    with pytest.raises(ValueError, match=r"wide\.onnx"):
        average_onnx(end, wider, tmp_path / "mean.onnx")
    with pytest.raises(ValueError, match="weight"):
        average_onnx(end, end, tmp_path / "mean.onnx", weight=0.0)
    assert not (tmp_path / "mean.onnx").exists()


def test_a_run_with_an_added_input_averages_with_a_zero_weight_start(tmp_path: Path) -> None:
    start = _exported(tmp_path / "start.onnx", 2)
    torch.manual_seed(1)
    end = tmp_path / "end.onnx"
    export_onnx(CenterNet(5, in_channels=4, width=8).eval(), end)
    out = tmp_path / "mean.onnx"
    average_onnx(end, start, out)
    a, b, mean = _weights(end), _weights(start), _weights(out)
    padded = [n for n in a if a[n].shape != b[n].shape]
    assert len(padded) == 1 and a[padded[0]].shape[1] == 4
    (name,) = padded
    np.testing.assert_allclose(mean[name][:, :3], (a[name][:, :3] + b[name]) / 2, atol=1e-6)
    np.testing.assert_allclose(mean[name][:, 3], a[name][:, 3] / 2, atol=1e-6)
    with pytest.raises(ValueError, match="weight"):  # a start may not take more inputs
        average_onnx(start, end, tmp_path / "other.onnx")


def _run_card(run: ModelFiles, start: Path) -> None:
    card = {
        "name": "xray-centernet",
        "training": {
            "config": {"epochs": 1},
            "continued_from": {
                "model": start.name,
                "sha256": hashlib.sha256(start.read_bytes()).hexdigest(),
            },
        },
        "operating_point": {"threshold": 0.5},
        "validation": {"map50": 0.5},
        "test": {"test-standard": {}},
    }
    run.card_path.write_text(json.dumps(card))


def test_the_card_records_the_average_and_drops_the_old_figures(tmp_path: Path) -> None:
    start = _exported(tmp_path / "start.onnx", 2)
    run = ModelFiles.at(_exported(tmp_path / "run" / "m.onnx", 1))
    _run_card(run, start)
    out = ModelFiles.at(tmp_path / "out" / "m.onnx")
    average_with_start(run, start, out, 0.5)
    card = out.card()
    assert card["training"][AVERAGE_KEY] == {"weight": 0.5}
    assert card["training"]["config"] == {"epochs": 1}
    assert not {"operating_point", "validation", "test"} & set(card)
    with pytest.raises(ValueError, match="already an average"):
        average_with_start(out, start, ModelFiles.at(tmp_path / "again" / "m.onnx"), 0.5)


def test_a_start_that_is_not_the_runs_is_refused(tmp_path: Path) -> None:
    start = _exported(tmp_path / "start.onnx", 2)
    other = _exported(tmp_path / "other.onnx", 3)
    run = ModelFiles.at(_exported(tmp_path / "run" / "m.onnx", 1))
    _run_card(run, start)
    out = ModelFiles.at(tmp_path / "out" / "m.onnx")
    with pytest.raises(ValueError, match=r"other\.onnx is not the model"):
        average_with_start(run, other, out, 0.5)
    assert not out.onnx.exists()
