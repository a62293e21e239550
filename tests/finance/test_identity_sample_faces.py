"""Synthetic video frames: faces where they should be, closed eyes and turns that dlib sees."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.finance.identity.face import FaceAnalyzer, InvalidImage, NoFaceFound
from yangcheng.finance.identity.sample_faces import (
    DATA_CARD,
    compose_frame,
    customer_portrait,
    other_portrait,
)


def test_the_portraits_are_the_public_domain_images() -> None:
    astronaut, hopper = customer_portrait(), other_portrait()
    assert astronaut.shape == (512, 512, 3) and astronaut.dtype == np.uint8
    assert hopper.shape == (600, 512, 3) and hopper.dtype == np.uint8
    # RGB, not OpenCV's BGR: the navy uniform is bluer than it is red.
    uniform = hopper[-80:, 150:350].reshape(-1, 3).mean(axis=0)
    assert uniform[2] > uniform[0]
    astronaut[:] = 0  # callers get copies
    assert customer_portrait().any()
    assert all("public domain" in card["licence"] for card in list(DATA_CARD.values())[:2])


def test_frames_have_the_requested_size_and_are_deterministic(astronaut: np.ndarray) -> None:
    frame = compose_frame([astronaut], seed=3)
    assert frame.shape == (360, 640, 3) and frame.dtype == np.uint8
    assert np.array_equal(frame, compose_frame([astronaut], seed=3))
    other = compose_frame([astronaut], seed=4)
    difference = np.abs(frame.astype(int) - other.astype(int))
    assert 0 < difference.max() <= 8  # only the sensor noise depends on the seed
    assert compose_frame([astronaut], size=(320, 240)).shape == (240, 320, 3)


def test_each_portrait_gives_one_detected_face_in_its_slot(
    analyzer: FaceAnalyzer, astronaut: np.ndarray
) -> None:
    hopper = other_portrait()
    assert analyzer.detect(compose_frame([])) == []
    for portraits in ([astronaut], [astronaut, hopper], [hopper, astronaut, hopper]):
        faces = sorted(analyzer.detect(compose_frame(portraits)), key=lambda f: f.x)
        assert len(faces) == len(portraits)
        slot = 640 / len(portraits)
        for i, face in enumerate(faces):
            assert i * slot <= face.x + face.w / 2 < (i + 1) * slot


def test_closed_eyes_really_close_for_the_landmark_model(
    analyzer: FaceAnalyzer, astronaut: np.ndarray
) -> None:
    from yangcheng.finance.identity.liveness import eye_aspect_ratio

    def ear(frame: np.ndarray) -> float:
        return eye_aspect_ratio(analyzer.landmarks68(frame, analyzer.detect(frame)[0]))

    opened = ear(compose_frame([astronaut]))
    closed = ear(compose_frame([astronaut], eyes_closed=True))
    assert opened > 0.25
    assert closed < 0.5 * opened
    assert ear(compose_frame([astronaut], eyes_closed=True, yaw_deg=25)) < 0.6 * opened


def test_a_turn_moves_the_nose_against_the_jaw_line(
    analyzer: FaceAnalyzer, astronaut: np.ndarray
) -> None:
    def nose_offset(yaw: float) -> float:
        """Nose tip from the jaw's midpoint, in half jaw widths (+ = image right)."""
        frame = compose_frame([astronaut], yaw_deg=yaw)
        points = analyzer.landmarks68(frame, analyzer.detect(frame)[0])
        half = (points[16, 0] - points[0, 0]) / 2
        return float((points[30, 0] - (points[0, 0] + half)) / half)

    offsets = [nose_offset(yaw) for yaw in (-30, 0, 30)]
    assert offsets[0] < offsets[1] - 0.15 and offsets[2] > offsets[1] + 0.15


def test_bad_inputs_are_named(astronaut: np.ndarray) -> None:
    with pytest.raises(InvalidImage, match="portrait 1 must be uint8"):
        compose_frame([astronaut, astronaut.astype(np.float32)])
    with pytest.raises(NoFaceFound, match="portrait 0"):
        compose_frame([np.full((200, 200, 3), 128, np.uint8)])
    with pytest.raises(ValueError, match="yaw_deg"):
        compose_frame([astronaut], yaw_deg=75)
    with pytest.raises(ValueError, match="at least 64x64"):
        compose_frame([astronaut], size=(32, 32))
