"""A small pre-scanned pool shared by the line tests (simulated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PG_ENV, postgres_url
from yangcheng.security.line import build_pool

LINE_TABLES = (
    "line_tips",
    "line_selected",
    "line_reviews",
    "line_decisions",
    "line_claims",
    "line_items",
    "line_feed",
    "line_stalls",
)


@pytest.fixture(scope="session")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pool(tmp_path_factory.mktemp("line-pool"), 6, seed=40_000, hard_fraction=0.0)


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each line-store test runs on a SQLite file and, when reachable, on PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "line.db")
    url = postgres_url()
    if url is None:
        pytest.skip(f"no PostgreSQL reachable (set {PG_ENV}; .ci/run starts one)")
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {', '.join(LINE_TABLES)} CASCADE")
    return url
