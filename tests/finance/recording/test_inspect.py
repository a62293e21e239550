from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from tests.finance.conftest import Recordings
from yangcheng.finance.identity.face import FaceAnalyzer
from yangcheng.finance.identity.sample_faces import customer_portrait
from yangcheng.finance.identity.sample_speech import CONSENT_PHRASES_EN, DISCLOSURE_SCRIPT_EN
from yangcheng.finance.identity.speaker import VoiceEncoder
from yangcheng.finance.identity.speech_pocketsphinx import PocketSphinxRecognizer
from yangcheng.finance.recording import (
    InspectionConfig,
    MediaError,
    QCReport,
    default_checklist,
    inspect_recording,
)
from yangcheng.finance.recording.synthetic import SCENARIOS

Inspect = Callable[[str], QCReport]
CONFIG = InspectionConfig(script=DISCLOSURE_SCRIPT_EN, consent_phrases=CONSENT_PHRASES_EN)


@pytest.fixture(scope="module")
def inspect(recording: Recordings, tmp_path_factory: pytest.TempPathFactory) -> Inspect:
    analyzer = FaceAnalyzer()
    encoder = VoiceEncoder(cache_dir=tmp_path_factory.mktemp("models"))
    portrait = customer_portrait()
    reference = analyzer.embed(portrait, analyzer.detect(portrait)[0])

    @cache
    def run(name: str) -> QCReport:
        return inspect_recording(
            recording(name),
            CONFIG,
            default_checklist(),
            analyzer=analyzer,
            encoder=encoder,
            recognizer=PocketSphinxRecognizer(),
            reference_face=reference,
        )

    return run


def test_a_good_recording_passes_with_everything_on_its_timeline(inspect: Inspect) -> None:
    report = inspect("good")
    failed = [r.id for r in report.rules if not r.passed]
    assert report.verdict == "pass", (failed, report.metrics)
    m = report.metrics
    assert m["face_present_ratio"] > 0.95
    assert m["same_person_ratio"] == 1.0
    assert m["id_match_distance"] < 0.6
    assert m["speaker_count"] == 2
    assert m["script_coverage"] >= 0.8
    assert report.consent_at_s is not None and report.consent_at_s > 5
    spec = SCENARIOS["good"]
    assert report.liveness is not None
    times = {c.name: c.at_s for c in report.liveness.challenges}
    assert times["blink"] == pytest.approx(spec.blinks_s[0], abs=0.4)
    assert times["turn_left"] is not None and times["turn_right"] is not None
    assert {t.label for t in report.face_tracks} == {"face"}


@pytest.mark.parametrize(
    "name", ["no_face", "second_face", "other_person", "muted", "no_consent", "third_voice"]
)
def test_each_negative_recording_fails_exactly_the_rules_it_was_built_to_fail(
    inspect,
    name: str,  # type: ignore[no-untyped-def]
) -> None:
    report = inspect(name)
    failed = {r.id for r in report.rules if not r.passed}
    assert failed == SCENARIOS[name].expect_failed, report.metrics
    assert report.verdict in ("review", "fail")


def test_a_corrupt_recording_is_refused_by_name(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500)
    analyzer = FaceAnalyzer()
    with pytest.raises(MediaError, match=r"broken\.mp4"):
        inspect_recording(
            bad,
            CONFIG,
            default_checklist(),
            analyzer=analyzer,
            encoder=VoiceEncoder(cache_dir=tmp_path),
            recognizer=PocketSphinxRecognizer(),
        )
