from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from yangcheng.security.line import ItemEvent, LineStore, LineWorker, WorkerConfig


def _worker(tmp_path: Path, pool: Path, **kw: object) -> tuple[LineStore, LineWorker]:
    config = WorkerConfig(store_location=str(tmp_path / "line.db"), pool=str(pool), **kw)  # type: ignore[arg-type]
    return LineStore(config.store_location), LineWorker(config, "w1")


def test_a_worker_decides_pool_bags_with_their_truth_and_boxes(tmp_path: Path, pool: Path) -> None:
    store, worker = _worker(tmp_path, pool, batch=6)
    store.enqueue(
        [ItemEvent("L1", "XR01", 0.0, 0.0, {"kind": "pool", "index": i}) for i in range(6)]
    )
    assert worker.step() == 6
    decisions = store.decisions()
    assert len(decisions) == 6 and all(d.truth_threat is not None for d in decisions)
    threat = np.load(pool / "threat.npy")
    assert [d.truth_threat for d in sorted(decisions, key=lambda d: d.decided_at)] == list(threat)
    alarmed = [d for d in decisions if d.route != "clear"]
    assert alarmed and all(
        any(b["alarm"] for b in d.detections) or d.route == "divert" for d in alarmed
    )


def test_unreadable_images_and_poison_items_go_to_a_person_not_the_clear_lane(
    tmp_path: Path, pool: Path
) -> None:
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG not really")
    colour = tmp_path / "colour.png"
    cv2.imwrite(str(colour), np.zeros((128, 128, 3), np.uint8))
    store, worker = _worker(tmp_path, pool, batch=1, max_attempts=2)
    store.enqueue(
        [
            ItemEvent(
                "L1", "XR01", 0.0, 0.0, {"kind": "files", "low": str(corrupt), "high": str(corrupt)}
            ),
            ItemEvent(
                "L1", "XR01", 1.0, 1.0, {"kind": "files", "low": str(colour), "high": str(colour)}
            ),
            ItemEvent("L2", "XR02", 2.0, 2.0, {"kind": "pool", "index": 0}),
        ]
    )
    # The third item "killed" two workers: leased twice, never decided.
    (poison,) = store.claim("dead1", 3, lease_s=0.0, lanes=["L2"])
    store.claim("dead2", 3, lease_s=0.0, lanes=["L2"])
    while worker.step():
        pass
    by_id = {d.tracking_id: d for d in store.decisions()}
    assert len(by_id) == 3 and all(d.route == "divert" for d in by_id.values())
    reasons = [by_id[t].reasons[0] for t in sorted(by_id)]
    assert any("not a readable" in r for r in reasons)
    assert any("colour image" in r for r in reasons)
    assert "2 workers stopped" in by_id[poison.tracking_id].reasons[0]
    assert worker.stats.fail_safe == 3


def test_a_lane_with_another_scanner_reads_its_counts_through_its_profile(
    tmp_path: Path, pool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bag from a 140 kVp scanner: through its profile the worker decides it as the
    reference scanner's image; a profile the installation lacks sends it to a person."""
    from tests.security.test_scanner_profile import AIR, DARK, SCANNER_B
    from yangcheng.security.dataset import XrayBaggageDataset
    from yangcheng.security.physics import transmit
    from yangcheng.security.scanner_profile import fit_profile, save_profile
    from yangcheng.security.wedge_table import simulate_wedge_table

    monkeypatch.setenv("YANGCHENG_HOME", str(tmp_path))
    profile = fit_profile(
        simulate_wedge_table(SCANNER_B, dark=DARK, air=AIR), "xr02", dark=DARK, air=AIR
    )
    save_profile(profile, tmp_path)
    own = replace(profile, name="xr03", operating_point={"threshold": 0.75, "box_threshold": 0.5})
    save_profile(own, tmp_path)
    reference, scene = XrayBaggageDataset(20261126, 4).scene(3)
    other = transmit(scene.thickness_cm, scene.materials, channels=SCANNER_B)
    files = {}
    for name, t in (("low", other.low), ("high", other.high)):
        files[name] = str(tmp_path / f"{name}.png")
        cv2.imwrite(files[name], np.round(DARK[0] + (AIR[0] - DARK[0]) * t).astype(np.uint16))
    store, worker = _worker(tmp_path, pool, batch=3)
    store.enqueue(
        [
            ItemEvent("L2", "XR02", 0.0, 0.0, {"kind": "files", **files, "scanner": "xr02"}),
            ItemEvent("L2", "XR02", 1.0, 1.0, {"kind": "files", **files, "scanner": "xr09"}),
            ItemEvent("L3", "XR03", 2.0, 2.0, {"kind": "files", **files, "scanner": "xr03"}),
        ]
    )
    assert worker.step() == 3
    read, unknown, calibrated = sorted(store.decisions(), key=lambda d: d.decided_at)
    assert read.threshold == worker.detector.threshold and calibrated.threshold == 0.75
    expected = worker.detector.detect(reference.low, reference.high)
    scores: dict[str, float] = {}
    for d in read.detections:
        scores[d["class_name"]] = max(scores.get(d["class_name"], 0.0), d["score"])
    items = [d for d in expected.detections if d.score >= 0.3]  # battery, handcuffs, lighter
    assert len(items) == 3
    for d in items:
        assert scores[d.class_name] == pytest.approx(d.score, abs=0.05)
    assert read.route != "clear" and not read.reasons[0].startswith("fail-safe")
    assert unknown.route == "divert" and "no scanner profile 'xr09'" in unknown.reasons[0]


def test_cleared_bags_lend_their_picture_to_test_threats_and_keep_their_decision(
    tmp_path: Path, pool: Path
) -> None:
    from yangcheng.security.line import TipPolicy
    from yangcheng.security.objects import PROHIBITED

    events = [ItemEvent("L1", "XR01", 0.0, 0.0, {"kind": "pool", "index": i}) for i in range(6)]
    plain_store, plain = _worker(tmp_path / "plain", pool, batch=6)
    tip_store, tipping = _worker(
        tmp_path / "tip", pool, batch=6, tip=TipPolicy(every=1, select_every=1)
    )
    for store, worker in ((plain_store, plain), (tip_store, tipping)):
        store.enqueue(events)
        worker.step()
    routes = lambda s: sorted((d.route, round(d.bag_score, 6)) for d in s.decisions())  # noqa: E731
    assert routes(plain_store) == routes(tip_store)  # the tests change no bag's decision
    cleared = {d.tracking_id for d in tip_store.decisions() if d.route == "clear"}
    tips = tip_store.tips()
    assert cleared and {t.of_tracking_id for t in tips} == cleared
    assert tipping.stats.tips == len(tips) and plain.stats.tips == 0
    assert not plain_store.tips()
    names = {c.name for c in PROHIBITED}
    for tip in tips:
        assert tip.threat_class in names and tip.verdict is None
        assert tip.tip_id.startswith("XR01-") and tip.tip_id not in cleared
        assert tip.threshold == next(
            d.threshold for d in tip_store.decisions() if d.tracking_id == tip.of_tracking_id
        )
    assert tip_store.pending_reviews()[0] == 6 - len(cleared) + len(tips)
    assert tip_store.selected_count() == 0  # a bag that lent its picture is not shown too


def test_selected_cleared_bags_go_before_the_operators_as_they_are(
    tmp_path: Path, pool: Path
) -> None:
    from yangcheng.security.line import TipPolicy

    store, worker = _worker(tmp_path, pool, batch=6, tip=TipPolicy(select_every=1))
    store.enqueue(
        [ItemEvent("L1", "XR01", 0.0, 0.0, {"kind": "pool", "index": i}) for i in range(6)]
    )
    worker.step()
    decisions = store.decisions()
    cleared = [d.tracking_id for d in decisions if d.route == "clear"]
    assert cleared and store.selected_count() == len(cleared) and not store.tips()
    total, queue = store.pending_reviews()
    assert total == len(decisions)  # every alarm, and every cleared bag selected
    assert {d.tracking_id for d in queue if d.route == "clear"} == set(cleared)


def test_a_line_projects_the_site_s_library_threats_when_given_one(
    tmp_path: Path, pool: Path
) -> None:
    from tests.security.test_threat_library import _capture
    from yangcheng.security.line import TipPolicy
    from yangcheng.security.threat_library import ThreatLibrary

    library = ThreatLibrary(tmp_path / "lib")
    library.add(_capture("knife", 8)[0], "knife", "kit-knife")
    library.add(_capture("battery_cell", 9)[0], "battery_cell", "kit-cells")
    tip = TipPolicy(every=1, library=str(library.folder))
    store, worker = _worker(tmp_path, pool, batch=6, tip=tip)
    store.enqueue(
        [ItemEvent("L1", "XR01", 0.0, 0.0, {"kind": "pool", "index": i}) for i in range(6)]
    )
    worker.step()
    tips = store.tips()
    assert tips and worker.stats.tips == len(tips)
    for t in tips:
        chosen = t.projection["library_threat"]
        assert chosen in ("kit-knife", "kit-cells") and t.projection["library"] == str(
            library.folder
        )
        assert t.threat_class == {"kit-knife": "knife", "kit-cells": "battery_cell"}[chosen]
