"""Replaying a card's chain of training runs: read in the right order, refused when broken,
and rebuilt on a toy budget run by run, each continued from the last."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yangcheng.cli import app
from yangcheng.security.detect.average import AVERAGE_KEY
from yangcheng.security.detect.model_files import DEFAULT_MODEL, ModelFiles
from yangcheng.security.detect.replay import training_chain


def _run(epochs: int, lr: float, train: int, source: dict[str, Any] | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "config": {"epochs": epochs, "batch_size": 3, "lr": lr, "threads": 1},
        "train_split": {"name": "train", "parts": [[101, train, False], [102, 1, True]]},
        "validation_split": {"name": "validation", "parts": [[201, 2, False], [202, 1, True]]},
    }
    if source is not None:
        entry["config"]["init_from"] = "xray-centernet-v1.onnx"
        entry["continued_from"] = {"model": "xray-centernet-v1.onnx", "training": source}
    return entry


def test_the_shipped_chain_starts_from_scratch_and_grows() -> None:
    chain = training_chain(DEFAULT_MODEL.card()["training"])
    assert len(chain) >= 2
    assert all(stage.config.init_from == "" for stage in chain)
    first, last = chain[0], chain[-1]
    assert first.train_split.parts == ((101, 5000, False), (102, 1500, True))
    sizes = [s.train_split.images for s in chain if s.train_split.parts[0][0] == 101]
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]
    assert last.validation_split.parts == ((201, 3200, False), (202, 800, True))
    # the last seven runs took 12,000 bags of their own seeds: one on simulator 1, two on
    # simulator 2 and four on simulator 3 (two seed pairs, each seen twice); the first two and
    # the last were averaged with their starts
    fresh = [s.train_split.parts for s in chain[-7:]]
    seeds = (103, 105, 107, 111, 113, 111, 113)
    assert fresh == [((seed, 8000, False), (seed + 1, 4000, True)) for seed in seeds]
    averaged = [0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.5]
    assert [s.average_with_start for s in chain] == [0.0] * (len(chain) - 7) + averaged


def test_a_chain_is_read_innermost_first() -> None:
    chain = training_chain(_run(2, 1e-3, 5, _run(1, 2e-3, 3, None)))
    assert [(s.config.epochs, s.config.lr, s.train_split.images) for s in chain] == [
        (1, 2e-3, 4),
        (2, 1e-3, 6),
    ]


@pytest.mark.parametrize(
    ("training", "says"),
    [
        (_run(1, 1e-3, 3, None) | {"config": {"init_from": "x.onnx"}}, "does not record"),
        (
            _run(1, 1e-3, 3, None) | {"continued_from": {"model": "old.onnx", "training": None}},
            "old.onnx",
        ),
        ({"config": {"epochs": 1}}, "train_split"),
        (_run(1, 1e-3, 3, None) | {"config": {"epochs": 1, "dropout": 0.1}}, "dropout"),
        (_run(1, 1e-3, 3, None) | {AVERAGE_KEY: {"weight": 0.5}}, "start it does not have"),
        (_run(1, 1e-3, 3, _run(1, 1e-3, 2, None)) | {AVERAGE_KEY: {"weight": 2}}, "outside"),
    ],
)
def test_a_broken_chain_is_refused_with_the_reason(training: dict[str, Any], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        training_chain(training)


def test_retrain_rebuilds_each_run_from_the_last(tmp_path: Path) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"training": _run(1, 1e-3, 3, _run(1, 2e-3, 2, None))}))
    args = [
        "security",
        "retrain",
        "--card",
        str(card),
        "--out",
        str(tmp_path / "r"),
        "--cache",
        str(tmp_path / "c"),
        "--workers",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "run 1 of 2" in result.output and "run 2 of 2" in result.output
    first = ModelFiles.at(tmp_path / "r" / "stage-1" / "xray-centernet-v1.onnx")
    second = ModelFiles.at(tmp_path / "r" / "stage-2" / "xray-centernet-v1.onnx")
    training = second.card()["training"]
    assert training["train_split"]["parts"] == [[101, 3, False], [102, 1, True]]
    assert training["config"]["lr"] == 1e-3 and training["config"]["batch_size"] == 3
    digest = hashlib.sha256(first.onnx.read_bytes()).hexdigest()
    assert training["continued_from"]["sha256"] == digest
    assert training["continued_from"]["training"]["config"]["lr"] == 2e-3

    before = second.onnx.stat().st_mtime_ns
    again = CliRunner().invoke(app, args)  # both runs finished: nothing is trained again
    assert again.exit_code == 0, again.output
    assert second.onnx.stat().st_mtime_ns == before


def test_an_averaged_run_is_replayed_as_its_mean_with_the_start(tmp_path: Path) -> None:
    averaged = _run(1, 1e-3, 3, _run(1, 2e-3, 2, None)) | {AVERAGE_KEY: {"weight": 0.5}}
    assert [s.average_with_start for s in training_chain(averaged)] == [0.0, 0.5]
    final = {"name": "validation", "parts": [[201, 3, False], [202, 1, True]]}
    card = tmp_path / "card.json"
    card.write_text(
        json.dumps({"training": averaged, "operating_point": {"validation_split": final}})
    )
    args = ["security", "retrain", "--card", str(card), "--out", str(tmp_path / "r")]
    result = CliRunner().invoke(app, [*args, "--cache", str(tmp_path / "c"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    first = ModelFiles.at(tmp_path / "r" / "stage-1" / "xray-centernet-v1.onnx")
    run = ModelFiles.at(tmp_path / "r" / "stage-2" / "run" / "xray-centernet-v1.onnx")
    mean = ModelFiles.at(tmp_path / "r" / "stage-2" / "xray-centernet-v1.onnx")
    assert mean.card()["training"][AVERAGE_KEY] == {"weight": 0.5}
    digest = hashlib.sha256(first.onnx.read_bytes()).hexdigest()
    assert run.card()["training"]["continued_from"]["sha256"] == digest
    assert mean.onnx.read_bytes() not in (run.onnx.read_bytes(), first.onnx.read_bytes())
    # the last model's threshold comes from the split the card's threshold came from
    assert mean.card()["operating_point"]["validation_split"] == final
    assert first.card()["operating_point"]["validation_split"]["parts"][0] == [201, 2, False]


def test_retrain_names_a_card_it_cannot_replay(tmp_path: Path) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"name": "no training here"}))
    for path in (card, tmp_path / "missing.json", tmp_path):
        result = CliRunner().invoke(
            app, ["security", "retrain", "--card", str(path), "--out", str(tmp_path / "r")]
        )
        assert result.exit_code == 2
        assert path.name in result.output


def test_retrain_with_detail_gives_every_run_the_channel_and_keeps_its_folder(
    tmp_path: Path,
) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"training": _run(1, 1e-3, 2, _run(1, 2e-3, 2, None))}))
    args = ["security", "retrain", "--card", str(card), "--out", str(tmp_path / "r")]
    args += ["--cache", str(tmp_path / "c"), "--workers", "1"]
    result = CliRunner().invoke(app, [*args, "--detail"])
    assert result.exit_code == 0, result.output
    for stage in ("stage-1", "stage-2"):
        files = ModelFiles.at(tmp_path / "r" / stage / "xray-centernet-v1.onnx")
        assert files.detail and files.card()["training"]["config"]["detail"] is True
    # the same folder replayed as recorded (3 channels) is refused, not continued from
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "r").rglob("*") if p.is_file()}
    plain = CliRunner().invoke(app, args)
    assert plain.exit_code == 2
    assert "--out" in plain.output and "without" in plain.output
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "r").rglob("*") if p.is_file()} == before
