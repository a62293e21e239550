"""A scanner's own thresholds, fixed on known bags it scanned: the validation rule applied to
its bags, and lists or bag counts that cannot fix one refused."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.security.test_scanner_profile import AIR, DARK, SCANNER_B
from yangcheng.security import scanner_calibration
from yangcheng.security.dataset import XrayBaggageDataset
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.physics import transmit
from yangcheng.security.scanner_calibration import (
    InvalidCaptures,
    calibrate_operating_point,
    read_captures,
)
from yangcheng.security.scanner_profile import ScannerProfile, fit_profile
from yangcheng.security.wedge_table import simulate_wedge_table


@pytest.fixture(scope="module")
def profile_b() -> ScannerProfile:
    return fit_profile(simulate_wedge_table(SCANNER_B, dark=DARK, air=AIR), "b", dark=DARK, air=AIR)


def _captures(folder: Path, bags: int) -> Path:
    """The first bags of a seed through scanner B, as raw PNGs and a capture list."""
    dataset = XrayBaggageDataset(777, bags)
    rows = ["low,high,threat"]
    for i in range(bags):
        _, scene = dataset.scene(i)
        image = transmit(scene.thickness_cm, scene.materials, rng=np.random.default_rng(i),
                         channels=SCANNER_B)  # fmt: skip
        for name, t in (("low", image.low), ("high", image.high)):
            raw = np.round(DARK[0] + (AIR[0] - DARK[0]) * t).astype(np.uint16)
            cv2.imwrite(str(folder / f"{i}_{name}.png"), raw)
        rows.append(f"{i}_low.png,{i}_high.png,{int(bool(scene.annotations))}")
    path = folder / "captures.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_thresholds_follow_the_validation_rule_on_the_scanners_bags(
    profile_b: ScannerProfile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under 1,000 threat bags the bag threshold misses none of them: it is the lowest threat
    bag's score, and the false alarms are the clean bags at or above it."""
    monkeypatch.setattr(scanner_calibration, "MIN_BAGS", 3)
    captures = read_captures(_captures(tmp_path, 16))
    threats = [c.threat for c in captures]
    assert 3 <= sum(threats) <= 13
    detector = XrayDetector()
    calibrated, figures = calibrate_operating_point(profile_b, captures, detector)
    scores = []
    for c in captures:
        image = profile_b.to_reference(cv2.imread(str(c.low), -1), cv2.imread(str(c.high), -1))
        scores.append(detector.detect(image.low, image.high).bag_score)
    threat_scores = [s for s, t in zip(scores, threats, strict=True) if t]
    clean_scores = [s for s, t in zip(scores, threats, strict=True) if not t]
    point = calibrated.operating_point
    assert point is not None and calibrated.thresholds is not None
    assert point["threshold"] == pytest.approx(min(threat_scores))
    assert point["missed"] == 0 and not point["per_mille_resolved"]
    alarmed = sum(s >= point["threshold"] for s in clean_scores) / len(clean_scores)
    assert point["false_alarm_rate"] == pytest.approx(alarmed, abs=1e-4)
    assert figures["model"]["threshold"] == detector.threshold
    assert calibrated.knots == profile_b.knots  # the map itself is untouched


def test_too_few_known_bags_are_refused(profile_b: ScannerProfile, tmp_path: Path) -> None:
    captures = read_captures(_captures(tmp_path, 4))
    with pytest.raises(InvalidCaptures, match=r"at least 50 of each.*--project"):
        calibrate_operating_point(profile_b, captures, XrayDetector())
    with pytest.raises(InvalidCaptures, match="at least 50 of each"):
        calibrate_operating_point(profile_b, captures, XrayDetector(), projected=5)


def test_projected_threats_count_as_threat_bags_the_threshold_must_alarm(
    profile_b: ScannerProfile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only clean bags lend themselves to projection; the threshold then rests on the lowest
    of the real and projected threat bags, and the same seed gives the same threshold."""
    monkeypatch.setattr(scanner_calibration, "MIN_BAGS", 2)
    captures = read_captures(_captures(tmp_path, 16))
    clean = sum(not c.threat for c in captures)
    real = len(captures) - clean
    detector = XrayDetector()
    plain, _ = calibrate_operating_point(profile_b, captures, detector)
    projected, figures = calibrate_operating_point(profile_b, captures, detector, projected=2)
    again, _ = calibrate_operating_point(profile_b, captures, detector, projected=2)
    point, plain_point = projected.operating_point, plain.operating_point
    assert point is not None and plain_point is not None and again.operating_point is not None
    assert point["threat_bags"] == real + 2 * clean and point["projected_threat_bags"] == 2 * clean
    assert figures["projected_threat_bags"] == 2 * clean and figures["clean_bags"] == clean
    assert point["threshold"] <= plain_point["threshold"]  # more bags to miss none of
    assert point["false_alarm_rate"] >= plain_point["false_alarm_rate"]
    assert again.operating_point["threshold"] == point["threshold"]
    assert point["projected_from"] == "simulator" and plain_point["projected_from"] is None


def test_a_site_s_own_captured_threats_can_be_the_projected_ones(
    profile_b: ScannerProfile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.security.test_threat_library import _capture
    from yangcheng.security.threat_library import ThreatLibrary

    monkeypatch.setattr(scanner_calibration, "MIN_BAGS", 2)
    captures = read_captures(_captures(tmp_path, 8))
    library = ThreatLibrary(tmp_path / "kit")
    library.add(_capture("pepper_spray", 4)[0], "pepper_spray", "kit-spray")
    profile, figures = calibrate_operating_point(
        profile_b, captures, XrayDetector(), projected=1, library=library
    )
    assert profile.operating_point is not None
    assert profile.operating_point["projected_from"] == str(library.folder)
    assert figures["projected_threat_bags"] == sum(not c.threat for c in captures)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "holds no header"),
        ("low,high\na.png,b.png\n", "header must be low,high,threat"),
        ("low,high,threat\na.png,b.png,yes\n", "line 2: threat is 'yes'"),
        ("low,high,threat\na.png,b.png\n", "line 2: has 2 fields"),
    ],
)
def test_malformed_capture_lists_are_refused(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(InvalidCaptures, match=words):
        read_captures(path)


def test_a_missing_image_is_named_by_line(
    profile_b: ScannerProfile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner_calibration, "MIN_BAGS", 1)
    path = tmp_path / "c.csv"
    path.write_text("low,high,threat\nnone_low.png,none_high.png,1\nx.png,y.png,0\n")
    with pytest.raises(InvalidCaptures, match=r"line 2: .*none_low.png is missing"):
        calibrate_operating_point(profile_b, read_captures(path), XrayDetector())
