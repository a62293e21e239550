"""security.xray.detect with the shipped model: real detections, clear refusals, jobs, console."""

from __future__ import annotations

import base64
import io
import os
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pydicom
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.browser import chromium_page, serve, sign_in_and_open
from tests.conftest import KeyMaker, wait_for_job
from tests.security.test_scanner_profile import AIR, DARK, SCANNER_B
from yangcheng.platform.catalog import InvalidInput, Registry
from yangcheng.security import service, service_scanner
from yangcheng.security.dataset import STANDARD_TEST, XrayBaggageDataset
from yangcheng.security.detect.model_files import DEFAULT_MODEL
from yangcheng.security.dicos_dx import dx_scan_files, resample
from yangcheng.security.objects import CLASSES
from yangcheng.security.physics import transmit
from yangcheng.security.scanner_profile import fit_profile, save_profile
from yangcheng.security.service_detect import DETECT
from yangcheng.security.wedge_table import simulate_wedge_table

NAME = "security.xray.detect"
CLASS_NAMES = {c.id: c.name for c in CLASSES}


def _png(image: np.ndarray) -> str:
    return base64.b64encode(cv2.imencode(".png", image)[1].tobytes()).decode()


def _u16(t: np.ndarray) -> np.ndarray:
    return np.round(t * 65535).astype(np.uint16)


def test_registered_with_its_model_card() -> None:
    registry = Registry()
    service.register(registry)
    assert NAME in registry.capabilities
    card = next(c for c in registry.models.values() if c.name == "xray-centernet")
    assert "CenterNet" in card.description and card.artifact
    assert ", ".join(DEFAULT_MODEL.flips) in card.description


def test_says_which_views_the_bag_head_averaged() -> None:
    out = DETECT.invoke({"simulated": {"seed": STANDARD_TEST.seed, "index": 0}})
    assert out.views == list(DEFAULT_MODEL.flips)  # type: ignore[attr-defined]


def test_an_alarmed_bag_marks_only_the_boxes_that_reach_the_box_threshold() -> None:
    """The example bag alarms with a dozen boxes drawn; the faint ones are not marked."""
    out = DETECT.invoke({"simulated": {"seed": 20261126, "index": 3}})
    assert out.alarm and out.box_threshold == DEFAULT_MODEL.box_threshold  # type: ignore[attr-defined]
    boxes = out.detections  # type: ignore[attr-defined]
    marked = [d for d in boxes if d.alarm]
    assert marked and len(marked) < len(boxes)
    for d in boxes:
        assert d.alarm == (d.material_consistent and d.score >= out.box_threshold)  # type: ignore[attr-defined]
    drawn = out.annotated_image.boxes  # type: ignore[attr-defined]
    assert [b.alarm for b in drawn] == [d.alarm for d in boxes]


def test_finds_the_items_of_test_bags_where_they_are() -> None:
    """Recall at IoU 0.5 over the first bags of the standard test set, for items that show."""
    found = total = 0
    for index in range(12):
        out = DETECT.invoke({"simulated": {"seed": STANDARD_TEST.seed, "index": index}})
        _, annotations = XrayBaggageDataset(STANDARD_TEST.seed, index + 1).scan(index)
        for a in annotations:
            if a.mask.sum() < 300:
                continue
            total += 1
            x, y, w, h = a.bbox_xywh
            for d in out.detections:  # type: ignore[attr-defined]
                dx, dy, dw, dh = d.box_xywh
                ix = max(0.0, min(x + w, dx + dw) - max(x, dx))
                iy = max(0.0, min(y + h, dy + dh) - max(y, dy))
                iou = ix * iy / (w * h + dw * dh - ix * iy)
                named = [d.class_name, *d.also_possible]
                if CLASS_NAMES[a.class_id] in named and iou >= 0.5 and d.alarm:
                    found += 1
                    break
    assert total >= 10 and found / total >= 0.8


def test_one_label_per_object_with_the_others_as_alternatives() -> None:
    from yangcheng.security.detect.overlap import iou_xywh as _iou

    out = DETECT.invoke({"simulated": {"seed": STANDARD_TEST.seed, "index": 3}, "threshold": 0})
    boxes = [d.box_xywh for d in out.detections]  # type: ignore[attr-defined]
    assert len(boxes) >= 2
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert _iou(a, b) < 0.5
    assert any(d.also_possible for d in out.detections)  # type: ignore[attr-defined]


def test_images_and_the_simulated_bag_give_the_same_answer() -> None:
    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 4).scan(3)
    from_images = DETECT.invoke(
        {"low_png_base64": _png(_u16(image.low)), "high_png_base64": _png(_u16(image.high))}
    )
    simulated = DETECT.invoke({"simulated": {"seed": STANDARD_TEST.seed, "index": 3}})
    assert from_images.alarm == simulated.alarm  # type: ignore[attr-defined]
    assert from_images.bag_score == pytest.approx(simulated.bag_score, abs=0.02)  # type: ignore[attr-defined]
    drawn = from_images.annotated_image  # type: ignore[attr-defined]
    assert (drawn.width, drawn.height) == (512, 512)
    assert len(drawn.boxes) == len(from_images.detections)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"low_png_base64": "AAAA"}, "high_png_base64 is missing"),
        ({"high_png_base64": "AAAA"}, "low_png_base64 is missing"),
        ({}, "low_png_base64 is missing"),
        ({"simulated": {"seed": 1}, "low_png_base64": "AAAA"}, "one source of the bag"),
        ({"dicos_base64": ["AAAA"], "low_png_base64": "AAAA"}, "one source of the bag"),
        ({"dicos_base64": []}, "at least 1 item"),
        ({"dicos_base64": ["AAAA"] * 3}, "at most 2 items"),
        ({"simulated": {"seed": 1}, "threshold": 2}, "less than or equal to 1"),
    ],
)
def test_malformed_requests_are_refused(payload: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        DETECT.invoke(payload)


_GREY = np.full((128, 128), 40000, np.uint16)


@pytest.mark.parametrize(
    ("low", "high", "field", "words"),
    [
        ("%%%", _png(_GREY), "low_png_base64", "not valid base64"),
        (base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode(), _png(_GREY), "low_png_base64",
         "not a readable PNG"),
        (_png(_GREY), _png(np.zeros((128, 128, 3), np.uint8)), "high_png_base64", "colour image"),
        (_png(_GREY), _png(np.full((128, 96), 40000, np.uint16)), "high_png_base64", "same size"),
        (_png(np.full((32, 32), 9, np.uint16)), _png(_GREY), "low_png_base64", "each side"),
    ],
)  # fmt: skip
def test_bad_images_are_refused_naming_the_field(
    low: str, high: str, field: str, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as err:
        DETECT.invoke({"low_png_base64": low, "high_png_base64": high})
    assert err.value.field == field


def test_batch_detection_runs_as_a_job(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("security,jobs")
    api = {"Authorization": f"Bearer {key}"}
    items: list[dict[str, object]] = [
        {"simulated": {"seed": STANDARD_TEST.seed, "index": i}} for i in range(3)
    ]
    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 4).scan(3)
    scan = [base64.b64encode(f).decode() for f in dx_scan_files(image, ooi_id="BAG-3")]
    items += [{"dicos_base64": scan, "tdr": True}, {"dicos_base64": scan[:1]}]
    job = client.post("/v1/jobs", json={"capability": NAME, "items": items}, headers=api).json()
    assert wait_for_job(client, job["id"], api)["state"] == "succeeded"
    rows = client.get(f"/v1/jobs/{job['id']}/results", headers=api).json()["rows"]
    assert [r["ok"] for r in rows] == [True] * 4 + [False]  # one bad record, not a failed job
    assert all("alarm" in r["output"] for r in rows[:4])
    assert rows[3]["output"]["tdr_dicos_base64"]
    assert "only the low energy image" in str(rows[4])


def test_a_dicos_scan_uploaded_in_the_console_is_detected(
    client: TestClient, make_key: KeyMaker
) -> None:
    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 4).scan(3)
    low, high = dx_scan_files(image, ooi_id="BAG-3")
    login = client.post("/console/login", data={"key": make_key("*")}, follow_redirects=False)
    assert login.status_code == 303
    page = client.get(f"/console/capabilities/{NAME}").text
    assert 'enctype="multipart/form-data"' in page
    assert 'type="file" id="field-dicos_base64" name="dicos_base64" multiple' in page
    r = client.post(
        f"/console/try/{NAME}",
        files=[
            ("dicos_base64", ("bag_low.dcs", low, "application/dicom")),
            ("dicos_base64", ("bag_high.dcs", high, "application/dicom")),
            ("low_png_base64", ("", b"", "application/octet-stream")),  # a picker left empty
        ],
        data={"tdr": "true"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200, r.text
    assert "&lt;base64 of bag_low.dcs&gt;" in r.text  # the curl line names the files
    assert "ai-overlay" in r.text and "tdr_dicos_base64" in r.text
    one = client.post(
        f"/console/try/{NAME}",
        files=[("dicos_base64", ("bag_low.dcs", low, "application/dicom"))],
        headers={"HX-Request": "true"},
    )
    assert one.status_code == 422 and "only the low energy image" in one.text


def test_a_file_too_large_for_the_console_is_refused_before_it_is_read(
    client: TestClient, make_key: KeyMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yangcheng.platform.web import catalog_pages

    monkeypatch.setattr(catalog_pages, "MAX_UPLOAD_BYTES", 2**20)
    login = client.post("/console/login", data={"key": make_key("*")}, follow_redirects=False)
    assert login.status_code == 303
    big = client.post(
        f"/console/try/{NAME}",
        files=[("low_png_base64", ("huge.png", b"\0" * (2**20 + 1), "image/png"))],
        headers={"HX-Request": "true"},
    )
    assert big.status_code == 413 and "huge.png is over 1 MB" in big.text


@pytest.mark.browser
def test_detections_drawn_in_chromium(app: object, make_key: KeyMaker, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    key = make_key("*")
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 60_000) as (page, problems):
        sign_in_and_open(page, base, key, f"/console/capabilities/{NAME}")
        page.click("text=Fill with example")
        page.click("#try-form button[type=submit]")
        figure = page.locator("figure.annotated-image")
        expect(figure).to_be_visible(timeout=60_000)
        page.screenshot(path=str(shots / "xray-detect-result.png"), full_page=True)
        assert figure.locator("svg.ai-overlay .ai-box").count() >= 1
    assert problems == []


@pytest.mark.browser
def test_a_dicos_scan_chosen_in_chromium_is_drawn(
    app: object, make_key: KeyMaker, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 4).scan(3)
    paths = []
    for name, data in zip(("low", "high"), dx_scan_files(image, ooi_id="BAG-3"), strict=True):
        paths.append(tmp_path / f"bag3_{name}.dcs")
        paths[-1].write_bytes(data)
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 60_000) as (page, problems):
        sign_in_and_open(page, base, make_key("*"), f"/console/capabilities/{NAME}")
        page.set_input_files("#field-dicos_base64", [str(p) for p in paths])
        page.check("#field-tdr")
        page.click("#try-form button[type=submit]")
        figure = page.locator("figure.annotated-image")
        expect(figure).to_be_visible(timeout=60_000)
        page.screenshot(path=str(shots / "xray-detect-dicos.png"), full_page=True)
        assert figure.locator("svg.ai-overlay .ai-box").count() >= 1
        expect(page.locator("#result")).to_contain_text("<base64 of bag3_low.dcs>")
    assert problems == []


def test_another_scanners_counts_are_read_through_its_profile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Bag 3 through a 140 kVp scanner, sent as its raw counts with its profile, alarms and
    marks the items the reference scanner's image of the same bag does, at their scores (its
    noise is the other scanner's, so a faint box may come and go)."""
    monkeypatch.setattr(service_scanner, "_home", tmp_path)  # as the platform configures it
    steps = simulate_wedge_table(SCANNER_B, dark=DARK, air=AIR)
    save_profile(fit_profile(steps, "lane-2", dark=DARK, air=AIR), tmp_path)
    _, scene = XrayBaggageDataset(STANDARD_TEST.seed, 4).scene(3)
    rng = np.random.default_rng(3)
    other = transmit(scene.thickness_cm, scene.materials, rng=rng, channels=SCANNER_B)
    raw = [
        np.round(DARK[0] + (AIR[0] - DARK[0]) * t).astype(np.uint16)
        for t in (other.low, other.high)
    ]
    out = DETECT.invoke(
        {"low_png_base64": _png(raw[0]), "high_png_base64": _png(raw[1]), "scanner": "lane-2"}
    )
    reference = DETECT.invoke({"simulated": {"seed": STANDARD_TEST.seed, "index": 3}})
    assert out.scanner == "lane-2" and reference.scanner is None  # type: ignore[attr-defined]
    assert out.alarm == reference.alarm  # type: ignore[attr-defined]
    assert out.bag_score == pytest.approx(reference.bag_score, abs=0.05)  # type: ignore[attr-defined]
    scores = {d.class_name: d.score for d in out.detections if d.alarm}  # type: ignore[attr-defined]
    for d in reference.detections:  # type: ignore[attr-defined]
        if d.alarm:  # the battery, handcuffs and lighter, at the same scores
            assert scores[d.class_name] == pytest.approx(d.score, abs=0.05)
    with pytest.raises(
        InvalidInput, match=r"no scanner profile 'lane-3'.*known: \['lane-2'\]"
    ) as err:
        DETECT.invoke(
            {"low_png_base64": _png(raw[0]), "high_png_base64": _png(raw[1]), "scanner": "lane-3"}
        )
    assert err.value.field == "scanner"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_dicos_scan_is_answered_like_its_png_images_and_with_a_tdr() -> None:
    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 4).scan(3)
    low, high = dx_scan_files(image, ooi_id="BAG-3")
    from_pngs = DETECT.invoke(
        {"low_png_base64": _png(_u16(image.low)), "high_png_base64": _png(_u16(image.high))}
    )
    out = DETECT.invoke({"dicos_base64": [_b64(high), _b64(low)], "tdr": True})
    assert out.alarm == from_pngs.alarm  # type: ignore[attr-defined]
    assert out.bag_score == pytest.approx(from_pngs.bag_score, abs=1e-4)  # type: ignore[attr-defined]
    assert from_pngs.tdr_dicos_base64 is None  # type: ignore[attr-defined]
    tdr = pydicom.dcmread(io.BytesIO(base64.b64decode(out.tdr_dicos_base64)))  # type: ignore[attr-defined]
    assert tdr.AlarmDecision == ("ALARM" if out.alarm else "CLEAR")  # type: ignore[attr-defined]
    assert tdr.PatientID == "BAG-3"
    ptos = [
        (p.ATDAssessmentSequence[0].ThreatCategoryDescription,
         p.ATDAssessmentSequence[0].ATDAssessmentFlag == "THREAT",
         [round(v, 1) for v in p.PTORepresentationSequence[0].ThreatROIBase][:2])
        for p in tdr.ThreatSequence
    ]  # fmt: skip
    assert ptos == [
        (d.class_name, d.alarm, d.box_xywh[:2])
        for d in out.detections  # type: ignore[attr-defined]
    ]


def test_a_finer_dicos_scan_gets_boxes_in_its_own_pixels() -> None:
    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 4).scan(3)
    fine = resample(image, (1.5, 1.5), 0.75)
    files = dx_scan_files(fine, ooi_id="BAG-3", pixel_mm=0.75)
    out = DETECT.invoke({"dicos_base64": [_b64(f) for f in files], "tdr": True})
    assert (out.width, out.height) == (512, 512)  # type: ignore[attr-defined]
    assert out.alarm  # type: ignore[attr-defined]
    tdr = pydicom.dcmread(io.BytesIO(base64.b64decode(out.tdr_dicos_base64)))  # type: ignore[attr-defined]
    first = out.detections[0]  # type: ignore[attr-defined]
    extents = tdr.ThreatSequence[0].PTORepresentationSequence[0].ThreatROIExtents
    assert list(extents)[:2] == pytest.approx([2 * v for v in first.box_xywh[2:]], abs=0.1)


def test_bad_dicos_scans_are_refused_naming_the_file() -> None:
    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 2).scan(0)
    low, _ = dx_scan_files(image, ooi_id="x")
    with pytest.raises(InvalidInput, match="only the low energy image") as err:
        DETECT.invoke({"dicos_base64": [_b64(low)]})
    assert err.value.field == "dicos_base64[0]"
    with pytest.raises(InvalidInput, match="not valid base64") as err:
        DETECT.invoke({"dicos_base64": [_b64(low), "%%%"]})
    assert err.value.field == "dicos_base64[1]"
    with pytest.raises(InvalidInput, match="not a DICOS/DICOM file") as err:
        DETECT.invoke({"dicos_base64": [_b64(low), _png(_u16(image.high))]})
    assert err.value.field == "dicos_base64[1]"


def test_a_dicos_scan_through_a_profile_that_is_not_its_scanner_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(service_scanner, "_home", tmp_path)
    steps = simulate_wedge_table(SCANNER_B, dark=DARK, air=(4000.0, 4000.0))
    save_profile(fit_profile(steps, "lane-4", dark=DARK, air=(4000.0, 4000.0)), tmp_path)
    image, _ = XrayBaggageDataset(STANDARD_TEST.seed, 2).scan(0)
    low, high = dx_scan_files(image, ooi_id="x")
    with pytest.raises(InvalidInput, match="far above scanner 'lane-4'") as err:
        DETECT.invoke({"dicos_base64": [_b64(high), _b64(low)], "scanner": "lane-4"})
    assert err.value.field == "dicos_base64[1]"  # the low energy's file


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"simulated": {"seed": 1}, "scanner": "lane-2"}, "scanner applies to images"),
        ({"low_png_base64": "AAAA", "high_png_base64": "AAAA", "scanner": "../x"}, "pattern"),
    ],
)
def test_scanner_requests_that_cannot_be_read_are_refused(
    payload: dict[str, object], words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        DETECT.invoke(payload)


def test_profiles_are_listed_with_how_well_they_fit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, client: TestClient, make_key: KeyMaker
) -> None:
    monkeypatch.setattr(service_scanner, "_home", tmp_path)
    steps = simulate_wedge_table(SCANNER_B, dark=DARK, air=AIR)
    save_profile(fit_profile(steps, "lane-2", dark=DARK, air=AIR, pixel_mm=(1.0, 1.2)), tmp_path)
    broken = save_profile(fit_profile(steps, "lane-3", dark=DARK, air=AIR), tmp_path)
    broken.write_text("{")
    api = {"Authorization": f"Bearer {make_key('security')}"}
    reply = client.post("/v1/capabilities/security.scanner.profiles:invoke", json={}, headers=api)
    assert reply.status_code == 200, reply.text
    good, bad = reply.json()["profiles"]
    assert good["name"] == "lane-2" and good["pixel_mm"] == [1.0, 1.2] and good["readable"]
    assert good["z_eff_error_median"] < 0.05 < 0.5 < good["z_eff_error_unmapped"]
    assert good["materials"] == ["aluminium", "polyethylene", "steel"]
    assert bad["name"] == "lane-3" and not bad["readable"]


@pytest.mark.browser
def test_another_scanners_bag_tried_in_chromium(
    app: object, make_key: KeyMaker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the try page: a 140 kVp scanner's raw counts and its profile's name in, the bag's
    items boxed on the operator's picture."""
    from playwright.sync_api import expect

    monkeypatch.setattr(service_scanner, "_home", tmp_path)
    steps = simulate_wedge_table(SCANNER_B, dark=DARK, air=AIR)
    save_profile(fit_profile(steps, "lane-2", dark=DARK, air=AIR), tmp_path)
    _, scene = XrayBaggageDataset(STANDARD_TEST.seed, 4).scene(3)
    other = transmit(scene.thickness_cm, scene.materials, channels=SCANNER_B)
    for name, t in (("low", other.low), ("high", other.high)):
        counts = np.round(DARK[0] + (AIR[0] - DARK[0]) * t).astype(np.uint16)
        cv2.imwrite(str(tmp_path / f"{name}.png"), counts)
    shots = Path(os.environ.get("YC_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with serve(app) as base, chromium_page((1280, 900), 60_000) as (page, problems):
        sign_in_and_open(page, base, make_key("*"), f"/console/capabilities/{NAME}")
        page.set_input_files("[name=low_png_base64]", str(tmp_path / "low.png"))
        page.set_input_files("[name=high_png_base64]", str(tmp_path / "high.png"))
        page.fill("[name=scanner]", "lane-2")
        page.click("#try-form button[type=submit]")
        figure = page.locator("figure.annotated-image")
        expect(figure).to_be_visible(timeout=60_000)
        page.screenshot(path=str(shots / "xray-detect-scanner.png"), full_page=True)
        assert figure.locator("svg.ai-overlay .ai-box").count() >= 3
        expect(page.locator("body")).to_contain_text("lane-2")
    assert problems == []


def test_a_scanners_own_thresholds_are_used_for_its_images(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(service_scanner, "_home", tmp_path)
    steps = simulate_wedge_table(SCANNER_B, dark=DARK, air=AIR)
    profile = fit_profile(steps, "lane-2", dark=DARK, air=AIR)
    save_profile(
        replace(profile, operating_point={"threshold": 0.5, "box_threshold": 0.835}), tmp_path
    )
    _, scene = XrayBaggageDataset(STANDARD_TEST.seed, 4).scene(3)
    other = transmit(scene.thickness_cm, scene.materials, channels=SCANNER_B)
    raw = [_png(np.round(DARK[0] + (AIR[0] - DARK[0]) * t).astype(np.uint16))
           for t in (other.low, other.high)]  # fmt: skip
    request = {"low_png_base64": raw[0], "high_png_base64": raw[1], "scanner": "lane-2"}
    out = DETECT.invoke(request)
    assert (out.threshold, out.box_threshold, out.threshold_from) == (0.5, 0.835, "scanner lane-2")  # type: ignore[attr-defined]
    assert [d.class_name for d in out.detections if d.alarm] == ["battery_cell"]  # type: ignore[attr-defined]
    asked = DETECT.invoke({**request, "threshold": 0.9})
    assert (asked.threshold, asked.threshold_from) == (0.9, "request")  # type: ignore[attr-defined]
    model = DETECT.invoke({"simulated": {"seed": STANDARD_TEST.seed, "index": 3}})
    assert model.threshold_from == "model"  # type: ignore[attr-defined]
