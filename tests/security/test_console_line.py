"""The line in the console: the live dashboard, the alarm queue and an operator's verdict."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.browser import chromium_page, serve, sign_in_and_open
from tests.conftest import KeyMaker, wait_for_job
from yangcheng.config import Settings
from yangcheng.security.line import (
    ItemEvent,
    LineStore,
    LineWorker,
    Tip,
    TipPolicy,
    WorkerConfig,
    build_pool,
)
from yangcheng.security.service_line import line_folder

BAGS = 6


def _line(tip: TipPolicy | None = None) -> tuple[LineStore, list[str]]:
    """Six pool bags decided on lanes L1/L2 in this platform's line store (in-process)."""
    folder = line_folder()
    pool = build_pool(folder / "pool", BAGS, hard_fraction=0.0)
    config = WorkerConfig(
        store_location=str(folder / "line.db"), pool=str(pool), batch=BAGS, tip=tip or TipPolicy()
    )
    store = LineStore(config.store_location)
    ids = store.enqueue(
        [
            ItemEvent(
                f"L{1 + i % 2}", f"XR0{1 + i % 2}", float(i), float(i), {"kind": "pool", "index": i}
            )
            for i in range(BAGS)
        ]
    )
    LineWorker(config, "w1").step()
    return store, ids


@pytest.fixture
def decided(app: object, settings: Settings) -> list[str]:
    """The alarms of six decided pool bags."""
    assert line_folder().is_relative_to(settings.home)
    store, ids = _line()
    return [d.tracking_id for d in store.decisions() if d.route != "clear" and d.tracking_id in ids]


@pytest.fixture
def projected(app: object) -> Tip:
    """A test threat projected into one of six decided pool bags, waiting for a verdict."""
    store, _ = _line(TipPolicy(every=1, select_every=1))
    return store.tips()[0]


def test_dashboard_queue_and_verdict_through_the_console(
    client: TestClient, make_key: KeyMaker, decided: list[str]
) -> None:
    key = make_key("security", email="screener@airport.example")
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get("/console/live/security-line").text
    assert "Throughput" in page and "Awaiting review" in page
    assert "<polyline" in page or "<rect" in page
    assert re.search(r">\s*L1\s*<", page) and re.search(r">\s*L2\s*<", page)
    queue = client.get("/console/review/security-alarms").text
    assert all(tid in queue for tid in decided)
    first = decided[0]
    item = client.get(f"/console/review/security-alarms/{first}").text
    assert 'src="data:image/png;base64,' in item
    sent = client.post(
        f"/console/review/security-alarms/{first}",
        data={
            "verdict": "accept",
            "reason_choice": "prohibited item found as shown",
            "reason_text": "knife in side pocket",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:500]
    store = LineStore(line_folder() / "line.db")
    review = store.review_of(first)
    assert review is not None and review.operator == "screener@airport.example"
    assert "knife in side pocket" in review.reason and review.verdict == "accept"


def test_a_test_threat_is_revealed_after_the_verdict_before_the_next_item(
    client: TestClient, make_key: KeyMaker, projected: Tip
) -> None:
    tip = projected
    key = make_key("security", email="screener@airport.example")
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    assert tip.tip_id in client.get("/console/review/security-alarms").text
    page = client.get(f"/console/review/security-alarms/{tip.tip_id}").text
    assert 'src="data:image/png;base64,' in page and "TIP:" not in page
    sent = client.post(
        f"/console/review/security-alarms/{tip.tip_id}",
        data={"verdict": "reject", "reason_choice": "clutter or overlap, nothing found"},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"/console/review/security-alarms/{tip.tip_id}?")
    shown = client.get(sent.headers["location"]).text
    assert 'id="notice"' in shown and "this was a test" in shown and "is a miss" in shown
    assert f"TIP: {tip.threat_class}" in shown
    following = re.search(r'id="next-item" href="([^"]+)"', shown)
    assert following and following.group(1).startswith("/console/review/security-alarms")
    assert tip.tip_id not in following.group(1).split("?")[0]
    judged = LineStore(line_folder() / "line.db").tip_of(tip.tip_id)
    assert judged is not None and judged.hit is False
    assert judged.operator == "screener@airport.example"
    assert "Threat image projection" in client.get("/console/live/security-tips").text


def test_a_line_runs_as_a_platform_job_and_feeds_the_dashboard(
    client: TestClient, make_key: KeyMaker
) -> None:
    api = {"Authorization": f"Bearer {make_key('security,jobs')}"}
    request = {
        "items": 6,
        "rate_per_h": 20_000,
        "lanes": 3,
        "workers": 1,
        "realtime": False,
        "hard_fraction": 0.0,
        "seed": 9,
    }
    job = client.post(
        "/v1/jobs", json={"capability": "security.line.run", "items": [request]}, headers=api
    ).json()
    assert wait_for_job(client, job["id"], api, timeout_s=180)["state"] == "succeeded"
    (row,) = client.get(f"/v1/jobs/{job['id']}/results", headers=api).json()["rows"]
    assert row["ok"], row["error"]
    assert row["output"]["decided"] == 6 and row["output"]["duplicates"] == 0
    status = client.post(
        "/v1/capabilities/security.line.status:invoke", json={}, headers=api
    ).json()
    assert status["decided"] == 6 and status["backlog"] == 0


@pytest.mark.browser
def test_line_pages_in_chromium(
    app: object, make_key: KeyMaker, decided: list[str], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    key = make_key("*")
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 60_000) as (page, problems):
        sign_in_and_open(page, base, key, "/console/live/security-line")
        expect(page.locator("svg").first).to_be_visible()
        page.screenshot(path=str(shots / "line-dashboard.png"), full_page=True)
        page.goto(f"{base}/console/review/security-alarms")
        expect(page.get_by_text(decided[0])).to_be_visible()
        page.screenshot(path=str(shots / "line-queue.png"), full_page=True)
        page.goto(f"{base}/console/review/security-alarms/{decided[0]}")
        figure = page.locator("figure.annotated-image")
        expect(figure).to_be_visible()
        assert figure.locator("img").evaluate("img => img.complete && img.naturalWidth") == 512
        page.screenshot(path=str(shots / "line-review.png"), full_page=True)
        assert not problems, problems


@pytest.mark.browser
def test_a_test_threat_revealed_and_the_threat_tests_page_in_chromium(
    app: object, make_key: KeyMaker, projected: Tip, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    tip = projected
    key = make_key("*")
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 60_000) as (page, problems):
        sign_in_and_open(page, base, key, f"/console/review/security-alarms/{tip.tip_id}")
        expect(page.locator("figure.annotated-image img")).to_be_visible()
        page.screenshot(path=str(shots / "tip-before.png"), full_page=True)
        page.locator("#reason-choice").select_option("prohibited item found as shown")
        page.locator("button[data-verdict=accept]").click()
        expect(page.locator("#notice")).to_contain_text("this was a test")
        expect(page.locator("#notice")).to_contain_text("is a hit")
        page.screenshot(path=str(shots / "tip-revealed.png"), full_page=True)
        page.goto(f"{base}/console/live/security-tips")
        expect(page.get_by_text("Operators' hit rate")).to_be_visible()
        page.screenshot(path=str(shots / "tip-dashboard.png"), full_page=True)
        assert not problems, problems


def test_a_line_run_is_never_served_inside_a_request(
    client: TestClient, make_key: KeyMaker
) -> None:
    key = make_key("security,jobs")
    api = {"Authorization": f"Bearer {key}"}
    sync = client.post("/v1/capabilities/security.line.run:invoke", json={"items": 5}, headers=api)
    assert sync.status_code == 409 and "POST /v1/jobs" in sync.json()["detail"]
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    tried = client.post(
        "/console/try/security.line.run",
        data={"items": "3", "lanes": "3", "rate_per_h": "7200", "workers": "1"},
    )
    assert tried.status_code == 202, tried.text[:400]
    job_id = re.search(r'href="/console/jobs/([0-9a-f-]{36})"', tried.text)
    assert job_id is not None
    assert wait_for_job(client, job_id.group(1), api, timeout_s=180)["state"] == "succeeded"
