"""Quality inspection of one dual recording (双录质检): what a QC officer checks, measured.

A regulator requires that the sale of a wealth-management or insurance product be recorded with
sound and picture, and a bank's QC team must confirm in each recording that the customer was
there throughout (face in frame, the same person, the ID holder, alive), that the disclosure
script was read, that the customer consented in words, and that the sound can be listened to.
This module measures each of those from the file and hands the numbers to the checklist, whose
rules decide pass, review or fail.

Video and sound are analysed concurrently (ffmpeg decodes in its own process; the audio models
release the GIL for most of their work), so on two cores the sound costs little extra time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.finance.identity.face import MATCH_THRESHOLD, Face, FaceAnalyzer, face_distance
from yangcheng.finance.identity.liveness import (
    FrameObservation,
    LivenessReport,
    check_liveness,
    observe_face,
)
from yangcheng.finance.identity.speaker import SpeakerTurn, VoiceEncoder, diarize
from yangcheng.finance.identity.speech import Recognizer, Word, find_phrase, script_coverage
from yangcheng.finance.identity.voice import AudioQuality, assess_audio
from yangcheng.finance.recording.checklist import Checklist, RuleVerdict, Verdict
from yangcheng.finance.recording.media import MediaError, MediaInfo, probe, read_audio, read_frames

__all__ = ["InspectionConfig", "QCReport", "inspect_recording"]

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class InspectionConfig:
    """What the recording must contain, and how densely to look at it."""

    script: str
    consent_phrases: Sequence[str]
    challenges: Sequence[str] = ("blink", "turn_left", "turn_right")
    expected_faces: int = 1
    max_speakers: int = 2
    sample_fps: float = 10.0
    """Frames looked at per second: a blink lasts 100-400 ms, so at least ~8."""
    detect_every_s: float = 1.0
    """How often the whole frame is searched and the people in it counted."""
    embed_every_s: float = 2.0
    """How often faces are compared with the reference (the embedding costs ~0.1 s a face)."""
    max_side_px: int = 640


@dataclass(frozen=True)
class Interval:
    start_s: float
    end_s: float
    label: str


@dataclass(frozen=True)
class Mark:
    t_s: float
    label: str
    ok: bool


@dataclass
class QCReport:
    """Everything measured, the checklist's verdict per rule, and a timeline to look at."""

    file: str
    verdict: Verdict
    checklist: str
    metrics: dict[str, Any]
    rules: list[RuleVerdict]
    liveness: LivenessReport | None
    audio: AudioQuality
    speakers: list[SpeakerTurn]
    transcript: list[Word]
    script_missing: list[str]
    consent_phrase: str | None
    consent_at_s: float | None
    face_tracks: list[Interval] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_MAX_FACES = 4  # faces compared per sampled frame
_TRACK_MARGIN = 0.6  # the crop around the last face, in face sizes on each side


def _closest(reference: np.ndarray, embeddings: Sequence[np.ndarray]) -> np.ndarray:
    return min(embeddings, key=lambda e: face_distance(reference, e))


@dataclass
class _VideoFacts:
    observations: list[FrameObservation] = field(default_factory=list)
    distances: list[float] = field(default_factory=list)
    """Face-sample distances to the reference (ID photo, else the first sample)."""
    id_distances: list[float] = field(default_factory=list)
    full_counts: list[tuple[float, int]] = field(default_factory=list)
    """(time, faces) of each frame searched whole (the tracker only follows one face)."""
    frames: int = 0


def _runs(
    times: Sequence[float], flags: Sequence[bool], step_s: float, label: str
) -> list[Interval]:
    """Merge consecutive flagged samples into intervals."""
    out: list[Interval] = []
    start: float | None = None
    for t, flag in zip(times, flags, strict=True):
        if flag and start is None:
            start = t
        elif not flag and start is not None:
            out.append(Interval(round(start, 2), round(t, 2), label))
            start = None
    if start is not None and times:
        out.append(Interval(round(start, 2), round(times[-1] + step_s, 2), label))
    return out


def _track(analyzer: FaceAnalyzer, frame: np.ndarray, last: Face) -> Face | None:
    """Find the face again near where it was: the detector on a crop costs a fraction of a
    full frame, and a face moves little between samples a tenth of a second apart."""
    height, width = frame.shape[:2]
    margin = int(max(last.w, last.h) * _TRACK_MARGIN)
    x0, y0 = max(0, last.x - margin), max(0, last.y - margin)
    x1, y1 = min(width, last.x + last.w + margin), min(height, last.y + last.h + margin)
    found = analyzer.detect(np.ascontiguousarray(frame[y0:y1, x0:x1]))
    if not found:
        return None
    f = found[0]
    return Face(x=f.x + x0, y=f.y + y0, w=f.w, h=f.h, score=f.score)


def _analyse_video(
    info: MediaInfo,
    config: InspectionConfig,
    analyzer: FaceAnalyzer,
    reference: np.ndarray | None,
    progress: Progress | None,
) -> _VideoFacts:
    """Faces, liveness signals and identity, frame by frame.

    Once a second (``detect_every_s``) the whole frame is searched and every face in it
    counted, and every other second (``embed_every_s``) compared with the reference; in
    between, the face is tracked in a crop around where it was and only its landmarks are
    measured (blinks need ~10 frames a second, counting people does not). A face lost by the
    tracker is searched for in the whole frame at once.
    """
    facts = _VideoFacts()
    first: np.ndarray | None = None
    next_full_s = next_embed_s = 0.0
    tracked: Face | None = None
    for t_s, frame in read_frames(info, config.sample_fps, config.max_side_px):
        facts.frames += 1
        face = None if tracked is None or t_s >= next_full_s else _track(analyzer, frame, tracked)
        if face is not None:
            count = 1
        else:
            found = analyzer.detect(frame)
            face, count = (found[0] if found else None), len(found)
            facts.full_counts.append((t_s, count))
            if t_s >= next_full_s:
                next_full_s = t_s + config.detect_every_s
            if found and t_s >= next_embed_s:
                next_embed_s = t_s + config.embed_every_s
                # with several people in frame, the customer is the face closest to the reference
                embeddings = [analyzer.embed(frame, f) for f in found[:_MAX_FACES]]
                if embeddings:
                    if first is None:
                        first = (
                            embeddings[0] if reference is None else _closest(reference, embeddings)
                        )
                    facts.distances.append(min(face_distance(first, e) for e in embeddings))
                    if reference is not None:
                        facts.id_distances.append(
                            min(face_distance(reference, e) for e in embeddings)
                        )
        tracked = face
        facts.observations.append(observe_face(analyzer, frame, face, count, t_s))
        if progress is not None and info.duration_s > 0:
            progress(min(1.0, t_s / info.duration_s), "video")
    if facts.frames == 0:
        raise MediaError(f"{info.path.name}: no video frames could be decoded")
    return facts


@dataclass
class _AudioFacts:
    quality: AudioQuality
    speakers: list[SpeakerTurn]
    words: list[Word]


def _analyse_audio(
    info: MediaInfo, config: InspectionConfig, encoder: VoiceEncoder, recognizer: Recognizer
) -> _AudioFacts:
    samples = read_audio(info)
    quality = assess_audio(samples)
    speakers = diarize(encoder, samples, quality.segments) if quality.segments else []
    words: list[Word] = []
    if quality.segments:
        expected = [config.script, *config.consent_phrases]
        words = recognizer.transcribe(samples, expected=expected)
    return _AudioFacts(quality, speakers, words)


def inspect_recording(
    path: str | Path,
    config: InspectionConfig,
    checklist: Checklist,
    *,
    analyzer: FaceAnalyzer,
    encoder: VoiceEncoder,
    recognizer: Recognizer,
    reference_face: np.ndarray | None = None,
    progress: Progress | None = None,
) -> QCReport:
    """Measure `path` and judge it with `checklist`.

    `reference_face` is the embedding of the customer's ID photo, when one was supplied; without
    it, "same person" is judged against the first face seen.
    """
    started = time.perf_counter()
    info = probe(path)
    if not info.has_video:
        raise MediaError(f"{info.path.name}: a dual recording needs a video stream; found none")
    if not info.has_audio:
        raise MediaError(f"{info.path.name}: a dual recording needs an audio stream; found none")
    timings: dict[str, float] = {}

    def timed_audio() -> _AudioFacts:
        t0 = time.perf_counter()
        try:
            return _analyse_audio(info, config, encoder, recognizer)
        finally:
            timings["audio"] = time.perf_counter() - t0

    lock = threading.Lock()

    def video_progress(fraction: float, stage: str) -> None:
        if progress is not None:
            with lock:
                progress(fraction * 0.95, stage)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="yc-audio") as pool:
        audio_future = pool.submit(timed_audio)
        t0 = time.perf_counter()
        video = _analyse_video(info, config, analyzer, reference_face, video_progress)
        timings["video"] = time.perf_counter() - t0
        audio = audio_future.result()

    step = 1.0 / config.sample_fps
    times = [o.t_s for o in video.observations]
    counts = [o.faces for o in video.observations]
    n = max(1, len(counts))
    liveness = (
        check_liveness(video.observations, tuple(config.challenges)) if config.challenges else None
    )
    coverage = script_coverage(audio.words, config.script)
    consent = find_phrase(audio.words, list(config.consent_phrases))
    quality = audio.quality
    metrics: dict[str, Any] = {
        "duration_s": round(info.duration_s, 3),
        "face_present_ratio": sum(c > 0 for c in counts) / n,
        "extra_face_ratio": (
            sum(c > config.expected_faces for _, c in video.full_counts) / len(video.full_counts)
        ),
        "expected_faces": config.expected_faces,
        "same_person_ratio": (
            sum(d < MATCH_THRESHOLD for d in video.distances) / len(video.distances)
            if video.distances
            else 0.0
        ),
        # False also when an ID photo was given but no face was seen: face_missing catches that
        "id_compared": bool(video.id_distances),
        "id_match_distance": float(np.median(video.id_distances)) if video.id_distances else 0.0,
        "liveness_checked": liveness is not None,
        "liveness_passed": bool(liveness and liveness.passed),
        "speech_s": quality.speech_s,
        # no speech has no speech level: count it as digital silence (no_speech fires anyway)
        "loudness_dbfs": quality.loudness_dbfs if quality.loudness_dbfs is not None else -120.0,
        "clipping_ratio": quality.clipping_ratio,
        "snr_measured": quality.snr_db is not None,
        "snr_db": quality.snr_db if quality.snr_db is not None else 0.0,
        "speaker_count": len({turn.speaker for turn in audio.speakers}),
        "max_speakers": config.max_speakers,
        "script_coverage": coverage.coverage,
        "consent_found": consent is not None,
    }
    metrics = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}
    verdict, rules = checklist.evaluate(
        {k: v for k, v in metrics.items() if k in checklist.metrics}
    )

    marks: list[Mark] = []
    if liveness is not None:
        marks += [Mark(c.at_s, c.name, c.passed) for c in liveness.challenges if c.at_s is not None]
    if coverage.found_at_s is not None:
        marks.append(Mark(coverage.found_at_s, "script", coverage.coverage >= 0.8))
    if consent is not None:
        marks.append(Mark(consent[1], f"consent: {consent[0]}", True))
    tracks = _runs(times, [c > 0 for c in counts], step, "face")
    tracks += _runs(
        [t for t, _ in video.full_counts],
        [c > config.expected_faces for _, c in video.full_counts],
        config.detect_every_s,
        "extra face",
    )
    timings["total"] = time.perf_counter() - started
    if progress is not None:
        progress(1.0, "done")
    return QCReport(
        file=info.path.name,
        verdict=verdict,
        checklist=f"{checklist.name} v{checklist.version}",
        metrics=metrics,
        rules=rules,
        liveness=liveness,
        audio=quality,
        speakers=audio.speakers,
        transcript=audio.words,
        script_missing=coverage.missing,
        consent_phrase=consent[0] if consent else None,
        consent_at_s=consent[1] if consent else None,
        face_tracks=tracks,
        marks=sorted(marks, key=lambda m: m.t_s),
        timings_s={k: round(v, 3) for k, v in timings.items()},
    )
