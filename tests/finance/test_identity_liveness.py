"""Liveness challenges on frames re-measured through dlib, and the pluggable spoof detector."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from yangcheng.finance.identity.face import Face, FaceAnalyzer
from yangcheng.finance.identity.liveness import (
    FrameObservation,
    OnnxSpoofDetector,
    SpoofDetector,
    SpoofModelError,
    UnknownChallenge,
    check_liveness,
    crop_face,
    eye_aspect_ratio,
    head_yaw_deg,
    observe,
)
from yangcheng.finance.identity.sample_faces import compose_frame, customer_portrait

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

# Frame script at 10 fps: (t_s, eyes_closed, yaw_deg). A blink at 0.5 s, a turn to the
# subject's left from 1.0 s and to their right from 1.6 s, frontal otherwise.
SCRIPT = [
    (0.0, False, 0.0),
    (0.1, False, 0.0),
    (0.2, False, 0.0),
    (0.4, False, 0.0),
    (0.5, True, 0.0),
    (0.6, False, 0.0),
    (0.8, False, 0.0),
    (1.0, False, 30.0),
    (1.1, False, 30.0),
    (1.3, False, 0.0),
    (1.6, False, -30.0),
    (1.7, False, -30.0),
    (1.9, False, 0.0),
    (2.0, False, 0.0),
]


@pytest.fixture(scope="module")
def observations(analyzer: FaceAnalyzer) -> list[FrameObservation]:
    astronaut = customer_portrait()
    return [
        observe(analyzer, compose_frame([astronaut], eyes_closed=c, yaw_deg=y, seed=i), t)
        for i, (t, c, y) in enumerate(SCRIPT)
    ]


def _eye(x0: float, y0: float, width: float, height: float) -> np.ndarray:
    """Six EAR points of an eye: corner, two upper, corner, two lower."""
    w, h = width, height / 2
    upper = [(x0 + w / 3, y0 - h), (x0 + 2 * w / 3, y0 - h)]
    lower = [(x0 + 2 * w / 3, y0 + h), (x0 + w / 3, y0 + h)]
    return np.array([(x0, y0), *upper, (x0 + w, y0), *lower])


def test_eye_aspect_ratio_is_height_over_width() -> None:
    landmarks = np.zeros((68, 2))
    landmarks[36:42] = _eye(0, 0, 10, 4)
    landmarks[42:48] = _eye(20, 0, 10, 2)
    assert eye_aspect_ratio(landmarks) == pytest.approx((0.4 + 0.2) / 2)
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        eye_aspect_ratio(landmarks[:67])
    landmarks[36:42] = 5.0
    with pytest.raises(ValueError, match="zero width"):
        eye_aspect_ratio(landmarks)


def _projected(yaw_deg: float, roll_deg: float = 0.0, pitch_deg: float = 0.0) -> np.ndarray:
    """Landmarks of the generic face turned ``yaw_deg`` to the subject's left, then nodded
    ``pitch_deg`` and tilted ``roll_deg``, seen by a 640x360 camera."""
    from yangcheng.finance.identity import liveness

    y, p, r = np.deg2rad([yaw_deg, pitch_deg, roll_deg])
    # About the face's up axis: +z (out of the face) swings to +x (image right, subject's left).
    turn = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    nod = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    tilt = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    to_camera = np.diag([1.0, -1.0, -1.0]) @ tilt @ nod @ turn  # y up -> down, facing us
    rvec, _ = cv2.Rodrigues(to_camera)
    camera = np.array([[640.0, 0, 320], [0, 640, 180], [0, 0, 1]])
    points, _ = cv2.projectPoints(
        liveness._MODEL_POINTS, rvec, np.array([0.0, 0.0, 4000.0]), camera, None
    )
    landmarks = np.zeros((68, 2))
    landmarks[liveness._MODEL_LANDMARKS] = points.reshape(-1, 2)
    return landmarks


@pytest.mark.parametrize("yaw", [-35.0, -15.0, 0.0, 20.0, 40.0])
def test_head_yaw_recovers_a_known_turn_and_its_side(yaw: float) -> None:
    landmarks = _projected(yaw)
    assert head_yaw_deg(landmarks, (640, 360)) == pytest.approx(yaw, abs=0.1)
    tilted = _projected(yaw, roll_deg=15.0, pitch_deg=-10.0)
    assert head_yaw_deg(tilted, (640, 360)) == pytest.approx(yaw, abs=0.1)
    if yaw > 0:  # turning to their left moves the nose towards the image's right
        assert landmarks[30, 0] > (landmarks[36, 0] + landmarks[45, 0]) / 2


def test_observe_measures_closed_eyes_turns_and_empty_frames(
    analyzer: FaceAnalyzer, observations: list[FrameObservation]
) -> None:
    frontal, closed = observations[3], observations[4]
    left, right = observations[7], observations[10]
    assert all(o.faces == 1 for o in observations)
    assert frontal.ear is not None and closed.ear is not None
    assert 0.25 < frontal.ear < 0.45
    assert closed.ear < 0.5 * frontal.ear
    assert frontal.yaw_deg is not None and left.yaw_deg is not None and right.yaw_deg is not None
    assert abs(frontal.yaw_deg) < 10
    assert 12 < left.yaw_deg - frontal.yaw_deg < 45
    assert -45 < right.yaw_deg - frontal.yaw_deg < -12

    empty = observe(analyzer, compose_frame([]), 3.0)
    assert empty == FrameObservation(t_s=3.0, faces=0, ear=None, yaw_deg=None)


def test_a_blink_and_both_turns_pass_with_their_times(
    observations: list[FrameObservation],
) -> None:
    report = check_liveness(observations)
    assert report.passed and report.spoof_score is None
    by_name = {r.name: r for r in report.challenges}
    assert [r.name for r in report.challenges] == ["blink", "turn_left", "turn_right"]
    assert by_name["blink"].at_s == 0.5
    assert by_name["turn_left"].at_s == 1.0
    assert by_name["turn_right"].at_s == 1.6
    assert all(r.passed for r in report.challenges)
    assert "reopened at 0.60 s" in by_name["blink"].detail


def test_without_the_blink_only_blink_fails(observations: list[FrameObservation]) -> None:
    no_blink = [o for o in observations if o.t_s != 0.5]
    report = check_liveness(no_blink)
    assert not report.passed
    assert [r.passed for r in report.challenges] == [False, True, True]
    assert report.challenges[0].at_s is None
    assert "no blink" in report.challenges[0].detail


def test_eyes_that_never_reopen_are_no_blink(observations: list[FrameObservation]) -> None:
    report = check_liveness(observations[:5], ["blink"])
    assert not report.passed
    assert "did not reopen" in report.challenges[0].detail


def _by_ear(ears: list[float]) -> list[FrameObservation]:
    return [FrameObservation(t_s=i / 10, faces=1, ear=e, yaw_deg=0.0) for i, e in enumerate(ears)]


def test_a_blink_is_open_then_closed_then_halfway_back_open() -> None:
    # Median 0.3: closed below 0.18, open again from 0.24.
    (result,) = check_liveness(_by_ear([0.3, 0.3, 0.12, 0.1, 0.2, 0.3, 0.3]), ["blink"]).challenges
    assert result.passed and result.at_s == 0.3
    assert "reopened at 0.50 s" in result.detail
    (half,) = check_liveness(_by_ear([0.3, 0.3, 0.2, 0.3, 0.3]), ["blink"]).challenges
    assert not half.passed and "lowest EAR 0.200" in half.detail
    (late,) = check_liveness(_by_ear([0.1, 0.3, 0.3, 0.3, 0.3]), ["blink"]).challenges
    assert not late.passed and "before any open frame" in late.detail


def test_a_still_photo_fails_every_challenge(observations: list[FrameObservation]) -> None:
    still = [replace(observations[0], t_s=i / 10) for i in range(15)]
    report = check_liveness(still)
    assert [r.passed for r in report.challenges] == [False, False, False]


def test_in_order_requires_each_challenge_after_the_previous(
    observations: list[FrameObservation],
) -> None:
    order = ["turn_right", "turn_left"]
    assert check_liveness(observations, order).passed
    report = check_liveness(observations, order, in_order=True)
    assert [r.passed for r in report.challenges] == [True, False]
    assert check_liveness(observations, ["blink", "turn_left", "turn_right"], in_order=True).passed


def test_frames_without_a_face_are_skipped(observations: list[FrameObservation]) -> None:
    gaps = [
        FrameObservation(t_s=o.t_s + 0.05, faces=0, ear=None, yaw_deg=None) for o in observations
    ]
    mixed = sorted(observations + gaps, key=lambda o: o.t_s)
    assert check_liveness(mixed).passed
    report = check_liveness(gaps)
    assert not report.passed
    assert all(r.detail == "no frame shows a face" for r in report.challenges)


def test_the_spoof_score_gates_the_report(observations: list[FrameObservation]) -> None:
    assert check_liveness(observations, spoof_score=0.9).passed
    low = check_liveness(observations, spoof_score=0.2)
    assert not low.passed and all(r.passed for r in low.challenges)
    assert low.spoof_score == 0.2
    assert check_liveness(observations, spoof_score=0.2, min_live_score=0.1).passed


def test_bad_arguments_are_named(observations: list[FrameObservation]) -> None:
    with pytest.raises(UnknownChallenge, match="'smile'") as caught:
        check_liveness(observations, ["blink", "smile"])
    assert caught.value.name == "smile"
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ValueError, match="at least one challenge"):
        check_liveness(observations, [])
    with pytest.raises(ValueError, match="out of time order"):
        check_liveness(list(reversed(observations)))
    with pytest.raises(ValueError, match="spoof_score"):
        check_liveness(observations, spoof_score=1.5)
    with pytest.raises(ValueError, match="ear_closed"):
        check_liveness(observations, ear_closed=1.2)


def test_crop_face_is_clipped_to_the_image() -> None:
    image = np.zeros((100, 120, 3), np.uint8)
    assert crop_face(image, Face(40, 30, 20, 20, 1.0)).shape == (20, 20, 3)
    assert crop_face(image, Face(40, 30, 20, 20, 1.0), scale=2.0).shape == (40, 40, 3)
    assert crop_face(image, Face(-10, -10, 30, 30, 1.0), scale=2.0).shape == (35, 35, 3)
    with pytest.raises(ValueError, match="outside"):
        crop_face(image, Face(500, 500, 10, 10, 1.0))


# --- anti-spoofing: tiny ONNX models built here, run through onnxruntime ------------------


def _channel_mean_model(path: Path, height: int, width: int, channel: int = 0) -> Path:
    """Live logit = 10 * (mean of one input channel - 0.5); spoof logit = 0."""
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["image", "channel"], ["plane"], axis=1),
            helper.make_node("ReduceMean", ["plane"], ["mean4"], axes=[1, 2, 3], keepdims=1),
            helper.make_node("Reshape", ["mean4", "shape"], ["mean"]),
            helper.make_node("Sub", ["mean", "half"], ["centred"]),
            helper.make_node("Mul", ["centred", "ten"], ["live"]),
            helper.make_node("Mul", ["live", "zero"], ["spoof"]),
            helper.make_node("Concat", ["spoof", "live"], ["logits"], axis=1),
        ],
        "channel_mean",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, height, width])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 2])],
        initializer=[
            helper.make_tensor("channel", TensorProto.INT64, [1], [channel]),
            helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 1]),
            helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
            helper.make_tensor("ten", TensorProto.FLOAT, [], [10.0]),
            helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def test_the_onnx_detector_scores_through_onnxruntime(tmp_path: Path) -> None:
    model = _channel_mean_model(tmp_path / "mean.onnx", 48, 64)
    detector: SpoofDetector = OnnxSpoofDetector(model, input_size=(64, 48))
    white = np.full((120, 100, 3), 255, np.uint8)
    black = np.zeros((30, 20, 3), np.uint8)
    assert detector.live_score(white) == pytest.approx(1 / (1 + np.exp(-5)), abs=1e-4)
    assert detector.live_score(black) == pytest.approx(1 / (1 + np.exp(5)), abs=1e-4)

    red = np.zeros((48, 64, 3), np.uint8)
    red[..., 0] = 255
    assert detector.live_score(red) > 0.99  # channel 0 is red in RGB ...
    as_bgr = OnnxSpoofDetector(model, input_size=(64, 48), channel_order="BGR")
    assert as_bgr.live_score(red) < 0.01  # ... and blue in BGR
    grey = np.full((48, 64, 3), 102, np.uint8)  # 0.4 after pixel_scale
    normalised = OnnxSpoofDetector(model, input_size=(64, 48), mean=(0.275,) * 3, std=(0.25,) * 3)
    assert normalised.live_score(grey) == pytest.approx(0.5, abs=1e-4)  # (0.4-0.275)/0.25
    as_probabilities = OnnxSpoofDetector(model, input_size=(64, 48), outputs="probabilities")
    assert as_probabilities.live_score(white) == pytest.approx(5.0, abs=1e-4)


def test_a_model_that_does_not_fit_is_refused_clearly(tmp_path: Path) -> None:
    model = _channel_mean_model(tmp_path / "mean.onnx", 48, 64)
    with pytest.raises(SpoofModelError, match=r"shape \['N', 3, 48, 64\].*needs \[1, 3, 80, 80\]"):
        OnnxSpoofDetector(model, input_size=(80, 80))
    with pytest.raises(SpoofModelError, match=r"needs \[1, 48, 64, 3\]"):
        OnnxSpoofDetector(model, input_size=(64, 48), layout="NHWC")
    with pytest.raises(SpoofModelError, match="live_index 2 is out of range"):
        OnnxSpoofDetector(model, input_size=(64, 48), live_index=2)
    with pytest.raises(SpoofModelError, match="not found"):
        OnnxSpoofDetector(tmp_path / "missing.onnx")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    with pytest.raises(SpoofModelError, match="not a loadable ONNX model"):
        OnnxSpoofDetector(garbage)
    with pytest.raises(ValueError, match="must be uint8"):
        OnnxSpoofDetector(model, input_size=(64, 48)).live_score(np.zeros((4, 4, 3)))
