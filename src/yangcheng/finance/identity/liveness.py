"""Challenge-response liveness over the frames of a customer's video.

The customer is asked to blink and to turn their head; a printed photo cannot
blink and a photo held to the camera turns as a flat card, not a head. Each
frame is reduced to a ``FrameObservation`` — how many faces, the eye aspect
ratio and the head's yaw of the largest — and ``check_liveness`` looks for
each challenge in that sequence.

- Eye aspect ratio (EAR, Soukupová & Čech 2016): for each eye's six landmarks
  ``(|p2-p6| + |p3-p5|) / (2 |p1-p4|)``, averaged over both eyes; about 0.3
  open and under 0.15 closed. A blink is judged against the sequence's own
  median EAR, because the open value varies between people.
- Yaw: ``cv2.solvePnP`` (SQPnP) fits a generic six-point 3-D face (nose tip,
  chin, outer eye corners, mouth corners) to the 68-point landmarks, assuming
  a camera whose focal length equals the image width. Yaw is the rotation
  about the head's own vertical axis (yaw, then pitch, then roll), so a
  tilted or nodding head does not read as turned; positive when the subject
  turns to their own left, which in an unmirrored camera image moves the
  nose towards the image's right. A generic face and unknown optics make it
  rough: ``sample_faces`` turns of 15-35 degrees read as 0.7-1.5x, and Ruiz
  et al. (2018) report 16.8 degrees mean absolute yaw error for dlib's 68
  landmarks with PnP over BIWI's full range. So turns are judged against the
  sequence's median yaw, with a lenient default of 15 degrees.

These challenges stop a still photo or a still image on a screen; they do
not stop a photo with the eyes cut out, a replayed video of the customer
doing the same moves, or a good mask. Prompting in a random order with
``in_order=True`` makes replay harder, and a trained presentation-attack
detector plugged in as a ``SpoofDetector`` covers screens and prints. No
such weights ship on PyPI, so ``OnnxSpoofDetector`` runs an operator-supplied
ONNX model. The 68-point landmark model is licensed for non-commercial use
only (see ``face.MODEL_CARD``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np

from yangcheng.finance.identity.face import Face, FaceAnalyzer, as_rgb_image

__all__ = [
    "CHALLENGES",
    "ChallengeResult",
    "FrameObservation",
    "LivenessReport",
    "OnnxSpoofDetector",
    "SpoofDetector",
    "SpoofModelError",
    "UnknownChallenge",
    "check_liveness",
    "crop_face",
    "eye_aspect_ratio",
    "head_yaw_deg",
    "observe",
    "observe_face",
]

CHALLENGES = ("blink", "turn_left", "turn_right")

# Generic 3-D face (arbitrary units, x to the image's right, y up, z towards the camera)
# and the iBUG 68 indices of the same points: nose tip, chin, outer eye corners, mouth corners.
_MODEL_POINTS = np.array(
    [
        (0.0, 0.0, 0.0),
        (0.0, -330.0, -65.0),
        (-225.0, 170.0, -135.0),
        (225.0, 170.0, -135.0),
        (-150.0, -150.0, -125.0),
        (150.0, -150.0, -125.0),
    ],
    dtype=np.float64,
)
_MODEL_LANDMARKS = [30, 8, 36, 45, 48, 54]


class UnknownChallenge(ValueError):
    """A challenge name that ``check_liveness`` does not know."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown liveness challenge {name!r}; known: {', '.join(CHALLENGES)}")
        self.name = name


class SpoofModelError(ValueError):
    """An anti-spoofing model file is missing, unreadable or does not fit its settings."""


@dataclass(frozen=True)
class FrameObservation:
    """What one frame shows of the largest face; ``ear``/``yaw_deg`` are None without a face.

    ``yaw_deg`` is positive when the subject turns to their own left.
    """

    t_s: float
    faces: int
    ear: float | None
    yaw_deg: float | None


@dataclass(frozen=True)
class ChallengeResult:
    """One challenge's verdict; ``at_s`` is when it was met, ``detail`` why or why not."""

    name: str
    passed: bool
    at_s: float | None
    detail: str


@dataclass(frozen=True)
class LivenessReport:
    """All challenges and the anti-spoofing score; ``passed`` needs every part to pass."""

    challenges: list[ChallengeResult]
    spoof_score: float | None
    passed: bool


def eye_aspect_ratio(landmarks68: np.ndarray) -> float:
    """Mean EAR of both eyes from (68, 2) landmarks (points 36-41 and 42-47)."""
    points = np.asarray(landmarks68, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"landmarks68 must have shape (68, 2), not {points.shape}")
    ratios = []
    for start in (36, 42):
        p = points[start : start + 6]
        width = np.linalg.norm(p[0] - p[3])
        if width == 0:
            raise ValueError(f"eye landmarks {start}-{start + 5} have zero width")
        height = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
        ratios.append(height / (2.0 * width))
    return float(np.mean(ratios))


def head_yaw_deg(landmarks68: np.ndarray, image_size: tuple[int, int]) -> float:
    """Head yaw in degrees from (68, 2) landmarks in an image of ``image_size`` (width, height).

    Positive when the subject turns to their own left (nose towards the image's right).
    """
    points = np.asarray(landmarks68, dtype=np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"landmarks68 must have shape (68, 2), not {points.shape}")
    width, height = image_size
    camera = np.array(
        [[width, 0.0, width / 2.0], [0.0, width, height / 2.0], [0.0, 0.0, 1.0]], dtype=np.float64
    )
    ok, rvec, _ = cv2.solvePnP(
        _MODEL_POINTS, points[_MODEL_LANDMARKS], camera, None, flags=cv2.SOLVEPNP_SQPNP
    )
    if not ok:
        raise ValueError("head pose could not be solved from these landmarks")
    rotation, _ = cv2.Rodrigues(rvec)
    # Undo the axis flip between model (y up, z to the camera) and camera (y down, z away),
    # then read yaw from head = roll_z @ pitch_x @ yaw_y, so head tilt does not leak into yaw.
    head = np.diag([1.0, -1.0, -1.0]) @ rotation
    return math.degrees(math.atan2(-head[2, 0], head[2, 2]))


def observe(analyzer: FaceAnalyzer, image_rgb: np.ndarray, t_s: float) -> FrameObservation:
    """Count the faces in a frame and measure EAR and yaw of the largest."""
    image = as_rgb_image(image_rgb)
    faces = analyzer.detect(image)
    return observe_face(analyzer, image, faces[0] if faces else None, len(faces), t_s)


def observe_face(
    analyzer: FaceAnalyzer, image_rgb: np.ndarray, face: Face | None, faces: int, t_s: float
) -> FrameObservation:
    """EAR and yaw of a face found already (by a tracker, say), in full-frame coordinates.

    Landmarks are taken on the full frame because the yaw estimate's camera model assumes
    the full frame's width as the focal length.
    """
    if face is None:
        return FrameObservation(t_s=t_s, faces=0, ear=None, yaw_deg=None)
    image = as_rgb_image(image_rgb)
    landmarks = analyzer.landmarks68(image, face)
    return FrameObservation(
        t_s=t_s,
        faces=faces,
        ear=eye_aspect_ratio(landmarks),
        yaw_deg=head_yaw_deg(landmarks, (image.shape[1], image.shape[0])),
    )


def _blink(frames: list[FrameObservation], after_s: float, ear_closed: float) -> ChallengeResult:
    ears = [f.ear for f in frames if f.ear is not None]
    if not ears:
        return ChallengeResult("blink", False, None, "no frame shows a face")
    baseline = float(np.median(ears))
    closed_below = ear_closed * baseline
    open_above = 0.5 * (1.0 + ear_closed) * baseline  # hysteresis: halfway back to open
    seen_open = False
    closed: tuple[float, float] | None = None  # (ear, t_s) of the lowest closed frame
    lowest = math.inf
    for frame in frames:
        if frame.ear is None or frame.t_s < after_s:
            continue
        lowest = min(lowest, frame.ear)
        if closed is None:
            if frame.ear >= open_above:
                seen_open = True
            elif frame.ear < closed_below and seen_open:
                closed = (frame.ear, frame.t_s)
        elif frame.ear < closed[0]:
            closed = (frame.ear, frame.t_s)
        elif frame.ear >= open_above:
            ear, t_s = closed
            return ChallengeResult(
                "blink",
                True,
                t_s,
                f"EAR {ear:.3f} at {t_s:.2f} s against open {baseline:.3f} "
                f"(closed below {closed_below:.3f}); reopened at {frame.t_s:.2f} s",
            )
    if closed is not None:
        why = f"eyes closed at {closed[1]:.2f} s but did not reopen"
    elif lowest < closed_below:
        why = "eyes were closed only before any open frame"
    elif math.isinf(lowest):
        why = "no frame shows a face after the previous challenge"
    else:
        why = f"no blink: lowest EAR {lowest:.3f}, closed means below {closed_below:.3f}"
    return ChallengeResult("blink", False, None, f"{why} (open EAR {baseline:.3f})")


def _turn(
    name: str, frames: list[FrameObservation], after_s: float, yaw_turn_deg: float
) -> ChallengeResult:
    yaws = [f.yaw_deg for f in frames if f.yaw_deg is not None]
    if not yaws:
        return ChallengeResult(name, False, None, "no frame shows a face")
    frontal = float(np.median(yaws))
    sign = 1.0 if name == "turn_left" else -1.0
    best: float | None = None
    for frame in frames:
        if frame.yaw_deg is None or frame.t_s < after_s:
            continue
        turned = sign * (frame.yaw_deg - frontal)
        if turned >= yaw_turn_deg:
            return ChallengeResult(
                name,
                True,
                frame.t_s,
                f"yaw {frame.yaw_deg:+.1f} deg at {frame.t_s:.2f} s, {turned:.1f} deg from "
                f"frontal {frontal:+.1f} (needed {yaw_turn_deg:g})",
            )
        best = turned if best is None else max(best, turned)
    side = "left" if sign > 0 else "right"
    most = "no frame" if best is None else f"at most {best:.1f} deg"
    return ChallengeResult(
        name,
        False,
        None,
        f"no turn to the {side}: {most} from frontal {frontal:+.1f}, needed {yaw_turn_deg:g}",
    )


def check_liveness(
    observations: Sequence[FrameObservation],
    challenges: Sequence[str] = CHALLENGES,
    *,
    ear_closed: float = 0.6,
    yaw_turn_deg: float = 15.0,
    spoof_score: float | None = None,
    min_live_score: float = 0.5,
    in_order: bool = False,
) -> LivenessReport:
    """Judge each challenge over time-ordered frame observations.

    - ``blink``: an open frame, then EAR below ``ear_closed`` x the median EAR
      for at least one frame, then open again (halfway back to the median).
      ``at_s`` is the frame with the lowest EAR.
    - ``turn_left`` / ``turn_right``: yaw at least ``yaw_turn_deg`` to that
      side of the median yaw; ``at_s`` is the first such frame. The medians
      assume the customer faces the camera for most of the clip.
    - ``in_order``: each challenge must come after the previous one's
      ``at_s``, for prompts given in a random order.
    - ``spoof_score``: a ``SpoofDetector`` live score in [0, 1] (e.g. the
      lowest over sampled frames); below ``min_live_score`` fails the report.
      Without one, ``passed`` rests on the challenges alone.

    Frames without a face are skipped; how many faces a frame may show is the
    caller's rule (a dual recording shows the customer and the staff member).
    """
    if not challenges:
        raise ValueError("at least one challenge is needed")
    for name in challenges:
        if name not in CHALLENGES:
            raise UnknownChallenge(name)
    if not 0.0 < ear_closed < 1.0:
        raise ValueError(f"ear_closed is a fraction of the open EAR in (0, 1), not {ear_closed}")
    if not yaw_turn_deg > 0.0:
        raise ValueError(f"yaw_turn_deg must be > 0, not {yaw_turn_deg}")
    if spoof_score is not None and not 0.0 <= spoof_score <= 1.0:
        raise ValueError(f"spoof_score must be in [0, 1], not {spoof_score}")
    frames = list(observations)
    for earlier, later in itertools.pairwise(frames):
        if later.t_s < earlier.t_s:
            raise ValueError(f"observations out of time order: {later.t_s} s after {earlier.t_s} s")

    results: list[ChallengeResult] = []
    after_s = -math.inf
    for name in challenges:
        if name == "blink":
            result = _blink(frames, after_s, ear_closed)
        else:
            result = _turn(name, frames, after_s, yaw_turn_deg)
        results.append(result)
        if in_order and result.at_s is not None:
            after_s = result.at_s
    live = spoof_score is None or spoof_score >= min_live_score
    passed = live and all(r.passed for r in results)
    return LivenessReport(challenges=results, spoof_score=spoof_score, passed=passed)


def crop_face(image_rgb: np.ndarray, face: Face, scale: float = 1.0) -> np.ndarray:
    """The square around ``face``, ``scale`` times its size, clipped to the image.

    Anti-spoofing models are trained on a fixed context around the face (many
    use 2.7x or 4x the box, to see a phone's or a print's edge), so pass the
    ``scale`` the model was trained with.
    """
    image = as_rgb_image(image_rgb)
    if not scale > 0:
        raise ValueError(f"scale must be > 0, not {scale}")
    side = max(face.w, face.h) * scale
    cx, cy = face.x + face.w / 2, face.y + face.h / 2
    height, width = image.shape[:2]
    x0, y0 = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    x1, y1 = min(width, round(cx + side / 2)), min(height, round(cy + side / 2))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"face box {face} lies outside the {width}x{height} image")
    return image[y0:y1, x0:x1].copy()


class SpoofDetector(Protocol):
    """Scores how likely a face crop shows a live person rather than a print, screen or mask."""

    def live_score(self, face_rgb: np.ndarray) -> float:
        """Probability in [0, 1] that ``face_rgb`` is a live face."""
        ...


class OnnxSpoofDetector:
    """A presentation-attack model supplied by the operator, run with onnxruntime.

    The model takes one image: ``input_size`` (width, height), channels in
    ``channel_order``, pixels multiplied by ``pixel_scale`` then normalised by
    ``mean`` and ``std`` per channel, laid out ``NCHW`` or ``NHWC``. Output
    number ``output_index`` holds class scores; ``live_index`` names the live
    class. With ``outputs="logits"`` a softmax (a sigmoid for a single value)
    turns them into probabilities. The file is loaded and a blank image run
    through it at construction, so a wrong file or setting fails at start-up
    rather than on the first customer.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        input_size: tuple[int, int] = (80, 80),
        channel_order: Literal["RGB", "BGR"] = "RGB",
        pixel_scale: float = 1.0 / 255.0,
        mean: tuple[float, float, float] = (0.0, 0.0, 0.0),
        std: tuple[float, float, float] = (1.0, 1.0, 1.0),
        layout: Literal["NCHW", "NHWC"] = "NCHW",
        live_index: int = 1,
        output_index: int = 0,
        outputs: Literal["logits", "probabilities"] = "logits",
        providers: Sequence[str] = ("CPUExecutionProvider",),
    ) -> None:
        import onnxruntime as ort

        path = Path(model_path)
        if not path.is_file():
            raise SpoofModelError(f"anti-spoofing model not found: {path}")
        if channel_order not in ("RGB", "BGR") or layout not in ("NCHW", "NHWC"):
            raise ValueError(f"unsupported channel_order {channel_order} or layout {layout}")
        if outputs not in ("logits", "probabilities"):
            raise ValueError(f"outputs must be 'logits' or 'probabilities', not {outputs!r}")
        if min(input_size) < 1 or min(std) <= 0:
            raise ValueError(f"input_size {input_size} and std {std} must be positive")
        self.model_path = path
        self.input_size = input_size
        self.channel_order = channel_order
        self.layout = layout
        self.live_index = live_index
        self.output_index = output_index
        self.outputs = outputs
        self._scale = np.float32(pixel_scale)
        self._mean = np.asarray(mean, dtype=np.float32)
        self._std = np.asarray(std, dtype=np.float32)
        try:
            self._session: Any = ort.InferenceSession(str(path), providers=list(providers))
        except Exception as exc:  # onnxruntime raises its own, unexported, error types
            raise SpoofModelError(f"{path} is not a loadable ONNX model: {exc}") from exc
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            raise SpoofModelError(f"{path} takes {len(inputs)} inputs; one image is expected")
        self._input_name: str = inputs[0].name
        width, height = input_size
        expected = [1, 3, height, width] if layout == "NCHW" else [1, height, width, 3]
        shape = list(inputs[0].shape)
        fits = len(shape) == 4 and all(
            not isinstance(got, int) or got == want or (i == 0 and got == -1)
            for i, (got, want) in enumerate(zip(shape, expected, strict=True))
        )
        if not fits:
            raise SpoofModelError(
                f"{path} input {self._input_name!r} has shape {shape}; "
                f"input_size={input_size} with layout {layout} needs {expected}"
            )
        self.live_score(np.zeros((height, width, 3), np.uint8))  # fail now on bad indices

    def _tensor(self, face_rgb: np.ndarray) -> np.ndarray:
        width, height = self.input_size
        face = as_rgb_image(face_rgb, "face_rgb")
        shrinking = face.shape[0] > height or face.shape[1] > width
        resized = cv2.resize(
            face, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        )
        if self.channel_order == "BGR":
            resized = resized[..., ::-1]
        pixels = (resized.astype(np.float32) * self._scale - self._mean) / self._std
        if self.layout == "NCHW":
            pixels = pixels.transpose(2, 0, 1)
        return np.ascontiguousarray(pixels[None], dtype=np.float32)

    def live_score(self, face_rgb: np.ndarray) -> float:
        """Probability in [0, 1] that ``face_rgb`` (a crop, any size) shows a live face."""
        results = self._session.run(None, {self._input_name: self._tensor(face_rgb)})
        if not 0 <= self.output_index < len(results):
            raise SpoofModelError(
                f"{self.model_path} has {len(results)} outputs; output_index is {self.output_index}"
            )
        scores = np.asarray(results[self.output_index], dtype=np.float64).reshape(-1)
        if scores.size == 1:
            if self.live_index not in (0, -1):
                raise SpoofModelError(
                    f"{self.model_path} gives one score; live_index must be 0, "
                    f"not {self.live_index}"
                )
            value = float(scores[0])
            if self.outputs == "probabilities":
                return value
            return 0.5 * (1.0 + math.tanh(0.5 * value))  # sigmoid, without overflow
        if not -scores.size <= self.live_index < scores.size:
            raise SpoofModelError(
                f"{self.model_path} gives {scores.size} class scores; "
                f"live_index {self.live_index} is out of range"
            )
        if self.outputs == "logits":
            exp = np.exp(scores - scores.max())
            scores = exp / exp.sum()
        return float(scores[self.live_index])
