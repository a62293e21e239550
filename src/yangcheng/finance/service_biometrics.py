"""Biometric capabilities: face match, voice quality and speaker verification, liveness.

The models behind them are loaded once per process and shared with the recording inspection
(`service_recording`); the voice encoder's ONNX export is cached under the installation's
``$YANGCHENG_HOME/models``.
"""

from __future__ import annotations

import tempfile
import threading
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from yangcheng.config import Settings
from yangcheng.finance.identity.face import MATCH_THRESHOLD, FaceAnalyzer, face_distance
from yangcheng.finance.identity.liveness import check_liveness, observe
from yangcheng.finance.identity.speaker import SAME_SPEAKER_THRESHOLD, VoiceEncoder, verify
from yangcheng.finance.identity.voice import (
    AudioError,
    AudioQuality,
    assess_audio,
    read_wav,
    to_mono_16k,
)
from yangcheng.finance.recording.media import MediaError, probe, read_frames
from yangcheng.finance.service_identity import (
    MAX_IMAGE_BYTES,
    decode_base64_field,
    decode_image_field,
)
from yangcheng.platform.catalog import Capability, InvalidInput

Challenge = Literal["blink", "turn_left", "turn_right"]
DEFAULT_CHALLENGES: tuple[Challenge, ...] = ("blink", "turn_left", "turn_right")

MAX_AUDIO_BYTES = 32 * 1024 * 1024
MAX_VIDEO_BYTES = 64 * 1024 * 1024


def _base64_chars(n_bytes: int) -> int:
    return 4 * -(-n_bytes // 3)


_home: Path | None = None
_lock = threading.Lock()
_encoders: dict[Path, VoiceEncoder] = {}


def configure(home: Path) -> None:
    global _home
    _home = Path(home)


def home() -> Path:
    return _home or Settings().home


@cache
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer()


def encoder() -> VoiceEncoder:
    """The voice encoder of this installation (its ONNX export lives under home/models)."""
    folder = home() / "models"
    with _lock:
        if folder not in _encoders:
            _encoders[folder] = VoiceEncoder(cache_dir=folder)
        return _encoders[folder]


# --- face match ---------------------------------------------------------------------------


class FaceMatchRequest(BaseModel):
    """The ID photo and the photos (or video frames) to compare with it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    reference_photo_base64: str = Field(
        min_length=1,
        max_length=_base64_chars(MAX_IMAGE_BYTES),
        description="The ID-document photo: JPEG or PNG, base64.",
    )
    photos_base64: list[str] = Field(
        min_length=1, max_length=10, description="1-10 photos (JPEG/PNG, base64) to compare."
    )
    threshold: float = Field(
        default=MATCH_THRESHOLD, gt=0, le=2, description="Same person below this distance."
    )


class FaceMatchOut(BaseModel):
    index: int
    face_found: bool
    faces: int
    distance: float | None
    matched: bool


class FaceMatchResponse(BaseModel):
    all_matched: bool
    threshold: float
    results: list[FaceMatchOut]


def face_match(req: FaceMatchRequest) -> FaceMatchResponse:
    faces = analyzer()
    reference_image = decode_image_field(req.reference_photo_base64, "reference_photo_base64")
    found = faces.detect(reference_image)
    if not found:
        raise InvalidInput("reference_photo_base64", "no face found in the reference photo")
    reference = faces.embed(reference_image, found[0])
    results = []
    for i, text in enumerate(req.photos_base64):
        image = decode_image_field(text, f"photos_base64.{i}")
        in_photo = faces.detect(image)
        distance = face_distance(reference, faces.embed(image, in_photo[0])) if in_photo else None
        matched = distance is not None and distance < req.threshold
        results.append(
            FaceMatchOut(
                index=i,
                face_found=bool(in_photo),
                faces=len(in_photo),
                distance=round(distance, 4) if distance is not None else None,
                matched=matched,
            )
        )
    return FaceMatchResponse(
        all_matched=all(r.matched for r in results), threshold=req.threshold, results=results
    )


FACE_MATCH = Capability(
    name="finance.identity.face-match",
    version="1.0.0",
    group="finance",
    summary="Compare the face on an ID photo with up to 10 photos or video frames",
    description=(
        "Finds the largest face in each image (dlib HOG), aligns it with the 5-point landmark "
        "model and compares 128-d ResNet embeddings: the same person when the Euclidean "
        "distance is below 0.6 (dlib's threshold, 99.38% on LFW)."
    ),
    request_model=FaceMatchRequest,
    response_model=FaceMatchResponse,
    handler=face_match,
    card={
        "model": "dlib-face-resnet (see the model catalog)",
        "limitations": "Roughly frontal faces of at least ~80 px; no anti-spoofing.",
    },
)


# --- voice ------------------------------------------------------------------------------


class AudioOut(BaseModel):
    duration_s: float
    speech_s: float
    speech_ratio: float
    loudness_dbfs: float | None = Field(description="RMS level of the speech; None without.")
    peak_dbfs: float
    clipping_ratio: float
    snr_db: float | None
    failures: list[str]

    @classmethod
    def of(cls, q: AudioQuality) -> AudioOut:
        return cls(
            duration_s=q.duration_s,
            speech_s=q.speech_s,
            speech_ratio=q.speech_ratio,
            loudness_dbfs=q.loudness_dbfs,
            peak_dbfs=q.peak_dbfs,
            clipping_ratio=q.clipping_ratio,
            snr_db=q.snr_db,
            failures=list(q.failures),
        )


class VoiceCheckRequest(BaseModel):
    """A voice recording, and optionally an enrolled voice to verify it against."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    audio_base64: str = Field(
        min_length=1,
        max_length=_base64_chars(MAX_AUDIO_BYTES),
        description="WAV, FLAC or OGG (anything libsndfile reads), base64; at most 32 MiB.",
    )
    reference_audio_base64: str | None = Field(
        default=None,
        max_length=_base64_chars(MAX_AUDIO_BYTES),
        description="The customer's enrolled voice: same formats.",
    )
    threshold: float = Field(
        default=SAME_SPEAKER_THRESHOLD, gt=-1, le=1, description="Cosine similarity cut-off."
    )


class SegmentOut(BaseModel):
    start_s: float
    end_s: float


class VoiceCheckResponse(BaseModel):
    ok: bool
    audio: AudioOut
    segments: list[SegmentOut]
    speaker_similarity: float | None
    same_speaker: bool | None


def _audio(text: str, field: str) -> np.ndarray:
    data = decode_base64_field(text, field, MAX_AUDIO_BYTES)
    try:
        samples, rate = read_wav(data)
        return to_mono_16k(samples, rate)
    except AudioError as exc:
        raise InvalidInput(field, str(exc)) from None


def voice_check(req: VoiceCheckRequest) -> VoiceCheckResponse:
    samples = _audio(req.audio_base64, "audio_base64")
    quality = assess_audio(samples)
    similarity = same = None
    if req.reference_audio_base64 is not None:
        reference = _audio(req.reference_audio_base64, "reference_audio_base64")
        try:
            similarity, same = verify(encoder(), reference, samples, req.threshold)
        except AudioError as exc:
            raise InvalidInput("reference_audio_base64", str(exc)) from None
    return VoiceCheckResponse(
        ok=quality.ok and same is not False,
        audio=AudioOut.of(quality),
        segments=[SegmentOut(start_s=s.start_s, end_s=s.end_s) for s in quality.segments],
        speaker_similarity=round(similarity, 4) if similarity is not None else None,
        same_speaker=same,
    )


VOICE = Capability(
    name="finance.identity.voice",
    version="1.0.0",
    group="finance",
    summary="Voice quality (speech, loudness, clipping, SNR) and speaker verification",
    description=(
        "Finds speech with WebRTC's voice-activity detector, measures its level, clipping "
        "and signal-to-noise ratio, and, given an enrolled voice, compares GE2E speaker "
        "embeddings (Resemblyzer's encoder served with ONNX Runtime)."
    ),
    request_model=VoiceCheckRequest,
    response_model=VoiceCheckResponse,
    handler=voice_check,
    card={
        "model": "resemblyzer-ge2e (see the model catalog)",
        "limitations": "English-dominated training data; needs >= ~1 s of speech per clip.",
    },
)


# --- liveness -----------------------------------------------------------------------------


class LivenessRequest(BaseModel):
    """A short selfie video in which the customer performs the challenges asked."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    video_base64: str = Field(
        min_length=1,
        max_length=_base64_chars(MAX_VIDEO_BYTES),
        description="MP4/WebM/MOV (anything ffmpeg reads), base64; at most 64 MiB.",
    )
    challenges: list[Challenge] = Field(
        default_factory=lambda: list(DEFAULT_CHALLENGES), min_length=1, max_length=3
    )
    sample_fps: float = Field(default=10.0, ge=4.0, le=30.0)


class ChallengeOut(BaseModel):
    name: str
    passed: bool
    at_s: float | None
    detail: str


class LivenessResponse(BaseModel):
    passed: bool
    challenges: list[ChallengeOut]
    frames: int
    face_present_ratio: float


def liveness(req: LivenessRequest) -> LivenessResponse:
    data = decode_base64_field(req.video_base64, "video_base64", MAX_VIDEO_BYTES)
    faces = analyzer()
    with tempfile.TemporaryDirectory(prefix="yc-live-") as tmp:
        path = Path(tmp) / "selfie"
        path.write_bytes(data)
        try:
            observations = [
                observe(faces, frame, t_s)
                for t_s, frame in read_frames(probe(path), req.sample_fps)
            ]
        except MediaError as exc:
            raise InvalidInput("video_base64", str(exc)) from None
    if not observations:
        raise InvalidInput("video_base64", "no video frames could be decoded")
    report = check_liveness(observations, tuple(req.challenges))
    return LivenessResponse(
        passed=report.passed,
        challenges=[ChallengeOut(**c.__dict__) for c in report.challenges],
        frames=len(observations),
        face_present_ratio=round(sum(o.faces > 0 for o in observations) / len(observations), 4),
    )


LIVENESS = Capability(
    name="finance.identity.liveness",
    version="1.0.0",
    group="finance",
    summary="Challenge-response liveness over a selfie video: blink and head turns, with times",
    description=(
        "Samples the video, measures the eye aspect ratio (blink) and head yaw (solvePnP on "
        "dlib's 68 landmarks) frame by frame, and reports when each challenge was performed."
    ),
    request_model=LivenessRequest,
    response_model=LivenessResponse,
    handler=liveness,
    card={
        "models": "dlib-landmarks-68 (non-commercial training data; see the model catalog)",
        "limitations": (
            "Challenge-response only: defeats a still photo or screen, not a replayed video "
            "or a mask. No anti-spoofing weights ship on PyPI; the library accepts an "
            "operator-supplied ONNX anti-spoof model (OnnxSpoofDetector)."
        ),
    },
)

CAPABILITIES = (FACE_MATCH, VOICE, LIVENESS)
