from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

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
