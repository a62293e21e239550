"""Quality checks and face detection for a customer's document photo.

``assess_photo`` measures what makes a photo unusable for identity review —
too small, blurred, glare, too dark or too bright, no face or several — and
names every failure in plain words. Face detection is OpenCV's frontal-face
Haar cascade, which ships inside ``opencv-python-headless``: nothing is
downloaded at run time.

Limits: the Haar cascade finds upright, roughly frontal faces only (profiles
and strongly tilted heads are missed), and nothing here tells a live person
from a printed photo or a screen — there is no anti-spoofing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

__all__ = ["MAX_IMAGE_PIXELS", "FaceBox", "PhotoQuality", "assess_photo", "decode_image"]

MAX_IMAGE_PIXELS = 40_000_000
"""``decode_image`` refuses images declaring more pixels than this (decompression bombs)."""

_CASCADE_FILE = "haarcascade_frontalface_default.xml"
_DETECT_MAX_SIDE = 1024  # faces are searched on a copy no larger than this
_GLARE_LEVEL = 250  # HSV value (max of R, G, B) at or above which a pixel counts as glare

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"

_local = threading.local()


@dataclass(frozen=True)
class FaceBox:
    """A detected face, in pixels of the assessed image."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class PhotoQuality:
    """What ``assess_photo`` measured, and every reason the photo is unusable."""

    width: int
    height: int
    sharpness: float
    """Variance of the Laplacian of the grey image; low means blurred."""
    glare_fraction: float
    """Share of pixels whose HSV value is near saturation (>= 250)."""
    brightness: float
    """Mean grey level, 0-255."""
    faces: list[FaceBox] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _cascade() -> cv2.CascadeClassifier:
    """The frontal-face cascade, loaded once per thread (a classifier is not thread-safe)."""
    cascade: cv2.CascadeClassifier | None = getattr(_local, "cascade", None)
    if cascade is None:
        folder: str = cv2.data.haarcascades  # type: ignore[attr-defined]
        cascade = cv2.CascadeClassifier(folder + _CASCADE_FILE)
        if cascade.empty():
            raise RuntimeError(f"OpenCV's {_CASCADE_FILE} could not be loaded")
        _local.cascade = cascade
    return cascade


def _declared_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or JPEG header, without decoding; None if not found."""
    if data.startswith(_PNG_MAGIC):
        if len(data) >= 24 and data[12:16] == b"IHDR":
            return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        is_sof = 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC)
        if is_sof and i + 9 <= len(data):
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        if marker == 0xDA or length < 2:  # scan data before any frame header
            return None
        i += 2 + length
    return None


def decode_image(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Decode JPEG or PNG bytes into an (H, W, 3) uint8 RGB array.

    EXIF orientation is applied, alpha dropped and 16-bit images brought to
    8 bits. Raises ValueError("not a JPEG or PNG image") for anything else or
    anything that does not decode, and ValueError for images above
    ``max_pixels``.
    """
    if not (data.startswith(_PNG_MAGIC) or data.startswith(_JPEG_MAGIC)):
        raise ValueError("not a JPEG or PNG image")
    size = _declared_size(data)
    if size is not None and size[0] * size[1] > max_pixels:
        raise ValueError(
            f"image declares {size[0]}x{size[1]} px; at most {max_pixels:,} pixels are accepted"
        )
    try:
        bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error as exc:
        raise ValueError("not a JPEG or PNG image") from exc
    if bgr is None or bgr.size == 0:
        raise ValueError("not a JPEG or PNG image")
    if bgr.shape[0] * bgr.shape[1] > max_pixels:
        raise ValueError(
            f"image is {bgr.shape[1]}x{bgr.shape[0]} px; at most {max_pixels:,} pixels are accepted"
        )
    rgb: np.ndarray = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return rgb


def _detect_faces(grey: np.ndarray, min_face_fraction: float) -> list[FaceBox]:
    height, width = grey.shape
    scale = min(1.0, _DETECT_MAX_SIDE / max(height, width))
    small = grey
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    min_side = max(24, round(min_face_fraction * min(small.shape)))
    if min(small.shape) < min_side:
        return []
    found = _cascade().detectMultiScale(
        cv2.equalizeHist(small),
        scaleFactor=1.1,
        minNeighbors=5,
        minSize=(min_side, min_side),
    )
    boxes = [FaceBox(*(round(int(v) / scale) for v in box)) for box in found]
    return sorted(boxes, key=lambda b: (b.x, b.y))


def assess_photo(
    image: np.ndarray,
    *,
    min_long_side: int = 480,
    min_short_side: int = 360,
    min_sharpness: float = 60.0,
    max_glare_fraction: float = 0.05,
    min_brightness: float = 40.0,
    max_brightness: float = 220.0,
    min_face_fraction: float = 0.1,
) -> PhotoQuality:
    """Measure a document photo and name everything that makes it unusable.

    ``image`` is (H, W, 3) uint8 RGB or (H, W) uint8 grey.

    Thresholds (defaults in brackets):

    - ``min_long_side`` / ``min_short_side`` [480 / 360]: pixel size, in either
      orientation.
    - ``min_sharpness`` [60]: variance of the Laplacian of the grey image; a
      sharp 512 px portrait scores in the hundreds, a blurred one in single
      figures. It grows with detail, so it is only comparable at similar sizes.
    - ``max_glare_fraction`` [0.05]: share of pixels whose HSV value is >= 250.
    - ``min_brightness`` / ``max_brightness`` [40 / 220]: mean grey level.
    - ``min_face_fraction`` [0.1]: smallest face searched for, as a share of the
      image's shorter side; exactly one face must be found.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("image must be a uint8 numpy array")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"image must be (H, W) grey or (H, W, 3) RGB, not {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError("image is empty")
    image = np.ascontiguousarray(image)
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    height, width = grey.shape

    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    value = image if image.ndim == 2 else image.max(axis=2)  # HSV V = max(R, G, B)
    glare_fraction = float(np.count_nonzero(value >= _GLARE_LEVEL)) / value.size
    brightness = float(grey.mean())
    faces = _detect_faces(grey, min_face_fraction)

    failures: list[str] = []
    long_side, short_side = max(width, height), min(width, height)
    if long_side < min_long_side or short_side < min_short_side:
        need = (
            f"{min_long_side}x{min_short_side}"
            if width >= height
            else f"{min_short_side}x{min_long_side}"
        )
        failures.append(f"image is {width}x{height} px; at least {need} is needed")
    if sharpness < min_sharpness:
        failures.append(f"blurred: sharpness {sharpness:.1f} below {min_sharpness:g}")
    if glare_fraction > max_glare_fraction:
        failures.append(
            f"glare covers {glare_fraction:.0%} of the image (max {max_glare_fraction:.0%})"
        )
    if brightness < min_brightness:
        failures.append(f"too dark: brightness {brightness:.0f} below {min_brightness:g}")
    elif brightness > max_brightness:
        failures.append(f"too bright: brightness {brightness:.0f} above {max_brightness:g}")
    if not faces:
        failures.append("no face found")
    elif len(faces) > 1:
        failures.append(f"{len(faces)} faces found; the photo must show one person")

    return PhotoQuality(
        width=width,
        height=height,
        sharpness=sharpness,
        glare_fraction=glare_fraction,
        brightness=brightness,
        faces=faces,
        failures=failures,
    )
