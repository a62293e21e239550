"""The recording QC in the console, in Debian's Chromium: the result's timeline is drawn."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.browser import chromium_page, serve, sign_in_and_open
from tests.conftest import KeyMaker
from tests.finance.conftest import Recordings
from yangcheng.config import Settings
from yangcheng.platform.web.timeline import timeline_chart


def test_timeline_geometry_scales_to_the_duration() -> None:
    chart = timeline_chart(
        {
            "timeline": {
                "duration_s": 20.0,
                "lanes": [
                    {"label": "face", "spans": [{"start_s": 0, "end_s": 10, "label": "f"}]},
                    {"label": "liveness", "marks": [{"t_s": 5, "label": "blink", "ok": False}]},
                ],
            }
        }
    )
    assert chart is not None
    span = chart.lanes[0].spans[0]
    plot = chart.width - chart.left - 10
    assert span.x == chart.left and span.width == pytest.approx(plot / 2, abs=0.2)
    mark = chart.lanes[1].marks[0]
    assert mark.x == pytest.approx(chart.left + plot / 4, abs=0.2) and not mark.ok
    assert [t.label for t in chart.ticks][:3] == ["0:00", "0:02", "0:04"]


@pytest.mark.parametrize(
    "result",
    [None, {"a": 1}, {"timeline": {"duration_s": 0, "lanes": []}}, {"timeline": "x"}],
)
def test_results_without_a_usable_timeline_draw_nothing(result: object) -> None:
    assert timeline_chart(result) is None


@pytest.mark.browser
def test_recording_qc_timeline_in_chromium(
    app: object,
    client: TestClient,
    make_key: KeyMaker,
    settings: Settings,
    recording: Recordings,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    media = Path(settings.home) / "media"
    media.mkdir()
    shutil.copy(recording("good"), media / "good.mp4")
    key = make_key("*")
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 120_000) as (page, problems):
        sign_in_and_open(page, base, key, "/console/capabilities/finance.recording.inspect")
        page.fill("#field-media_path", "good.mp4")
        page.click("#try-form button[type=submit]")
        expect(page.locator("svg.timeline-svg")).to_be_visible(timeout=120_000)
        expect(page.locator("#result-json")).to_contain_text('"verdict": "pass"')
        labels = page.locator("svg.timeline-svg .lane-label").all_text_contents()
        assert labels[:2] == ["face", "liveness"] and "script/consent" in labels
        assert page.locator("svg.timeline-svg .mark").count() >= 4
        page.locator("figure.timeline").screenshot(path=str(shots / "recording-timeline.png"))
        page.screenshot(path=str(shots / "recording-result.png"), full_page=True)
    assert problems == []
