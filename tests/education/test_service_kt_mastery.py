"""The Mastery page: a student's curves drawn by the console from `education.kt.mastery`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.browser import chromium_page, serve, sign_in_and_open
from tests.conftest import KeyMaker
from yangcheng.education.models import demo_students

URL = "/v1/capabilities/education.kt.mastery:invoke"


@pytest.fixture
def api(make_key: KeyMaker) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('education')}"}


def test_the_default_draws_a_demo_student(client: TestClient, api: dict[str, str]) -> None:
    answer = client.post(URL, json={}, headers=api).json()
    seq = demo_students()[0]
    dash = answer["dashboard"]
    curves, predicted = dash["charts"]
    assert curves["x_kind"] == "number" and 1 <= len(curves["series"]) <= 6
    for series in curves["series"]:
        xs = [x for x, _ in series["points"]]
        assert xs == list(range(len(seq) + 1))  # every response of a short history
        assert all(0 <= y <= 1 for _, y in series["points"])
    assert len(predicted["series"][0]["points"]) == len(seq)
    assert dash["tiles"][0]["value"] == len(seq)
    (table,) = dash["tables"]
    assert [row[0] for row in table["rows"]] == [
        s["name"].removeprefix("skill ") for s in curves["series"]
    ]
    assert seq.student in answer["student"]


def test_any_history_can_be_drawn_and_bad_choices_are_named(
    client: TestClient, api: dict[str, str]
) -> None:
    history = [{"skill_id": "61", "correct": c} for c in (0, 0, 1, 1, 1)]
    answer = client.post(URL, json={"history": history, "skills": 1}, headers=api).json()
    (series,) = answer["dashboard"]["charts"][0]["series"]
    ys = [y for _, y in series["points"]]
    assert ys[-1] > ys[2]  # three right answers in a row raise the curve
    missing = client.post(URL, json={"student": 99}, headers=api)
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "student"]
    other = client.post(URL, json={"model": "kt-mine"}, headers=api)
    assert other.status_code == 422 and other.json()["detail"][0]["loc"] == ["body", "history"]


def test_the_console_page_draws_the_curves(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("education")
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get("/console/live/education-mastery")
    assert page.status_code == 200
    assert "Mastery after each response" in page.text and "<polyline" in page.text
    assert "Skills practised most" in page.text


@pytest.mark.browser
def test_mastery_page_in_chromium(app: FastAPI, make_key: KeyMaker, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    key = make_key("*")
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 60_000) as (page, problems):
        sign_in_and_open(page, base, key, "/console/live/education-mastery")
        chart = page.locator("figure.series-chart").first
        expect(chart).to_be_visible()
        assert chart.locator("polyline").count() >= 1
        page.screenshot(path=str(shots / "education-mastery.png"), full_page=True)
        assert not problems, problems
