"""The decision log detects any edited, deleted or cut-off record."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from yangcheng.finance.audit import AuditLog, Head
from yangcheng.finance.privacy import keyed_hash, mask_number, redact


def filled(tmp_path: Path, n: int = 6) -> AuditLog:
    log = AuditLog(tmp_path / "audit.db")
    for i in range(n):
        log.append("decision", {"i": i, "decision": "approve" if i % 2 else "review"})
    return log


def test_an_untouched_log_verifies(tmp_path: Path) -> None:
    log = filled(tmp_path)
    head = log.head()
    assert log.verify().ok and log.verify(head).ok
    assert head.count == 6
    reopened = AuditLog(tmp_path / "audit.db")  # the chain continues across restarts
    reopened.append("decision", {"i": 6})
    assert reopened.verify(head).ok and reopened.verify().records == 7


def test_an_edited_record_is_named(tmp_path: Path) -> None:
    log = filled(tmp_path)
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("""UPDATE audit SET payload='{"decision":"approve","i":2}' WHERE seq=3""")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3 and "altered" in result.reason


def test_a_deleted_record_is_named(tmp_path: Path) -> None:
    log = filled(tmp_path)
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("DELETE FROM audit WHERE seq=4")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4 and "missing" in result.reason


def test_a_rewritten_chain_tail_is_caught_by_the_next_link(tmp_path: Path) -> None:
    """Renumbering after a deletion still breaks the prev-hash link."""
    log = filled(tmp_path)
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("DELETE FROM audit WHERE seq=4")
        conn.execute("UPDATE audit SET seq=seq-1 WHERE seq>4")
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 4


def test_a_cut_off_end_needs_the_saved_head(tmp_path: Path) -> None:
    log = filled(tmp_path)
    head = log.head()
    with sqlite3.connect(tmp_path / "audit.db") as conn:
        conn.execute("DELETE FROM audit WHERE seq>=5")
    assert AuditLog(tmp_path / "audit.db").verify().ok  # a chain alone cannot know
    result = AuditLog(tmp_path / "audit.db").verify(head)
    assert not result.ok and "saved head says 6" in result.reason
    assert not log.verify(Head(2, "f" * 64)).ok


def test_card_and_id_numbers_are_masked_and_hashed() -> None:
    assert mask_number("6222 0202 0011 2233 446") == "6222***********3446"
    assert mask_number("1234") == "***4"
    salt = b"s1"
    assert keyed_hash("6222020200112233446", salt) == keyed_hash("6222 0202 0011 2233 446", salt)
    assert keyed_hash("6222020200112233446", salt) != keyed_hash("6222020200112233446", b"s2")
    safe = redact({"card_number": "6222020200112233446", "amount_cny": 10.0}, salt)
    assert "6222020200112233446" not in repr(safe)
    assert safe["amount_cny"] == 10.0


def test_two_writers_on_one_file_keep_one_chain(tmp_path: Path) -> None:
    """The API process and a job worker may append to the same log."""
    a = AuditLog(tmp_path / "audit.db")
    b = AuditLog(tmp_path / "audit.db")
    for i in range(5):
        a.append("decision", {"writer": "a", "i": i})
        b.append("decision", {"writer": "b", "i": i})
    assert a.verify().ok and a.verify().records == 10
    assert a.head() == b.head()
