"""Serving the shipped detector with mirrored test-time views."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from yangcheng.security.dataset import XrayBaggageDataset
from yangcheng.security.detect.infer import FLIPS, Detection, XrayDetector, box_alarm
from yangcheng.security.detect.inputs import network_input
from yangcheng.security.detect.model_files import DEFAULT_MODEL, ModelFiles


@pytest.fixture(scope="module")
def bag() -> np.ndarray:
    """A 512x512 bag's network input: 256x256, whole cells, so no padding shifts a mirror."""
    for index in range(20):
        image, annotations = XrayBaggageDataset(11, 20).scan(index)
        if annotations:
            return network_input(image.low, image.high)
    raise AssertionError("no threat bag among the first 20")


def _detector(*flips: str) -> XrayDetector:
    return XrayDetector(DEFAULT_MODEL, threads=1, flips=flips, min_score=0.1)


@pytest.fixture(scope="module")
def doubtful_bag() -> np.ndarray:
    """A bag the network is unsure of, where the views can disagree."""
    plain = _detector("none")
    for index in range(40):
        image, _ = XrayBaggageDataset(12, 40).scan(index)
        x = network_input(image.low, image.high)
        if 0.02 < (plain.detect_input(x)[1] or 0.0) < 0.98:
            return x
    raise AssertionError("no doubtful bag among the first 40")


def test_the_shipped_card_names_its_views() -> None:
    assert DEFAULT_MODEL.flips and set(DEFAULT_MODEL.flips) <= set(FLIPS)
    assert XrayDetector().flips == DEFAULT_MODEL.flips


def test_the_bag_head_is_averaged_over_the_views(doubtful_bag: np.ndarray) -> None:
    alone = [_detector(f).detect_input(doubtful_bag)[1] for f in FLIPS]
    together = _detector(*FLIPS).detect_input(doubtful_bag)[1]
    assert together is not None and None not in alone
    assert together == pytest.approx(float(np.mean(alone)), abs=1e-5)
    assert max(alone) - min(alone) > 1e-3  # the views do differ: averaging is not a no-op


def test_a_mirrored_view_finds_the_boxes_of_the_mirrored_bag(bag: np.ndarray) -> None:
    """Boxes come from the first view mapped back; a left-right view of the bag must give
    what the plain view gives on the mirrored bag, mirrored (offsets included)."""
    mirrored_view = _detector("left_right").detect_input(bag)[0]
    plain_of_mirror = _detector("none").detect_input(np.ascontiguousarray(bag[:, :, ::-1]))[0]
    assert mirrored_view and len(mirrored_view) == len(plain_of_mirror)
    width = bag.shape[2] * 2  # boxes are in the scanner's 1.5 mm pixels
    for a, b in zip(mirrored_view, plain_of_mirror, strict=True):
        assert a.class_id == b.class_id and a.score == pytest.approx(b.score, abs=1e-5)
        x, y, w, h = a.box_xywh
        assert (width - x - w, y, w, h) == pytest.approx(b.box_xywh, abs=1e-2)


def test_the_plain_view_is_what_the_graph_says(bag: np.ndarray) -> None:
    import onnxruntime as ort

    session = ort.InferenceSession(str(DEFAULT_MODEL.onnx), providers=["CPUExecutionProvider"])
    bag_head = session.run(None, {"x": bag[None].astype(np.float32)})[3]
    assert _detector("none").detect_input(bag)[1] == pytest.approx(float(bag_head.reshape(-1)[0]))


def test_unknown_views_are_refused() -> None:
    with pytest.raises(ValueError, match="sideways"):
        XrayDetector(flips=("none", "sideways"))
    with pytest.raises(ValueError, match="none given"):
        XrayDetector(flips=())


def test_older_cards_serve_the_bag_as_scanned(tmp_path: Path) -> None:
    onnx = tmp_path / "old.onnx"
    shutil.copy(DEFAULT_MODEL.onnx, onnx)
    card = DEFAULT_MODEL.card()
    card.pop("test_time_flips", None)
    card["operating_point"].pop("box_threshold", None)
    onnx.with_suffix(".json").write_text(json.dumps(card))
    assert ModelFiles.at(onnx).flips == ("none",)
    assert ModelFiles.at(onnx).box_threshold == DEFAULT_MODEL.threshold


def test_the_shipped_card_marks_boxes_above_its_bag_threshold() -> None:
    """The zero-miss bag threshold is low; a box needs more to be shown as the reason."""
    assert DEFAULT_MODEL.alarm_rule == "bag_head"
    assert 0 < DEFAULT_MODEL.threshold < DEFAULT_MODEL.box_threshold < 1
    assert XrayDetector(DEFAULT_MODEL).box_threshold == DEFAULT_MODEL.box_threshold


def test_a_box_alarms_by_the_rule_the_bag_alarms_by() -> None:
    def det(score: float, consistent: bool = True) -> Detection:
        return Detection(1, "knife", "x", score, (0, 0, 9, 9), 20.0, 1.0, "metal", consistent)

    assert box_alarm(det(0.3), "bag_head", 0.05, 0.25)
    assert not box_alarm(det(0.2), "bag_head", 0.05, 0.25)
    assert not box_alarm(det(0.2), "mean", 0.05, 0.25)
    # Under the detections rule the bag alarms on its best box: the bag threshold is the box's.
    assert box_alarm(det(0.2), "detections", 0.05, 0.25)
    assert box_alarm(det(0.2), "bag_head", 0.05, None)
    assert not box_alarm(det(0.9, consistent=False), "bag_head", 0.05, 0.25)
