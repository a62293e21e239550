"""Releases: immutable once approved, four-eyes, activation, rollback, routing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from yangcheng.finance.releases import BUCKETS, ReleaseError, ReleaseStore, bucket


@pytest.fixture
def store(tmp_path: Path) -> ReleaseStore:
    return ReleaseStore(tmp_path / "releases.db")


def release(store: ReleaseStore, content: dict, author: str = "ana", approver: str = "bo") -> int:
    draft = store.save_draft("flow", "card", content, author)
    store.approve("flow", "card", draft.version, approver)
    return draft.version


def test_drafts_change_released_versions_do_not(store: ReleaseStore, tmp_path: Path) -> None:
    d1 = store.save_draft("flow", "card", {"threshold": 0.5}, "ana")
    d1b = store.save_draft("flow", "card", {"threshold": 0.6}, "ana")
    assert d1b.version == d1.version == 1 and d1b.content == {"threshold": 0.6}
    store.approve("flow", "card", 1, "bo")
    d2 = store.save_draft("flow", "card", {"threshold": 0.7}, "ana")
    assert d2.version == 2
    assert store.get("flow", "card", 1).content == {"threshold": 0.6}
    with (
        sqlite3.connect(tmp_path / "releases.db") as conn,
        pytest.raises(sqlite3.DatabaseError, match="immutable"),
    ):
        conn.execute("UPDATE releases SET content='{}' WHERE version=1")
    with (
        sqlite3.connect(tmp_path / "releases.db") as conn,
        pytest.raises(sqlite3.DatabaseError, match="cannot be deleted"),
    ):
        conn.execute("DELETE FROM releases WHERE version=1")


def test_four_eyes_and_life_cycle_order(store: ReleaseStore) -> None:
    store.save_draft("flow", "card", {"v": 1}, "ana")
    with pytest.raises(ReleaseError, match="four-eyes"):
        store.approve("flow", "card", 1, "ANA")
    with pytest.raises(ReleaseError, match="only approved"):
        store.activate("flow", "card", 1, "ops")
    store.approve("flow", "card", 1, "bo")
    with pytest.raises(ReleaseError, match="not a draft"):
        store.approve("flow", "card", 1, "cy")
    assert store.activate("flow", "card", 1, "ops").status == "active"


def test_activation_retires_the_previous_and_rollback_restores_it(store: ReleaseStore) -> None:
    v1 = release(store, {"v": 1})
    v2 = release(store, {"v": 2})
    store.activate("flow", "card", v1, "ops")
    store.activate("flow", "card", v2, "ops")
    assert store.get("flow", "card", v1).status == "retired"
    assert store.active("flow", "card").version == v2
    back = store.rollback("flow", "card", "ops")
    assert back.version == v1 and store.get("flow", "card", v2).status == "retired"
    assert store.rollback("flow", "card", "ops").version == v2


def test_rollback_without_history_is_refused(store: ReleaseStore) -> None:
    store.activate("flow", "card", release(store, {"v": 1}), "ops")
    with pytest.raises(ReleaseError, match="no earlier"):
        store.rollback("flow", "card", "ops")


def test_challenger_gets_its_share_deterministically(store: ReleaseStore) -> None:
    store.activate("flow", "card", release(store, {"v": 1}), "ops")
    v2 = release(store, {"v": 2})
    store.set_role("flow", "card", "challenger", v2, share=0.2)
    routing = store.routing("flow", "card")
    picks = [routing.pick(f"card-{i}").version for i in range(5000)]
    share = picks.count(v2) / len(picks)
    assert 0.18 < share < 0.22
    assert [routing.pick(f"card-{i}").version for i in range(50)] == picks[:50]
    assert 0 <= bucket("x", "card") < BUCKETS
    with pytest.raises(ReleaseError, match="between 0 and 1"):
        store.set_role("flow", "card", "challenger", v2, share=1.5)


def test_shadow_runs_beside_and_activation_clears_the_role(store: ReleaseStore) -> None:
    store.activate("flow", "card", release(store, {"v": 1}), "ops")
    v2 = release(store, {"v": 2})
    store.set_role("flow", "card", "shadow", v2)
    routing = store.routing("flow", "card")
    assert routing.shadow is not None and routing.shadow.version == v2
    assert routing.pick("anyone").version == 1
    store.activate("flow", "card", v2, "ops")
    assert store.routing("flow", "card").shadow is None


def test_routing_sees_changes_made_by_another_process(store: ReleaseStore, tmp_path: Path) -> None:
    store.activate("flow", "card", release(store, {"v": 1}), "ops")
    assert store.routing("flow", "card").champion.version == 1
    other = ReleaseStore(tmp_path / "releases.db")  # a second connection, as another process
    v2 = release(other, {"v": 2})
    other.activate("flow", "card", v2, "ops")
    assert store.routing("flow", "card").champion.version == v2
    store.rollback("flow", "card", "ops")
    assert other.routing("flow", "card").champion.version == 1
