"""Face detection, embedding and matching on two real public-domain portraits."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from yangcheng.finance.identity.face import (
    MATCH_THRESHOLD,
    MODEL_CARD,
    Face,
    FaceAnalyzer,
    InvalidImage,
    NoFaceFound,
    face_distance,
    match,
)
from yangcheng.finance.identity.sample_faces import (
    compose_frame,
    customer_portrait,
    other_portrait,
)


@pytest.fixture(scope="module")
def reference(analyzer: FaceAnalyzer, astronaut: np.ndarray) -> np.ndarray:
    """The customer's on-file descriptor, from the original portrait."""
    return analyzer.embed_largest(astronaut, "reference photo")


@pytest.fixture(scope="module")
def two_people() -> np.ndarray:
    return compose_frame([customer_portrait(), other_portrait()])


def test_one_face_is_found_on_the_astronaut_where_her_eyes_are(
    analyzer: FaceAnalyzer, astronaut: np.ndarray
) -> None:
    faces = analyzer.detect(astronaut)
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.5
    assert 70 <= face.w <= 110 and 70 <= face.h <= 110
    landmarks = analyzer.landmarks68(astronaut, face)
    assert landmarks.shape == (68, 2) and landmarks.dtype == np.float32
    eyes = landmarks[36:48]
    assert np.all((eyes[:, 0] > face.x) & (eyes[:, 0] < face.x + face.w))
    assert np.all((eyes[:, 1] > face.y) & (eyes[:, 1] < face.y + face.h / 2))
    # The subject's right eye (36-41) is on the image's left.
    assert landmarks[36:42, 0].mean() < landmarks[42:48, 0].mean()


def test_frames_with_two_one_and_no_portraits(
    analyzer: FaceAnalyzer, two_people: np.ndarray
) -> None:
    faces = analyzer.detect(two_people)
    assert len(faces) == 2
    areas = [f.w * f.h for f in faces]
    assert areas == sorted(areas, reverse=True)
    assert len(analyzer.detect(compose_frame([customer_portrait()]))) == 1
    assert analyzer.detect(compose_frame([])) == []


def test_min_face_px_and_min_score_drop_detections(astronaut: np.ndarray) -> None:
    face = FaceAnalyzer().detect(astronaut)[0]
    assert FaceAnalyzer(min_face_px=face.w + 1).detect(astronaut) == []
    assert FaceAnalyzer(min_score=face.score + 0.01).detect(astronaut) == []
    assert len(FaceAnalyzer(min_score=face.score - 0.01).detect(astronaut)) == 1


def test_embedding_is_a_deterministic_128_float32_vector(
    analyzer: FaceAnalyzer, astronaut: np.ndarray, reference: np.ndarray
) -> None:
    again = analyzer.embed(astronaut, analyzer.detect(astronaut)[0])
    assert reference.shape == (128,) and reference.dtype == np.float32
    assert np.array_equal(reference, again)
    assert face_distance(reference, again) == 0.0


def test_the_astronaut_matches_herself_in_video_frames_and_at_half_size(
    analyzer: FaceAnalyzer, reference: np.ndarray, two_people: np.ndarray
) -> None:
    left = min(analyzer.detect(two_people), key=lambda f: f.x)  # the astronaut's slot
    in_frame = match(reference, analyzer.embed(two_people, left))
    assert in_frame.matched and in_frame.distance < 0.3
    assert in_frame.threshold == MATCH_THRESHOLD

    small = np.ascontiguousarray(cv2.resize(customer_portrait(), (256, 256)))
    upsampling = FaceAnalyzer(upsample=1)  # her face is ~45 px now
    assert analyzer.detect(small) == []
    half = match(reference, upsampling.embed_largest(small, "half-size photo"))
    assert half.matched, half


def test_the_astronaut_does_not_match_grace_hopper(
    analyzer: FaceAnalyzer, reference: np.ndarray, two_people: np.ndarray
) -> None:
    hopper = analyzer.embed_largest(other_portrait(), "other photo")
    result = match(reference, hopper)
    assert not result.matched and result.distance > MATCH_THRESHOLD
    right = max(analyzer.detect(two_people), key=lambda f: f.x)
    in_frame = analyzer.embed(two_people, right)
    assert face_distance(reference, in_frame) > MATCH_THRESHOLD
    assert face_distance(hopper, in_frame) < 0.3


def test_match_uses_a_strict_threshold_and_checks_its_inputs(reference: np.ndarray) -> None:
    probe = reference + np.float32(0.01)
    distance = face_distance(reference, probe)
    assert distance == pytest.approx(0.01 * np.sqrt(128), rel=1e-3)
    assert face_distance(probe, reference) == distance
    assert match(reference, probe, threshold=distance + 1e-6).matched
    assert not match(reference, probe, threshold=distance).matched
    with pytest.raises(ValueError, match=r"probe must be a \(128,\) embedding"):
        match(reference, reference[:127])
    with pytest.raises(ValueError, match="NaN"):
        face_distance(reference, np.full(128, np.nan))
    with pytest.raises(ValueError, match="threshold"):
        match(reference, probe, threshold=0.0)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((64, 64, 3), np.float32), "must be uint8"),
        (np.zeros((64, 64), np.uint8), r"must be \(H, W, 3\) RGB"),
        (np.zeros((64, 64, 4), np.uint8), r"must be \(H, W, 3\) RGB"),
        (np.zeros((0, 64, 3), np.uint8), "is empty"),
        ([[0, 0, 0]], "must be a numpy array"),
    ],
)
def test_bad_image_arrays_are_refused_by_name(
    analyzer: FaceAnalyzer, image: np.ndarray, message: str
) -> None:
    with pytest.raises(InvalidImage, match=message) as caught:
        analyzer.detect(image)
    assert isinstance(caught.value, ValueError)
    assert "image_rgb" in str(caught.value)
    with pytest.raises(InvalidImage):
        analyzer.embed(image, Face(0, 0, 10, 10, 1.0))


def test_an_image_without_a_face_is_named(analyzer: FaceAnalyzer) -> None:
    with pytest.raises(NoFaceFound, match="no face found in ID card photo") as caught:
        analyzer.embed_largest(compose_frame([]), "ID card photo")
    assert caught.value.image_name == "ID card photo"
    with pytest.raises(ValueError, match="positive size"):
        analyzer.embed(compose_frame([]), Face(0, 0, 0, 10, 1.0))


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="upsample"):
        FaceAnalyzer(upsample=-1)
    with pytest.raises(ValueError, match="min_face_px"):
        FaceAnalyzer(min_face_px=0)


def test_the_model_card_flags_the_non_commercial_landmarks() -> None:
    assert "commercial" in MODEL_CARD["landmarks68"]["licence"]
    assert MODEL_CARD["alignment"]["model"] == "shape_predictor_5_face_landmarks.dat"
    assert "99.38%" in MODEL_CARD["embedding"]["accuracy"]


def test_concurrent_embeddings_equal_serial_ones(
    analyzer: FaceAnalyzer, two_people: np.ndarray
) -> None:
    faces = analyzer.detect(two_people)
    serial = [analyzer.embed(two_people, f) for f in faces]
    results: dict[int, np.ndarray] = {}

    def work(i: int) -> None:
        results[i] = analyzer.embed(two_people, faces[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(faces))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, expected in enumerate(serial):
        assert np.array_equal(results[i], expected)
