"""Speaker verification and diarisation with Resemblyzer's GE2E voice encoder.

Whether the voice on a dual-recording (双录) is the customer's, and whether
the customer or the salesperson said a given sentence, needs a voice
embedding. Resemblyzer ships a pretrained GE2E encoder (3-layer LSTM, 256
units) in its wheel, so nothing is downloaded. By
house rule models are served through ONNX Runtime: on first use the shipped
PyTorch weights are exported once to ONNX in a caller-given cache folder,
and torch is imported only for that export. The features and the utterance
averaging follow ``resemblyzer.audio`` and ``resemblyzer.voice_encoder``
(volume normalised up to -30 dBFS, long silences cut by a VAD, 40-band mel
power spectrogram, 1.6 s partials at 1.3 per second, mean of the partial
embeddings), computed here in NumPy so ``resemblyzer`` itself (which pulls in
librosa and numba) is never imported.

Limits: the encoder was trained on public, mostly English speech corpora;
the thresholds are calibrated on espeak-ng voices, not on recordings of
customers, and must be re-calibrated on real bank audio before a decision
rests on them. Nothing here detects replayed or synthesised
voices (no anti-spoofing).
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import tempfile
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from yangcheng.finance.identity.voice import SAMPLE_RATE_HZ, AudioError, Segment

with warnings.catch_warnings():
    # webrtcvad imports pkg_resources, which warns that it is deprecated.
    warnings.simplefilter("ignore")
    import webrtcvad

__all__ = [
    "DIARIZE_THRESHOLD",
    "MIN_EMBED_S",
    "SAME_SPEAKER_THRESHOLD",
    "SpeakerTurn",
    "VoiceEncoder",
    "diarize",
    "verify",
]

SAME_SPEAKER_THRESHOLD = 0.82
"""Cosine similarity at or above which two recordings count as one speaker (``verify``).

Calibrated on espeak-ng at 150 words/min, whole sentences of 1.3-20 s (the
disclosure script, consent phrases, unrelated sentences): one voice on
different sentences scored 0.85-0.97 (lowest for the shortest phrases);
voices that differ in pitch and formants scored 0.50-0.80 (en-us vs en-us+f3
0.55-0.70, vs en-us+f1 0.67-0.77, vs en-us+f2 0.66-0.75; female variants
against each other 0.68-0.80, except f3 vs f4 up to 0.90). 0.82 sits in the
gap. espeak's male variants and its English accents share one formant model
and score 0.73-0.96 against each other: the encoder hears them as nearly one
person.
"""

DIARIZE_THRESHOLD = 0.78
"""Cosine similarity at or above which ``diarize`` joins a window to a speaker.

Lower than ``SAME_SPEAKER_THRESHOLD`` because 2-4.5 s windows embed less
steadily than whole utterances. On 108 espeak-ng recordings of the form A, B,
A (pairs en-us/en-us+f3, en-us/en-us+f2, en-us+m3/en-us+f4, en-gb/en-us+f1
and en-us alone; 1.3-20 s sentences, three random seeds) 0.78 and 0.80 got
every turn right; 0.75 merged en-gb with en-us+f1 once and 0.82 split one
voice in 8 recordings.
"""

MIN_EMBED_S = 0.5
"""Shortest speech (after trimming pauses) that ``VoiceEncoder.embed`` accepts."""

_WINDOW_S = 3.0  # diarize embeds windows of about this long
_ANCHOR_S = 1.0  # diarize founds speakers only on windows at least this long

# Resemblyzer's hyper-parameters (resemblyzer/hparams.py).
_N_FFT = 400  # 25 ms window
_HOP = 160  # 10 ms step
_N_MELS = 40
_PARTIAL_FRAMES = 160  # 1.6 s partial utterances
_PARTIALS_PER_S = 1.3
_MIN_COVERAGE = 0.75
_NORM_TARGET_DBFS = -30.0
_VAD_FRAME = 480  # 30 ms
_VAD_AVERAGE_WIDTH = 8
_VAD_MAX_SILENCE = 6
_INT16_MAX = 32767

_ONNX_OPSET = 17


def _weights_path() -> Path:
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("resemblyzer is not installed; its pretrained.pt is needed")
    path = Path(spec.submodule_search_locations[0]) / "pretrained.pt"
    if not path.is_file():
        raise RuntimeError(f"Resemblyzer's voice encoder weights are missing at {path}")
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _torch_encoder(weights: Path) -> Any:
    """Resemblyzer's network as a torch module, with the shipped weights loaded."""
    import torch

    class GE2EEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(_N_MELS, 256, 3, batch_first=True)
            self.linear = torch.nn.Linear(256, 256)
            self.relu = torch.nn.ReLU()

        def forward(self, mels: torch.Tensor) -> torch.Tensor:
            _, (hidden, _) = self.lstm(mels)
            raw = self.relu(self.linear(hidden[-1]))
            return raw / torch.norm(raw, dim=1, keepdim=True)

    checkpoint = torch.load(weights, map_location="cpu", weights_only=True)
    state = {k: v for k, v in checkpoint["model_state"].items() if not k.startswith("similarity")}
    module = GE2EEncoder()
    module.load_state_dict(state)
    return module.eval()


def _export_onnx(weights: Path, target: Path) -> None:
    """Export the encoder to ``target`` atomically (concurrent first uses never see half a file)."""
    import torch

    module = _torch_encoder(weights)
    example = torch.zeros(2, _PARTIAL_FRAMES, _N_MELS)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.stem, suffix=".tmp")
    os.close(fd)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # LSTM-with-batch-size export notices
            torch.onnx.export(
                module,
                (example,),
                tmp_name,
                input_names=["mels"],
                output_names=["embeddings"],
                dynamic_axes={"mels": {0: "batch"}, "embeddings": {0: "batch"}},
                opset_version=_ONNX_OPSET,
                dynamo=False,
            )
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _mel_filterbank() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney mel scale and area norm."""
    f_sp = 200.0 / 3
    min_log_hz, min_log_mel, logstep = 1000.0, 15.0, np.log(6.4) / 27.0

    def hz_to_mel(hz: float) -> float:
        return (
            hz / f_sp if hz < min_log_hz else min_log_mel + float(np.log(hz / min_log_hz)) / logstep
        )

    mels = np.linspace(hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE_HZ / 2), _N_MELS + 2)
    mel_hz = np.where(
        mels < min_log_mel, f_sp * mels, min_log_hz * np.exp(logstep * (mels - min_log_mel))
    )
    fft_hz = np.linspace(0, SAMPLE_RATE_HZ / 2, 1 + _N_FFT // 2)
    fdiff = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    return weights.astype(np.float32)


_MEL_BASIS = _mel_filterbank()
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(_N_FFT) / _N_FFT)).astype(np.float32)


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrogram, as ``librosa.feature.melspectrogram`` computes it.

    Centred frames with zero padding (librosa 0.10+), periodic Hann window,
    power 2; not logarithmic — the encoder was trained on linear power.
    """
    padded = np.pad(wav.astype(np.float32), _N_FFT // 2, mode="constant")
    n_frames = 1 + (len(padded) - _N_FFT) // _HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, _N_FFT)[::_HOP][:n_frames]
    power = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)) ** 2
    return (power.astype(np.float32) @ _MEL_BASIS.T).astype(np.float32)


def _normalize_volume(wav: np.ndarray) -> np.ndarray:
    """Raise (never lower) the level to -30 dBFS, as the encoder saw in training."""
    rms = float(np.sqrt(np.mean((wav.astype(np.float64) * _INT16_MAX) ** 2)))
    if rms == 0.0:
        return wav
    change_db = _NORM_TARGET_DBFS - 20.0 * np.log10(rms / _INT16_MAX)
    if change_db < 0:
        return wav
    return (wav * 10 ** (change_db / 20)).astype(np.float32)


def _trim_long_silences(wav: np.ndarray) -> np.ndarray:
    """Cut pauses longer than ~0.2 s (resemblyzer.audio.trim_long_silences, VAD mode 3)."""
    wav = wav[: len(wav) - len(wav) % _VAD_FRAME]
    if len(wav) == 0:
        return wav
    pcm = np.round(wav * _INT16_MAX).astype("<i2").tobytes()
    vad = webrtcvad.Vad(3)
    step = _VAD_FRAME * 2
    flags = np.array(
        [vad.is_speech(pcm[i : i + step], SAMPLE_RATE_HZ) for i in range(0, len(pcm), step)],
        dtype=np.float64,
    )
    width = _VAD_AVERAGE_WIDTH
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    csum = np.cumsum(padded)
    csum[width:] = csum[width:] - csum[:-width]
    mask = np.round(csum[width - 1 :] / width).astype(bool)
    # Binary dilation with a centred structuring element of _VAD_MAX_SILENCE + 1 frames.
    size = _VAD_MAX_SILENCE + 1
    dilated = np.convolve(mask.astype(np.int32), np.ones(size, dtype=np.int32), mode="full")
    offset = (size - 1) - size // 2
    mask = dilated[offset : offset + len(mask)] > 0
    return wav[np.repeat(mask, _VAD_FRAME)]


def _partial_starts(n_samples: int) -> list[int]:
    """First mel frame of each 1.6 s partial (VoiceEncoder.compute_partial_slices)."""
    n_frames = int(np.ceil((n_samples + 1) / _HOP))
    frame_step = int(np.round(SAMPLE_RATE_HZ / _PARTIALS_PER_S / _HOP))
    steps = max(1, n_frames - _PARTIAL_FRAMES + frame_step + 1)
    starts = list(range(0, steps, frame_step))
    coverage = (n_samples - starts[-1] * _HOP) / (_PARTIAL_FRAMES * _HOP)
    if coverage < _MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


class VoiceEncoder:
    """Resemblyzer's GE2E encoder served by ONNX Runtime; one instance may serve many threads.

    The ONNX file is exported on first use into ``cache_dir`` under a name
    holding the hash of the shipped weights, so upgrading Resemblyzer
    re-exports instead of reusing a stale model.
    """

    _export_lock = threading.Lock()

    def __init__(self, cache_dir: Path) -> None:
        weights = _weights_path()
        self.model_path = Path(cache_dir) / f"resemblyzer-ge2e-{_sha256(weights)[:16]}.onnx"
        with self._export_lock:
            if not self.model_path.is_file():
                _export_onnx(weights, self.model_path)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(self.model_path), options, providers=["CPUExecutionProvider"]
        )

    def embed_mels(self, mels: np.ndarray) -> np.ndarray:
        """Embeddings (batch, 256) of a batch of (batch, 160, 40) mel partials."""
        out = self._session.run(["embeddings"], {"mels": mels.astype(np.float32, copy=False)})
        return np.asarray(out[0], dtype=np.float32)

    def embed(self, samples_16k: np.ndarray) -> np.ndarray:
        """A (256,) L2-normalised voice embedding of 16 kHz mono speech.

        Raises AudioError when under 0.5 s of speech remains once long pauses
        are cut: shorter stretches give embeddings too noisy to compare.
        """
        x = np.asarray(samples_16k)
        if x.ndim != 1 or not np.issubdtype(x.dtype, np.floating):
            raise AudioError(f"expected 1-D float 16 kHz mono samples, got {x.dtype} {x.shape}")
        wav = _trim_long_silences(_normalize_volume(x.astype(np.float32)))
        if len(wav) < MIN_EMBED_S * SAMPLE_RATE_HZ:
            raise AudioError(
                f"too little speech to embed a voice: {len(wav) / SAMPLE_RATE_HZ:.2f} s, "
                f"at least {MIN_EMBED_S} s needed"
            )
        starts = _partial_starts(len(wav))
        needed = (starts[-1] + _PARTIAL_FRAMES) * _HOP
        if needed >= len(wav):
            wav = np.pad(wav, (0, needed - len(wav)))
        mel = mel_spectrogram(wav)
        batch = np.stack([mel[s : s + _PARTIAL_FRAMES] for s in starts])
        mean = self.embed_mels(batch).mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def verify(
    encoder: VoiceEncoder,
    reference_16k: np.ndarray,
    probe_16k: np.ndarray,
    threshold: float = SAME_SPEAKER_THRESHOLD,
) -> tuple[float, bool]:
    """Cosine similarity of two recordings' voices, and whether they pass as one speaker."""
    score = _cosine(encoder.embed(reference_16k), encoder.embed(probe_16k))
    return score, score >= threshold


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of speech by one speaker; speakers are numbered by first appearance."""

    start_s: float
    end_s: float
    speaker: int


def _windows(segment: Segment) -> list[tuple[float, float]]:
    """Split a segment into equal windows of about 3 s (2-4.5 s), so a speaker change
    inside one shows; shorter windows give embeddings too noisy to cluster."""
    n = max(1, round(segment.duration_s / _WINDOW_S))
    edges = np.linspace(segment.start_s, segment.end_s, n + 1)
    return [(float(a), float(b)) for a, b in itertools.pairwise(edges)]


def _cluster(embeddings: np.ndarray, threshold: float) -> list[int]:
    """Agglomerative clustering on centroids, merging while the closest two clusters'
    mean embeddings reach ``threshold``; labels in order of first appearance.

    Centroids rather than pairwise averages: two 1-3 s windows of one espeak-ng
    voice score as low as 0.70, but each window scores at least 0.85 against
    the mean of the others, and male vs female windows at most 0.68-0.75.
    """
    sums = [e.astype(np.float64) for e in embeddings]
    members: list[list[int]] = [[i] for i in range(len(embeddings))]
    while len(sums) > 1:
        centroids = np.stack(sums)
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        sim = centroids @ centroids.T
        np.fill_diagonal(sim, -np.inf)
        i, j = np.unravel_index(int(np.argmax(sim)), sim.shape)
        if sim[i, j] < threshold:
            break
        i, j = min(i, j), max(i, j)
        sums[i] = sums[i] + sums.pop(j)
        members[i] = members[i] + members.pop(j)
    label_of = {m: c for c, group in enumerate(members) for m in group}
    order: dict[int, int] = {}
    return [order.setdefault(label_of[i], len(order)) for i in range(len(embeddings))]


def diarize(
    encoder: VoiceEncoder,
    samples_16k: np.ndarray,
    segments: Sequence[Segment],
    threshold: float = DIARIZE_THRESHOLD,
) -> list[SpeakerTurn]:
    """Who spoke when: one turn per speech segment, or per speaker change inside one.

    Each segment is embedded in windows of about 3 s. Windows of 1 s or more
    are clustered (centroid linkage on cosine similarity, stopping below
    ``threshold``); shorter ones give embeddings too noisy to found a speaker
    of their own, so they join the most similar cluster, and those under 0.5 s
    of speech, which cannot be embedded, take the speaker of the nearest
    embedded window. Returns no turns when nothing could be embedded.
    """
    x = np.asarray(samples_16k, dtype=np.float32)
    windows: list[tuple[int, float, float]] = []  # (segment index, start, end)
    for k, seg in enumerate(sorted(segments, key=lambda s: s.start_s)):
        windows.extend((k, a, b) for a, b in _windows(seg))
    embedded: list[int] = []
    vectors: list[np.ndarray] = []
    for w, (_, a, b) in enumerate(windows):
        piece = x[round(a * SAMPLE_RATE_HZ) : round(b * SAMPLE_RATE_HZ)]
        try:
            vectors.append(encoder.embed(piece))
        except AudioError:
            continue
        embedded.append(w)
    if not embedded:
        return []
    emb = np.stack(vectors)
    anchors = [i for i, w in enumerate(embedded) if windows[w][2] - windows[w][1] >= _ANCHOR_S]
    if not anchors:
        anchors = list(range(len(embedded)))
    anchor_labels = _cluster(emb[anchors], threshold)
    n_speakers = max(anchor_labels) + 1
    centroids = np.stack(
        [emb[anchors][np.asarray(anchor_labels) == c].mean(axis=0) for c in range(n_speakers)]
    )
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    labels = [int(np.argmax(centroids @ v)) for v in emb]
    for i, label in zip(anchors, anchor_labels, strict=True):
        labels[i] = label

    centres = np.array([(windows[w][1] + windows[w][2]) / 2 for w in embedded])
    nearest_label = [labels[int(np.argmin(np.abs(centres - (a + b) / 2)))] for _, a, b in windows]
    order: dict[int, int] = {}
    speaker_of = [order.setdefault(label, len(order)) for label in nearest_label]

    turns: list[SpeakerTurn] = []
    for w, (k, a, b) in enumerate(windows):
        prev = windows[w - 1] if w else None
        if prev is not None and prev[0] == k and turns[-1].speaker == speaker_of[w]:
            turns[-1] = SpeakerTurn(turns[-1].start_s, round(b, 3), speaker_of[w])
        else:
            turns.append(SpeakerTurn(round(a, 3), round(b, 3), speaker_of[w]))
    return turns
