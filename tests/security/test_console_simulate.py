"""A simulated bag in the console: the picture is drawn with a box on every prohibited item."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.browser import chromium_page, serve, sign_in_and_open
from tests.conftest import KeyMaker, wait_for_job

NAME = "security.xray.simulate"


def test_job_results_draw_each_bag_and_leave_the_base64_out_of_the_json(
    client: TestClient, make_key: KeyMaker
) -> None:
    key = make_key("security,jobs")
    items = [{"seed": 11, "index": i, "size": 128} for i in range(2)]
    api = {"Authorization": f"Bearer {key}"}
    job = client.post("/v1/jobs", json={"capability": NAME, "items": items}, headers=api).json()
    assert wait_for_job(client, job["id"], api)["state"] == "succeeded"
    rows = client.get(f"/v1/jobs/{job['id']}/results", headers=api).json()["rows"]
    outputs = [r["output"] for r in rows]
    assert len(outputs) == 2
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get(f"/console/jobs/{job['id']}").text
    for out in outputs:  # the API keeps every byte; the page shows the picture once
        png = out["annotated_image"]["png_base64"]
        assert page.count(png) == 1 and f'src="data:image/png;base64,{png}"' in page
        assert out["high_png_base64"] not in page and out["low_png_base64"] not in page
    boxes = sum(len(out["objects"]) for out in outputs)
    assert len(re.findall(r'<g class="ai-box alarm">', page)) == boxes
    assert "bytes of base64, drawn above&gt;" in page


@pytest.mark.browser
def test_simulated_bag_in_chromium(app: object, make_key: KeyMaker, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    key = make_key("*")
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 60_000) as (page, problems):
        sign_in_and_open(page, base, key, f"/console/capabilities/{NAME}")
        page.click("text=Fill with example")
        expect(page.locator("#field-seed")).to_have_value("20261126")
        page.click("#try-form button[type=submit]")
        figure = page.locator("figure.annotated-image")
        expect(figure).to_be_visible(timeout=60_000)
        result = json.loads(page.locator("#result-json").inner_text())
        objects = result["objects"]
        assert objects, "the example bag holds prohibited items"
        assert result["annotated_image"]["png_base64"].endswith("bytes of base64, drawn above>")

        image = figure.locator("img")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth") == 512
        assert figure.locator("svg.ai-overlay .ai-box").count() == len(objects)
        labels = figure.locator("svg.ai-overlay .ai-tag text").all_text_contents()
        assert labels == [o["class_name"] for o in objects]
        # The overlay covers the picture exactly, so a box sits on its object on screen.
        img_box, svg_box = image.bounding_box(), figure.locator("svg.ai-overlay").bounding_box()
        assert img_box is not None and svg_box is not None
        for k in ("x", "y", "width", "height"):
            assert svg_box[k] == pytest.approx(img_box[k], abs=0.5)
        scale = img_box["width"] / 512
        for o, rect in zip(
            objects, figure.locator("svg.ai-overlay .ai-box rect.edge").all(), strict=True
        ):
            on_screen = rect.bounding_box()
            assert on_screen is not None
            x, y, w, h = o["bbox_xywh"]
            assert on_screen["x"] == pytest.approx(img_box["x"] + x * scale, abs=2)
            assert on_screen["y"] == pytest.approx(img_box["y"] + y * scale, abs=2)
            assert on_screen["width"] == pytest.approx(w * scale, abs=3)
            assert on_screen["height"] == pytest.approx(h * scale, abs=3)
        figure.screenshot(path="/tmp/annotated.png")
        page.screenshot(path=str(shots / "xray-simulate-result.png"), full_page=True)
    assert problems == []
