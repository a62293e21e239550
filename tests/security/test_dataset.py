from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from yangcheng.cli import app
from yangcheng.security.dataset import (
    HARD_TEST,
    STANDARD_TEST,
    XrayBaggageDataset,
    export_coco,
    write_samples,
)
from yangcheng.security.objects import PROHIBITED

PROHIBITED_IDS = {c.id for c in PROHIBITED}


def test_a_sample_is_the_same_bytes_whenever_it_is_made() -> None:
    a = XrayBaggageDataset(5, 10, size=(128, 128))[3]
    b = XrayBaggageDataset(5, 10, size=(128, 128))[3]
    c = XrayBaggageDataset(6, 10, size=(128, 128))[3]
    assert np.array_equal(a.image.high, b.image.high) and np.array_equal(a.rgb, b.rgb)
    assert not np.array_equal(a.image.high, c.image.high)
    with pytest.raises(IndexError):
        XrayBaggageDataset(5, 10)[10]


def test_a_scene_is_the_scanned_bag_with_its_benign_objects_placed() -> None:
    bags = XrayBaggageDataset(5, 10, size=(128, 128))
    image, annotations = bags.scan(4)
    again, scene = bags.scene(4)
    assert np.array_equal(image.low, again.low) and np.array_equal(image.high, again.high)
    assert [a.bbox_xywh for a in scene.annotations] == [a.bbox_xywh for a in annotations]
    benign = [p for p in scene.placements if p.annotation is None]
    assert benign and all(p.sprite.class_id not in PROHIBITED_IDS for p in benign)
    assert sum(p.annotation is not None for p in scene.placements) == len(annotations)
    with pytest.raises(IndexError):
        bags.scene(10)


def test_the_test_sets_are_fixed_and_apart() -> None:
    assert (STANDARD_TEST.seed, len(STANDARD_TEST), STANDARD_TEST.hard) == (20261126, 2000, False)
    assert (HARD_TEST.seed, len(HARD_TEST), HARD_TEST.hard) == (20261127, 500, True)
    assert STANDARD_TEST.card().seed == 20261126


def test_writing_resumes_and_coco_matches_the_files(tmp_path: Path) -> None:
    dataset = XrayBaggageDataset(1, 6, size=(160, 160))
    assert write_samples(dataset, tmp_path, range(3)) == 3
    assert write_samples(dataset, tmp_path, range(6)) == 3  # the first three were kept
    coco = export_coco(dataset, tmp_path)
    assert len(coco["images"]) == 6
    assert {c["id"] for c in coco["categories"]} == {c.id for c in PROHIBITED}
    for image in coco["images"]:
        assert (tmp_path / image["file_name"]).exists()
        high = cv2.imread(str(tmp_path / image["file_name"].replace("_rgb", "_high")), -1)
        assert high.dtype == np.uint16 and high.shape == (160, 160)
    for ann in coco["annotations"]:
        x, y, w, h = ann["bbox"]
        assert w > 0 and h > 0 and ann["area"] <= w * h
        xs, ys = np.array(ann["segmentation"][0][0::2]), np.array(ann["segmentation"][0][1::2])
        assert xs.min() >= x - 1 and xs.max() <= x + w and ys.min() >= y - 1 and ys.max() <= y + h
    card = json.loads((tmp_path / "card.json").read_text())
    assert card["seed"] == 1 and card["records"] == 6


def test_generate_command_writes_a_dataset(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    args = ["security", "generate", "--out", str(out), "--images", "4", "--size", "128"]
    result = CliRunner().invoke(app, [*args, "--workers", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert len(list((out / "labels").glob("*.json"))) == 4
    again = CliRunner().invoke(app, [*args, "--workers", "1", "--seed", "3"])
    assert "0 new, 4 already there" in again.output


def test_generate_command_refuses_an_unknown_executor(tmp_path: Path) -> None:
    args = ["security", "generate", "--out", str(tmp_path), "--images", "2", "--executor", "gpu"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--executor" in result.output
    assert not (tmp_path / "labels").exists()


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed")
def test_generate_command_runs_on_ray_with_the_same_bytes(tmp_path: Path) -> None:
    common = ["security", "generate", "--images", "3", "--size", "96", "--seed", "8"]
    ray_run = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "r"), "--executor", "ray"])
    assert ray_run.exit_code == 0, ray_run.output
    local = CliRunner().invoke(app, [*common, "--out", str(tmp_path / "l"), "--executor", "thread"])
    assert local.exit_code == 0, local.output
    for name in ("0000002_high.png", "0000002_rgb.png"):
        assert (tmp_path / "r/images" / name).read_bytes() == (
            tmp_path / "l/images" / name
        ).read_bytes()
