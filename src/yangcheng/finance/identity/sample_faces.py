"""Synthetic video frames of real public-domain faces, for tests and benchmarks.

Face matching and liveness cannot be tested on drawn cartoons: dlib's
detector and landmark models only respond to real faces. So the frames here
are built from two public-domain portraits that ship with installed packages —
NASA's astronaut Eileen Collins (``skimage.data.astronaut()``) as the customer
and Grace Hopper (matplotlib's ``sample_data/grace_hopper.jpg``) as somebody
else — placed on a plain office background with seeded sensor noise.

Two manipulations make liveness testable, both measured back through the
detector rather than assumed:

- ``eyes_closed`` inpaints each eye (68-point landmarks, slightly enlarged)
  from the surrounding skin and draws an eyelid line, so the eye aspect ratio
  re-measured on the frame drops to a third (astronaut) or a half (Grace
  Hopper, whose glasses confuse the landmarks) of the open value.
- ``yaw_deg`` maps the head onto a vertical cylinder of 1.4x the half jaw
  width, with a nose bump 0.35 radius high, and rotates it:
  ``x' = R sin(asin(x / R) + yaw)``, the nose shifted a further
  ``depth * sin(yaw)``. Features move relative to the head's outline as in a
  real turn, but the side of the head coming into view is only a mirror of
  the visible edge (the portrait does not show it), and the warp is 2-D: no
  self-occlusion of the far cheek by the nose. ``liveness.head_yaw_deg``
  reads these turns at 0.7-1.5x ``yaw_deg``, a few degrees off either way.

Positive ``yaw_deg`` is the subject turning to their own left, which moves the
nose towards the image's right (unmirrored camera), as in ``liveness``.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import matplotlib
import numpy as np

from yangcheng.finance.identity.face import FaceAnalyzer, NoFaceFound, as_rgb_image

__all__ = ["DATA_CARD", "compose_frame", "customer_portrait", "other_portrait"]

DATA_CARD: dict[str, dict[str, str]] = {
    "customer_portrait": {
        "source": "skimage.data.astronaut(): NASA portrait of astronaut Eileen Collins (512x512)",
        "licence": "public domain (work of the US federal government)",
    },
    "other_portrait": {
        "source": "matplotlib mpl-data/sample_data/grace_hopper.jpg: US Navy portrait of "
        "Rear Admiral Grace Hopper (512x600)",
        "licence": "public domain (work of the US federal government)",
    },
    "compose_frame": {
        "source": "the portraits above, cropped around the head, warped (eyes closed, "
        "cylindrical head turn) and placed on a drawn office background",
        "seed": "only the sensor noise depends on the seed; the room is the same for all seeds",
    },
}

_CROP_PER_FACE = 2.3  # head crop side, in detector face-box widths
_HEAD_RADIUS_PER_JAW = 1.4  # cylinder radius / half the jaw width (landmarks 0-16)
_NOSE_HEIGHT = 0.35  # nose tip above the cylinder, in cylinder radii
_NOISE_LEVELS = 9  # sensor noise is uniform in [-4, 4] grey levels

_RIGHT_EYE = slice(36, 42)  # the subject's right eye: image left
_LEFT_EYE = slice(42, 48)

_lock = threading.Lock()
_heads: dict[bytes, _Head] = {}
_scaled: dict[tuple[bytes, int], _ScaledHead] = {}
_MAX_CACHED = 32


@functools.lru_cache(maxsize=1)
def _astronaut() -> np.ndarray:
    from skimage import data

    image: np.ndarray = data.astronaut()
    return image


@functools.lru_cache(maxsize=1)
def _grace_hopper() -> np.ndarray:
    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise RuntimeError(f"matplotlib's sample image is missing: {path}")
    rgb: np.ndarray = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return rgb


def customer_portrait() -> np.ndarray:
    """Eileen Collins, 512x512 RGB uint8 (a fresh copy each call)."""
    return _astronaut().copy()


def other_portrait() -> np.ndarray:
    """Grace Hopper, 600x512 RGB uint8 (a fresh copy each call)."""
    return _grace_hopper().copy()


@dataclass(frozen=True)
class _Head:
    """A portrait's square head crop, open- and closed-eyed, with its landmarks."""

    open_rgb: np.ndarray
    closed_rgb: np.ndarray
    landmarks: np.ndarray  # (68, 2) in crop pixels


@dataclass(frozen=True)
class _ScaledHead:
    """A head crop resized for one slot size, with what every yaw needs precomputed."""

    open_rgb: np.ndarray  # float32
    closed_rgb: np.ndarray  # float32
    centre_x: float
    radius: float
    nose_depth: np.ndarray  # (side, side) float32, pixels above the cylinder
    mask: np.ndarray  # (side, side, 1) float32 in [0, 1]


def _close_eyes(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Paint each eye over with the skin around it and draw the closed lid's lash line."""
    mask = np.zeros(image.shape[:2], np.uint8)
    for eye in (_RIGHT_EYE, _LEFT_EYE):
        points = landmarks[eye]
        centre = points.mean(axis=0)
        grown = centre + (points - centre) * np.array([1.35, 1.9], dtype=np.float32)
        cv2.fillPoly(mask, [np.round(grown).astype(np.int32)], 255)
    grown_mask: np.ndarray = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    closed = cv2.inpaint(image, grown_mask, 5, cv2.INPAINT_TELEA)
    skin = np.median(image[grown_mask > 0], axis=0)
    lash = tuple(int(v) for v in skin * 0.35)
    for eye in (_RIGHT_EYE, _LEFT_EYE):
        p = landmarks[eye]
        # A closed lid rests near the lower lid: corner, lower lid points, corner.
        line = np.array([p[0], 0.6 * p[5] + 0.4 * p[1], 0.6 * p[4] + 0.4 * p[2], p[3]])
        width = float(np.linalg.norm(p[3] - p[0]))
        thickness = max(1, round(width / 12))
        cv2.polylines(
            closed,
            [np.round(line * 16).astype(np.int32)],
            False,
            lash,
            thickness,
            cv2.LINE_AA,
            shift=4,
        )
    return closed


def _digest(image: np.ndarray) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    h.update(str(image.shape).encode())
    h.update(np.ascontiguousarray(image).data)
    return h.digest()


def _head(image: np.ndarray, index: int) -> _Head:
    analyzer = FaceAnalyzer(upsample=1)
    faces = analyzer.detect(image)
    if not faces:
        raise NoFaceFound(f"portrait {index}")
    face = faces[0]
    landmarks = analyzer.landmarks68(image, face)
    centre_x = float(landmarks[0, 0] + landmarks[16, 0]) / 2
    centre_y = face.y + 0.45 * face.h
    side = round(_CROP_PER_FACE * face.w)
    x0, y0 = round(centre_x - side / 2), round(centre_y - side / 2)
    padded = cv2.copyMakeBorder(image, side, side, side, side, cv2.BORDER_REPLICATE)
    crop = np.ascontiguousarray(padded[y0 + side : y0 + 2 * side, x0 + side : x0 + 2 * side])
    local = landmarks - np.array([x0, y0], dtype=np.float32)
    return _Head(open_rgb=crop, closed_rgb=_close_eyes(crop, local), landmarks=local)


def _scaled_head(head: _Head, side: int) -> _ScaledHead:
    scale = side / head.open_rgb.shape[0]
    lm = head.landmarks * scale
    centre_x = float(lm[0, 0] + lm[16, 0]) / 2
    radius = _HEAD_RADIUS_PER_JAW * float(np.linalg.norm(lm[16] - lm[0])) / 2
    ys, xs = np.mgrid[0:side, 0:side].astype(np.float32)
    # Nose: a ridge from the bridge (27) to the tip (30), rising towards the tip.
    bridge, tip = lm[27], lm[30]
    ridge = tip - bridge
    along = ((xs - bridge[0]) * ridge[0] + (ys - bridge[1]) * ridge[1]) / float(ridge @ ridge)
    along = np.clip(along, 0.0, 1.0)
    dist2 = (xs - bridge[0] - along * ridge[0]) ** 2 + (ys - bridge[1] - along * ridge[1]) ** 2
    sigma = 0.6 * float(np.linalg.norm(lm[35] - lm[31]))
    nose = _NOSE_HEIGHT * radius * (0.4 + 0.6 * along) * np.exp(-dist2 / (2 * sigma**2))
    mask = np.zeros((side, side), np.float32)
    centre_y = float(lm[19, 1] + lm[8, 1]) / 2
    axes = (round(1.1 * radius), round(1.5 * radius))
    cv2.ellipse(mask, (round(centre_x), round(centre_y)), axes, 0, 0, 360, 1.0, -1)
    soft: np.ndarray = cv2.GaussianBlur(mask, (0, 0), max(1.0, side * 0.01))
    size = (side, side)
    return _ScaledHead(
        open_rgb=cv2.resize(head.open_rgb, size, interpolation=cv2.INTER_AREA).astype(np.float32),
        closed_rgb=cv2.resize(head.closed_rgb, size, interpolation=cv2.INTER_AREA).astype(
            np.float32
        ),
        centre_x=centre_x,
        radius=radius,
        nose_depth=nose.astype(np.float32),
        mask=soft[..., None],
    )


def _cached(portrait: np.ndarray, index: int, side: int) -> _ScaledHead:
    key = _digest(portrait)
    with _lock:
        head = _heads.get(key)
        if head is None:
            if len(_heads) >= _MAX_CACHED:
                _heads.clear()
            head = _heads[key] = _head(portrait, index)
        scaled = _scaled.get((key, side))
        if scaled is None:
            if len(_scaled) >= _MAX_CACHED:
                _scaled.clear()
            scaled = _scaled[(key, side)] = _scaled_head(head, side)
    return scaled


def _turned(head: _ScaledHead, image: np.ndarray, yaw_deg: float) -> np.ndarray:
    """The head rotated about a vertical axis by ``yaw_deg`` (inverse map, per pixel)."""
    if yaw_deg == 0.0:
        return image
    side = image.shape[0]
    theta = np.deg2rad(yaw_deg)
    xs = np.arange(side, dtype=np.float32)[None, :] - head.centre_x
    # First-order parallax of the nose: it sits nose_depth in front of the cylinder.
    out_x = xs - head.nose_depth * np.float32(np.sin(theta))
    inside = np.abs(out_x) < head.radius
    # Beyond +-90 degrees sin() folds back: the far side shows a mirror of the edge.
    phi = np.arcsin(np.clip(out_x / head.radius, -1.0, 1.0)) - np.float32(theta)
    source_x = np.where(inside, head.radius * np.sin(phi), out_x) + head.centre_x
    map_y = np.broadcast_to(np.arange(side, dtype=np.float32)[:, None], (side, side))
    turned: np.ndarray = cv2.remap(
        image,
        source_x.astype(np.float32),
        np.ascontiguousarray(map_y),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return turned


@functools.lru_cache(maxsize=4)
def _room(width: int, height: int) -> np.ndarray:
    """A plain office: painted wall, a window, a shelf and a desk edge (float32 RGB)."""
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    top = np.array([222, 216, 204], np.float32)
    bottom = np.array([186, 178, 164], np.float32)
    room = np.broadcast_to(top * (1 - rows) + bottom * rows, (height, width, 3)).copy()

    def box(x0: float, y0: float, x1: float, y1: float, colour: tuple[int, int, int]) -> None:
        room[round(y0 * height) : round(y1 * height), round(x0 * width) : round(x1 * width)] = (
            colour
        )

    box(0.03, 0.08, 0.2, 0.55, (150, 152, 150))  # window frame
    box(0.04, 0.1, 0.19, 0.53, (196, 214, 228))  # sky through the window
    box(0.8, 0.3, 0.98, 0.33, (120, 96, 72))  # shelf
    box(0.82, 0.2, 0.86, 0.3, (70, 90, 130))  # binders on the shelf
    box(0.87, 0.22, 0.9, 0.3, (150, 60, 50))
    return room


def compose_frame(
    portraits: Sequence[np.ndarray],
    *,
    size: tuple[int, int] = (640, 360),
    eyes_closed: bool = False,
    yaw_deg: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """One RGB uint8 video frame of ``size`` (width, height) showing each portrait's head.

    Heads are placed side by side, each in an equal slot, largest that fits
    (in 640x360, detected faces are ~150 px for one portrait, 125-150 px for
    two, 90-105 px for three — the HOG detector needs ~80 px at
    ``upsample=0``). An empty sequence gives the room with nobody in it.
    ``eyes_closed`` and ``yaw_deg`` apply to every head. The same arguments
    give the same bytes. The first call per portrait costs ~150 ms
    (detection, landmarks, inpainting; plus ~1 s loading the landmark model
    once per process), later ones ~8 ms on two cores.
    """
    width, height = size
    if width < 64 or height < 64:
        raise ValueError(f"size must be at least 64x64, not {width}x{height}")
    if not -60.0 <= yaw_deg <= 60.0:
        raise ValueError(f"yaw_deg must be within +-60 degrees, not {yaw_deg}")
    checked = [as_rgb_image(p, f"portrait {i}") for i, p in enumerate(portraits)]
    frame = _room(width, height).copy()
    if checked:
        slot = width / len(checked)
        side = int(min(0.95 * slot, 0.95 * height))
        y0 = (height - side) // 2
        for i, portrait in enumerate(checked):
            head = _cached(portrait, i, side)
            pixels = _turned(head, head.closed_rgb if eyes_closed else head.open_rgb, yaw_deg)
            x0 = int(slot * i + (slot - side) / 2)
            region = frame[y0 : y0 + side, x0 : x0 + side]
            region += head.mask * (pixels - region)
    frame[round(0.88 * height) :] = (118, 92, 68)  # desk edge in front of the sitter
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, _NOISE_LEVELS, size=(height, width, 1), dtype=np.int16)
    frame += noise - _NOISE_LEVELS // 2
    np.clip(frame + 0.5, 0, 255, out=frame)
    return frame.astype(np.uint8)
