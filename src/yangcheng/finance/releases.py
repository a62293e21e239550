"""Versioned, immutable releases of rule sets, flows and models.

Life cycle: draft -> approved -> active -> retired, with rollback to the
previously active version. Only drafts change; the database itself refuses an
edit of released content (a trigger), so immutability does not rest on this
module alone. Approval needs a second person (four-eyes), as bank model-risk
policies require. A shadow release runs beside the active one without deciding;
a challenger decides for a fixed share of traffic, chosen by hashing a stable
key so the same customer always lands in the same arm.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Kind = Literal["flow", "ruleset", "model"]
Status = Literal["draft", "approved", "active", "retired"]
BUCKETS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
  kind TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
  status TEXT NOT NULL, content TEXT NOT NULL, content_hash TEXT NOT NULL,
  created_by TEXT NOT NULL, created_at REAL NOT NULL,
  approved_by TEXT, approved_at REAL, note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (kind, name, version));
CREATE TRIGGER IF NOT EXISTS releases_immutable
BEFORE UPDATE OF content, content_hash ON releases WHEN OLD.status != 'draft'
BEGIN SELECT RAISE(ABORT, 'released content is immutable'); END;
CREATE TRIGGER IF NOT EXISTS releases_no_delete
BEFORE DELETE ON releases WHEN OLD.status != 'draft'
BEGIN SELECT RAISE(ABORT, 'released versions cannot be deleted'); END;
CREATE TABLE IF NOT EXISTS activations (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
  action TEXT NOT NULL, by TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS routing (
  kind TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, version INTEGER NOT NULL,
  share REAL NOT NULL, PRIMARY KEY (kind, name, role));
"""


class ReleaseError(ValueError):
    """A life-cycle step that is not allowed, with the reason."""


@dataclass(frozen=True)
class Release:
    kind: str
    name: str
    version: int
    status: str
    content: dict[str, Any]
    content_hash: str
    created_by: str
    created_at: float
    approved_by: str | None
    approved_at: float | None
    note: str


@dataclass(frozen=True)
class Routing:
    champion: Release
    challenger: Release | None = None
    challenger_share: float = 0.0
    shadow: Release | None = None

    def pick(self, key: str) -> Release:
        """The release that decides for ``key``: champion, or challenger for its share."""
        if self.challenger is not None and bucket(key, self.champion.name) < round(
            self.challenger_share * BUCKETS
        ):
            return self.challenger
        return self.champion


def bucket(key: str, salt: str) -> int:
    """Stable bucket in [0, 10000) for a key; the salt decorrelates experiments."""
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ReleaseStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.RLock()
        # Routing is read on every decision; cache it until a write from this
        # connection or (PRAGMA data_version) from any other process.
        self._routing_cache: dict[tuple[str, str], Routing] = {}
        self._cache_stamp: tuple[int, int] = (-1, -1)
        self._local_writes = 0

    # reading
    def _row(self, row: tuple[Any, ...]) -> Release:
        kind, name, version, status, content, chash, by, at, aby, aat, note = row
        return Release(
            kind, name, int(version), status, json.loads(content), chash, by, at, aby, aat, note
        )

    _COLS = (
        "kind, name, version, status, content, content_hash, created_by, created_at, "
        "approved_by, approved_at, note"
    )

    def get(self, kind: Kind, name: str, version: int) -> Release:
        row = self._conn.execute(
            f"SELECT {self._COLS} FROM releases WHERE kind=? AND name=? AND version=?",
            (kind, name, version),
        ).fetchone()
        if row is None:
            raise ReleaseError(f"no {kind} {name!r} version {version}")
        return self._row(row)

    def history(self, kind: Kind, name: str) -> list[Release]:
        rows = self._conn.execute(
            f"SELECT {self._COLS} FROM releases WHERE kind=? AND name=? ORDER BY version",
            (kind, name),
        ).fetchall()
        return [self._row(r) for r in rows]

    def names(self, kind: Kind) -> list[str]:
        rows = self._conn.execute(
            "SELECT DISTINCT name FROM releases WHERE kind=? ORDER BY name", (kind,)
        ).fetchall()
        return [r[0] for r in rows]

    def active(self, kind: Kind, name: str) -> Release | None:
        row = self._conn.execute(
            f"SELECT {self._COLS} FROM releases WHERE kind=? AND name=? AND status='active'",
            (kind, name),
        ).fetchone()
        return self._row(row) if row else None

    # writing
    def save_draft(
        self, kind: Kind, name: str, content: dict[str, Any], author: str, note: str = ""
    ) -> Release:
        """Update the open draft, or open a new version after the latest release."""
        if not author.strip():
            raise ReleaseError("author must be named")
        body = json.dumps(content, ensure_ascii=False)  # the author's key order is kept
        with self._lock:
            latest = self._conn.execute(
                "SELECT version, status FROM releases WHERE kind=? AND name=? "
                "ORDER BY version DESC LIMIT 1",
                (kind, name),
            ).fetchone()
            if latest is not None and latest[1] == "draft":
                version = int(latest[0])
                self._conn.execute(
                    "UPDATE releases SET content=?, content_hash=?, created_by=?, created_at=?, "
                    "note=? WHERE kind=? AND name=? AND version=?",
                    (body, content_hash(content), author, time.time(), note, kind, name, version),
                )
            else:
                version = 1 if latest is None else int(latest[0]) + 1
                self._conn.execute(
                    f"INSERT INTO releases ({self._COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        kind,
                        name,
                        version,
                        "draft",
                        body,
                        content_hash(content),
                        author,
                        time.time(),
                        None,
                        None,
                        note,
                    ),
                )
        self._written()
        return self.get(kind, name, version)

    def approve(self, kind: Kind, name: str, version: int, approver: str) -> Release:
        release = self.get(kind, name, version)
        if release.status != "draft":
            raise ReleaseError(f"{kind} {name} v{version} is {release.status}, not a draft")
        if approver.strip().lower() == release.created_by.strip().lower():
            raise ReleaseError("four-eyes rule: the author cannot approve their own release")
        self._conn.execute(
            "UPDATE releases SET status='approved', approved_by=?, approved_at=? "
            "WHERE kind=? AND name=? AND version=?",
            (approver, time.time(), kind, name, version),
        )
        self._written()
        return self.get(kind, name, version)

    def activate(self, kind: Kind, name: str, version: int, by: str) -> Release:
        with self._lock:
            release = self.get(kind, name, version)
            if release.status not in ("approved", "retired"):
                raise ReleaseError(
                    f"{kind} {name} v{version} is {release.status}; only approved or retired "
                    "versions can be activated"
                )
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(
                    "UPDATE releases SET status='retired' "
                    "WHERE kind=? AND name=? AND status='active'",
                    (kind, name),
                )
                self._conn.execute(
                    "UPDATE releases SET status='active' WHERE kind=? AND name=? AND version=?",
                    (kind, name, version),
                )
                self._conn.execute(
                    "DELETE FROM routing WHERE kind=? AND name=? AND version=?",
                    (kind, name, version),
                )
                self._conn.execute(
                    "INSERT INTO activations (kind, name, version, action, by, at) "
                    "VALUES (?,?,?,?,?,?)",
                    (kind, name, version, "activate", by, time.time()),
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        self._written()
        return self.get(kind, name, version)

    def rollback(self, kind: Kind, name: str, by: str) -> Release:
        """Re-activate the version that was active before the current one."""
        rows = self._conn.execute(
            "SELECT version FROM activations WHERE kind=? AND name=? AND action='activate' "
            "ORDER BY id DESC",
            (kind, name),
        ).fetchall()
        current = self.active(kind, name)
        for (version,) in rows:
            if current is None or version != current.version:
                return self.activate(kind, name, int(version), by)
        raise ReleaseError(f"{kind} {name} has no earlier active version to roll back to")

    def set_role(
        self,
        kind: Kind,
        name: str,
        role: Literal["shadow", "challenger"],
        version: int,
        share: float = 0.0,
    ) -> None:
        release = self.get(kind, name, version)
        if release.status != "approved":
            raise ReleaseError(f"only an approved, not yet active version can be {role}")
        if role == "challenger" and not 0.0 < share < 1.0:
            raise ReleaseError("challenger share must be between 0 and 1")
        self._conn.execute(
            "INSERT OR REPLACE INTO routing (kind, name, role, version, share) VALUES (?,?,?,?,?)",
            (kind, name, role, version, share if role == "challenger" else 0.0),
        )
        self._written()

    def clear_role(self, kind: Kind, name: str, role: Literal["shadow", "challenger"]) -> None:
        self._conn.execute(
            "DELETE FROM routing WHERE kind=? AND name=? AND role=?", (kind, name, role)
        )
        self._written()

    def _written(self) -> None:
        with self._lock:
            self._local_writes += 1

    def routing(self, kind: Kind, name: str) -> Routing:
        stamp = (int(self._conn.execute("PRAGMA data_version").fetchone()[0]), self._local_writes)
        with self._lock:
            if stamp != self._cache_stamp:
                self._routing_cache.clear()
                self._cache_stamp = stamp
            cached = self._routing_cache.get((kind, name))
        if cached is not None:
            return cached
        routing = self._load_routing(kind, name)
        with self._lock:
            if self._cache_stamp == stamp:
                self._routing_cache[(kind, name)] = routing
        return routing

    def _load_routing(self, kind: Kind, name: str) -> Routing:
        champion = self.active(kind, name)
        if champion is None:
            raise ReleaseError(f"{kind} {name!r} has no active version")
        roles = {
            role: (int(version), float(share))
            for role, version, share in self._conn.execute(
                "SELECT role, version, share FROM routing WHERE kind=? AND name=?", (kind, name)
            )
        }
        challenger = shadow = None
        share = 0.0
        if "challenger" in roles:
            challenger = self.get(kind, name, roles["challenger"][0])
            share = roles["challenger"][1]
        if "shadow" in roles:
            shadow = self.get(kind, name, roles["shadow"][0])
        return Routing(champion, challenger, share, shadow)

    def close(self) -> None:
        self._conn.close()
