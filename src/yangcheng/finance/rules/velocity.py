"""Rolling-window counts and sums per entity: "5 card payments in the last minute".

The features must equal those computed offline for model training, so the semantics are fixed:
for each window w, over the entity's earlier events with timestamp in [ts - w, ts) (the current
event excluded; an event exactly w seconds earlier included). Sums are exact: each is the
correctly rounded sum of the amounts, as `math.fsum` gives, so any exact offline implementation
agrees bit for bit whatever order it adds in. We keep exact running totals as integers scaled by
2**1074 (every finite double is an integer multiple of 2**-1074), making a window sum two
bisections and one subtraction instead of a scan.

History older than the watermark (largest timestamp seen) minus the longest window minus
`allowed_lateness_s` is forgotten. For events that arrive in time order this never changes a
feature; it only bounds memory, and it makes a restarted store give identical features.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import sqlite3
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["DEFAULT_WINDOWS_S", "VelocityStore"]

DEFAULT_WINDOWS_S: tuple[int, ...] = (60, 3600, 86400)
_SCALE_BITS = 1074
_SCALE = 1 << _SCALE_BITS
_SWEEP_EVERY = 4096
_INSERT = "INSERT INTO velocity_events VALUES (?, ?, ?, ?)"


def _exact(amount: float) -> int:
    numerator, denominator = amount.as_integer_ratio()  # denominator is a power of two
    return numerator << (_SCALE_BITS + 1 - denominator.bit_length())


def _to_float(scaled: int) -> float:
    try:
        return scaled / _SCALE  # int / int is correctly rounded in CPython
    except OverflowError:
        return math.copysign(math.inf, scaled)


def _finite(name: str, value: float) -> float:
    if type(value) is float and value - value == 0.0:  # fast path: finite float
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


class _History:
    """One entity's events: sorted timestamps and exact cumulative sums (len(ts) + 1 of them)."""

    __slots__ = ("cum", "ts")

    def __init__(self) -> None:
        self.ts: list[float] = []
        self.cum: list[int] = [0]

    def add(self, ts: float, amount: int) -> None:
        times, cum = self.ts, self.cum
        if not times or ts >= times[-1]:
            times.append(ts)
            cum.append(cum[-1] + amount)
            return
        at = bisect_right(times, ts)  # late event: insert in order, shift later totals
        times.insert(at, ts)
        cum.insert(at + 1, cum[at] + amount)
        for k in range(at + 2, len(cum)):
            cum[k] += amount

    def drop_before(self, horizon: float) -> None:
        cut = bisect_left(self.ts, horizon)
        if cut:
            del self.ts[:cut]
            del self.cum[:cut]


class VelocityStore:
    """Per-entity velocity features, in memory for speed and in SQLite (WAL) for restarts.

    `path=None` keeps everything in memory. `commit_every=1` commits each observation before
    `observe` returns; a larger value batches commits (faster; a crash loses at most that many,
    and `flush()`/`close()` commit the rest). `key_salt` stores entity ids as HMACs, for stores
    keyed by card number. Thread-safe; one writing process per file, since the memory state
    is the source of truth between restarts.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        windows_s: Sequence[int] = DEFAULT_WINDOWS_S,
        allowed_lateness_s: float = 3600.0,
        commit_every: int = 1,
        key_salt: bytes | None = None,
    ) -> None:
        self.windows_s = tuple(sorted(int(w) for w in windows_s))
        if not self.windows_s or self.windows_s[0] <= 0:
            raise ValueError("windows_s must be positive numbers of seconds")
        if commit_every < 1:
            raise ValueError("commit_every must be at least 1")
        lateness = _finite("allowed_lateness_s", allowed_lateness_s)
        self._retention = self.windows_s[-1] + lateness
        self._names = tuple((f"count_{w}s", f"sum_{w}s", float(w)) for w in self.windows_s)
        self._commit_every = commit_every
        self._salt = key_salt
        self._lock = threading.Lock()
        self._entities: dict[tuple[str, str], _History] = {}
        self._watermark = -math.inf
        self._pending = 0
        self._since_sweep = 0
        # (last rowid, watermark then): rows up to that rowid all have ts <= that watermark
        self._marks: list[tuple[int, float]] = []
        self._last_rowid = 0
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._open(Path(path))

    # persistence ---------------------------------------------------------------------------

    def _open(self, path: Path) -> None:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # every commit appends at least one page to the WAL; rows are ~60 bytes, so 1 KiB pages
        # (taking effect on a new file) about halve the cost of a per-observation commit, and
        # 4000 of them keep the WAL near its default 4 MB between checkpoints
        db.execute("PRAGMA page_size=1024")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA wal_autocheckpoint=4000")
        # no index on ts: it would double the cost of every insert; pruning goes by rowid
        db.execute(
            "CREATE TABLE IF NOT EXISTS velocity_events "
            "(entity_type TEXT NOT NULL, entity_key TEXT NOT NULL,"
            " ts REAL NOT NULL, amount REAL NOT NULL)"
        )
        (watermark,) = db.execute("SELECT MAX(ts) FROM velocity_events").fetchone()
        if watermark is not None:
            self._watermark = watermark
            horizon = watermark - self._retention
            db.execute("DELETE FROM velocity_events WHERE ts < ?", (horizon,))
            rows = db.execute(
                "SELECT entity_type, entity_key, ts, amount FROM velocity_events ORDER BY ts"
            )
            for entity_type, key, ts, amount in rows:
                self._entities.setdefault((entity_type, key), _History()).add(ts, _exact(amount))
        self._db = db

    def _persist(self, rows: list[tuple[str, str, float, float]]) -> None:
        db = self._db
        if db is None:
            return
        if self._commit_every == 1 and len(rows) == 1:
            cursor = db.execute(_INSERT, rows[0])  # autocommit: one transaction per observation
        else:
            if self._pending == 0:
                db.execute("BEGIN")
            cursor = db.executemany(_INSERT, rows)
            self._pending += 1
            if self._pending >= self._commit_every:
                db.execute("COMMIT")
                self._pending = 0
        self._last_rowid = cursor.lastrowid or self._last_rowid

    def flush(self) -> None:
        """Commit observations batched by `commit_every`."""
        with self._lock:
            if self._db is not None and self._pending:
                self._db.execute("COMMIT")
                self._pending = 0

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> VelocityStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # features ------------------------------------------------------------------------------

    @property
    def watermark(self) -> float:
        """The largest timestamp observed so far (-inf before the first)."""
        return self._watermark

    def _key(self, entity_type: str, entity_id: str) -> tuple[str, str]:
        if not isinstance(entity_type, str) or not entity_type:
            raise ValueError(f"entity_type must be a non-empty string, got {entity_type!r}")
        if not isinstance(entity_id, str) or not entity_id:
            raise ValueError(f"{entity_type} id must be a non-empty string, got {entity_id!r}")
        if self._salt is None:
            return entity_type, entity_id
        digest = hmac.new(self._salt, f"{entity_type}:{entity_id}".encode(), hashlib.sha256)
        return entity_type, digest.hexdigest()

    def _features(self, history: _History | None, ts: float) -> dict[str, float]:
        out: dict[str, float] = {}
        if history is None or not history.ts:
            for count_name, sum_name, _ in self._names:
                out[count_name] = 0.0
                out[sum_name] = 0.0
            return out
        times, cum = history.ts, history.cum
        hi = bisect_left(times, ts)
        floor = self._watermark - self._retention
        top = cum[hi]
        for count_name, sum_name, w in self._names:
            start = ts - w
            lo = bisect_left(times, start if start > floor else floor, 0, hi)
            out[count_name] = float(hi - lo)
            out[sum_name] = _to_float(top - cum[lo])
        return out

    def peek(self, entity_type: str, entity_id: str, ts: float) -> dict[str, float]:
        """Features an event at `ts` would get, without recording anything."""
        ts = _finite("ts", ts)
        key = self._key(entity_type, entity_id)
        with self._lock:
            return self._features(self._entities.get(key), ts)

    def observe(
        self, entity_type: str, entity_id: str, ts: float, amount: float
    ) -> dict[str, float]:
        """Features of this event from the entity's earlier events, then record the event."""
        ts, amount = _finite("ts", ts), _finite("amount", amount)
        key = self._key(entity_type, entity_id)
        exact = _exact(amount)
        with self._lock:
            out = self._record(key, ts, exact)
            self._persist([(key[0], key[1], ts, amount)])
            self._advance(ts)
        return out

    def observe_entities(
        self, entities: Mapping[str, str], ts: float, amount: float
    ) -> dict[str, float]:
        """`observe` for each entity of one transaction (card, device, ...) in one commit.

        Feature names are prefixed with the entity type, e.g. 'card_count_60s'.
        """
        ts, amount = _finite("ts", ts), _finite("amount", amount)
        keys = [self._key(entity_type, entity_id) for entity_type, entity_id in entities.items()]
        exact = _exact(amount)
        out: dict[str, float] = {}
        with self._lock:
            for key in keys:
                features = self._record(key, ts, exact)
                out.update((f"{key[0]}_{name}", value) for name, value in features.items())
            self._persist([(k[0], k[1], ts, amount) for k in keys])
            self._advance(ts)
        return out

    def _record(self, key: tuple[str, str], ts: float, exact: int) -> dict[str, float]:
        history = self._entities.get(key)
        out = self._features(history, ts)
        if history is None:
            history = self._entities[key] = _History()
        history.add(ts, exact)
        return out

    def _advance(self, ts: float) -> None:
        if ts > self._watermark:
            self._watermark = ts
        self._since_sweep += 1
        if self._since_sweep >= _SWEEP_EVERY:
            self._sweep()

    def _sweep(self) -> None:
        """Forget events beyond retention, in memory and on disk (called under the lock)."""
        self._since_sweep = 0
        horizon = self._watermark - self._retention
        for key in list(self._entities):
            history = self._entities[key]
            history.drop_before(horizon)
            if not history.ts:
                del self._entities[key]
        if self._db is None:
            return
        # rows up to a mark's rowid have ts <= its watermark; if that is below the horizon,
        # every one of them is expired. Later expired rows wait for a later mark (or a reopen).
        expired = [mark for mark in self._marks if mark[1] < horizon]
        if expired:
            self._db.execute("DELETE FROM velocity_events WHERE rowid <= ?", (expired[-1][0],))
            self._marks = self._marks[len(expired) :]
        self._marks.append((self._last_rowid, self._watermark))

    def __len__(self) -> int:
        """Events currently held in memory."""
        return sum(len(h.ts) for h in self._entities.values())
