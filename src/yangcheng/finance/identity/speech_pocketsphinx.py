"""PocketSphinx speech recognition, searched with what the recording must contain.

Open-vocabulary recognition with pocketsphinx's general English model is poor on anything but
clean read American speech, so with ``expected`` phrases the decoder uses a small trigram model
of those phrases, common refusals and a loop of common words (see ``speech`` for the figures).
"""

from __future__ import annotations

import itertools
import os
import re
import tempfile
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from math import log10
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.finance.identity.speech import Word, tokens
from yangcheng.finance.identity.voice import SAMPLE_RATE_HZ, AudioError, Segment, speech_segments

__all__ = ["PocketSphinxRecognizer"]


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
