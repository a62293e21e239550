"""Operator-supplied transcripts (plain text, WebVTT, SRT) as a speech recogniser.

No Mandarin speech model ships on PyPI, and banks often already have transcripts from their
own recognition service; reading those in the formats such services write lets the same
script and consent checks run on them. Times inside a cue are estimated by character count,
and plain text is spread over the speech segments the VAD finds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from yangcheng.finance.identity.speech import Word, tokens
from yangcheng.finance.identity.voice import SAMPLE_RATE_HZ, Segment, speech_segments

__all__ = ["TranscriptError", "TranscriptRecognizer"]


class TranscriptError(ValueError):
    """An operator transcript does not parse; the message names the line."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"transcript line {line}: {reason}")
        self.line = line
        self.reason = reason


_TIMING = re.compile(r"^\s*(?P<a>[\d:.,]+)\s*-->\s*(?P<b>[\d:.,]+)(?:\s+.*)?$")
_STAMP = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})$")
_TAG = re.compile(r"<[^>]*>")


def _seconds(stamp: str, line: int) -> float:
    m = _STAMP.match(stamp)
    if m is None:
        raise TranscriptError(line, f"bad timestamp {stamp!r} (expected hh:mm:ss.mmm)")
    hours, minutes, secs, frac = m.groups()
    if int(minutes) >= 60 or int(secs) >= 60:
        raise TranscriptError(line, f"bad timestamp {stamp!r} (minutes or seconds over 59)")
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(frac.ljust(3, "0")) / 1000


def _parse_cues(lines: list[str], *, webvtt: bool) -> list[tuple[float, float, str]]:
    """(start, end, text) of each cue of a WebVTT or SRT file; ``lines`` is the whole file."""
    cues: list[tuple[float, float, str]] = []
    i = 0
    if webvtt:  # the WEBVTT line and any header text run to the first blank line
        while i < len(lines) and not lines[i].strip():
            i += 1
        while i < len(lines) and lines[i].strip():
            i += 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        first = i
        while i < len(lines) and lines[i].strip():
            i += 1
        block = lines[first:i]
        if webvtt and block[0].split(maxsplit=1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        at = next((k for k, text in enumerate(block[:2]) if "-->" in text), None)
        if at is None:
            raise TranscriptError(first + 1, f"cue without a timing line: {block[0].strip()!r}")
        number = first + at + 1
        m = _TIMING.match(block[at])
        if m is None:
            raise TranscriptError(number, f"bad timing line {block[at].strip()!r}")
        start, end = _seconds(m["a"], number), _seconds(m["b"], number)
        if end < start:
            raise TranscriptError(number, f"cue ends ({m['b']}) before it starts ({m['a']})")
        cues.append((start, end, " ".join(_TAG.sub("", t).strip() for t in block[at + 1 :])))
    return cues


def _spread(text: str, start_s: float, end_s: float) -> list[Word]:
    """Words of ``text`` with times shared out over [start, end] by character count."""
    toks = tokens(text)
    weights = np.array([len(t) + 1 for t in toks], dtype=np.float64)
    edges = np.concatenate(([0.0], np.cumsum(weights))) / max(weights.sum(), 1.0)
    span = end_s - start_s
    return [
        Word(tok, round(start_s + span * float(a), 3), round(start_s + span * float(b), 3))
        for tok, a, b in zip(toks, edges[:-1], edges[1:], strict=True)
    ]


class TranscriptRecognizer:
    """A transcript the operator supplies: plain text, WebVTT or SRT.

    For languages without a shipped model (Mandarin) the recording is
    transcribed elsewhere — by a person or a licensed service — and checked
    here. Cue times are shared out over each cue's words by character count;
    plain text has no times, so it is spread over the recording's speech
    segments the same way. Times are estimates to the nearest word or two.
    """

    def __init__(self, text: str) -> None:
        self.text = text.lstrip("\ufeff")
        lines = self.text.splitlines()
        first = next((line.strip() for line in lines if line.strip()), "")
        self.cues: list[tuple[float, float, str]] | None = None
        if first.startswith("WEBVTT"):
            self.cues = _parse_cues(lines, webvtt=True)
        elif any("-->" in line for line in lines):
            self.cues = _parse_cues(lines, webvtt=False)

    @classmethod
    def from_file(cls, path: Path) -> TranscriptRecognizer:
        return cls(Path(path).read_text(encoding="utf-8-sig"))

    def transcribe(self, samples_16k: np.ndarray, *, expected: Sequence[str] = ()) -> list[Word]:
        """The supplied transcript as timed words; ``expected`` is not used."""
        if self.cues is not None:
            return [w for start, end, text in self.cues for w in _spread(text, start, end)]
        samples = np.asarray(samples_16k, dtype=np.float32)
        segments = speech_segments(samples) if samples.size else []
        if not segments:
            segments = [Segment(0.0, samples.size / SAMPLE_RATE_HZ)]
        words = _spread(self.text, 0.0, 1.0)
        total = sum(s.duration_s for s in segments)
        bounds = np.cumsum([0.0] + [s.duration_s / total if total else 0.0 for s in segments])

        def place(frac: float) -> float:
            k = int(np.clip(np.searchsorted(bounds, frac, side="right") - 1, 0, len(segments) - 1))
            within = (frac - float(bounds[k])) * total
            return round(segments[k].start_s + within, 3)

        return [Word(w.text, place(w.start_s), place(w.end_s)) for w in words]
