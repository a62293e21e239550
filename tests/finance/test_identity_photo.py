"""Document-photo quality and face detection, on a real portrait (NASA's astronaut photo)."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker
from yangcheng.finance.identity import PhotoQuality, assess_photo, decode_image

skimage_data = pytest.importorskip("skimage.data")

INVOKE = "/v1/capabilities/finance.identity.photo:invoke"


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    image: np.ndarray = skimage_data.astronaut()  # 512x512 RGB, public domain
    return image


@pytest.fixture(scope="module")
def sharp(astronaut: np.ndarray) -> PhotoQuality:
    return assess_photo(astronaut)


def png_base64(rgb: np.ndarray) -> str:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


def test_the_astronaut_portrait_passes_with_one_face(sharp: PhotoQuality) -> None:
    assert (sharp.width, sharp.height) == (512, 512)
    assert sharp.failures == [] and sharp.ok
    assert len(sharp.faces) == 1
    face = sharp.faces[0]
    # Her face is in the upper left quarter-and-a-bit of the photo.
    assert 120 < face.x + face.w / 2 < 320 and 60 < face.y + face.h / 2 < 200
    assert sharp.sharpness > 300
    assert sharp.glare_fraction < 0.05
    assert 60 < sharp.brightness < 200


def test_a_blurred_copy_is_named_blurred(astronaut: np.ndarray, sharp: PhotoQuality) -> None:
    blurred = assess_photo(cv2.GaussianBlur(astronaut, (0, 0), sigmaX=4))
    assert blurred.sharpness < sharp.sharpness / 10
    assert any(f.startswith("blurred: sharpness") for f in blurred.failures)
    assert not blurred.ok


def test_a_small_copy_fails_on_size(astronaut: np.ndarray) -> None:
    small = cv2.resize(astronaut, (120, 120), interpolation=cv2.INTER_AREA)
    q = assess_photo(small)
    assert "image is 120x120 px; at least 480x360 is needed" in q.failures


def test_size_is_judged_in_either_orientation(astronaut: np.ndarray) -> None:
    portrait = cv2.resize(astronaut, (400, 500), interpolation=cv2.INTER_AREA)
    assert not any(f.startswith("image is") for f in assess_photo(portrait).failures)
    q = assess_photo(portrait, min_long_side=600)
    assert "image is 400x500 px; at least 360x600 is needed" in q.failures


def test_a_blown_out_copy_fails_on_glare(astronaut: np.ndarray) -> None:
    glared = astronaut.copy()
    glared[:, 320:] = 255  # the right 37.5% saturated, away from the face
    q = assess_photo(glared)
    assert q.glare_fraction == pytest.approx(0.375, abs=0.02)
    assert any(f.startswith("glare covers 3") and "(max 5%)" in f for f in q.failures)
    assert len(q.faces) == 1


def test_two_people_side_by_side_are_refused(astronaut: np.ndarray) -> None:
    q = assess_photo(np.hstack([astronaut, astronaut]))
    assert len(q.faces) == 2
    assert "2 faces found; the photo must show one person" in q.failures


def test_a_plain_grey_image_has_no_face() -> None:
    q = assess_photo(np.full((480, 640), 128, dtype=np.uint8))
    assert q.faces == []
    assert "no face found" in q.failures
    assert q.sharpness == 0.0 and q.glare_fraction == 0.0 and q.brightness == 128.0


def test_exposure_is_checked(astronaut: np.ndarray) -> None:
    dark = assess_photo((astronaut // 8).astype(np.uint8))
    assert any(f.startswith("too dark") for f in dark.failures)


def test_thresholds_are_keyword_arguments(astronaut: np.ndarray) -> None:
    q = assess_photo(astronaut, min_sharpness=1e9, max_glare_fraction=0.0)
    assert any(f.startswith("blurred") for f in q.failures)
    assert any(f.startswith("glare covers") for f in q.failures)


def test_decode_round_trips_png_and_jpeg(astronaut: np.ndarray) -> None:
    png = base64.b64decode(png_base64(astronaut))
    assert np.array_equal(decode_image(png), astronaut)
    ok, jpg = cv2.imencode(".jpg", cv2.cvtColor(astronaut, cv2.COLOR_RGB2BGR))
    assert ok
    decoded = decode_image(jpg.tobytes())
    assert decoded.shape == astronaut.shape
    assert np.abs(decoded.astype(int) - astronaut.astype(int)).mean() < 5


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"\xff\xd8\xff" + b"junk" * 10],
)
def test_decode_image_refuses_garbage(data: bytes) -> None:
    with pytest.raises(ValueError, match="not a JPEG or PNG image"):
        decode_image(data)


def test_decode_image_refuses_a_decompression_bomb_before_decoding() -> None:
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR"
    bomb = header + (100_000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00" + b"\x00" * 16
    with pytest.raises(ValueError, match="at most"):
        decode_image(bomb)


def test_assess_photo_refuses_wrong_arrays() -> None:
    with pytest.raises(ValueError):
        assess_photo(np.zeros((10, 10, 4), dtype=np.uint8))
    with pytest.raises(ValueError):
        assess_photo(np.zeros((10, 10), dtype=np.float32))


def test_the_capability_over_http(
    client: TestClient, make_key: KeyMaker, astronaut: np.ndarray
) -> None:
    headers = {"X-API-Key": make_key()}
    r = client.post(INVOKE, json={"image_base64": png_base64(astronaut)}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["failures"] == []
    assert (body["width"], body["height"]) == (512, 512)
    assert len(body["faces"]) == 1 and set(body["faces"][0]) == {"x", "y", "w", "h"}

    r = client.post(
        INVOKE,
        json={"image_base64": png_base64(astronaut), "min_sharpness": 100_000},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["ok"] is False


@pytest.mark.parametrize(
    "image_base64",
    ["not base64!!", "", "   ", base64.b64encode(b"plain text, not an image").decode()],
)
def test_the_capability_names_the_field_for_bad_input(
    client: TestClient, make_key: KeyMaker, image_base64: str
) -> None:
    r = client.post(INVOKE, json={"image_base64": image_base64}, headers={"X-API-Key": make_key()})
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "image_base64"]


def test_the_example_is_served(client: TestClient, make_key: KeyMaker) -> None:
    from yangcheng.finance.service_identity import PHOTO

    r = client.post(INVOKE, json=PHOTO.examples[0], headers={"X-API-Key": make_key()})
    assert r.status_code == 200
    assert "no face found" in r.json()["failures"]
