"""Synthetic dual recordings (双录) for tests and benchmarks, built honestly from parts.

No bank recording can ship with an open-source project, so test recordings are composed the way
a vendor's test lab would: a real public-domain portrait (NASA's astronaut portrait from
scikit-image; Grace Hopper from matplotlib as a second person) placed in an office frame by
`identity.sample_faces`, eyes closed and head turned by geometry rather than by a model, speech
spoken by Debian's espeak-ng, and the whole muxed by ffmpeg into H.264 + AAC in an MP4, as
capture systems write. Every negative case a checklist must catch has a named scenario.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from yangcheng.finance.identity.sample_faces import (
    compose_frame,
    customer_portrait,
    other_portrait,
)
from yangcheng.finance.identity.sample_speech import DISCLOSURE_SCRIPT_EN, speak
from yangcheng.finance.recording.media import AUDIO_RATE_HZ, MediaError

__all__ = ["SCENARIOS", "RecordingSpec", "Utterance", "build_recording"]

AGENT_VOICE = "en-us"
CUSTOMER_VOICE = "en-us+f3"
STRANGER_VOICE = "en-gb-x-rp+m7"
AGENT_WPM = 175  # sales staff read a script they know by heart briskly
CONSENT_EN = "Yes, I understand the risks and I agree."
STRANGER_LINE = "Just sign it, there is nothing to worry about."


@dataclass(frozen=True)
class Utterance:
    """Said after the previous utterance ends and `pause_s` passes (the first after 0.5 s)."""

    text: str
    voice: str = AGENT_VOICE
    pause_s: float = 0.6
    words_per_minute: int = 150


@dataclass(frozen=True)
class RecordingSpec:
    """What happens in a synthetic recording, second by second."""

    name: str
    speech: tuple[Utterance, ...]
    min_duration_s: float = 12.0
    """The recording lasts this long, or until 1 s after the last word if that is later."""
    people: str = "customer"
    """'customer', 'none' (nobody in frame), 'two' (a second face), 'other' (someone else)."""
    blinks_s: tuple[float, ...] = ()
    turns: tuple[tuple[float, float], ...] = ()
    """(start_s, yaw_deg): the head turns to yaw_deg and is held for `turn_hold_s`."""
    turn_hold_s: float = 0.8
    muted: bool = False
    fps: int = 10
    size: tuple[int, int] = (640, 360)
    notes: str = ""
    expect_failed: frozenset[str] = frozenset()
    """Rules of the default checklist this recording must fail (with the astronaut ID photo)."""


_GOOD = RecordingSpec(
    name="good",
    speech=(
        Utterance(DISCLOSURE_SCRIPT_EN, AGENT_VOICE, words_per_minute=AGENT_WPM),
        Utterance(CONSENT_EN, CUSTOMER_VOICE),
    ),
    blinks_s=(2.0, 9.0),
    turns=((4.0, 28.0), (6.5, -28.0)),
)
"""The compliant recording every negative scenario departs from in one way."""


def _good(name: str = "good", **changes: Any) -> RecordingSpec:
    return replace(_GOOD, name=name, **changes)


SCENARIOS: dict[str, RecordingSpec] = {
    spec.name: spec
    for spec in (
        _good(notes="agent reads the disclosure, customer blinks, turns both ways, consents"),
        _good(
            "no_face",
            people="none",
            notes="the customer is never in frame",
            expect_failed=frozenset({"face_missing", "liveness_failed"}),
        ),
        _good(
            "second_face",
            people="two",
            notes="a second person sits beside the customer",
            expect_failed=frozenset({"extra_person"}),
        ),
        _good(
            "other_person",
            people="other",
            notes="someone other than the ID holder",
            expect_failed=frozenset({"not_id_holder"}),
        ),
        _good(
            "muted",
            muted=True,
            notes="the audio track is present but silent",
            expect_failed=frozenset({"no_speech", "script_incomplete", "no_consent"}),
        ),
        _good(
            "no_consent",
            speech=(Utterance(DISCLOSURE_SCRIPT_EN, AGENT_VOICE, words_per_minute=AGENT_WPM),),
            notes="the disclosure is read but the customer never consents",
            expect_failed=frozenset({"no_consent"}),
        ),
        _good(
            "no_liveness",
            blinks_s=(),
            turns=(),
            notes="a still face: no blink, no turn",
            expect_failed=frozenset({"liveness_failed"}),
        ),
        _good(
            "third_voice",
            speech=(
                Utterance(DISCLOSURE_SCRIPT_EN, AGENT_VOICE, words_per_minute=AGENT_WPM),
                Utterance(STRANGER_LINE, STRANGER_VOICE),
                Utterance(CONSENT_EN, CUSTOMER_VOICE),
            ),
            notes="a third voice, neither agent nor customer, urges the customer to sign",
            expect_failed=frozenset({"extra_speaker"}),
        ),
    )
}


@cache
def _portraits(people: str) -> tuple[np.ndarray, ...]:
    if people == "customer":
        return (customer_portrait(),)
    if people == "two":
        return (customer_portrait(), other_portrait())
    if people == "other":
        return (other_portrait(),)
    if people == "none":
        return ()
    raise ValueError(f"people must be customer, two, other or none, got {people!r}")


def _yaw_at(spec: RecordingSpec, t_s: float) -> float:
    for start, yaw in spec.turns:
        # ramp in and out over 0.2 s so the turn looks like a movement, not a cut
        if start - 0.2 <= t_s < start + spec.turn_hold_s + 0.2:
            ramp = min(1.0, (t_s - start + 0.2) / 0.2, (start + spec.turn_hold_s + 0.2 - t_s) / 0.2)
            return yaw * max(0.0, ramp)
    return 0.0


def _eyes_closed_at(spec: RecordingSpec, t_s: float) -> bool:
    return any(b <= t_s < b + 0.25 for b in spec.blinks_s)


def render_audio(spec: RecordingSpec, seed: int = 0) -> np.ndarray:
    """The sound track at 16 kHz: utterances one after another over a quiet room tone."""
    voices = [
        speak(utt.text, voice=utt.voice, words_per_minute=utt.words_per_minute)
        for utt in spec.speech
    ]
    starts: list[int] = []
    cursor = 0.5 * AUDIO_RATE_HZ
    for utt, voice in zip(spec.speech, voices, strict=True):
        if starts:
            cursor += utt.pause_s * AUDIO_RATE_HZ
        starts.append(int(cursor))
        cursor += len(voice)
    n = int(max(spec.min_duration_s * AUDIO_RATE_HZ, cursor + AUDIO_RATE_HZ))
    rng = np.random.default_rng(seed)
    track = (rng.standard_normal(n) * 10 ** (-62 / 20)).astype(np.float32)  # room tone
    for start, voice in zip(starts, voices, strict=True):
        track[start : start + len(voice)] += 0.5 * voice
    if spec.muted:
        track[:] = 0.0
    return np.clip(track, -1.0, 1.0)


def build_recording(
    spec: RecordingSpec,
    path: str | Path,
    *,
    seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Write `spec` as an MP4 (H.264 + AAC) at `path`; written to a temp name, then moved."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise MediaError("ffmpeg is not installed (Debian package 'ffmpeg'); run `make media`")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    portraits = _portraits(spec.people)
    width, height = spec.size
    audio = render_audio(spec, seed)
    n_frames = round(len(audio) / AUDIO_RATE_HZ * spec.fps)
    with tempfile.TemporaryDirectory(prefix="yc-rec-") as tmp:
        wav = Path(tmp) / "audio.wav"
        sf.write(wav, audio, AUDIO_RATE_HZ, subtype="PCM_16")
        partial = Path(tmp) / "out.mp4"
        cmd = [ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
        cmd += ["-s", f"{width}x{height}", "-r", str(spec.fps), "-i", "-", "-i", str(wav)]
        cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]
        cmd += ["-c:a", "aac", "-b:a", "96k", "-shortest", "-movflags", "+faststart"]
        cmd += [str(partial)]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        cached: dict[tuple[bool, float], bytes] = {}
        try:
            for i in range(n_frames):
                t = i / spec.fps
                key = (_eyes_closed_at(spec, t), round(_yaw_at(spec, t), 1))
                if key not in cached:
                    frame = compose_frame(
                        portraits,
                        size=spec.size,
                        eyes_closed=key[0],
                        yaw_deg=key[1],
                        seed=seed,
                    )
                    cached[key] = np.ascontiguousarray(frame, dtype=np.uint8).tobytes()
                proc.stdin.write(cached[key])
                if progress is not None:
                    progress((i + 1) / n_frames)
            _, stderr = proc.communicate(timeout=600)  # closes stdin: end of the video
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise MediaError(f"ffmpeg could not write {path.name}: {stderr.decode()[-300:]}")
        shutil.move(str(partial), path)
    return path
