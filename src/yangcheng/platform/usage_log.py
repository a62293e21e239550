"""Usage events written in batches by one background thread.

Writing each call's event inside the request would add a database commit to
every answer's latency and make concurrent requests fight over SQLite's write
lock. Events wait at most `interval_s` (or until `flush()`), so a crash loses
at most that window of metering, never an answer.
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import insert, update

from yangcheng.platform.store.db import Database
from yangcheng.platform.store.models import ApiKey, UsageEvent

log = logging.getLogger(__name__)
_Item = dict[str, Any] | threading.Event | None


class UsageRecorder:
    def __init__(self, db: Database, interval_s: float = 0.2, batch: int = 500) -> None:
        self._db = db
        self._interval_s = interval_s
        self._batch = batch
        self._queue: queue.SimpleQueue[dict[str, Any] | threading.Event | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def _ensure_writer(self) -> None:
        # Started on first use and again after close(): an app can be started
        # and stopped several times (tests, ASGI lifespans) and keeps metering.
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="yc-usage", daemon=True)
                self._thread.start()

    def submit(self, event: dict[str, Any]) -> None:
        self._ensure_writer()
        self._queue.put(event)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Return once every event submitted before this call is in the database."""
        self._ensure_writer()
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout_s)

    def close(self) -> None:
        with self._start_lock:
            thread = self._thread
            if thread is None or not thread.is_alive():
                return
            self._queue.put(None)
        thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            events: list[dict[str, Any]] = []
            waiters: list[threading.Event] = []
            stop = False
            try:
                item = self._queue.get(timeout=self._interval_s)
            except queue.Empty:
                continue
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                else:
                    events.append(item)
                if len(events) >= self._batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if events:
                self._write(events)
            for waiter in waiters:
                waiter.set()
            if stop:
                return

    def _write(self, events: list[dict[str, Any]]) -> None:
        last_used: dict[int, datetime] = {}
        for e in events:
            key_id = e.get("api_key_id")
            if key_id is not None:
                last_used[key_id] = max(e["created_at"], last_used.get(key_id, e["created_at"]))
        try:
            with self._db.engine.begin() as conn:
                conn.execute(insert(UsageEvent), events)
                for key_id, at in last_used.items():
                    conn.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))
        except Exception:
            # Metering must never take the server down; the loss is logged.
            log.exception("could not record %d usage events", len(events))
