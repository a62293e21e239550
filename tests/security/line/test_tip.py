from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yangcheng.security.line import TipConfigError, TipPolicy, simulate_bag
from yangcheng.security.line.tip import (
    as_fractions,
    choose_threat,
    policy_of,
    project_for_review,
    threat_name,
    tip_seed,
)


def test_about_one_cleared_bag_in_every_is_picked_and_the_same_by_every_worker() -> None:
    ids = [f"XR01-{i:012x}" for i in range(4000)]
    policy = TipPolicy(every=20)
    picked = [t for t in ids if policy.picks(t)]
    assert 0.035 < len(picked) / len(ids) < 0.065
    assert picked == [t for t in ids if TipPolicy(every=20).picks(t)]
    assert not any(TipPolicy().picks(t) for t in ids[:200])
    assert all(TipPolicy(every=1).picks(t) for t in ids[:200])
    assert len({tip_seed(t) for t in ids}) == len(ids)


def test_bad_policies_name_the_field() -> None:
    with pytest.raises(TipConfigError) as err:
        TipPolicy(every=-1)
    assert err.value.field == "tip_every"
    with pytest.raises(TipConfigError) as err:
        TipPolicy(every=5, classes=("knife", "umbrella"))
    assert err.value.field == "tip_classes" and "umbrella" in err.value.reason
    with pytest.raises(TipConfigError) as err:
        TipPolicy(every=5, classes=())
    assert err.value.field == "tip_classes"


@pytest.fixture(scope="module")
def clean_bag() -> tuple[np.ndarray, np.ndarray]:
    for index in range(20):
        bag = simulate_bag(71, index, hard=False)
        if not bag.threat:
            return bag.low, bag.high
    raise AssertionError("no clean bag in 20")


def test_the_projected_picture_is_made_again_the_same_for_review(
    clean_bag: tuple[np.ndarray, np.ndarray],
) -> None:
    low, high = clean_bag
    policy = TipPolicy(every=3, classes=("knife", "battery_cell"))
    first = project_for_review(low, high, 1234, policy)
    again = project_for_review(low, high, 1234, policy_of({"classes": ["knife", "battery_cell"]}))
    assert np.array_equal(first.image.low, again.image.low)
    assert np.array_equal(first.image.high, again.image.high)
    assert threat_name(first) in ("knife", "battery_cell")
    other = project_for_review(low, high, 1235, policy)
    assert not np.array_equal(first.image.low, other.image.low)
    # the threat darkens the bag where it was put, and only around there
    x, y, w, h = first.annotation.bbox_xywh
    base = as_fractions(low, high).low
    changed = np.abs(first.image.low - base) > 1e-6
    assert changed[y : y + h, x : x + w].mean() > 0.2
    outside = changed.copy()
    outside[max(y - 8, 0) : y + h + 8, max(x - 8, 0) : x + w + 8] = False
    assert not outside.any()


def test_a_scanner_s_16_bit_counts_project_as_its_fractions(
    clean_bag: tuple[np.ndarray, np.ndarray],
) -> None:
    low, high = clean_bag
    to_u16 = lambda a: np.round(np.clip(a, 0, 1) * 65535).astype(np.uint16)  # noqa: E731
    fractions = project_for_review(low, high, 5, TipPolicy())
    counts = project_for_review(to_u16(low), to_u16(high), 5, TipPolicy())
    assert counts.image.low.dtype == np.float32 and counts.image.low.max() <= 1.0
    assert counts.annotation.bbox_xywh == fractions.annotation.bbox_xywh
    assert np.abs(counts.image.low - fractions.image.low).max() < 0.01


def test_an_empty_tray_has_nothing_to_project_into() -> None:
    air = np.ones((512, 512), np.float32)
    with pytest.raises(ValueError, match="no bag"):
        project_for_review(air, air, 1, TipPolicy())


def test_the_site_s_own_captured_threats_are_projected_from_its_library(
    tmp_path: Path, clean_bag: tuple[np.ndarray, np.ndarray]
) -> None:
    from tests.security.test_threat_library import _capture
    from yangcheng.security.threat_library import ThreatLibrary

    folder = tmp_path / "lib"
    with pytest.raises(TipConfigError) as err:
        TipPolicy(every=1, library=str(folder))
    assert err.value.field == "tip_library" and "holds no threat" in err.value.reason
    capture, _ = _capture("gun", 6)
    ThreatLibrary(folder).add(capture, "gun", "kit-gun")
    with pytest.raises(TipConfigError, match="holds no threat of knife"):
        TipPolicy(every=1, library=str(folder), classes=("knife",))
    policy = TipPolicy(every=1, library=str(folder))
    assert choose_threat(77, policy) == "kit-gun" and choose_threat(77, TipPolicy()) is None
    low, high = clean_bag
    first = project_for_review(low, high, 77, policy, "kit-gun")
    again = project_for_review(low, high, 77, policy_of({"library": str(folder)}), "kit-gun")
    assert threat_name(first) == "gun"
    assert np.array_equal(first.image.high, again.image.high)
