"""Face detection, 128-d face embeddings and 1:1 matching with dlib.

The bank compares the face on the customer's ID document (or on file) with
the face in the live video: both are turned into dlib's 128-d ResNet
descriptors and matched by Euclidean distance against dlib's published
threshold of 0.6. Detection is dlib's HOG + linear SVM frontal-face detector;
alignment for the embedding uses the 5-point landmark model, so the
non-commercial 68-point model is needed only by ``landmarks68`` (liveness).

The model files ship in the PyPI package ``face-recognition-models``; they are
located with ``importlib`` rather than imported, because that package's
``__init__`` imports the deprecated ``pkg_resources``. Models load lazily,
once per process; the HOG detector is cheap and kept per thread, while the
large predictors and the ResNet are shared behind a lock each (dlib does not
document them as safe for concurrent use).

Limits: the HOG detector finds upright, roughly frontal faces of about 80 px
and larger at ``upsample=0`` (40 px at 1, 20 px at 2, each ~4x slower);
profiles beyond ~40 degrees of yaw are missed. Matching says nothing about
whether the face is live — see ``liveness``.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlib
import numpy as np

__all__ = [
    "EMBEDDING_SIZE",
    "MATCH_THRESHOLD",
    "MODEL_CARD",
    "Face",
    "FaceAnalyzer",
    "FaceMatch",
    "InvalidImage",
    "NoFaceFound",
    "as_rgb_image",
    "face_distance",
    "match",
]

EMBEDDING_SIZE = 128

MATCH_THRESHOLD = 0.6
"""dlib's documented Euclidean threshold: 99.38% accuracy on LFW's 6,000 pairs."""

_MODELS_PACKAGE = "face_recognition_models"
_SP5_FILE = "shape_predictor_5_face_landmarks.dat"
_SP68_FILE = "shape_predictor_68_face_landmarks.dat"
_RESNET_FILE = "dlib_face_recognition_resnet_model_v1.dat"

MODEL_CARD: dict[str, dict[str, str]] = {
    "detector": {
        "model": "dlib.get_frontal_face_detector() (HOG + linear SVM), built into dlib",
        "training_data": "dlib face detector training set (2,825 images), annotated by Davis King",
        "licence": "Boost Software License (dlib)",
        "limits": "upright frontal faces >= ~80 px at upsample 0; misses strong profiles",
    },
    "alignment": {
        "model": _SP5_FILE,
        "training_data": "dlib 5-point face landmark dataset (7,198 faces), annotated by Davis "
        "King on publicly available images",
        "licence": "public domain (CC0), per github.com/davisking/dlib-models",
        "use": "alignment before the embedding",
    },
    "embedding": {
        "model": _RESNET_FILE,
        "training_data": "~3 million faces: FaceScrub, VGG-Face and images scraped by Davis King",
        "licence": "public domain (CC0), per github.com/davisking/dlib-models; training sets "
        "under Creative Commons",
        "accuracy": "99.38% on LFW at Euclidean distance threshold 0.6",
        "limits": "trained on adults: children are confused at 0.6; accuracy varies between "
        "ethnic groups (face_recognition's caveats), so validate on the bank's own customers",
    },
    "landmarks68": {
        "model": _SP68_FILE,
        "training_data": "iBUG 300-W",
        "licence": "model public domain, but 300-W's licence excludes commercial use: a bank "
        "must obtain rights or substitute its own 68-point model before production",
        "use": "liveness only (eye aspect ratio, head yaw); never for the embedding",
    },
    "package": {
        "model": "face-recognition-models 0.3.0 on PyPI (MIT wrapper around the files above)",
    },
}
"""Provenance and licence of every model this module loads."""


class InvalidImage(ValueError):
    """An image array is not (H, W, 3) uint8 RGB with pixels in it."""


class NoFaceFound(ValueError):
    """No face was detected in a named image."""

    def __init__(self, image_name: str) -> None:
        super().__init__(f"no face found in {image_name}")
        self.image_name = image_name


@dataclass(frozen=True)
class Face:
    """One detected face, in pixels of the analysed image.

    The box is the detector's and may reach past the image edge when a face
    is cut off; it is not clipped so that alignment sees the detector's box.
    """

    x: int
    y: int
    w: int
    h: int
    score: float
    """Detector confidence: the SVM margin, > 0 for a detection; ~1.5 for a clear face."""


@dataclass(frozen=True)
class FaceMatch:
    """Whether two embeddings are the same person under ``threshold``."""

    distance: float
    matched: bool
    threshold: float


def _models_dir() -> Path:
    spec = importlib.util.find_spec(_MODELS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"the {_MODELS_PACKAGE} package is not installed; install face-recognition-models"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class _Shared:
    """A dlib model loaded on first use and used under its own lock."""

    def __init__(self, filename: str, loader: Any) -> None:
        self._filename = filename
        self._loader = loader
        self._model: Any = None
        self.lock = threading.Lock()

    def get(self) -> Any:
        """The model; the caller must hold ``lock``."""
        if self._model is None:
            path = _models_dir() / self._filename
            if not path.is_file():
                raise RuntimeError(f"dlib model file missing: {path}")
            self._model = self._loader(str(path))
        return self._model


_SP5 = _Shared(_SP5_FILE, dlib.shape_predictor)
_SP68 = _Shared(_SP68_FILE, dlib.shape_predictor)
_RESNET = _Shared(_RESNET_FILE, dlib.face_recognition_model_v1)
_local = threading.local()


def _detector() -> Any:
    """The HOG detector, one per thread (cheap to build, not documented as thread-safe)."""
    detector = getattr(_local, "detector", None)
    if detector is None:
        detector = dlib.get_frontal_face_detector()
        _local.detector = detector
    return detector


def as_rgb_image(image_rgb: object, name: str = "image_rgb") -> np.ndarray:
    """``image_rgb`` checked to be (H, W, 3) uint8, made C-contiguous as dlib requires.

    Raises InvalidImage naming ``name`` and what is wrong.
    """
    if not isinstance(image_rgb, np.ndarray):
        raise InvalidImage(f"{name} must be a numpy array, not {type(image_rgb).__name__}")
    if image_rgb.dtype != np.uint8:
        raise InvalidImage(f"{name} must be uint8, not {image_rgb.dtype}")
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise InvalidImage(f"{name} must be (H, W, 3) RGB, not shape {image_rgb.shape}")
    if image_rgb.shape[0] == 0 or image_rgb.shape[1] == 0:
        raise InvalidImage(f"{name} is empty: shape {image_rgb.shape}")
    return np.ascontiguousarray(image_rgb)


def _rect(face: Face) -> Any:
    if face.w <= 0 or face.h <= 0:
        raise ValueError(f"face box must have positive size, not {face.w}x{face.h}")
    return dlib.rectangle(face.x, face.y, face.x + face.w - 1, face.y + face.h - 1)


class FaceAnalyzer:
    """Detects faces, embeds them and finds their landmarks.

    ``upsample`` doubles the image that many times before detection, finding
    faces half as large each time at about four times the cost.
    ``min_face_px`` drops detections whose box is smaller on either side —
    tiny faces embed poorly (dlib aligns to 150x150 chips). ``min_score``
    drops weak detections: dlib's own threshold is 0, and at 0-0.1 it
    sometimes fires on hands or badges (once on the astronaut portrait,
    re-encoded as JPEG, with a box larger than her face), while real faces
    turned 35 degrees can score as low as ~0.2.
    """

    def __init__(self, upsample: int = 0, min_face_px: int = 40, min_score: float = 0.0) -> None:
        if upsample < 0:
            raise ValueError(f"upsample must be >= 0, not {upsample}")
        if min_face_px < 1:
            raise ValueError(f"min_face_px must be >= 1, not {min_face_px}")
        self.upsample = upsample
        self.min_face_px = min_face_px
        self.min_score = min_score

    def detect(self, image_rgb: np.ndarray) -> list[Face]:
        """Faces in an (H, W, 3) uint8 RGB image, largest first."""
        image = as_rgb_image(image_rgb)
        rects, scores, _ = _detector().run(image, self.upsample, self.min_score)
        faces = [
            Face(
                x=int(r.left()),
                y=int(r.top()),
                w=int(r.width()),
                h=int(r.height()),
                score=float(s),
            )
            for r, s in zip(rects, scores, strict=True)
        ]
        faces = [f for f in faces if min(f.w, f.h) >= self.min_face_px]
        return sorted(faces, key=lambda f: (-f.w * f.h, -f.score))

    def embed(self, image_rgb: np.ndarray, face: Face) -> np.ndarray:
        """The face's (128,) float32 descriptor, aligned with the 5-point model."""
        image = as_rgb_image(image_rgb)
        rect = _rect(face)
        with _SP5.lock:
            shape = _SP5.get()(image, rect)
        with _RESNET.lock:
            descriptor = _RESNET.get().compute_face_descriptor(image, shape)
        return np.asarray(descriptor, dtype=np.float32)

    def embed_largest(self, image_rgb: np.ndarray, image_name: str = "image") -> np.ndarray:
        """The largest face's descriptor; raises NoFaceFound naming ``image_name``."""
        faces = self.detect(image_rgb)
        if not faces:
            raise NoFaceFound(image_name)
        return self.embed(image_rgb, faces[0])

    def landmarks68(self, image_rgb: np.ndarray, face: Face) -> np.ndarray:
        """The iBUG 68 landmarks as (68, 2) float32 (x, y); for liveness only (see MODEL_CARD)."""
        image = as_rgb_image(image_rgb)
        rect = _rect(face)
        with _SP68.lock:
            shape = _SP68.get()(image, rect)
        points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
        return points


def _checked_embedding(vector: np.ndarray, name: str) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float64)
    if array.shape != (EMBEDDING_SIZE,):
        raise ValueError(f"{name} must be a ({EMBEDDING_SIZE},) embedding, not shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def face_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two descriptors; < 0.6 means the same person for dlib."""
    return float(np.linalg.norm(_checked_embedding(a, "a") - _checked_embedding(b, "b")))


def match(
    reference: np.ndarray, probe: np.ndarray, threshold: float = MATCH_THRESHOLD
) -> FaceMatch:
    """Compare the reference (document/on-file) descriptor with the probe (live) one.

    A bank wanting fewer false accepts lowers ``threshold`` (dlib users often
    take 0.5 for 1:1 checks), at the cost of more false rejects.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, not {threshold}")
    distance = float(
        np.linalg.norm(
            _checked_embedding(reference, "reference") - _checked_embedding(probe, "probe")
        )
    )
    return FaceMatch(distance=distance, matched=distance < threshold, threshold=threshold)
