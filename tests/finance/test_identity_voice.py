"""Audio quality and voice activity, on espeak-ng speech padded, muted, clipped and noised."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from yangcheng.finance.identity import sample_speech
from yangcheng.finance.identity.sample_speech import speak
from yangcheng.finance.identity.voice import (
    SAMPLE_RATE_HZ,
    AudioError,
    assess_audio,
    read_wav,
    speech_segments,
    to_mono_16k,
)

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

SENTENCE = "Good morning. I would like to open a savings account today."
PAD_S = (1.0, 1.5, 2.0)  # silence before, between and after the two utterances


def _extent_s(x: np.ndarray) -> tuple[float, float]:
    """First and last sample louder than -40 dBFS: where the speech really is."""
    loud = np.flatnonzero(np.abs(x) > 0.01)
    return loud[0] / SAMPLE_RATE_HZ, (loud[-1] + 1) / SAMPLE_RATE_HZ


@pytest.fixture(scope="module")
def utterance() -> np.ndarray:
    return speak(SENTENCE)


@pytest.fixture(scope="module")
def padded(utterance: np.ndarray) -> np.ndarray:
    """Two utterances (male, then female voice) in silence with a little room noise."""
    other = speak("Thank you. Please sign here.", voice="en-us+f3")
    pads = [np.zeros(int(s * SAMPLE_RATE_HZ), np.float32) for s in PAD_S]
    x = np.concatenate([pads[0], utterance, pads[1], other, pads[2]])
    noise = np.random.default_rng(7).normal(0.0, 1e-4, len(x))  # -80 dBFS
    return (x + noise).astype(np.float32)


def test_vad_finds_each_utterance_within_a_tenth_of_a_second(
    utterance: np.ndarray, padded: np.ndarray
) -> None:
    first = _extent_s(utterance)
    second_start = PAD_S[0] + len(utterance) / SAMPLE_RATE_HZ + PAD_S[1]
    second = _extent_s(padded[int(second_start * SAMPLE_RATE_HZ) :])
    expected = [
        (PAD_S[0] + first[0], PAD_S[0] + first[1]),
        (second_start + second[0], second_start + second[1]),
    ]
    segments = speech_segments(padded)
    assert len(segments) == 2
    for seg, (start, end) in zip(segments, expected, strict=True):
        assert seg.start_s == pytest.approx(start, abs=0.1)
        assert seg.end_s == pytest.approx(end, abs=0.1)


def test_short_pauses_inside_a_sentence_do_not_split_it(utterance: np.ndarray) -> None:
    # "Good morning." and the rest are one stretch of speech at the default 0.3 s merge gap
    assert len(speech_segments(utterance)) == 1
    assert len(speech_segments(utterance, merge_gap_s=0.0)) > 1


def test_clean_speech_passes_with_plausible_levels(padded: np.ndarray) -> None:
    q = assess_audio(padded)
    assert q.ok, q.failures
    assert q.loudness_dbfs is not None and -30 < q.loudness_dbfs < -10
    assert q.snr_db is not None and q.snr_db > 40
    assert q.clipping_ratio == 0.0
    assert 0.4 < q.speech_ratio < 0.8
    assert q.speech_s == pytest.approx(sum(s.duration_s for s in q.segments))


def test_muted_audio_is_reported_as_no_speech() -> None:
    muted = np.zeros(3 * SAMPLE_RATE_HZ, np.float32)
    q = assess_audio(muted)
    assert q.failures == ["no speech found (muted or silent audio)"]
    assert q.loudness_dbfs is None and q.snr_db is None and q.segments == []


def test_clipped_audio_is_reported(padded: np.ndarray) -> None:
    clipped = np.clip(padded * 20, -1.0, 1.0)
    q = assess_audio(clipped)
    assert q.clipping_ratio > 0.01
    assert any(f.startswith("clipped:") for f in q.failures)


def test_white_noise_lowers_snr_below_the_threshold(padded: np.ndarray) -> None:
    clean = assess_audio(padded)
    noisy = padded + np.random.default_rng(1).normal(0.0, 0.03, len(padded)).astype(np.float32)
    q = assess_audio(noisy)
    assert q.snr_db is not None and clean.snr_db is not None
    assert q.snr_db < 15.0 < clean.snr_db
    assert any(f.startswith("too noisy") for f in q.failures)


def test_noise_loud_enough_to_hide_every_pause_still_fails(padded: np.ndarray) -> None:
    # At -26 dBFS of noise the VAD hears speech everywhere; the quietest frames stand in.
    noisy = padded + np.random.default_rng(2).normal(0.0, 0.05, len(padded)).astype(np.float32)
    q = assess_audio(noisy)
    assert q.snr_db is not None and q.snr_db < 15.0


def test_quiet_and_short_speech_are_reported(utterance: np.ndarray) -> None:
    quiet = assess_audio(utterance * 0.01)
    assert any(f.startswith("speech too quiet") for f in quiet.failures)
    short = assess_audio(utterance[: int(0.6 * SAMPLE_RATE_HZ)])
    assert any(f.startswith("too little speech") for f in short.failures)


def test_read_wav_downmixes_and_to_mono_16k_resamples(utterance: np.ndarray) -> None:
    assert np.array_equal(to_mono_16k(utterance, SAMPLE_RATE_HZ), utterance)  # no-op at 16 kHz
    up = resample_poly(utterance, 441, 160).astype(np.float32)
    buf = io.BytesIO()
    sf.write(buf, np.stack([up, up * 0.5], axis=1), 44_100, format="WAV", subtype="PCM_16")
    samples, rate = read_wav(buf.getvalue())
    assert rate == 44_100 and samples.ndim == 1 and samples.dtype == np.float32
    back = to_mono_16k(samples, rate)
    n = min(len(back), len(utterance))
    assert abs(len(back) - len(utterance)) <= 2
    corr = np.corrcoef(back[:n], 0.75 * utterance[:n])[0, 1]
    assert corr > 0.99


def test_integer_pcm_is_scaled_to_full_scale() -> None:
    pcm = np.array([0, 16384, -32768], dtype=np.int16)
    assert to_mono_16k(pcm, SAMPLE_RATE_HZ).tolist() == [0.0, 0.5, -1.0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty audio data"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(40), "not a readable audio file"),
        (b"this is not audio at all", "not a readable audio file"),
    ],
)
def test_unreadable_bytes_raise_audio_error(data: bytes, message: str) -> None:
    with pytest.raises(AudioError, match=message):
        read_wav(data)


def test_a_wav_without_samples_is_refused() -> None:
    buf = io.BytesIO()
    sf.write(buf, np.zeros((0, 1), np.float32), SAMPLE_RATE_HZ, format="WAV")
    with pytest.raises(AudioError, match="no samples"):
        read_wav(buf.getvalue())


def test_bad_arguments_are_named() -> None:
    with pytest.raises(AudioError, match="sample rate must be positive"):
        to_mono_16k(np.zeros(10, np.float32), 0)
    with pytest.raises(AudioError, match="NaN"):
        to_mono_16k(np.array([0.0, np.nan]), SAMPLE_RATE_HZ)
    with pytest.raises(ValueError, match="aggressiveness"):
        speech_segments(np.zeros(SAMPLE_RATE_HZ, np.float32), aggressiveness=5)


def test_speak_is_deterministic_and_names_a_missing_program(
    utterance: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert np.array_equal(speak(SENTENCE), utterance)
    assert utterance.dtype == np.float32 and np.abs(utterance).max() <= 1.0
    with pytest.raises(RuntimeError, match=r"voice 'qqq'.*does not exist"):
        speak("hello", voice="qqq")
    monkeypatch.setattr(sample_speech.shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="espeak-ng is not installed"):
        speak("hello")
