"""The Treatment plans page drawn by Chromium: goals, DVH chart and dose slice."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.browser import chromium_page, serve, sign_in_and_open
from tests.conftest import KeyMaker


@pytest.mark.browser
def test_treatment_plans_page_in_chromium(app: FastAPI, make_key: KeyMaker, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from yangcheng.radiotherapy import service_plan

    key = make_key("*")
    if service_plan._demo_plan() is None and service_plan._demo_thread is not None:
        service_plan._demo_thread.join(timeout=300)  # the page's demo, computed off-request
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 120_000) as (page, problems):
        sign_in_and_open(page, base, key, "/console/live/radiotherapy-plans")
        expect(page.get_by_text("TG-119 goals met").first).to_be_visible()
        expect(page.get_by_text("Cumulative DVH (dose in Gy)").first).to_be_visible()
        picture = page.locator(".panel-picture img").first
        expect(picture).to_be_visible()
        assert picture.evaluate("img => img.naturalWidth") > 100  # the PNG decoded
        assert page.locator("table").count() >= 3
        page.screenshot(path=str(shots / "radiotherapy-plans.png"), full_page=True)
        assert not problems, problems
