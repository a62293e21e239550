"""Audio quality and voice activity for a customer's recorded voice.

A dual-recording (双录) inspection or a voice identity check is only worth
running on audio that carries enough clear speech: ``assess_audio`` measures
what makes a recording unusable — silence or muting, too little speech, too
quiet, clipped, too noisy — and names every failure in plain words, as
``assess_photo`` does for photos. Voice activity comes from WebRTC's VAD
(``webrtcvad``), whose raw 30 ms decisions flicker inside words and on
breaths, so they are merged across short gaps and stripped of blips.

Limits: the VAD answers "voice-like or not", so loud music, a television or a
second person all count as speech; levels are measured against digital full
scale and say nothing about how close the speaker sat to the microphone.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

with warnings.catch_warnings():
    # webrtcvad imports pkg_resources, which warns that it is deprecated.
    warnings.simplefilter("ignore")
    import webrtcvad

__all__ = [
    "SAMPLE_RATE_HZ",
    "AudioError",
    "AudioQuality",
    "Segment",
    "assess_audio",
    "read_wav",
    "speech_segments",
    "to_mono_16k",
]

SAMPLE_RATE_HZ = 16_000
"""Every analysis here runs at 16 kHz mono: what the VAD, the recogniser and the encoder expect."""

MAX_AUDIO_S = 4 * 3600.0
"""``read_wav`` refuses recordings declaring more than this (a memory guard)."""

_FRAME_S = 0.03  # webrtcvad accepts 10, 20 or 30 ms frames; 30 ms gives the steadiest decisions
_FRAME_LEN = int(SAMPLE_RATE_HZ * _FRAME_S)
_CLIP_LEVEL = 0.999  # |sample| at or above this counts as clipped (int16 full scale is 0.99997)
_NOISE_MARGIN_S = 0.1  # non-speech this close to a speech segment is left out of the noise floor
_FLOOR_POWER = 1e-10  # -100 dBFS: keeps levels finite for digital silence
_EDGE_DROP_DB = 40.0  # segment edges this far below the segment's loudest frame are VAD hangover
_MIN_PAUSE_S = 0.3  # pauses shorter than this are too few to measure the noise floor on
_QUIET_FRAMES = 0.1  # without pauses, the quietest 10% of frames stand in for the noise floor


class AudioError(ValueError):
    """The audio cannot be read or is unusable for analysis; the message says why."""


@dataclass(frozen=True)
class Segment:
    """A stretch of speech, in seconds from the start of the recording."""

    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class AudioQuality:
    """What ``assess_audio`` measured, and every reason the recording is unusable."""

    duration_s: float
    speech_s: float
    speech_ratio: float
    """Share of the recording inside speech segments."""
    loudness_dbfs: float | None
    """RMS level of the speech segments, dB re digital full scale; None without speech."""
    peak_dbfs: float
    clipping_ratio: float
    """Share of samples at digital full scale."""
    snr_db: float | None
    """Speech power over the noise floor (see ``assess_audio``); None without speech."""
    segments: list[Segment] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Decode WAV (or FLAC/OGG, anything libsndfile reads) bytes into float32 mono and its rate.

    Channels are averaged: a customer's recording is judged as heard, not per
    microphone.
    """
    if not data:
        raise AudioError("empty audio data")
    try:
        info = sf.info(io.BytesIO(data))
        if info.samplerate <= 0:
            raise AudioError(f"invalid sample rate {info.samplerate} Hz in audio header")
        if info.frames > MAX_AUDIO_S * info.samplerate * 1.01:
            raise AudioError(
                f"audio too long: header declares {info.frames / info.samplerate:.0f} s, "
                f"at most {MAX_AUDIO_S:.0f} s accepted"
            )
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError, EOFError) as exc:
        raise AudioError(f"not a readable audio file (WAV, FLAC or OGG expected): {exc}") from exc
    if samples.shape[0] == 0:
        raise AudioError("audio file holds no samples")
    mono = samples.mean(axis=1, dtype=np.float32)
    if not np.all(np.isfinite(mono)):
        raise AudioError("audio holds NaN or infinite samples")
    return mono, int(rate)


def to_mono_16k(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """Bring any recording to float32 mono at 16 kHz within [-1, 1].

    Integer PCM is scaled by its full scale and (frames, channels) arrays are
    averaged, so callers can pass what their decoder gives them.
    """
    if rate_hz <= 0:
        raise AudioError(f"sample rate must be positive, got {rate_hz} Hz")
    x = np.asarray(samples)
    if np.issubdtype(x.dtype, np.integer):
        x = x.astype(np.float64) / float(-np.iinfo(x.dtype).min)
    elif not np.issubdtype(x.dtype, np.floating):
        raise AudioError(f"samples must be numeric PCM, got dtype {x.dtype}")
    if x.ndim == 2:
        x = x.mean(axis=1)
    elif x.ndim != 1:
        raise AudioError(f"samples must be 1-D or (frames, channels), got shape {x.shape}")
    if x.size == 0:
        raise AudioError("audio holds no samples")
    if not np.all(np.isfinite(x)):
        raise AudioError("audio holds NaN or infinite samples")
    if rate_hz != SAMPLE_RATE_HZ:
        g = math.gcd(int(rate_hz), SAMPLE_RATE_HZ)
        x = resample_poly(x, SAMPLE_RATE_HZ // g, int(rate_hz) // g)
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def _pcm16(samples_16k: np.ndarray) -> bytes:
    clipped = np.clip(np.asarray(samples_16k, dtype=np.float64), -1.0, 1.0)
    return np.round(clipped * 32767.0).astype("<i2").tobytes()


def _check_samples(samples_16k: np.ndarray) -> np.ndarray:
    x = np.asarray(samples_16k)
    if x.ndim != 1:
        raise AudioError(f"expected 1-D 16 kHz mono samples, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise AudioError(f"expected float samples in [-1, 1], got dtype {x.dtype}")
    return x.astype(np.float32, copy=False)


def _voiced_frames(samples_16k: np.ndarray, aggressiveness: int) -> np.ndarray:
    """One VAD decision per whole 30 ms frame (a trailing partial frame is dropped)."""
    n_frames = len(samples_16k) // _FRAME_LEN
    pcm = _pcm16(samples_16k[: n_frames * _FRAME_LEN])
    vad = webrtcvad.Vad(aggressiveness)
    step = _FRAME_LEN * 2  # bytes per frame
    return np.fromiter(
        (vad.is_speech(pcm[i * step : (i + 1) * step], SAMPLE_RATE_HZ) for i in range(n_frames)),
        dtype=bool,
        count=n_frames,
    )


def speech_segments(
    samples_16k: np.ndarray,
    aggressiveness: int = 2,
    min_speech_s: float = 0.2,
    merge_gap_s: float = 0.3,
) -> list[Segment]:
    """Speech segments found by WebRTC's VAD on 30 ms frames.

    Runs of voiced frames closer than ``merge_gap_s`` are joined (stops and
    short pauses inside a sentence), then segments shorter than
    ``min_speech_s`` are dropped (clicks, breaths). ``aggressiveness`` is
    WebRTC's 0-3: higher rejects more noise and more soft speech.
    """
    if aggressiveness not in (0, 1, 2, 3):
        raise ValueError(f"aggressiveness must be 0, 1, 2 or 3, got {aggressiveness}")
    if min_speech_s < 0 or merge_gap_s < 0:
        raise ValueError("min_speech_s and merge_gap_s must not be negative")
    x = _check_samples(samples_16k)
    voiced = _voiced_frames(x, aggressiveness)
    if not voiced.any():
        return []
    padded = np.concatenate(([False], voiced, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]

    merged: list[list[int]] = [list(runs[0])]
    for start, end in runs[1:]:
        if (start - merged[-1][1]) * _FRAME_S <= merge_gap_s:
            merged[-1][1] = end
        else:
            merged.append([start, end])

    # The VAD keeps saying "speech" for a few frames after a word ends, even on
    # digital silence; trim edges far below the segment's loudest frame.
    power_db = _frame_power_db(x, len(voiced))
    segments: list[Segment] = []
    for a, b in merged:
        floor_db = float(power_db[a:b].max()) - _EDGE_DROP_DB
        while a < b and power_db[a] < floor_db:
            a += 1
        while b > a and power_db[b - 1] < floor_db:
            b -= 1
        if (b - a) * _FRAME_S >= min_speech_s:
            segments.append(Segment(round(a * _FRAME_S, 3), round(b * _FRAME_S, 3)))
    return segments


def _frame_power_db(samples_16k: np.ndarray, n_frames: int) -> np.ndarray:
    frames = samples_16k[: n_frames * _FRAME_LEN].astype(np.float64).reshape(n_frames, _FRAME_LEN)
    return 10.0 * np.log10(np.maximum(np.mean(frames**2, axis=1), _FLOOR_POWER))


def _dbfs(power: float) -> float:
    return 10.0 * math.log10(max(power, _FLOOR_POWER))


def assess_audio(
    samples_16k: np.ndarray,
    *,
    min_loudness_dbfs: float = -35.0,
    max_clipping_ratio: float = 0.001,
    min_snr_db: float = 15.0,
    min_speech_s: float = 1.0,
) -> AudioQuality:
    """Measure a 16 kHz mono recording and list every reason it is unusable.

    The noise floor is the power of the pauses between speech segments
    (keeping 0.1 s away from speech, where the VAD's edges blur). When there
    are under 0.3 s of pauses — noise loud enough that the VAD hears speech
    everywhere, or a clip cut tight — the quietest 10% of 30 ms frames stand in
    for the noise floor, which under-states the SNR of a clean, pause-less clip.
    """
    x = _check_samples(samples_16k)
    duration_s = len(x) / SAMPLE_RATE_HZ
    if len(x) == 0:
        raise AudioError("audio holds no samples")
    segments = speech_segments(x)
    speech_mask = np.zeros(len(x), dtype=bool)
    noise_mask = np.ones(len(x), dtype=bool)
    margin = int(_NOISE_MARGIN_S * SAMPLE_RATE_HZ)
    for seg in segments:
        a, b = int(seg.start_s * SAMPLE_RATE_HZ), int(seg.end_s * SAMPLE_RATE_HZ)
        speech_mask[a:b] = True
        noise_mask[max(0, a - margin) : b + margin] = False

    x64 = x.astype(np.float64)
    speech_s = float(speech_mask.sum()) / SAMPLE_RATE_HZ
    peak = float(np.max(np.abs(x64)))
    peak_dbfs = 20.0 * math.log10(max(peak, math.sqrt(_FLOOR_POWER)))
    clipping_ratio = float(np.count_nonzero(np.abs(x64) >= _CLIP_LEVEL)) / len(x)

    loudness_dbfs: float | None = None
    snr_db: float | None = None
    if speech_mask.any():
        speech_power = float(np.mean(x64[speech_mask] ** 2))
        loudness_dbfs = _dbfs(speech_power)
        if noise_mask.sum() >= _MIN_PAUSE_S * SAMPLE_RATE_HZ:
            noise_power = float(np.mean(x64[noise_mask] ** 2))
        else:
            # Loud noise makes the VAD call everything speech; the quietest
            # frames (gaps between words) then still show the noise floor.
            n_frames = len(x) // _FRAME_LEN
            power = np.sort(np.mean(x64[: n_frames * _FRAME_LEN].reshape(n_frames, -1) ** 2, 1))
            noise_power = float(np.mean(power[: max(1, int(n_frames * _QUIET_FRAMES))]))
        snr_db = loudness_dbfs - _dbfs(noise_power)

    failures: list[str] = []
    if not segments:
        failures.append("no speech found (muted or silent audio)")
    elif speech_s < min_speech_s:
        failures.append(
            f"too little speech: {speech_s:.1f} s, at least {min_speech_s:.1f} s needed"
        )
    if loudness_dbfs is not None and loudness_dbfs < min_loudness_dbfs:
        failures.append(
            f"speech too quiet: {loudness_dbfs:.1f} dBFS, at least {min_loudness_dbfs:.1f} dBFS "
            "needed"
        )
    if clipping_ratio > max_clipping_ratio:
        failures.append(
            f"clipped: {clipping_ratio:.2%} of samples at full scale, "
            f"at most {max_clipping_ratio:.2%} allowed"
        )
    if snr_db is not None and snr_db < min_snr_db:
        failures.append(
            f"too noisy: signal-to-noise ratio {snr_db:.1f} dB, at least {min_snr_db:.1f} dB needed"
        )
    return AudioQuality(
        duration_s=duration_s,
        speech_s=speech_s,
        speech_ratio=speech_s / duration_s,
        loudness_dbfs=loudness_dbfs,
        peak_dbfs=peak_dbfs,
        clipping_ratio=clipping_ratio,
        snr_db=snr_db,
        segments=segments,
        failures=failures,
    )
