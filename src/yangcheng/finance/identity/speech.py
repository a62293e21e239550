"""Speech to text for dual-recording (双录) inspection, and the script and consent checks.

A 双录 inspection asks two things of the recording: did the salesperson read
the whole risk disclosure, and did the customer then say they understand and
agree. Both are checked on a word transcript, so recognition sits behind the
``Recognizer`` protocol: ``PocketSphinxRecognizer`` (``speech_pocketsphinx``)
runs offline with the English model that ships in ``pocketsphinx`` (or an
operator-supplied model), and ``TranscriptRecognizer`` (``transcript``) takes a
transcript the operator supplies — the route for Mandarin, for which nothing
ships.

Open-vocabulary recognition with pocketsphinx's general English language
model is poor on anything but clean American read speech (on espeak-ng speech
it reached 0.25-0.65 script coverage at 0.4-0.65 x real time). An inspection
knows what must be said, so when ``expected`` phrases are given the recogniser
decodes with a small trigram model built from those phrases, a few common
refusals ("I do not agree") and a loop of ~500 common English words: speech
that follows the script is recognised almost word for word, and unrelated
speech comes out as common words instead of being forced onto the script.
Measured on espeak-ng speech (voices en-us and en-us+f3, 120-190 words/min;
see tests/finance/test_identity_speech.py): script coverage 0.87-1.00,
unrelated passages of similar length 0.00-0.08, consent phrases found within
0.05 s of where they start, refusals and unrelated answers never taken for
consent, about 0.1 x real time on one core.

Limits: words missing from the model's pronunciation dictionary (product
names, most proper nouns; see ``unknown_words``) cannot be recognised and
count as missing; the filler loop and refusals are English, so with another
language's model pass ``filler_words`` or unrelated speech may be read as the
script; an operator's Mandarin model is constrained per character, so only its
single-character dictionary entries are used. Word times come from the
decoder's 10 ms frames, but are estimated by character count for operator
transcripts without per-word times.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = [
    "Recognizer",
    "ScriptCoverage",
    "Word",
    "find_phrase",
    "script_coverage",
    "tokens",
]


@dataclass(frozen=True)
class Word:
    """A recognised word (or, for Chinese, character) and when it was said."""

    text: str
    start_s: float
    end_s: float


class Recognizer(Protocol):
    """Anything that turns 16 kHz mono speech into timed words.

    ``expected`` lists what the recording should contain (a disclosure script,
    consent phrases); a recogniser may use it to constrain its search, and
    must still report what was actually said.
    """

    def transcribe(self, samples_16k: np.ndarray, *, expected: Sequence[str] = ()) -> list[Word]:
        """Timed words, in order."""
        ...


# --------------------------------------------------------------------------- tokens

_CJK = (
    "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0002fa1f"
)
_CJK_CHAR = re.compile(f"([{_CJK}])")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def tokens(text: str) -> list[str]:
    """Lower-case words, each CJK character on its own, punctuation dropped.

    Chinese is written without spaces and word segmentation is ambiguous, so
    it is compared per character; full-width forms are folded (NFKC) so
    full-width ``ABC123`` matches ``abc123``.
    """
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return _TOKEN.findall(_CJK_CHAR.sub(r" \1 ", folded))


def _join(parts: Sequence[str]) -> str:
    """Tokens back to text: no spaces between CJK characters, spaces elsewhere."""
    out = ""
    for part in parts:
        if out and not (_CJK_CHAR.fullmatch(part) and _CJK_CHAR.fullmatch(out[-1])):
            out += " "
        out += part
    return out


def _token_times(words: Sequence[Word]) -> tuple[list[str], list[float]]:
    """Tokens of a transcript with the start time of each (spread across multi-token words)."""
    toks: list[str] = []
    starts: list[float] = []
    for word in words:
        parts = tokens(word.text)
        for i, part in enumerate(parts):
            toks.append(part)
            starts.append(float(word.start_s + (word.end_s - word.start_s) * i / len(parts)))
    return toks, starts


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class ScriptCoverage:
    """How much of a required script the transcript contains, in order."""

    coverage: float
    """Share of the script's tokens found, in order, in runs of at least two."""
    missing: list[str]
    """The script's passages not found, as text."""
    found_at_s: float | None
    """When the first found passage starts; None when nothing was found."""


def script_coverage(words: Sequence[Word], script: str) -> ScriptCoverage:
    """Align the transcript against the required script and measure what was said.

    Alignment is order-aware (difflib's matching blocks on tokens), and only
    runs of two or more consecutive script tokens count: single words such as
    "the" or "的" turn up in any speech and would credit an unrelated
    conversation with part of the script.
    """
    script_toks = tokens(script)
    if not script_toks:
        raise ValueError("script has no words")
    said, starts = _token_times(words)
    matcher = difflib.SequenceMatcher(None, script_toks, said, autojunk=False)
    min_run = min(2, len(script_toks))
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= min_run]
    found = np.zeros(len(script_toks), dtype=bool)
    for block in blocks:
        found[block.a : block.a + block.size] = True
    missing: list[str] = []
    run: list[str] = []
    for tok, ok in zip(script_toks, found, strict=True):
        if ok and run:
            missing.append(_join(run))
            run = []
        elif not ok:
            run.append(tok)
    if run:
        missing.append(_join(run))
    return ScriptCoverage(
        coverage=float(found.mean()),
        missing=missing,
        found_at_s=starts[blocks[0].b] if blocks else None,
    )


_NEGATION_TEXT = "no not don't dont never cannot can't won't didn't doesn't disagree refuse"
_NEGATIONS = frozenset(
    [*_NEGATION_TEXT.split(), "\u4e0d", "\u6ca1", "\u672a", "\u5426", "\u522b"]  # 不 没 未 否 别
)
_NEGATION_REACH = 2  # tokens before a phrase that may negate it ("no, I agree"; "I do not agree")


def find_phrase(
    words: Sequence[Word], phrases: Sequence[str], min_ratio: float = 0.85
) -> tuple[str, float] | None:
    """The first of ``phrases`` said, and when it started; None when none was.

    Each phrase is compared, by character similarity, with stretches of the
    transcript as long as itself or one token longer (and, for phrases of
    four tokens or more, one shorter), so "agreed" for "agree" or a dropped
    "I" still count. A match is refused when a negation ("no", "not",
    "don't", 不, 没 ...) sits inside it or up to two tokens before it, unless
    the phrase itself is negative: taking "I do not agree" or "No, I agree"
    for consent is the costly mistake in a sales inspection, so such
    recordings go to a person instead. When several phrases match at the same
    place, the closest (then longest) wins.
    """
    if not 0.0 < min_ratio <= 1.0:
        raise ValueError(f"min_ratio must be within (0, 1], got {min_ratio}")
    said, starts = _token_times(words)
    wanted = [(phrase, tokens(phrase)) for phrase in phrases]
    wanted = [(phrase, toks) for phrase, toks in wanted if toks]
    if not wanted:
        raise ValueError("no phrase to find has any words")

    def best_at(i: int) -> tuple[float, int, str] | None:
        best: tuple[float, int, str] | None = None
        for phrase, toks in wanted:
            target = _join(toks)
            lengths = {len(toks), len(toks) + 1} | ({len(toks) - 1} if len(toks) >= 4 else set())
            negative = any(t in _NEGATIONS for t in toks)
            for n in sorted(lengths):
                if i + n > len(said):
                    continue
                ratio = difflib.SequenceMatcher(None, target, _join(said[i : i + n])).ratio()
                if ratio < min_ratio or (best is not None and (ratio, len(toks)) <= best[:2]):
                    continue
                context = said[max(0, i - _NEGATION_REACH) : i + n]
                if not negative and any(t in _NEGATIONS for t in context):
                    continue
                best = (ratio, len(toks), phrase)
        return best

    for i in range(len(said)):
        found = best_at(i)
        if found is not None:
            # A window one token longer can match from one token early ("so I agree"
            # for "I agree"); start where the phrase fits best.
            later = best_at(i + 1) if i + 1 < len(said) else None
            if later is not None and later[0] > found[0]:
                return later[2], starts[i + 1]
            return found[2], starts[i]
    return None
