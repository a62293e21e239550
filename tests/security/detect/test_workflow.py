"""The whole training command on a toy budget: simulate, train, export, validate, card."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from yangcheng.cli import app
from yangcheng.security.dataset import SIMULATOR_VERSION, XrayBaggageDataset
from yangcheng.security.detect.infer import ALARM_RULES, XrayDetector
from yangcheng.security.detect.inputs import input_channels
from yangcheng.security.detect.model_files import ModelFiles


def test_train_command_makes_a_servable_model_with_its_card(tmp_path: Path) -> None:
    args = [
        "security",
        "train",
        "--out",
        str(tmp_path / "m"),
        "--cache",
        str(tmp_path / "c"),
        "--train-images",
        "4",
        "--hard-images",
        "2",
        "--val-images",
        "3",
        "--val-hard-images",
        "1",
        "--epochs",
        "1",
        "--batch-size",
        "3",
        "--workers",
        "1",
        "--threads",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "threshold" in result.output and "AP@0.5 per class" in result.output
    files = ModelFiles.at(tmp_path / "m" / "xray-centernet-v1.onnx")
    card = json.loads(files.card_path.read_text())
    assert card["training"]["train_split"]["parts"] == [[101, 4, False], [102, 2, True]]
    assert card["validation"]["images"] == 4 and len(card["classes"]) == 23
    assert files.flips == ("none", "left_right", "up_down", "both")
    assert 0 <= files.threshold <= 1
    assert card["operating_point"]["box_threshold"] == files.box_threshold
    assert len(list((tmp_path / "c" / f"sim{SIMULATOR_VERSION}" / "train").glob("*.npz"))) == 2

    detector = XrayDetector(files, min_score=0.0)
    image, _ = XrayBaggageDataset(5, 1).scan(0)
    bag = detector.detect(image.low, image.high)
    assert len(bag.detections) == detector.max_detections
    assert all(0 <= d.box_xywh[0] <= 512 and d.box_xywh[2] > 0 for d in bag.detections)
    assert bag.alarm == (bag.bag_score >= files.threshold)
    assert set(bag.timings_ms) == {"preprocess", "network"}
    assert np.all(np.diff([d.score for d in bag.detections]) <= 0)

    again = CliRunner().invoke(app, args)  # resumes: shards and checkpoint reused
    assert again.exit_code == 0, again.output

    card["test"] = {"test-standard": {"stale": True}}
    files.card_path.write_text(json.dumps(card))
    calibrate = [
        "security",
        "calibrate",
        "--model",
        str(files.onnx),
        "--cache",
        str(tmp_path / "c"),
        "--val-images",
        "3",
        "--val-hard-images",
        "1",
        "--workers",
        "1",
    ]
    recalibrated = CliRunner().invoke(app, [*calibrate, "--flips", "none,up_down"])
    assert recalibrated.exit_code == 0, recalibrated.output
    assert "alarm rule" in recalibrated.output and "views none, up_down" in recalibrated.output
    card = json.loads(files.card_path.read_text())
    assert "test" not in card and card["operating_point"]["alarm_rule"] in ALARM_RULES
    split = card["operating_point"]["validation_split"]  # the bags the threshold came from
    assert split == {"name": "validation", "parts": [[201, 3, False], [202, 1, True]]}
    assert files.flips == ("none", "up_down")
    bad_view = CliRunner().invoke(app, [*calibrate, "--flips", "none,sideways"])
    assert bad_view.exit_code == 2 and "sideways" in bad_view.output
    assert files.flips == ("none", "up_down")  # a refused request leaves the card alone

    out = args.index("--out") + 1
    more = [*args[:out], str(tmp_path / "m2"), *args[out + 1 :], "--init-from", str(files.onnx)]
    continued = CliRunner().invoke(app, [*more, "--train-seeds", "103,104"])
    assert continued.exit_code == 0, continued.output
    training = ModelFiles.at(tmp_path / "m2" / "xray-centernet-v1.onnx").card()["training"]
    assert training["train_split"]["parts"] == [[103, 4, False], [104, 2, True]]
    assert (
        len(list((tmp_path / "c" / f"sim{SIMULATOR_VERSION}" / "train").glob("*.npz"))) == 4
    )  # the fresh bags' shards
    assert training["config"]["init_from"] == files.onnx.name
    digest = hashlib.sha256(files.onnx.read_bytes()).hexdigest()
    assert training["continued_from"]["sha256"] == digest
    assert training["continued_from"]["training"] == card["training"]

    run = tmp_path / "m2" / "xray-centernet-v1.onnx"
    average = ["security", "average", "--model", str(run), "--out", str(tmp_path / "m3")]
    average += ["--cache", str(tmp_path / "c"), "--val-images", "3", "--val-hard-images", "1"]
    wrong = CliRunner().invoke(app, [*average, "--start", str(run), "--workers", "1"])
    assert wrong.exit_code == 2 and "--start" in wrong.output, wrong.output
    mean = CliRunner().invoke(app, [*average, "--start", str(files.onnx), "--workers", "1"])
    assert mean.exit_code == 0, mean.output
    averaged = ModelFiles.at(tmp_path / "m3" / "xray-centernet-v1.onnx").card()
    assert averaged["training"]["averaged_with_start"] == {"weight": 0.5}
    assert averaged["operating_point"]["validation_split"]["parts"][0] == [201, 3, False]

    # the detail channel: its own shards, four inputs, served and averaged with its start
    detail = [*args[:out], str(tmp_path / "d"), *args[out + 1 :], "--init-from", str(files.onnx)]
    detailed = CliRunner().invoke(app, [*detail, "--detail"])
    assert detailed.exit_code == 0, detailed.output
    shards = sorted((tmp_path / "c" / f"sim{SIMULATOR_VERSION}" / "train+detail").glob("*.npz"))
    assert len(shards) == 2 and np.load(shards[0])["x"].shape[1:] == (4, 256, 256)
    four = ModelFiles.at(tmp_path / "d" / "xray-centernet-v1.onnx")
    assert four.card()["inputs"] == list(input_channels(True)) and four.detail
    assert four.card()["training"]["config"]["detail"] is True
    assert XrayDetector(four).detect(image.low, image.high).bag_probability is not None
    with pytest.raises(ValueError, match="takes 4 channels"):
        XrayDetector(four).detect_input(np.zeros((3, 64, 64), np.float32))
    mixed = ["security", "average", "--model", str(four.onnx), "--out", str(tmp_path / "d2")]
    mixed += ["--cache", str(tmp_path / "c"), "--val-images", "3", "--val-hard-images", "1"]
    mean4 = CliRunner().invoke(app, [*mixed, "--start", str(files.onnx), "--workers", "1"])
    assert mean4.exit_code == 0, mean4.output
    assert ModelFiles.at(tmp_path / "d2" / "xray-centernet-v1.onnx").detail


def test_evaluate_refuses_unknown_sets_and_missing_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # rich wraps errors at the width: keep phrases whole
    bad_set = CliRunner().invoke(app, ["security", "evaluate", "--sets", "easy"])
    assert bad_set.exit_code == 2 and "--sets" in bad_set.output
    missing = CliRunner().invoke(app, ["security", "evaluate", "--model", str(tmp_path / "x.onnx")])
    assert missing.exit_code == 2 and "no such model" in missing.output
    no_start = CliRunner().invoke(
        app, ["security", "train", "--init-from", str(tmp_path / "x.onnx")]
    )
    assert no_start.exit_code == 2 and "--init-from" in no_start.output
    for seeds, why in (("101", "two integer seeds"), ("101,202", "validation bags")):
        bad_seeds = CliRunner().invoke(app, ["security", "train", "--train-seeds", seeds])
        assert bad_seeds.exit_code == 2 and why in bad_seeds.output, bad_seeds.output
    bad_focus = CliRunner().invoke(app, ["security", "train", "--focus", "razor_blade,toaster"])
    assert bad_focus.exit_code == 2 and "'toaster'" in bad_focus.output, bad_focus.output
    no_card = CliRunner().invoke(
        app, ["security", "calibrate", "--model", str(tmp_path / "x.onnx")]
    )
    assert no_card.exit_code == 2 and "its card" in no_card.output


def test_detect_command_prints_the_verdict_and_saves_the_picture(tmp_path: Path) -> None:
    picture = tmp_path / "bag.png"
    result = CliRunner().invoke(
        app, ["security", "detect", "--seed", "20261126", "--index", "3", "--save", str(picture)]
    )
    assert result.exit_code == 0, result.output
    assert ("ALARM" in result.output) or ("clear" in result.output)
    import cv2

    drawn = cv2.imread(str(picture))
    assert drawn is not None and drawn.shape == (512, 512, 3)


def test_detect_command_names_a_missing_energy(tmp_path: Path) -> None:
    low = tmp_path / "low.png"
    low.write_bytes(b"not a png")
    result = CliRunner().invoke(app, ["security", "detect", "--low", str(low)])
    assert result.exit_code == 2 and "high_png_base64 is missing" in result.output
