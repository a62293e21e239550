from __future__ import annotations

import base64
import shutil
from pathlib import Path

import cv2
from fastapi.testclient import TestClient

from tests.conftest import wait_for_job
from tests.finance.conftest import Recordings
from yangcheng.config import Settings
from yangcheng.finance.identity.sample_faces import customer_portrait

URL = "/v1/capabilities/finance.recording.inspect:invoke"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _id_photo() -> str:
    ok, png = cv2.imencode(".png", cv2.cvtColor(customer_portrait(), cv2.COLOR_RGB2BGR))
    assert ok
    return _b64(png.tobytes())


def test_inspect_over_http_returns_verdict_rules_and_a_timeline(
    client: TestClient, admin_headers: dict[str, str], recording: Recordings
) -> None:
    body = {
        "video_base64": _b64(recording("good").read_bytes()),
        "reference_photo_base64": _id_photo(),
    }
    response = client.post(URL, json=body, headers=admin_headers)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == "pass", report["failed_rules"]
    assert len(report["rules"]) == 13
    lanes = {lane["label"]: lane for lane in report["timeline"]["lanes"]}
    assert {"face", "liveness", "voice 0", "voice 1", "script/consent"} <= set(lanes)
    assert any(m["label"].startswith("consent") for m in lanes["script/consent"]["marks"])


def test_a_transcript_replaces_recognition_and_a_stricter_checklist_applies(
    client: TestClient, admin_headers: dict[str, str], recording: Recordings
) -> None:
    transcript = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello, nothing relevant here.\n"
    checklist = (
        "name: consent_only\nversion: '1'\nschema: {consent_found: bool}\n"
        "rules:\n  - {id: no_consent, expression: not consent_found, outcome: decline, "
        "severity: 90, description: no consent}\n"
    )
    body = {
        "video_base64": _b64(recording("good").read_bytes()),
        "transcript": transcript,
        "checklist_yaml": checklist,
        "challenges": [],
        "sample_fps": 4,
    }
    report = client.post(URL, json=body, headers=admin_headers).json()
    assert report["verdict"] == "fail"
    assert report["failed_rules"] == ["no_consent"]
    assert report["checklist"] == "consent_only v1"


def test_bad_inputs_name_the_field(client: TestClient, admin_headers: dict[str, str]) -> None:
    def post(body: dict[str, object]) -> tuple[int, str]:
        r = client.post(URL, json=body, headers=admin_headers)
        return r.status_code, r.text

    status, text = post({"video_base64": _b64(b"not a video at all" * 50)})
    assert status == 422 and "video_base64" in text and "not a readable media file" in text
    status, text = post({"video_base64": "%%%"})
    assert status == 422 and "base64" in text
    status, text = post({"media_path": "../../etc/passwd"})
    assert status == 422 and "inside" in text
    status, text = post({"media_path": "missing.mp4"})
    assert status == 422 and "no such recording" in text
    status, text = post({})
    assert status == 422 and "exactly one" in text
    status, text = post({"media_path": "x.mp4", "language": "zh"})
    assert status == 422


def test_a_batch_job_inspects_recordings_from_the_media_folder(
    client: TestClient, admin_headers: dict[str, str], settings: Settings, recording: Recordings
) -> None:
    media = Path(settings.home) / "media" / "branch-01"
    media.mkdir(parents=True)
    for name in ("good", "no_consent"):
        shutil.copy(recording(name), media / f"{name}.mp4")
    items = [
        {"media_path": "branch-01/good.mp4", "challenges": [], "sample_fps": 4},
        {"media_path": "branch-01/no_consent.mp4", "challenges": [], "sample_fps": 4},
        {"media_path": "branch-01/absent.mp4"},
    ]
    job = client.post(
        "/v1/jobs",
        json={"capability": "finance.recording.inspect", "items": items},
        headers=admin_headers,
    ).json()
    info = wait_for_job(client, job["id"], admin_headers, timeout_s=240)
    assert info["state"] == "succeeded", info
    results = client.get(f"/v1/jobs/{job['id']}/results", headers=admin_headers).json()
    rows = sorted(results["rows"], key=lambda r: r["index"])
    assert rows[0]["output"]["verdict"] == "pass"
    assert rows[1]["output"]["failed_rules"] == ["no_consent"]
    assert rows[2]["output"] is None and "no such recording" in rows[2]["error"]
