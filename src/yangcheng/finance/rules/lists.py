"""Block, allow and watch lists of cards, devices, accounts and other entities.

Card numbers and ID numbers are personal data under PCI DSS and PIPL, so they are stored only as
keyed hashes (HMAC-SHA256 with a secret salt): a stolen database file reveals neither, while a
lookup with the same salt still matches. A masked form ('6222********3446') is kept for display.
Lookups hit an in-memory index loaded at open, because list checks sit on every payment.
"""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from yangcheng.finance.privacy import mask_number as mask
from yangcheng.finance.privacy import normalise_number as _normalise

__all__ = ["ENTITY_TYPES", "HASHED_ENTITY_TYPES", "ListHit", "ListKind", "ListStore", "mask"]

ListKind = Literal["block", "allow", "watch"]
_KINDS: tuple[str, ...] = get_args(ListKind)
ENTITY_TYPES = frozenset({"card", "device", "account", "merchant", "ip", "id_number"})
HASHED_ENTITY_TYPES = frozenset({"card", "id_number"})
_CHECK_TEXT = b"yangcheng.finance.rules.lists salt check"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS list_entries (
    list_kind TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    value_key TEXT NOT NULL,
    display TEXT NOT NULL,
    reason TEXT NOT NULL,
    added_at REAL NOT NULL,
    expires_at REAL,
    PRIMARY KEY (list_kind, entity_type, value_key)
);
CREATE TABLE IF NOT EXISTS list_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class ListHit:
    """A list entry matching an entity; `value` is masked for hashed entity types."""

    list_kind: ListKind
    entity_type: str
    value: str
    reason: str
    added_at: float
    expires_at: float | None

    def active(self, now: float) -> bool:
        return self.expires_at is None or now < self.expires_at


class ListStore:
    """Lists persisted in SQLite (WAL) with an in-memory index for O(1) lookups.

    The index reflects this process's writes; call `reload()` to see another process's.
    """

    def __init__(self, path: str | Path, salt: bytes | str) -> None:
        self._salt = salt.encode() if isinstance(salt, str) else bytes(salt)
        if len(self._salt) < 16:
            raise ValueError("salt must be at least 16 bytes: card numbers are easy to brute-force")
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._check_salt()
        self._index: dict[tuple[str, str], dict[str, ListHit]] = {}
        self.reload()

    def _check_salt(self) -> None:
        """Refuse a different salt for an existing file: every hashed lookup would silently miss."""
        fingerprint = hmac.new(self._salt, _CHECK_TEXT, hashlib.sha256).hexdigest()
        row = self._db.execute("SELECT value FROM list_meta WHERE key = 'salt_check'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO list_meta VALUES ('salt_check', ?)", (fingerprint,))
        elif not hmac.compare_digest(row[0], fingerprint):
            raise ValueError(f"{self.path} was created with a different salt")

    def _key(self, entity_type: str, value: str) -> tuple[str, str]:
        if entity_type not in ENTITY_TYPES:
            raise ValueError(
                f"unknown entity type {entity_type!r}; use one of {', '.join(sorted(ENTITY_TYPES))}"
            )
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{entity_type} value must be a non-empty string")
        if entity_type in HASHED_ENTITY_TYPES:
            text = _normalise(value)
            digest = hmac.new(self._salt, f"{entity_type}:{text}".encode(), hashlib.sha256)
            return digest.hexdigest(), mask(text)
        return value.strip(), value.strip()

    def reload(self) -> None:
        """Rebuild the index from the file (for changes made by other processes)."""
        index: dict[tuple[str, str], dict[str, ListHit]] = {}
        rows = self._db.execute(
            "SELECT list_kind, entity_type, value_key, display, reason, added_at, expires_at "
            "FROM list_entries"
        )
        for kind, entity_type, key, display, reason, added_at, expires_at in rows:
            hit = ListHit(kind, entity_type, display, reason, added_at, expires_at)
            index.setdefault((entity_type, key), {})[kind] = hit
        with self._lock:
            self._index = index

    def add(
        self,
        list_kind: ListKind,
        entity_type: str,
        value: str,
        reason: str = "",
        expires_at: float | None = None,
        added_at: float | None = None,
    ) -> ListHit:
        """Put an entity on a list (replacing its previous entry on that list)."""
        if list_kind not in _KINDS:
            raise ValueError(f"list kind must be one of {', '.join(_KINDS)}, got {list_kind!r}")
        key, display = self._key(entity_type, value)
        added = time.time() if added_at is None else float(added_at)
        hit = ListHit(list_kind, entity_type, display, reason, added, expires_at)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO list_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                (list_kind, entity_type, key, display, reason, added, expires_at),
            )
            self._index.setdefault((entity_type, key), {})[list_kind] = hit
        return hit

    def remove(self, list_kind: ListKind, entity_type: str, value: str) -> bool:
        """Take an entity off one list; False if it was not on it."""
        key, _ = self._key(entity_type, value)
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM list_entries "
                "WHERE list_kind = ? AND entity_type = ? AND value_key = ?",
                (list_kind, entity_type, key),
            )
            entries = self._index.get((entity_type, key), {})
            entries.pop(list_kind, None)
            if not entries:
                self._index.pop((entity_type, key), None)
        return cursor.rowcount > 0

    def lookup(self, entity_type: str, value: str, now: float | None = None) -> list[ListHit]:
        """Active entries for one entity across all lists (block, allow, watch order)."""
        key, _ = self._key(entity_type, value)
        entries = self._index.get((entity_type, key))
        if not entries:
            return []
        moment = time.time() if now is None else now
        return [entries[k] for k in _KINDS if k in entries and entries[k].active(moment)]

    def check(self, entities: Mapping[str, str], now: float | None = None) -> list[ListHit]:
        """Active entries for every entity of a transaction, e.g. {'card': ..., 'ip': ...}."""
        moment = time.time() if now is None else now
        hits: list[ListHit] = []
        for entity_type, value in entities.items():
            hits.extend(self.lookup(entity_type, value, moment))
        return hits

    def purge_expired(self, now: float | None = None) -> int:
        """Delete expired entries from the file and index; returns how many went."""
        moment = time.time() if now is None else now
        with self._lock:
            cursor = self._db.execute(
                "DELETE FROM list_entries WHERE expires_at IS NOT NULL AND expires_at <= ?",
                (moment,),
            )
        self.reload()
        return cursor.rowcount

    def __len__(self) -> int:
        return sum(len(v) for v in self._index.values())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ListStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
