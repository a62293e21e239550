"""The site planning board: the forecast and staffing drawn as a dashboard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.browser import chromium_page, serve, sign_in_and_open
from tests.conftest import KeyMaker
from yangcheng.security.service_site_status import SITE_STATUS

SMALL = {
    "site": {"days": 21, "daily_items": 200_000, "checkpoints": 2, "seed": 1},
    "horizon_hours": 24,
}


def test_the_board_shows_history_forecast_and_staffing_and_is_cached() -> None:
    out = SITE_STATUS.invoke(SMALL)
    board = out.dashboard  # type: ignore[attr-defined]
    labels = [t.label for t in board.tiles]
    assert labels[:4] == ["Next 24 h", "Peak hour", "Lanes at peak", "Review operators at peak"]
    assert "Forecast error (held-back week)" in labels  # 21 days: a week can be held back
    arrived, predicted = board.charts[0].series
    assert len(arrived.points) == 72 and len(predicted.points) == 24
    assert predicted.points[0][0] - arrived.points[-1][0] == 3600  # forecast starts next hour
    per_checkpoint = board.charts[1].series
    assert [s.name for s in per_checkpoint] == ["T1-A", "T1-B"]
    site_total = [p[1] for p in predicted.points]
    summed = [sum(s.points[i][1] for s in per_checkpoint) for i in range(24)]
    assert site_total == pytest.approx(summed, rel=1e-3)
    assert out.forecast.site_lanes == [int(p[1]) for p in board.charts[2].series[0].points]  # type: ignore[attr-defined]
    assert SITE_STATUS.invoke(SMALL) is out  # same request within the hour: cached


def test_site_page_in_the_console(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("security")
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get("/console/live/security-site")
    assert page.status_code == 200
    assert "Lanes at peak" in page.text and "<svg" in page.text


@pytest.mark.browser
def test_site_page_in_chromium(app: object, make_key: KeyMaker, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    key = make_key("*")
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 120_000) as (page, problems):
        sign_in_and_open(page, base, key, "/console/live/security-site")
        expect(page.get_by_text("Lanes at peak")).to_be_visible()
        expect(page.locator("svg polyline").first).to_be_visible()
        page.screenshot(path=str(shots / "site-dashboard.png"), full_page=True)
        assert not problems, problems
