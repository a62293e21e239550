"""The education console pages drawn by Chromium: graph, network, recommendations, profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.browser import chromium_page, serve, sign_in_and_open
from tests.conftest import KeyMaker

PAGES = {
    "education-graph": "Learning path to",
    "education-network": "Learners to look at",
    "education-recommend": "Top 10 per model",
    "education-profiles": "Students most at risk",
    "education-tutoring": "Per policy",
}


@pytest.mark.browser
def test_education_pages_in_chromium(app: FastAPI, make_key: KeyMaker, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    key = make_key("*")
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 180_000) as (page, problems):
        for i, (slug, heading) in enumerate(PAGES.items()):
            if i == 0:
                sign_in_and_open(page, base, key, f"/console/live/{slug}")
            else:
                page.goto(f"{base}/console/live/{slug}")
            expect(page.get_by_text(heading).first).to_be_visible()
            assert page.locator("table").count() >= 1
            page.screenshot(path=str(shots / f"{slug}.png"), full_page=True)
        assert not problems, problems
