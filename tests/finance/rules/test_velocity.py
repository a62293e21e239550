from __future__ import annotations

import math
import random
import sqlite3
import threading
from pathlib import Path

import pytest

from yangcheng.finance.rules import VelocityStore

ZERO = {f"{k}_{w}s": 0.0 for w in (60, 3600, 86400) for k in ("count", "sum")}


def _f(c60: float, s60: float, c1h: float, s1h: float, c1d: float, s1d: float) -> dict[str, float]:
    return {
        "count_60s": c60,
        "sum_60s": s60,
        "count_3600s": c1h,
        "sum_3600s": s1h,
        "count_86400s": c1d,
        "sum_86400s": s1d,
    }


def test_hand_computed_windows_and_boundaries() -> None:
    store = VelocityStore(None)
    assert store.observe("card", "A", 1000.0, 10.0) == ZERO
    assert store.observe("card", "A", 1040.0, 20.0) == _f(1, 10, 1, 10, 1, 10)
    # the event at 1000 is exactly 60 s earlier: included
    assert store.observe("card", "A", 1060.0, 5.0) == _f(2, 30, 2, 30, 2, 30)
    # 1000 is now 60.5 s earlier: out of the minute, still in the hour
    assert store.observe("card", "A", 1060.5, 1.0) == _f(2, 25, 3, 35, 3, 35)
    # an earlier event at the same timestamp is not "before" this one
    assert store.observe("card", "A", 1060.5, 2.0) == _f(2, 25, 3, 35, 3, 35)
    # exactly one hour after 1060: 1060 included, 1000 and 1040 are older than an hour
    assert store.observe("card", "A", 4660.0, 0.0) == _f(0, 0, 3, 8, 5, 38)
    assert store.observe("card", "B", 4660.0, 1.0) == ZERO  # entities are separate
    assert store.observe("device", "A", 4660.0, 1.0) == ZERO  # so are entity types


def test_peek_does_not_record() -> None:
    store = VelocityStore(None)
    store.observe("card", "A", 0.0, 3.0)
    assert store.peek("card", "A", 10.0) == store.peek("card", "A", 10.0) == _f(1, 3, 1, 3, 1, 3)
    store.observe("card", "A", 10.0, 4.0)
    assert store.peek("card", "A", 10.5)["count_60s"] == 2


def test_sums_are_exact_not_accumulated() -> None:
    store = VelocityStore(None)
    for k in range(10):
        store.observe("card", "A", float(k), 0.1)
    assert sum([0.1] * 10) != 1.0
    assert store.peek("card", "A", 10.0)["sum_60s"] == math.fsum([0.1] * 10) == 1.0


def _stream(seed: int, n: int) -> list[tuple[str, float, float]]:
    rng = random.Random(seed)
    events, t = [], 0.0
    for _ in range(n):
        t += rng.choice([0.0, 1.0, 30.0, 60.0, 61.0, 3599.0, 3600.0, 40000.0])
        events.append((rng.choice("ABC"), t, round(rng.uniform(-50, 5000), 2)))
    return events


def test_matches_an_offline_brute_force_computation() -> None:
    store = VelocityStore(None)
    events = _stream(7, 600)
    for index, (entity, ts, amount) in enumerate(events):
        features = store.observe("card", entity, ts, amount)
        earlier = [(t, a) for e, t, a in events[:index] if e == entity]
        for w in (60, 3600, 86400):
            window = [a for t, a in earlier if ts - w <= t < ts]
            assert features[f"count_{w}s"] == len(window)
            assert features[f"sum_{w}s"] == math.fsum(window)


@pytest.mark.parametrize("commit_every", [1, 50])
def test_restart_on_the_same_file_gives_identical_features(
    tmp_path: Path, commit_every: int
) -> None:
    path = tmp_path / "velocity.db"
    events = _stream(11, 400)
    memory = VelocityStore(None)
    with VelocityStore(path, commit_every=commit_every) as store:
        for entity, ts, amount in events[:300]:
            assert store.observe("card", entity, ts, amount) == memory.observe(
                "card", entity, ts, amount
            )
        probe_ts = events[300][1]
        before = {e: store.peek("card", e, probe_ts) for e in "ABCD"}
    restarted = VelocityStore(path)
    assert {e: restarted.peek("card", e, probe_ts) for e in "ABCD"} == before
    for entity, ts, amount in events[300:]:
        assert restarted.observe("card", entity, ts, amount) == memory.observe(
            "card", entity, ts, amount
        )
    restarted.close()


def test_late_event_sees_only_earlier_timestamps() -> None:
    store = VelocityStore(None)
    store.observe("card", "A", 1000.0, 1.0)
    store.observe("card", "A", 1100.0, 2.0)
    assert store.observe("card", "A", 1050.0, 4.0) == _f(1, 1, 1, 1, 1, 1)
    assert store.peek("card", "A", 1100.0) == _f(1, 4, 2, 5, 2, 5)
    assert store.peek("card", "A", 1100.5) == _f(2, 6, 3, 7, 3, 7)


def test_old_history_is_pruned_without_changing_features(tmp_path: Path) -> None:
    store, n, end = VelocityStore(tmp_path / "v.db"), 9000, 900000.0
    for k in range(n):
        store.observe("card", f"C{k % 50}", k * 100.0, 1.0)
    # retention is 1 day + 1 hour = 900 events of 100 s; pruning runs every few thousand events
    assert len(store) < n
    expected = sum(1 for k in range(n) if k % 50 == 0 and end - 86400 <= k * 100 < end)
    before = {f"C{e}": store.peek("card", f"C{e}", end) for e in range(50)}
    assert before["C0"]["count_86400s"] == expected
    store.close()
    with sqlite3.connect(tmp_path / "v.db") as db:
        (rows,) = db.execute("SELECT COUNT(*) FROM velocity_events").fetchone()
    assert rows < n  # the file is pruned too
    again = VelocityStore(tmp_path / "v.db")
    assert {f"C{e}": again.peek("card", f"C{e}", end) for e in range(50)} == before


def test_concurrent_observers_lose_nothing(tmp_path: Path) -> None:
    store = VelocityStore(tmp_path / "v.db")

    def work(offset: int) -> None:
        for k in range(300):
            store.observe("device", "D", 1000.0 + offset + k * 1e-3, 1.0)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.peek("device", "D", 2000.0)["count_3600s"] == 1200
    store.close()
    assert VelocityStore(tmp_path / "v.db").peek("device", "D", 2000.0)["count_3600s"] == 1200


def test_salted_keys_keep_card_numbers_out_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    with VelocityStore(path, key_salt=b"k" * 32) as store:
        store.observe("card", "6222021234563446", 1.0, 5.0)
    data = b"".join(f.read_bytes() for f in tmp_path.iterdir())
    assert b"6222021234563446" not in data
    again = VelocityStore(path, key_salt=b"k" * 32)
    assert again.peek("card", "6222021234563446", 2.0)["count_60s"] == 1


def test_observe_entities_prefixes_names() -> None:
    store = VelocityStore(None)
    store.observe_entities({"card": "A", "device": "D"}, 1.0, 5.0)
    features = store.observe_entities({"card": "A", "device": "D"}, 2.0, 1.0)
    assert features["card_sum_60s"] == features["device_sum_60s"] == 5.0


@pytest.mark.parametrize(("ts", "amount"), [(float("nan"), 1.0), (1.0, float("inf")), (1.0, True)])
def test_bad_numbers_are_rejected(ts: float, amount: float) -> None:
    with pytest.raises(ValueError):
        VelocityStore(None).observe("card", "A", ts, amount)
