"""Speaker verification and diarisation with the GE2E encoder, on espeak-ng voices.

espeak-ng's male variants of one language share a formant model and the GE2E
encoder scores them as one speaker (en-us vs en-us+m1/m3/m4: 0.80-0.92), so the
"different speaker" cases pair the default male voice with the female variant
en-us+f3, which differs in pitch and formants as two people would (0.55-0.70).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from yangcheng.finance.identity import speaker
from yangcheng.finance.identity.sample_speech import DISCLOSURE_SCRIPT_EN, speak
from yangcheng.finance.identity.speaker import (
    SAME_SPEAKER_THRESHOLD,
    SpeakerTurn,
    VoiceEncoder,
    diarize,
    verify,
)
from yangcheng.finance.identity.voice import SAMPLE_RATE_HZ, AudioError, speech_segments

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

SENTENCES = (
    "Good morning, I would like to open a savings account and move my salary into it.",
    "The weather in Shanghai has been rainy all week, so we stayed at home.",
    "Yes, I understand and I agree.",
)
MALE, FEMALE = "en-us", "en-us+f3"


@pytest.fixture(scope="session")
def encoder_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("voice-encoder")


@pytest.fixture(scope="session")
def encoder(encoder_cache: Path) -> VoiceEncoder:
    started = time.perf_counter()
    enc = VoiceEncoder(encoder_cache)
    print(f"\nONNX export and load on first use: {time.perf_counter() - started:.2f} s")
    return enc


@pytest.fixture(scope="session")
def voices() -> dict[tuple[str, int], np.ndarray]:
    return {
        (v, i): speak(text, voice=v) for v in (MALE, FEMALE) for i, text in enumerate(SENTENCES)
    }


def test_export_is_cached_under_the_weights_hash(
    encoder: VoiceEncoder, encoder_cache: Path
) -> None:
    files = sorted(p.name for p in encoder_cache.iterdir())
    assert files == [encoder.model_path.name]  # no temporary file left behind
    assert encoder.model_path.name.startswith("resemblyzer-ge2e-")
    mtime = encoder.model_path.stat().st_mtime_ns
    again = VoiceEncoder(encoder_cache)
    assert again.model_path == encoder.model_path
    assert encoder.model_path.stat().st_mtime_ns == mtime  # reused, not exported again


def test_onnx_output_equals_the_torch_module(encoder: VoiceEncoder) -> None:
    import torch

    mels = np.random.default_rng(0).gamma(1.0, 0.5, size=(3, 160, 40)).astype(np.float32)
    module = speaker._torch_encoder(speaker._weights_path())
    with torch.no_grad():
        expected = module(torch.from_numpy(mels)).numpy()
    np.testing.assert_allclose(encoder.embed_mels(mels), expected, atol=1e-4)


def test_mel_filterbank_is_librosas() -> None:
    # Reference values from librosa 0.11 filters.mel(sr=16000, n_fft=400, n_mels=40), which
    # Resemblyzer's training used; importing librosa here would cost seconds.
    basis = speaker._MEL_BASIS
    assert basis.shape == (40, 201)
    assert float(basis.sum()) == pytest.approx(0.9994971752166748, rel=1e-5)
    for band, first, last, peak in (
        (0, 1, 3, 0.012404520995914936),
        (10, 19, 22, 0.01187948975712061),
        (39, 172, 199, 0.0017249403754249215),
    ):
        nonzero = np.flatnonzero(basis[band])
        assert (nonzero[0], nonzero[-1]) == (first, last)
        assert float(basis[band].max()) == pytest.approx(peak, rel=1e-5)


def test_mel_spectrogram_frames_like_librosa() -> None:
    # centred 25 ms frames every 10 ms: n // 160 + 1 frames; a 1 kHz tone peaks near 1 kHz
    tone = np.sin(2 * np.pi * 1000 * np.arange(16_000) / SAMPLE_RATE_HZ).astype(np.float32)
    mel = speaker.mel_spectrogram(tone)
    assert mel.shape == (101, 40)
    centres_hz = 8000 * np.arange(201) / 200 @ speaker._MEL_BASIS.T / speaker._MEL_BASIS.sum(1)
    assert abs(centres_hz[int(np.argmax(mel[50]))] - 1000) < 100


def test_embeddings_are_unit_vectors(encoder: VoiceEncoder, voices: dict) -> None:
    e = encoder.embed(voices[MALE, 0])
    assert e.shape == (256,) and e.dtype == np.float32
    assert np.linalg.norm(e) == pytest.approx(1.0, abs=1e-5)
    assert np.all(e >= 0)  # ReLU before normalisation


def test_same_voice_on_different_sentences_is_one_speaker(
    encoder: VoiceEncoder, voices: dict
) -> None:
    for v in (MALE, FEMALE):
        score, same = verify(encoder, voices[v, 0], voices[v, 1])
        assert same, f"{v}: {score:.3f}"
        assert score >= SAME_SPEAKER_THRESHOLD


def test_male_and_female_voices_are_different_speakers(encoder: VoiceEncoder, voices: dict) -> None:
    for i, j in ((0, 1), (1, 0), (0, 0)):
        score, same = verify(encoder, voices[MALE, i], voices[FEMALE, j])
        assert not same, f"{i}/{j}: {score:.3f}"
        assert score < SAME_SPEAKER_THRESHOLD - 0.05


def test_too_little_speech_cannot_be_embedded(encoder: VoiceEncoder) -> None:
    short = speak("Yes.")
    with pytest.raises(AudioError, match="too little speech"):
        encoder.embed(short)
    with pytest.raises(AudioError, match="too little speech"):
        encoder.embed(np.zeros(SAMPLE_RATE_HZ * 2, np.float32))


def test_diarize_numbers_speakers_by_first_appearance(encoder: VoiceEncoder, voices: dict) -> None:
    gap = np.zeros(int(0.6 * SAMPLE_RATE_HZ), np.float32)
    parts = [voices[MALE, 0], voices[FEMALE, 2], voices[MALE, 1]]
    x = np.concatenate([gap, parts[0], gap, parts[1], gap, parts[2], gap])
    segments = speech_segments(x)
    assert len(segments) == 3
    turns = diarize(encoder, x, segments)
    assert [t.speaker for t in turns] == [0, 1, 0]
    assert all(isinstance(t, SpeakerTurn) for t in turns)
    assert [(t.start_s, t.end_s) for t in turns] == [(s.start_s, s.end_s) for s in segments]


def test_a_long_monologue_stays_one_speaker(encoder: VoiceEncoder) -> None:
    x = speak(DISCLOSURE_SCRIPT_EN)
    started = time.perf_counter()
    turns = diarize(encoder, x, speech_segments(x))
    elapsed = time.perf_counter() - started
    assert turns and {t.speaker for t in turns} == {0}
    print(f"\ndiarize: {elapsed / (len(x) / SAMPLE_RATE_HZ) * 1000:.1f} ms per second of audio")


def test_diarize_without_speech_returns_no_turns(encoder: VoiceEncoder) -> None:
    assert diarize(encoder, np.zeros(SAMPLE_RATE_HZ, np.float32), []) == []
