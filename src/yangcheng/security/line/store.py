"""The line's durable state: items waiting, leases, decisions and operators' verdicts.

A SQLite file (one machine) or a PostgreSQL database (workers on several machines), shared
by the feeder, every worker and the platform (see ``backend``). It is the line's queue as
well as its record, which is what makes the two guarantees hold:

- **No item is lost.** An item is written when it is scanned, before anyone works on it. A
  worker *leases* a few items; if it dies, the lease runs out and another worker takes them.
  An item that has killed ``max_attempts`` workers is routed to manual inspection.
- **No item is decided twice.** A worker commits a decision only while it still holds the
  item's lease token, in the same transaction that marks the item decided, and the decision
  table's key is the tracking id. A worker that lost its lease (it stalled, the lease ran
  out, another worker decided) has its late decision refused.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yangcheng.security.line.backend import Backend, open_backend
from yangcheng.security.line.conveyor import ItemEvent
from yangcheng.security.line.routing import RoutedItem

VERDICTS = ("accept", "reject")
"""accept: the alarm was right (a prohibited item was found); reject: a false alarm."""

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS line_items (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  tracking_id TEXT NOT NULL UNIQUE,
  lane TEXT NOT NULL,
  scanner_id TEXT NOT NULL,
  belt_position_m REAL NOT NULL,
  scanned_at REAL NOT NULL,
  source TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  claim_token TEXT,
  claimed_by TEXT,
  lease_until REAL,
  attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_line_items_state ON line_items(state, lane, seq);
CREATE TABLE IF NOT EXISTS line_decisions (
  tracking_id TEXT PRIMARY KEY REFERENCES line_items(tracking_id),
  lane TEXT NOT NULL,
  route TEXT NOT NULL,
  reasons TEXT NOT NULL,
  bag_score REAL NOT NULL,
  threshold REAL NOT NULL,
  detections TEXT NOT NULL,
  truth_threat INTEGER,
  late INTEGER NOT NULL,
  decided_at REAL NOT NULL,
  latency_ms REAL NOT NULL,
  worker TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_line_decisions_time ON line_decisions(decided_at);
CREATE INDEX IF NOT EXISTS ix_line_decisions_route ON line_decisions(route, decided_at);
CREATE TABLE IF NOT EXISTS line_claims (
  tracking_id TEXT NOT NULL,
  worker TEXT NOT NULL,
  claimed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS line_reviews (
  tracking_id TEXT PRIMARY KEY REFERENCES line_decisions(tracking_id),
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  operator TEXT NOT NULL,
  reviewed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS line_tips (
  tip_id TEXT PRIMARY KEY,
  of_tracking_id TEXT NOT NULL REFERENCES line_decisions(tracking_id),
  lane TEXT NOT NULL,
  threat_class TEXT NOT NULL,
  threat_box TEXT NOT NULL,
  seed INTEGER NOT NULL,
  projection TEXT NOT NULL,
  route TEXT NOT NULL,
  reasons TEXT NOT NULL,
  bag_score REAL NOT NULL,
  threshold REAL NOT NULL,
  detections TEXT NOT NULL,
  latency_ms REAL NOT NULL,
  worker TEXT NOT NULL,
  created_at REAL NOT NULL,
  verdict TEXT,
  reason TEXT,
  operator TEXT,
  judged_at REAL
);
CREATE INDEX IF NOT EXISTS ix_line_tips_time ON line_tips(created_at);
CREATE TABLE IF NOT EXISTS line_selected (
  tracking_id TEXT PRIMARY KEY REFERENCES line_decisions(tracking_id),
  selected_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS line_feed (
  key TEXT PRIMARY KEY,
  value REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS line_stalls (
  started_at REAL NOT NULL,
  ended_at REAL NOT NULL,
  backlog INTEGER NOT NULL
);
"""


_UPSERT_FEED = (
    "INSERT INTO line_feed (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


class ReviewError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ClaimedItem:
    tracking_id: str
    lane: str
    scanner_id: str
    belt_position_m: float
    scanned_at: float
    source: dict[str, Any]
    token: str
    attempts: int


@dataclass(frozen=True)
class Decision:
    tracking_id: str
    lane: str
    route: str
    reasons: list[str]
    bag_score: float
    threshold: float
    detections: list[dict[str, Any]]
    truth_threat: bool | None
    late: bool
    decided_at: float
    latency_ms: float
    worker: str


@dataclass(frozen=True)
class Review:
    tracking_id: str
    verdict: str
    reason: str
    operator: str
    reviewed_at: float


@dataclass(frozen=True)
class Tip:
    """A threat projected into a cleared bag's picture and put before the operators (`tip`).

    ``route``, ``reasons``, ``bag_score`` and ``detections`` are what the detector made of
    the projected picture; ``threat_box`` (x, y, w, h) is where the threat truly is."""

    tip_id: str
    of_tracking_id: str
    lane: str
    threat_class: str
    threat_box: list[float]
    seed: int
    projection: dict[str, Any]
    """The `TipPolicy` fields the picture was made with, to make it again for review."""
    route: str
    reasons: list[str]
    bag_score: float
    threshold: float
    detections: list[dict[str, Any]]
    latency_ms: float
    worker: str
    created_at: float
    verdict: str | None = None
    reason: str | None = None
    operator: str | None = None
    judged_at: float | None = None

    @property
    def detector_alarmed(self) -> bool:
        return self.route != "clear"

    @property
    def hit(self) -> bool | None:
        """accept (a prohibited item is there) found it; None until judged."""
        return None if self.verdict is None else self.verdict == "accept"

    def shown(self) -> Decision:
        """The item as the operators' queue shows it: what the detector made of it, as for a
        real bag (a cleared one where it did not alarm, like the selected real bags)."""
        return Decision(
            self.tip_id,
            self.lane,
            self.route,
            self.reasons,
            self.bag_score,
            self.threshold,
            self.detections,
            None,
            False,
            self.created_at,
            self.latency_ms,
            self.worker,
        )


_TIP_COLUMNS = (
    "tip_id, of_tracking_id, lane, threat_class, threat_box, seed, projection, route, "
    "reasons, bag_score, threshold, detections, latency_ms, worker, created_at, verdict, "
    "reason, operator, judged_at"
)


def _tip(row: tuple[Any, ...]) -> Tip:
    (tid, of, lane, cls, box, seed, proj, route, reasons, score, thr, dets, lat, worker, at) = row[
        :15
    ]
    verdict, reason, operator, judged = row[15:]
    return Tip(
        str(tid),
        str(of),
        str(lane),
        str(cls),
        json.loads(box),
        int(seed),
        json.loads(proj),
        str(route),
        json.loads(reasons),
        float(score),
        float(thr),
        json.loads(dets),
        float(lat),
        str(worker),
        float(at),
        None if verdict is None else str(verdict),
        None if reason is None else str(reason),
        None if operator is None else str(operator),
        None if judged is None else float(judged),
    )


_SCHEMA = tuple(s.strip() for s in _SCHEMA_SQL.split(";") if s.strip())


class LineStore:
    """One per process (connections are not shared across processes); thread-safe.

    ``location``: a SQLite file path, or a ``postgresql[+psycopg]://`` URL for a line whose
    workers run on several machines.
    """

    def __init__(self, location: str | Path) -> None:
        self.location = str(location)
        self._db: Backend = open_backend(location, _SCHEMA)

    def close(self) -> None:
        self._db.close()

    def _write(self) -> Any:
        """A write transaction (SQLite: the write lock taken at BEGIN)."""
        return self._db.transaction()

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._db.read(sql, params)

    # ---- feeding ------------------------------------------------------------------

    def enqueue(self, events: Iterable[ItemEvent], now: float | None = None) -> list[str]:
        """Record scanned items; each gets its tracking id. One transaction for the lot."""
        stamp = time.time() if now is None else now
        ids = []
        with self._write() as db:
            for event in events:
                tracking_id = f"{event.scanner_id}-{uuid.uuid4().hex[:12]}"
                db.execute(
                    "INSERT INTO line_items (tracking_id, lane, scanner_id, belt_position_m, "
                    "scanned_at, source) VALUES (?,?,?,?,?,?)",
                    (
                        tracking_id,
                        event.lane,
                        event.scanner_id,
                        event.belt_position_m,
                        stamp,
                        json.dumps(event.source, sort_keys=True),
                    ),
                )
                ids.append(tracking_id)
        return ids

    def open_feed(self) -> None:
        """One more feeder is writing items: workers stay until every feeder has closed.

        A count, not a flag, so two runs sharing a store cannot close each other's feed."""
        with self._write() as db:
            db.execute(
                "INSERT INTO line_feed (key, value) VALUES ('open', 1) "
                "ON CONFLICT (key) DO UPDATE SET value = line_feed.value + 1"
            )

    def close_feed(self) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE line_feed SET value = CASE WHEN value > 1 THEN value - 1 ELSE 0 END "
                "WHERE key = 'open'"
            )

    def feed_open(self) -> bool:
        rows = self._read("SELECT value FROM line_feed WHERE key = 'open'")
        return bool(rows and rows[0][0] > 0)

    def mark_ready(self, worker: str, now: float | None = None) -> None:
        """A worker has its detector loaded and is taking items."""
        with self._write() as db:
            db.execute(
                _UPSERT_FEED,
                (f"ready:{worker}", time.time() if now is None else now),
            )

    def ready_workers(self, since: float = 0.0) -> int:
        rows = self._read(
            "SELECT count(*) FROM line_feed WHERE key LIKE 'ready:%' AND value >= ?", (since,)
        )
        return int(rows[0][0])

    def record_stall(self, started_at: float, ended_at: float, backlog: int) -> None:
        with self._write() as db:
            db.execute("INSERT INTO line_stalls VALUES (?,?,?)", (started_at, ended_at, backlog))

    def backlog(self) -> int:
        """Items scanned and not yet decided: the queue a worker crash or overload grows."""
        return int(self._read("SELECT count(*) FROM line_items WHERE state != 'decided'")[0][0])

    # ---- working ------------------------------------------------------------------

    def claim(
        self,
        worker: str,
        limit: int,
        lease_s: float,
        lanes: Iterable[str] | None = None,
        now: float | None = None,
    ) -> list[ClaimedItem]:
        """Lease up to ``limit`` items, oldest first: queued ones, or ones whose lease ran out."""
        stamp = time.time() if now is None else now
        lane_list = list(lanes) if lanes is not None else None
        lane_sql = ""
        params: list[Any] = [stamp]
        if lane_list is not None:
            lane_sql = f" AND lane IN ({','.join('?' * len(lane_list))})"
            params += lane_list
        params.append(limit)
        with self._write() as db:
            rows = db.execute(
                "SELECT tracking_id, lane, scanner_id, belt_position_m, scanned_at, source, "
                "attempts FROM line_items WHERE (state = 'queued' OR (state = 'claimed' AND "
                f"lease_until < ?)){lane_sql} ORDER BY seq LIMIT ?{self._db.skip_locked}",
                params,
            ).fetchall()
            claimed = []
            for tid, lane, scanner, pos, scanned, source, attempts in rows:
                token = uuid.uuid4().hex
                db.execute(
                    "UPDATE line_items SET state = 'claimed', claim_token = ?, claimed_by = ?, "
                    "lease_until = ?, attempts = attempts + 1 WHERE tracking_id = ?",
                    (token, worker, stamp + lease_s, tid),
                )
                db.execute("INSERT INTO line_claims VALUES (?,?,?)", (tid, worker, stamp))
                claimed.append(
                    ClaimedItem(
                        tid, lane, scanner, pos, scanned, json.loads(source), token, attempts + 1
                    )
                )
        return claimed

    def decide(
        self,
        item: ClaimedItem,
        routed: RoutedItem,
        worker: str,
        *,
        deadline_s: float,
        truth_threat: bool | None = None,
        now: float | None = None,
    ) -> Decision | None:
        """Commit the decision if ``item``'s lease is still ours; None when it is not."""
        stamp = time.time() if now is None else now
        latency_ms = 1000.0 * (stamp - item.scanned_at)
        late = latency_ms > 1000.0 * deadline_s
        route, reasons = routed.route, list(routed.reasons)
        if late and route == "clear":
            # The item passed the diverter undecided; the line's default sent it to a person.
            route = "divert"
            reasons.insert(
                0,
                f"fail-safe: decided {latency_ms / 1000:.1f} s after the scan, "
                f"after the diverter ({deadline_s:.1f} s)",
            )
        decision = Decision(
            item.tracking_id,
            item.lane,
            route,
            reasons,
            routed.bag_score,
            routed.threshold,
            routed.detections,
            truth_threat,
            late,
            stamp,
            latency_ms,
            worker,
        )
        with self._write() as db:
            updated = db.execute(
                "UPDATE line_items SET state = 'decided', lease_until = NULL WHERE tracking_id = ? "
                "AND state = 'claimed' AND claim_token = ?",
                (item.tracking_id, item.token),
            ).rowcount
            if updated != 1:
                return None
            db.execute(
                "INSERT INTO line_decisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    decision.tracking_id,
                    decision.lane,
                    decision.route,
                    json.dumps(decision.reasons),
                    decision.bag_score,
                    decision.threshold,
                    json.dumps(decision.detections),
                    None if truth_threat is None else int(truth_threat),
                    int(late),
                    decision.decided_at,
                    decision.latency_ms,
                    worker,
                ),
            )
        return decision

    # ---- reading ------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        rows = self._read("SELECT state, count(*) FROM line_items GROUP BY state")
        out = {"queued": 0, "claimed": 0, "decided": 0}
        out.update({str(s): int(n) for s, n in rows})
        return out

    def decisions(
        self, since: float = 0.0, route: str | None = None, limit: int | None = None
    ) -> list[Decision]:
        sql = "SELECT * FROM line_decisions WHERE decided_at >= ?"
        params: list[Any] = [since]
        if route is not None:
            sql += " AND route = ?"
            params.append(route)
        sql += " ORDER BY decided_at"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_decision(r) for r in self._read(sql, tuple(params))]

    def decision(self, tracking_id: str) -> Decision | None:
        rows = self._read("SELECT * FROM line_decisions WHERE tracking_id = ?", (tracking_id,))
        return _decision(rows[0]) if rows else None

    def item_source(self, tracking_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT source FROM line_items WHERE tracking_id = ?", (tracking_id,))
        return json.loads(rows[0][0]) if rows else None

    def claim_counts(self) -> dict[str, int]:
        """How many times each item was leased (more than once: a worker died holding it)."""
        rows = self._read("SELECT tracking_id, count(*) FROM line_claims GROUP BY tracking_id")
        return {str(t): int(n) for t, n in rows}

    def stalls(self, since: float = 0.0) -> list[tuple[float, float, int]]:
        rows = self._read(
            "SELECT * FROM line_stalls WHERE ended_at >= ? ORDER BY started_at", (since,)
        )
        return [(float(a), float(b), int(n)) for a, b, n in rows]

    # ---- operators ----------------------------------------------------------------

    def pending_reviews(self, limit: int = 50) -> tuple[int, list[Decision]]:
        """Alarmed items and selected cleared ones without a verdict, with the projected test
        threats among them (`Tip.shown`), oldest first, and how many there are."""
        where = (
            "FROM line_decisions d LEFT JOIN line_reviews r ON r.tracking_id = d.tracking_id "
            "WHERE (d.route != 'clear' OR d.tracking_id IN (SELECT tracking_id FROM "
            "line_selected)) AND r.tracking_id IS NULL"
        )
        total = int(self._read(f"SELECT count(*) {where}")[0][0])
        rows = self._read(f"SELECT d.* {where} ORDER BY d.decided_at LIMIT ?", (limit,))
        alarms = [_decision(r) for r in rows]
        total += int(self._read("SELECT count(*) FROM line_tips WHERE verdict IS NULL")[0][0])
        tips = [
            _tip(r).shown()
            for r in self._read(
                f"SELECT {_TIP_COLUMNS} FROM line_tips WHERE verdict IS NULL "
                "ORDER BY created_at LIMIT ?",
                (limit,),
            )
        ]
        return total, sorted(alarms + tips, key=lambda d: d.decided_at)[:limit]

    def review(
        self,
        tracking_id: str,
        verdict: str,
        reason: str,
        operator: str,
        now: float | None = None,
    ) -> Review:
        """Record a verdict on an alarm, or on a projected test threat (see ``tip_of``)."""
        if verdict not in VERDICTS:
            raise ReviewError("verdict", f"must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        reason = reason.strip()
        if not reason:
            raise ReviewError("reason", "say why: what was found, or why the alarm was false")
        stamp = time.time() if now is None else now
        if self.tip_of(tracking_id) is not None:
            self._judge_tip(tracking_id, verdict, reason, operator, stamp)
            return Review(tracking_id, verdict, reason, operator, stamp)
        try:
            self._insert_review(tracking_id, verdict, reason, operator, stamp)
        except Exception as exc:
            if not self._db.is_duplicate(exc):
                raise
            # Two operators judged at once; on PostgreSQL the second insert loses here.
            other = self.review_of(tracking_id)
            by = f" by {other.operator}" if other else ""
            raise ReviewError("id", f"{tracking_id} was already judged{by}") from None
        return Review(tracking_id, verdict, reason, operator, stamp)

    def _judge_tip(
        self, tip_id: str, verdict: str, reason: str, operator: str, stamp: float
    ) -> None:
        with self._write() as db:
            updated = db.execute(
                "UPDATE line_tips SET verdict = ?, reason = ?, operator = ?, judged_at = ? "
                "WHERE tip_id = ? AND verdict IS NULL",
                (verdict, reason, operator, stamp, tip_id),
            ).rowcount
        if updated != 1:
            done = self.tip_of(tip_id)
            by = f" '{done.verdict}' by {done.operator}" if done else ""
            raise ReviewError("id", f"{tip_id} was already judged{by}")

    def _insert_review(
        self, tracking_id: str, verdict: str, reason: str, operator: str, stamp: float
    ) -> None:
        with self._write() as db:
            row = db.execute(
                "SELECT route FROM line_decisions WHERE tracking_id = ?", (tracking_id,)
            ).fetchone()
            if row is None:
                raise ReviewError("id", f"no decided item {tracking_id!r}")
            selected = db.execute(
                "SELECT 1 FROM line_selected WHERE tracking_id = ?", (tracking_id,)
            ).fetchone()
            if row[0] == "clear" and selected is None:
                raise ReviewError(
                    "id", f"{tracking_id} was cleared; only alarms and selected bags are reviewed"
                )
            done = db.execute(
                "SELECT operator, verdict FROM line_reviews WHERE tracking_id = ?", (tracking_id,)
            ).fetchone()
            if done is not None:
                raise ReviewError(
                    "id", f"{tracking_id} was already judged '{done[1]}' by {done[0]}"
                )
            db.execute(
                "INSERT INTO line_reviews VALUES (?,?,?,?,?)",
                (tracking_id, verdict, reason, operator, stamp),
            )

    def reviews(self, since: float = 0.0, alarms_only: bool = False) -> list[Review]:
        """Verdicts on real items; ``alarms_only`` leaves out the selected cleared bags'."""
        where = " AND d.route != 'clear'" if alarms_only else ""
        rows = self._read(
            "SELECT r.* FROM line_reviews r JOIN line_decisions d ON d.tracking_id = "
            f"r.tracking_id WHERE r.reviewed_at >= ?{where} ORDER BY r.reviewed_at",
            (since,),
        )
        return [Review(str(a), str(b), str(c), str(d), float(e)) for a, b, c, d, e in rows]

    def select(self, tracking_id: str, now: float | None = None) -> None:
        """Put a cleared bag before the operators as it is (`TipPolicy.select_every`)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO line_selected VALUES (?, ?)",
                (tracking_id, time.time() if now is None else now),
            )

    def selected_reviews(self, since: float = 0.0) -> list[Review]:
        """Verdicts on selected cleared bags: "accept" found what the detector let through."""
        rows = self._read(
            "SELECT r.* FROM line_reviews r JOIN line_selected s ON s.tracking_id = "
            "r.tracking_id WHERE s.selected_at >= ? ORDER BY r.reviewed_at",
            (since,),
        )
        return [Review(str(a), str(b), str(c), str(d), float(e)) for a, b, c, d, e in rows]

    def selected_count(self, since: float = 0.0) -> int:
        rows = self._read("SELECT count(*) FROM line_selected WHERE selected_at >= ?", (since,))
        return int(rows[0][0])

    def review_of(self, tracking_id: str) -> Review | None:
        rows = self._read("SELECT * FROM line_reviews WHERE tracking_id = ?", (tracking_id,))
        if rows:
            return Review(*rows[0])
        tip = self.tip_of(tracking_id)
        if tip is None or tip.verdict is None:
            return None
        return Review(
            tip.tip_id, tip.verdict, tip.reason or "", tip.operator or "", tip.judged_at or 0.0
        )

    # ---- projected test threats (`tip`) -----------------------------------------------

    def add_tip(self, tip: Tip) -> None:
        """Put a projected test threat in the operators' queue. Its bag must be decided."""
        with self._write() as db:
            db.execute(
                f"INSERT INTO line_tips ({_TIP_COLUMNS}) VALUES ({','.join('?' * 19)})",
                (
                    tip.tip_id,
                    tip.of_tracking_id,
                    tip.lane,
                    tip.threat_class,
                    json.dumps(tip.threat_box),
                    tip.seed,
                    json.dumps(tip.projection, sort_keys=True),
                    tip.route,
                    json.dumps(tip.reasons),
                    tip.bag_score,
                    tip.threshold,
                    json.dumps(tip.detections),
                    tip.latency_ms,
                    tip.worker,
                    tip.created_at,
                    tip.verdict,
                    tip.reason,
                    tip.operator,
                    tip.judged_at,
                ),
            )

    def tip_of(self, tip_id: str) -> Tip | None:
        """The projected test threat of this id; None for a real item (or none at all)."""
        rows = self._read(f"SELECT {_TIP_COLUMNS} FROM line_tips WHERE tip_id = ?", (tip_id,))
        return _tip(rows[0]) if rows else None

    def tips(self, since: float = 0.0) -> list[Tip]:
        rows = self._read(
            f"SELECT {_TIP_COLUMNS} FROM line_tips WHERE created_at >= ? ORDER BY created_at",
            (since,),
        )
        return [_tip(r) for r in rows]

    def labels(self) -> Iterator[dict[str, Any]]:
        """Operators' verdicts joined to what the detector said: labels for retraining."""
        rows = self._read(
            "SELECT r.tracking_id, i.source, d.route, d.bag_score, d.detections, r.verdict, "
            "r.reason, r.operator, r.reviewed_at FROM line_reviews r "
            "JOIN line_decisions d ON d.tracking_id = r.tracking_id "
            "JOIN line_items i ON i.tracking_id = r.tracking_id ORDER BY r.reviewed_at"
        )
        for tid, source, route, score, dets, verdict, reason, operator, at in rows:
            yield {
                "tracking_id": tid,
                "source": json.loads(source),
                "route": route,
                "bag_score": score,
                "detections": json.loads(dets),
                "verdict": verdict,
                "threat_present": verdict == "accept",
                "reason": reason,
                "operator": operator,
                "reviewed_at": at,
            }


def _decision(row: tuple[Any, ...]) -> Decision:
    (tid, lane, route, reasons, score, threshold, dets, truth, late, at, latency, worker) = row
    return Decision(
        str(tid),
        str(lane),
        str(route),
        json.loads(reasons),
        float(score),
        float(threshold),
        json.loads(dets),
        None if truth is None else bool(truth),
        bool(late),
        float(at),
        float(latency),
        str(worker),
    )
