"""Append-only, hash-chained decision log.

Each record stores the previous record's hash, so editing or deleting any
record breaks the chain at that point, and `verify` names it. Cutting records
off the *end* leaves a shorter valid chain; to catch that, an operator keeps
the `head()` (count and last hash) somewhere else — a daily report, a ticket —
and passes it to `verify(expected_head=...)`.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    ts: float
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Head:
    count: int
    hash: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    first_bad_seq: int | None = None
    reason: str = ""


def _digest(seq: int, ts: float, kind: str, payload_json: str, prev_hash: str) -> str:
    material = json.dumps([seq, repr(ts), kind, payload_json, prev_hash], ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


class AuditLog:
    """A SQLite file of chained records; safe to share between threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, ts REAL NOT NULL, "
            "kind TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, "
            "hash TEXT NOT NULL)"
        )
        self._lock = threading.Lock()
        self._conn.execute("PRAGMA busy_timeout=30000")

    def append(self, kind: str, payload: dict[str, Any], ts: float | None = None) -> AuditRecord:
        ts = time.time() if ts is None else ts
        body = _canonical(payload)
        with self._lock:
            # The chain head is re-read inside a write transaction, so several
            # processes (the API and job workers) can append to one log safely.
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
                ).fetchone()
                prev_seq, prev_hash = (int(row[0]), str(row[1])) if row else (0, GENESIS)
                seq = prev_seq + 1
                digest = _digest(seq, ts, kind, body, prev_hash)
                self._conn.execute(
                    "INSERT INTO audit (seq, ts, kind, payload, prev_hash, hash) "
                    "VALUES (?,?,?,?,?,?)",
                    (seq, ts, kind, body, prev_hash, digest),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return AuditRecord(seq, ts, kind, json.loads(body), prev_hash, digest)

    def head(self) -> Head:
        row = self._conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return Head(int(row[0]), str(row[1])) if row else Head(0, GENESIS)

    def records(self, start_seq: int = 1, limit: int | None = None) -> Iterator[AuditRecord]:
        query = (
            "SELECT seq, ts, kind, payload, prev_hash, hash FROM audit WHERE seq >= ? ORDER BY seq"
        )
        params: tuple[Any, ...] = (start_seq,)
        if limit is not None:
            query += " LIMIT ?"
            params = (start_seq, limit)
        for seq, ts, kind, payload, prev, digest in self._conn.execute(query, params):
            yield AuditRecord(int(seq), float(ts), kind, json.loads(payload), prev, digest)

    def verify(self, expected_head: Head | None = None) -> Verification:
        """Walk the whole chain; the first broken link is reported."""
        expected_prev = GENESIS
        expected_seq = 1
        count = 0
        last_hash = GENESIS
        cursor = self._conn.execute(
            "SELECT seq, ts, kind, payload, prev_hash, hash FROM audit ORDER BY seq"
        )
        for seq, ts, kind, payload, prev, digest in cursor:
            if seq != expected_seq:
                return Verification(False, count, expected_seq, f"record {expected_seq} is missing")
            if prev != expected_prev:
                return Verification(
                    False, count, seq, f"record {seq} does not follow record {seq - 1}"
                )
            if _digest(seq, ts, kind, payload, prev) != digest:
                return Verification(False, count, seq, f"record {seq} was altered")
            expected_prev = digest
            expected_seq += 1
            count += 1
            last_hash = digest
        if expected_head is not None:
            if count < expected_head.count:
                return Verification(
                    False,
                    count,
                    count + 1,
                    f"log ends at record {count}; the saved head says {expected_head.count}",
                )
            at_head = (
                GENESIS
                if expected_head.count == 0
                else last_hash
                if count == expected_head.count
                else next(self.records(expected_head.count, 1)).hash
            )
            if at_head != expected_head.hash:
                return Verification(
                    False,
                    count,
                    expected_head.count,
                    f"record {expected_head.count} differs from the saved head",
                )
        return Verification(True, count)

    def close(self) -> None:
        self._conn.close()
