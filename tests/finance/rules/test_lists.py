from __future__ import annotations

from pathlib import Path

import pytest

from yangcheng.finance.rules import ListStore, mask

SALT = b"test-salt-0123456789abcdef"
CARD = "6222021234563446"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def store(tmp_path: Path) -> ListStore:
    return ListStore(tmp_path / "lists.db", SALT)


def test_mask() -> None:
    assert mask(CARD) == "6222********3446"
    assert mask("6222 0212 3456 3446") == "6222********3446"
    assert CARD[4:12] not in mask(CARD)


def test_add_and_lookup_normalises_card_numbers(store: ListStore) -> None:
    store.add("block", "card", "6222 0212-3456 3446", reason="fraud ring", added_at=100.0)
    [hit] = store.lookup("card", CARD, now=200.0)
    assert (hit.list_kind, hit.entity_type, hit.value, hit.reason) == (
        "block",
        "card",
        "6222********3446",
        "fraud ring",
    )
    assert store.lookup("card", "6222021234563447", now=200.0) == []
    assert store.lookup("account", CARD, now=200.0) == []  # same text, other entity type


def test_raw_card_and_id_numbers_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "lists.db"
    with ListStore(path, SALT) as store:
        store.add("block", "card", CARD, reason="chargebacks")
        store.add("watch", "id_number", ID_NUMBER, reason="synthetic identity")
        store.add("block", "device", "dev-7f3a", reason="emulator")
        assert store.lookup("id_number", ID_NUMBER.lower())  # X check digit case-insensitive
    files = list(tmp_path.iterdir())
    assert path in files
    data = b"".join(f.read_bytes() for f in files)
    assert b"dev-7f3a" in data  # the file really holds what we wrote
    for secret in (CARD, ID_NUMBER, CARD[4:12]):
        assert secret.encode() not in data
        assert secret.encode("utf-16-le") not in data


def test_entries_persist_and_a_different_salt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lists.db"
    with ListStore(path, SALT) as store:
        store.add("allow", "merchant", "M-001", reason="payroll")
        store.add("block", "card", CARD)
    with ListStore(path, SALT) as again:
        assert [h.list_kind for h in again.check({"merchant": "M-001", "card": CARD})] == [
            "allow",
            "block",
        ]
    with pytest.raises(ValueError, match="different salt"):
        ListStore(path, b"another-salt-0123456789")


def test_expired_entries_are_ignored(store: ListStore) -> None:
    store.add("block", "ip", "203.0.113.9", added_at=0.0, expires_at=1000.0)
    assert store.lookup("ip", "203.0.113.9", now=999.9)
    assert store.lookup("ip", "203.0.113.9", now=1000.0) == []
    assert store.purge_expired(now=1000.0) == 1
    assert len(store) == 0


def test_an_entity_on_several_lists_and_removal(store: ListStore) -> None:
    store.add("watch", "account", "622-001")
    store.add("block", "account", "622-001")
    assert [h.list_kind for h in store.lookup("account", "622-001")] == ["block", "watch"]
    assert store.remove("block", "account", "622-001") is True
    assert store.remove("block", "account", "622-001") is False
    assert [h.list_kind for h in store.lookup("account", "622-001")] == ["watch"]


def test_check_covers_every_entity_of_a_transaction(store: ListStore) -> None:
    store.add("block", "device", "dev-1")
    store.add("watch", "ip", "198.51.100.7")
    hits = store.check({"card": CARD, "device": "dev-1", "ip": "198.51.100.7"})
    assert sorted((h.entity_type, h.list_kind) for h in hits) == [
        ("device", "block"),
        ("ip", "watch"),
    ]


@pytest.mark.parametrize(
    ("kind", "entity_type", "value"),
    [("deny", "card", CARD), ("block", "cards", CARD), ("block", "card", " ")],
)
def test_bad_entries_are_rejected(
    store: ListStore, kind: str, entity_type: str, value: str
) -> None:
    with pytest.raises(ValueError):
        store.add(kind, entity_type, value)  # type: ignore[arg-type]


def test_short_salt_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        ListStore(tmp_path / "l.db", b"short")
