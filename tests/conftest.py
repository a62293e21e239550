"""Shared fixtures: a migrated platform on a temporary SQLite (or PostgreSQL) database."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.browser import serve
from yangcheng.config import Settings
from yangcheng.platform import auth, create_app
from yangcheng.platform.store import upgrade

PG_ENV = "YANGCHENG_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The test PostgreSQL URL when one is configured and answers, else None."""
    url = os.environ.get(PG_ENV)
    if not url:
        return None
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:
        return None
    return url


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on SQLite and, when reachable, on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'yc.db'}"
    url = postgres_url()
    if url is None:
        pytest.skip(f"no PostgreSQL reachable (set {PG_ENV}; .ci/run starts one)")
    reset_postgres(url)
    return url


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, executor="thread", workers=2, job_chunk_size=10)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    upgrade(settings.resolved_database_url)
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


KeyMaker = Callable[..., str]


@pytest.fixture
def make_key(app: FastAPI) -> KeyMaker:
    """Create a key; returns the raw key."""

    def make(
        scopes: str = "*",
        email: str = "dev@bank.example.cn",
        organisation: str = "Bank of Example",
        **kwargs: object,
    ) -> str:
        with app.state.platform.db.session() as s:
            raw, _ = auth.create_key(
                s, email=email, organisation=organisation, scopes=scopes, **kwargs
            )
        return raw

    return make


@pytest.fixture
def admin_headers(make_key: KeyMaker) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('*')}"}


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port; yields its base URL."""
    with serve(app) as base:
        yield base


def wait_for_job(
    client: TestClient, job_id: str, headers: dict[str, str], timeout_s: float = 60
) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        info = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if info["state"] not in ("queued", "running"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {info}")
