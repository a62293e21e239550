"""The two databases a line store can live in: a SQLite file, or a PostgreSQL server.

One line controller with its workers on the same machine shares a SQLite file (WAL; write
transactions take the lock up front, so a lease is never granted twice). Workers on several
machines, as Ray lane actors on a cluster, need a server: PostgreSQL, where concurrent claims
skip each other's locked rows (``FOR UPDATE SKIP LOCKED``) instead of queueing behind them.
The store writes its SQL once, SQLite-style (``?`` placeholders); this module adapts it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol


class Cursor(Protocol):
    rowcount: int

    def fetchall(self) -> list[Any]: ...

    def fetchone(self) -> Any: ...


class Transaction(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...


class Backend(Protocol):
    kind: str
    skip_locked: str
    """Appended to the claim's SELECT: rows another worker is claiming are passed over."""

    def transaction(self) -> Any: ...

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def is_duplicate(self, exc: BaseException) -> bool: ...

    def close(self) -> None: ...


def is_server_url(location: str | Path) -> bool:
    return str(location).startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def open_backend(location: str | Path, schema: Sequence[str]) -> Backend:
    """``location``: a file path (SQLite) or a ``postgresql[+psycopg]://`` URL."""
    backend: Backend
    backend = _Postgres(str(location)) if is_server_url(location) else _Sqlite(Path(location))
    with backend.transaction() as tx:
        for statement in schema:
            tx.execute(_for(backend.kind, statement))
    return backend


def _for(kind: str, statement: str) -> str:
    if kind == "postgresql":
        return statement.replace(
            "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"
        ).replace(" REAL", " DOUBLE PRECISION")
    return statement


class _Sqlite:
    kind = "sqlite"
    skip_locked = ""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._conn.execute(sql, tuple(params)).fetchall())

    def is_duplicate(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError)

    def close(self) -> None:
        self._conn.close()


class _PgTransaction:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._cursor.execute(_pg_sql(sql), tuple(params))
        return self._cursor


def _pg_sql(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` (a literal ``%`` doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Postgres:
    kind = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._conn = psycopg.connect(dsn, autocommit=True)
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[_PgTransaction]:
        with self._lock, self._conn.transaction(), self._conn.cursor() as cursor:
            yield _PgTransaction(cursor)

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, self._conn.cursor() as cursor:
            cursor.execute(_pg_sql(sql), tuple(params))
            return list(cursor.fetchall())

    def is_duplicate(self, exc: BaseException) -> bool:
        return isinstance(exc, self._psycopg.errors.UniqueViolation)

    def close(self) -> None:
        self._conn.close()
