"""Speech to text for dual-recording (双录) inspection, and the script and consent checks.

A 双录 inspection asks two things of the recording: did the salesperson read
the whole risk disclosure, and did the customer then say they understand and
agree. Both are checked on a word transcript, so recognition sits behind the
``Recognizer`` protocol: ``PocketSphinxRecognizer`` runs offline with the
English model that ships in ``pocketsphinx`` (or an operator-supplied model),
and ``TranscriptRecognizer`` takes a transcript the operator supplies — the
route for Mandarin, for which nothing ships.

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
import itertools
import os
import re
import tempfile
import threading
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from math import log10
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from yangcheng.finance.identity.voice import SAMPLE_RATE_HZ, AudioError, Segment, speech_segments

__all__ = [
    "PocketSphinxRecognizer",
    "Recognizer",
    "ScriptCoverage",
    "TranscriptError",
    "TranscriptRecognizer",
    "Word",
    "find_phrase",
    "script_coverage",
    "tokens",
]


class TranscriptError(ValueError):
    """An operator transcript does not parse; the message names the line."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"transcript line {line}: {reason}")
        self.line = line
        self.reason = reason


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


# --------------------------------------------------------------------------- transcripts

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


# --------------------------------------------------------------------------- pocketsphinx

_DITHER_RMS = 1e-3
"""Noise (-60 dBFS) added before decoding. Digital silence (exact zeros, as in
synthesised or gated audio) breaks pocketsphinx's log-energy features: on
espeak-ng speech script coverage rose from 0.40-0.50 to 0.98-1.00 with it."""

_DISCOUNT = 0.85  # fixed back-off mass of the expected-phrase language model
_LM_WEIGHT = 6.5  # pocketsphinx -lw with the expected-phrase model
_CHUNK_S = 30.0  # speech is decoded in utterances of at most this long
_CHUNK_PAD_S = 0.2  # silence kept around each utterance
_CACHED_SEARCHES = 4  # decoders kept for distinct `expected` lists

_FILLER_TEXT = """
the of and to a in is it you that he was for on are with as i his they be at one have this from or
had by not word but what some we can out other were all there when up use your how said an each she
which do their time if will way about many then them write would like so these her long make thing
see him two has look more day could go come did number sound no most people my over know water than
call first who may down side been now find any new work part take get place made live where after
back little only round man year came show every good me give our under name very through just form
sentence great think say help low line differ turn cause much mean before move right boy old too
same tell does set three want air well also play small end put home read hand port large spell add
even land here must big high such follow act why ask men change went light kind off need house
picture try us again animal point mother world near build self earth father head stand own page
should country found answer school grow study still learn plant cover food sun four between state
keep eye never last let thought city tree cross farm hard start might story saw far sea draw left
late run don't while press close night real life few north open seem together next white children
begin got walk example ease paper group always music those both mark often letter until mile river
car feet care second book carry took science eat room friend began idea fish mountain stop once base
hear horse cut sure watch color face wood main enough plain girl usual young ready above ever red
list though feel talk bird soon body dog family direct pose leave song measure door product black
short numeral class wind question happen complete ship area half rock order fire south problem piece
told knew pass since top whole king space heard best hour better true during hundred five remember
step early hold west ground interest reach fast verb sing listen six table travel less morning ten
simple several vowel toward war lay against pattern slow center love person money serve appear road
map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry dark
machine note wait plan figure star box noun field rest correct able pound done beauty drive stood
contain front teach week final gave green oh quick develop ocean warm free minute strong special
mind behind clear tail produce fact street inch multiply nothing course stay wheel full force blue
object decide surface deep moon island foot system busy test record boat common gold possible plane
stead dry wonder laugh thousand ago ran check game shape equate hot miss brought heat snow tire
bring yes distant fill east paint language among
"""
_FILLER_EN = tuple(_FILLER_TEXT.split())
"""~500 of the commonest English words (after the classic "1000 most common" list): the
language model's way out for speech that is not the script."""


_ANSWERS_EN = (
    "no i do not agree",
    "i do not agree",
    "i don't agree",
    "i do not understand",
    "i don't understand",
    "i am not sure",
    "i need more time",
    "not now",
)
"""Refusals the English model always knows. Without them the search has no way to say
"I do not agree", and said quickly it came out as the consent "I agree" (2 of 4 espeak-ng
voice and rate pairs)."""


def _arpa(sentences: Sequence[Sequence[str]], filler: Sequence[str]) -> str:
    """A trigram ARPA model with a fixed back-off mass (as ``pocketsphinx.lm.ArpaBoLM``).

    The expected sentences give every n-gram; filler words join as unigrams
    seen once, so they are reachable anywhere but less likely than the script.
    """
    c1: dict[str, int] = defaultdict(int)
    c2: dict[tuple[str, str], int] = defaultdict(int)
    c3: dict[tuple[str, str, str], int] = defaultdict(int)
    for sentence in sentences:
        seq = ["<s>", *sentence, "</s>"]
        for i, w in enumerate(seq):
            c1[w] += 1
            if i + 1 < len(seq):
                c2[w, seq[i + 1]] += 1
            if i + 2 < len(seq):
                c3[w, seq[i + 1], seq[i + 2]] += 1
    for w in filler:
        c1.setdefault(w, 1)
    keep = 1.0 - _DISCOUNT
    total = sum(c1.values())
    p1 = {w: c * keep / total for w, c in c1.items()}
    p2 = {(a, b): c * keep / c1[a] for (a, b), c in c2.items()}
    next1: dict[str, list[str]] = defaultdict(list)
    for a, b in c2:
        next1[a].append(b)
    next2: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a, b, c in c3:
        next2[a, b].append(c)

    def alpha1(w: str) -> float:
        return _DISCOUNT / (1.0 - sum(p1[b] for b in next1[w]))

    def alpha2(a: str, b: str) -> float:
        return _DISCOUNT / (1.0 - sum(p2[b, c] for c in next2[a, b]))

    out = ["\\data\\", f"ngram 1={len(c1)}", f"ngram 2={len(c2)}", f"ngram 3={len(c3)}", ""]
    out.append("\\1-grams:")
    out += [f"{log10(p1[w]):.4f} {w} {log10(alpha1(w)):.4f}" for w in sorted(c1)]
    out += ["", "\\2-grams:"]
    out += [f"{log10(p2[a, b]):.4f} {a} {b} {log10(alpha2(a, b)):.4f}" for a, b in sorted(c2)]
    out += ["", "\\3-grams:"]
    out += [f"{log10(n * keep / c2[a, b]):.4f} {a} {b} {c}" for (a, b, c), n in sorted(c3.items())]
    out += ["", "\\end\\", ""]
    return "\n".join(out)


_SENTENCE_END = re.compile("[.!?;\n\u3002\uff01\uff1f\uff1b]+")  # ASCII and full-width ends


def _sentences(texts: Sequence[str]) -> list[list[str]]:
    """Expected texts as token sentences, split where a sentence or clause ends."""
    out: list[list[str]] = []
    for text in texts:
        for part in _SENTENCE_END.split(text):
            toks = tokens(part)
            if toks:
                out.append(toks)
    return out


class PocketSphinxRecognizer:
    """Offline recognition with CMU PocketSphinx.

    By default the US English model that ships in the ``pocketsphinx`` wheel;
    ``hmm_dir``, ``dict_path`` and ``lm_path`` name an operator-supplied model
    instead (e.g. CMU's Mandarin ``zh_cn``). With ``expected`` phrases the
    search is constrained to them plus ``filler_words`` (see the module
    docstring); without, the general language model is used. One instance is
    safe to share between threads; decoding is serialised.
    """

    def __init__(
        self,
        hmm_dir: Path | None = None,
        dict_path: Path | None = None,
        lm_path: Path | None = None,
        *,
        filler_words: Sequence[str] | None = None,
    ) -> None:
        from pocketsphinx import get_model_path

        shipped = Path(get_model_path()) / "en-us"
        if hmm_dir is None and (dict_path is not None or lm_path is not None):
            raise ValueError("dict_path and lm_path need the hmm_dir of the same model")
        if hmm_dir is not None and dict_path is None:
            raise ValueError("an operator-supplied hmm_dir needs its dict_path")
        self.hmm_dir = Path(hmm_dir) if hmm_dir is not None else shipped / "en-us"
        self.dict_path = (
            Path(dict_path) if dict_path is not None else shipped / "cmudict-en-us.dict"
        )
        self.lm_path: Path | None
        if hmm_dir is None:
            self.lm_path = shipped / "en-us.lm.bin"
        else:
            self.lm_path = Path(lm_path) if lm_path is not None else None
        for what, path in (("acoustic model", self.hmm_dir), ("dictionary", self.dict_path)):
            if not path.exists():
                raise FileNotFoundError(f"pocketsphinx {what} not found: {path}")
        self.filler_words = list(_FILLER_EN if filler_words is None else filler_words)
        self.filler_sentences = list(_ANSWERS_EN if filler_words is None else ())
        self._lock = threading.Lock()
        self._pronunciations: dict[str, list[str]] | None = None
        self._decoders: OrderedDict[tuple[str, ...], Any] = OrderedDict()

    def _lexicon(self) -> dict[str, list[str]]:
        """Dictionary lines by word, read once: decoders get only the words they need,
        which makes building one 25 ms instead of 1.6 s for the full CMU dictionary."""
        if self._pronunciations is None:
            lexicon: dict[str, list[str]] = defaultdict(list)
            with self.dict_path.open(encoding="utf-8") as fh:
                for line in fh:
                    head = line.split(maxsplit=1)
                    if len(head) == 2:
                        lexicon[re.sub(r"\(\d+\)$", "", head[0]).lower()].append(line.rstrip("\n"))
            self._pronunciations = dict(lexicon)
        return self._pronunciations

    def unknown_words(self, expected: Sequence[str]) -> list[str]:
        """Words of ``expected`` the dictionary lacks; they can never be recognised."""
        lexicon = self._lexicon()
        seen: dict[str, None] = {}
        for sentence in _sentences(expected):
            for tok in sentence:
                if tok not in lexicon:
                    seen.setdefault(tok)
        return list(seen)

    def _decoder(self, expected: Sequence[str]) -> Any:
        from pocketsphinx import Decoder

        key = tuple(expected)
        if key in self._decoders:
            self._decoders.move_to_end(key)
            return self._decoders[key]
        if not expected:
            if self.lm_path is None:
                raise ValueError("this model has no language model: pass lm_path or expected")
            decoder = Decoder(
                hmm=str(self.hmm_dir),
                dict=str(self.dict_path),
                lm=str(self.lm_path),
                loglevel="ERROR",
            )
        else:
            lexicon = self._lexicon()
            sentences = [
                [t for t in sentence if t in lexicon]
                for sentence in _sentences([*expected, *self.filler_sentences])
            ]
            sentences = [s for s in sentences if s]
            if not sentences:
                raise ValueError("none of the expected words is in the pronunciation dictionary")
            filler = [w for w in self.filler_words if w in lexicon]
            vocab = {w for s in sentences for w in s} | set(filler)
            with tempfile.TemporaryDirectory(prefix="yangcheng-ps-") as tmp:
                lm_file, dict_file = os.path.join(tmp, "lm.arpa"), os.path.join(tmp, "words.dict")
                Path(lm_file).write_text(_arpa(sentences, filler), encoding="utf-8")
                Path(dict_file).write_text(
                    "".join(line + "\n" for w in sorted(vocab) for line in lexicon[w]),
                    encoding="utf-8",
                )
                decoder = Decoder(
                    hmm=str(self.hmm_dir),
                    dict=dict_file,
                    lm=lm_file,
                    lw=_LM_WEIGHT,
                    fwdflatlw=_LM_WEIGHT + 2.0,
                    loglevel="ERROR",
                )
        self._decoders[key] = decoder
        if len(self._decoders) > _CACHED_SEARCHES:
            self._decoders.popitem(last=False)
        return decoder

    def transcribe(self, samples_16k: np.ndarray, *, expected: Sequence[str] = ()) -> list[Word]:
        """Timed words; speech is found by the VAD and decoded a stretch at a time."""
        x = np.asarray(samples_16k)
        if x.ndim != 1 or not np.issubdtype(x.dtype, np.floating):
            raise AudioError(f"expected 1-D float 16 kHz mono samples, got {x.dtype} {x.shape}")
        rng = np.random.default_rng(0)
        noisy = x.astype(np.float64) + rng.normal(0.0, _DITHER_RMS, len(x))
        pcm = np.round(np.clip(noisy, -1.0, 1.0) * 32767).astype("<i2")
        words: list[Word] = []
        with self._lock:
            decoder = self._decoder(expected)
            frame_s = 1.0 / float(decoder.config["frate"])
            for start_s, end_s in _chunks(speech_segments(x.astype(np.float32)), len(x)):
                a, b = int(start_s * SAMPLE_RATE_HZ), int(end_s * SAMPLE_RATE_HZ)
                decoder.start_utt()
                decoder.process_raw(pcm[a:b].tobytes(), full_utt=True)
                decoder.end_utt()
                for seg in decoder.seg():
                    text = re.sub(r"\(\d+\)$", "", seg.word)
                    if text.startswith(("<", "[", "+")):
                        continue  # silence and noise fillers
                    words.append(
                        Word(
                            text,
                            round(start_s + seg.start_frame * frame_s, 3),
                            round(start_s + (seg.end_frame + 1) * frame_s, 3),
                        )
                    )
        return words


def _chunks(segments: Sequence[Segment], n_samples: int) -> list[tuple[float, float]]:
    """Speech segments, padded and merged into utterances of at most 30 s."""
    duration_s = n_samples / SAMPLE_RATE_HZ
    out: list[list[float]] = []
    for seg in segments:
        a = max(0.0, seg.start_s - _CHUNK_PAD_S)
        b = min(duration_s, seg.end_s + _CHUNK_PAD_S)
        if out and a <= out[-1][1] and b - out[-1][0] <= _CHUNK_S:
            out[-1][1] = b
        elif out and a < out[-1][1]:
            out.append([out[-1][1], b])
        else:
            out.append([a, b])
    # A single segment longer than the limit is cut in equal parts.
    result: list[tuple[float, float]] = []
    for a, b in out:
        n = max(1, int(np.ceil((b - a) / _CHUNK_S)))
        edges = np.linspace(a, b, n + 1)
        result.extend((float(s), float(e)) for s, e in itertools.pairwise(edges))
    return result
