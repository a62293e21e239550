from __future__ import annotations

import pytest

from yangcheng.finance.recording.checklist import ChecklistError, default_checklist, load_checklist

GOOD = {
    "duration_s": 30.0,
    "face_present_ratio": 1.0,
    "extra_face_ratio": 0.0,
    "expected_faces": 1,
    "same_person_ratio": 1.0,
    "id_compared": True,
    "id_match_distance": 0.3,
    "liveness_checked": True,
    "liveness_passed": True,
    "speech_s": 20.0,
    "loudness_dbfs": -20.0,
    "clipping_ratio": 0.0,
    "snr_measured": True,
    "snr_db": 40.0,
    "speaker_count": 2,
    "max_speakers": 2,
    "script_coverage": 0.95,
    "consent_found": True,
}


def test_a_clean_recording_passes_every_rule() -> None:
    verdict, rules = default_checklist().evaluate(GOOD)
    assert verdict == "pass"
    assert all(r.passed for r in rules)
    assert len(rules) == 13


@pytest.mark.parametrize(
    ("change", "failed", "verdict"),
    [
        ({"consent_found": False}, {"no_consent"}, "fail"),
        ({"face_present_ratio": 0.5}, {"face_missing"}, "fail"),
        ({"extra_face_ratio": 0.4}, {"extra_person"}, "review"),
        ({"id_match_distance": 0.8}, {"not_id_holder"}, "fail"),
        ({"id_compared": False, "id_match_distance": 0.8}, set(), "pass"),
        ({"snr_db": 8.0}, {"noisy"}, "review"),
        ({"snr_measured": False, "snr_db": 0.0}, set(), "pass"),
        ({"speaker_count": 3}, {"extra_speaker"}, "review"),
        ({"liveness_passed": False}, {"liveness_failed"}, "review"),
        ({"speech_s": 0.0, "consent_found": False}, {"no_speech", "no_consent"}, "fail"),
    ],
)
def test_each_failure_names_its_rule_and_values(
    change: dict[str, object], failed: set[str], verdict: str
) -> None:
    got_verdict, rules = default_checklist().evaluate({**GOOD, **change})
    assert {r.id for r in rules if not r.passed} == failed
    assert got_verdict == verdict
    for rule in rules:
        if not rule.passed:
            assert set(rule.values) & set(change), rule


def test_a_typo_in_a_rule_is_refused_with_the_rule_named() -> None:
    doc = """
name: strict
version: "2"
schema: {script_coverage: float}
rules:
  - {id: script, expression: script_coverag < 0.9, outcome: decline, severity: 80}
"""
    with pytest.raises(ChecklistError, match="script"):
        load_checklist(doc)


def test_a_custom_checklist_changes_the_threshold() -> None:
    doc = """
name: strict
version: "2"
schema: {script_coverage: float}
rules:
  - {id: script, expression: script_coverage < 0.99, outcome: decline, severity: 80}
"""
    checklist = load_checklist(doc)
    assert checklist.evaluate({"script_coverage": 0.95})[0] == "fail"
    assert checklist.evaluate({"script_coverage": 1.0})[0] == "pass"


@pytest.mark.parametrize("doc", ["[1, 2", "- just a list", "name: x\nversion: 1\nrules: []"])
def test_malformed_documents_are_refused(doc: str) -> None:
    with pytest.raises(ChecklistError):
        load_checklist(doc)
