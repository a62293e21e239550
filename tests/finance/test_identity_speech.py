# ruff: noqa: RUF001 - Chinese text and full-width forms are what these tests are about
"""Script coverage and consent on espeak-ng speech through PocketSphinx, and operator transcripts.

Each recording is transcribed once per session; the figures the module docstring
quotes come from these recordings (run with -s to see them).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from yangcheng.finance.identity.sample_speech import (
    CONSENT_PHRASES_EN,
    DISCLOSURE_SCRIPT_EN,
    speak,
)
from yangcheng.finance.identity.speech import Word, find_phrase, script_coverage, tokens
from yangcheng.finance.identity.speech_pocketsphinx import PocketSphinxRecognizer
from yangcheng.finance.identity.transcript import TranscriptError, TranscriptRecognizer
from yangcheng.finance.identity.voice import SAMPLE_RATE_HZ

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

EXPECTED = (DISCLOSURE_SCRIPT_EN, *CONSENT_PHRASES_EN)
UNRELATED = {
    "weekend": "Last weekend my family drove to the mountains outside the city. We had lunch at "
    "a small restaurant near the river, then walked for two hours through the forest. The "
    "children collected leaves and stones, and we came home tired but happy before dark.",
    "branch": "I would like to open a savings account at this bank and set up a monthly transfer "
    "from my salary card. Could you also tell me the opening hours of this branch, and whether "
    "I need to bring my passport or my resident identity card next time?",
}
GAP = np.zeros(int(0.6 * SAMPLE_RATE_HZ), np.float32)


def _onset_s(x: np.ndarray) -> float:
    return float(np.flatnonzero(np.abs(x) > 0.01)[0]) / SAMPLE_RATE_HZ


class Recording:
    """A salesperson's part, then the customer's answer; where each starts; the transcript."""

    def __init__(self, first: np.ndarray, answer: np.ndarray, words: list[Word], took_s: float):
        self.script_at_s = len(GAP) / SAMPLE_RATE_HZ + _onset_s(first)
        self.answer_at_s = (2 * len(GAP) + len(first)) / SAMPLE_RATE_HZ + _onset_s(answer)
        self.duration_s = (3 * len(GAP) + len(first) + len(answer)) / SAMPLE_RATE_HZ
        self.words = words
        self.rtf = took_s / self.duration_s


Record = Callable[[str, str, int, str, str], Recording]


@pytest.fixture(scope="session")
def recognizer() -> PocketSphinxRecognizer:
    return PocketSphinxRecognizer()


@pytest.fixture(scope="session")
def record(recognizer: PocketSphinxRecognizer) -> Record:
    cache: dict[tuple[str, str, int, str, str], Recording] = {}

    def make(first: str, voice: str, wpm: int, answer: str, answer_voice: str) -> Recording:
        key = (first, voice, wpm, answer, answer_voice)
        if key not in cache:
            a = speak(first, voice=voice, words_per_minute=wpm)
            b = speak(answer, voice=answer_voice)
            x = np.concatenate([GAP, a, GAP, b, GAP])
            started = time.perf_counter()
            words = recognizer.transcribe(x, expected=EXPECTED)
            cache[key] = Recording(a, b, words, time.perf_counter() - started)
        return cache[key]

    return make


READINGS = [("en-us", 150, "en-us+f3"), ("en-us+f3", 120, "en-us"), ("en-us", 190, "en-us+f3")]


@needs_espeak
@pytest.mark.parametrize(("voice", "wpm", "customer"), READINGS)
def test_script_read_aloud_is_covered_and_consent_found(
    record: Record, voice: str, wpm: int, customer: str
) -> None:
    rec = record(DISCLOSURE_SCRIPT_EN, voice, wpm, "Yes, I understand and I agree.", customer)
    cov = script_coverage(rec.words, DISCLOSURE_SCRIPT_EN)
    print(f"\n{voice} {wpm} wpm: coverage {cov.coverage:.2f}, RTF {rec.rtf:.3f}")
    assert cov.coverage >= 0.8, cov.missing
    # the reading is placed in time (its first words may be among those missed)
    assert cov.found_at_s is not None
    assert rec.script_at_s - 0.5 <= cov.found_at_s <= rec.script_at_s + 1.0
    consent = find_phrase(rec.words, CONSENT_PHRASES_EN)
    assert consent is not None
    phrase, at_s = consent
    assert phrase == "yes i understand and i agree"
    assert abs(at_s - rec.answer_at_s) <= 0.5
    assert rec.rtf < 0.5  # well under real time


@needs_espeak
@pytest.mark.parametrize(
    ("passage", "voice", "answer"),
    [
        ("weekend", "en-us", "No, I do not agree."),
        ("branch", "en-us+f3", "I need more time to think about it."),
    ],
)
def test_unrelated_speech_and_refusals_are_neither_script_nor_consent(
    record: Record, passage: str, voice: str, answer: str
) -> None:
    rec = record(UNRELATED[passage], voice, 150, answer, "en-us+f3")
    cov = script_coverage(rec.words, DISCLOSURE_SCRIPT_EN)
    print(f"\nunrelated {passage} ({voice}): coverage {cov.coverage:.2f}")
    assert cov.coverage <= 0.3
    assert find_phrase(rec.words, CONSENT_PHRASES_EN) is None


@needs_espeak
def test_unknown_words_are_listed(recognizer: PocketSphinxRecognizer) -> None:
    assert recognizer.unknown_words(EXPECTED) == []
    assert recognizer.unknown_words(["Buy the Yangcheng Zhiying fund"]) == ["yangcheng", "zhiying"]


def test_operator_models_must_be_complete(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs its dict_path"):
        PocketSphinxRecognizer(hmm_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="dictionary not found"):
        PocketSphinxRecognizer(hmm_dir=tmp_path, dict_path=tmp_path / "zh_cn.dic")


# --- tokens, coverage and phrases on given transcripts ----------------------------------


def _words(text: str, step_s: float = 0.4) -> list[Word]:
    return [Word(t, i * step_s, i * step_s + 0.3) for i, t in enumerate(tokens(text))]


def test_tokens_lower_case_drop_punctuation_and_split_chinese() -> None:
    assert tokens("Yes, I DON’T agree!") == ["yes", "i", "don't", "agree"]
    assert tokens("本产品不保本。Ａ股ETF") == ["本", "产", "品", "不", "保", "本", "a", "股", "etf"]
    assert tokens("…—") == []


def test_coverage_counts_runs_in_order_and_names_what_is_missing() -> None:
    script = "the principal is not guaranteed and you may lose money"
    said = _words("so the principal is not guaranteed okay you may lose money")
    cov = script_coverage(said, script)
    assert cov.coverage == pytest.approx(9 / 10)
    assert cov.missing == ["and"]
    assert cov.found_at_s == pytest.approx(0.4)
    # the same words out of order are not the script
    shuffled = _words("money lose may you and guaranteed not is principal the")
    assert script_coverage(shuffled, script).coverage == 0.0
    nothing = script_coverage([], script)
    assert (nothing.coverage, nothing.missing, nothing.found_at_s) == (0.0, [script], None)


def test_find_phrase_returns_the_first_consent_and_refuses_negations() -> None:
    said = _words("please confirm you have read it yes i confirm")
    assert find_phrase(said, CONSENT_PHRASES_EN) == ("yes i confirm", pytest.approx(2.4))
    assert find_phrase(_words("well i agreed"), ["i agree"]) == ("i agree", pytest.approx(0.4))
    for refusal in ("no i agree", "i do not agree", "i don't agree", "no, i understand and agree"):
        assert find_phrase(_words(refusal), CONSENT_PHRASES_EN) is None, refusal
    assert find_phrase(_words("我不同意"), ["同意"]) is None
    assert find_phrase(_words("好的我同意"), ["我同意"]) == ("我同意", pytest.approx(0.8))


# --- operator transcripts -------------------------------------------------------------

SCRIPT_ZH = (
    "本理财产品不是存款，不保证本金和收益，您可能损失部分或全部本金。请确认您已阅读产品说明书。"
)

VTT_ZH = """WEBVTT
Kind: captions

NOTE 客户经理先读风险揭示

1
00:00:01.000 --> 00:00:09.000 align:start
<v 客户经理>本理财产品不是存款，不保证本金和收益，您可能损失部分或全部本金。

2
00:00:09.500 --> 00:00:12.500
<v 客户经理>请确认您已阅读产品说明书。

00:13.000 --> 00:14.500
<v 客户>是的，我同意。
"""

SRT_EN = """1
00:00:01,000 --> 00:00:04,000
This wealth management product is not a bank deposit.

2
00:00:05,000 --> 00:00:06,500
Yes, I confirm.
"""


def test_webvtt_in_chinese_covers_the_script_and_times_the_consent() -> None:
    words = TranscriptRecognizer(VTT_ZH).transcribe(np.zeros(SAMPLE_RATE_HZ, np.float32))
    assert words[0] == Word("本", 1.0, words[0].end_s) and words[-1].end_s == 14.5
    cov = script_coverage(words, SCRIPT_ZH)
    assert cov.coverage == 1.0 and cov.missing == [] and cov.found_at_s == 1.0
    # 是 的 我 同 意 share the 1.5 s cue equally: 我 starts 2/5 of the way in
    assert find_phrase(words, ["我同意", "同意"]) == ("我同意", pytest.approx(13.6))
    unrelated = TranscriptRecognizer("今天天气很好，我们去公园散步，然后在河边吃了午饭。")
    cov = script_coverage(unrelated.transcribe(np.zeros(SAMPLE_RATE_HZ, np.float32)), SCRIPT_ZH)
    assert cov.coverage <= 0.1


def test_srt_and_plain_text_transcripts() -> None:
    words = TranscriptRecognizer(SRT_EN).transcribe(np.zeros(0, np.float32))
    assert [w.text for w in words][:3] == ["this", "wealth", "management"]
    assert find_phrase(words, CONSENT_PHRASES_EN) == ("yes i confirm", 5.0)
    # plain text has no times: it is spread over the recording
    plain = TranscriptRecognizer("Yes, I agree.").transcribe(
        np.zeros(2 * SAMPLE_RATE_HZ, np.float32)
    )
    assert [w.text for w in plain] == ["yes", "i", "agree"]
    assert plain[0].start_s == 0.0 and plain[-1].end_s == 2.0
    assert plain[0].end_s <= plain[1].start_s <= plain[2].start_s


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("WEBVTT\n\n00:00:01.000 --> 00:00:0x.000\nhello\n", "line 3: bad timing line"),
        ("WEBVTT\n\n1\n00:01.000 --> 00:00.500\nhello\n", "line 4: cue ends"),
        ("WEBVTT\n\nhello there\nworld\n", "line 3: cue without a timing line"),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:02,000 --> 00:61:00,000\nx\n",
            "line 6: bad timestamp '00:61:00,000'",
        ),
    ],
)
def test_transcript_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(TranscriptError, match=message):
        TranscriptRecognizer(text)
