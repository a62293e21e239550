"""A small pre-scanned pool shared by the line tests (simulated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from yangcheng.security.line import build_pool


@pytest.fixture(scope="session")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_pool(tmp_path_factory.mktemp("line-pool"), 6, seed=40_000, hard_fraction=0.0)
