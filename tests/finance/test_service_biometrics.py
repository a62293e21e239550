from __future__ import annotations

import base64
import io
from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from yangcheng.finance.identity.sample_faces import (
    compose_frame,
    customer_portrait,
    other_portrait,
)
from yangcheng.finance.identity.sample_speech import speak
from yangcheng.finance.recording.synthetic import (
    CUSTOMER_VOICE,
    RecordingSpec,
    Utterance,
    build_recording,
)

INVOKE = "/v1/capabilities/{}:invoke"


def _png(rgb: np.ndarray) -> str:
    ok, data = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return base64.b64encode(data.tobytes()).decode()


def _wav(samples: np.ndarray) -> str:
    buf = io.BytesIO()
    sf.write(buf, samples, 16_000, format="WAV", subtype="PCM_16")
    return base64.b64encode(buf.getvalue()).decode()


def test_face_match_tells_the_id_holder_from_someone_else(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {
        "reference_photo_base64": _png(customer_portrait()),
        "photos_base64": [
            _png(compose_frame([customer_portrait()], seed=1)),
            _png(compose_frame([other_portrait()], seed=1)),
            _png(compose_frame([], seed=1)),
        ],
    }
    r = client.post(INVOKE.format("finance.identity.face-match"), json=body, headers=admin_headers)
    assert r.status_code == 200, r.text
    same, other, empty = r.json()["results"]
    assert same["matched"] and same["distance"] < 0.6
    assert not other["matched"] and other["distance"] > 0.6
    assert not empty["face_found"] and empty["distance"] is None
    assert r.json()["all_matched"] is False


def test_face_match_names_a_reference_without_a_face(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    body = {
        "reference_photo_base64": _png(compose_frame([], seed=0)),
        "photos_base64": [_png(customer_portrait())],
    }
    r = client.post(INVOKE.format("finance.identity.face-match"), json=body, headers=admin_headers)
    assert r.status_code == 422 and "reference_photo_base64" in r.text


def test_voice_check_measures_speech_and_verifies_the_speaker(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    pad = np.zeros(8000, np.float32)
    enrolled = np.concatenate(
        [pad, speak("My name is Li Na and I open this account.", voice=CUSTOMER_VOICE), pad]
    )
    answer = np.concatenate(
        [pad, speak("Yes, I have read the terms and I agree.", voice=CUSTOMER_VOICE), pad]
    )
    other = np.concatenate(
        [pad, speak("Yes, I have read the terms and I agree.", voice="en-us"), pad]
    )
    url = INVOKE.format("finance.identity.voice")
    same = client.post(
        url,
        json={"audio_base64": _wav(answer), "reference_audio_base64": _wav(enrolled)},
        headers=admin_headers,
    ).json()
    assert same["same_speaker"] is True, same
    assert same["audio"]["speech_s"] > 1.5 and same["segments"]
    different = client.post(
        url,
        json={"audio_base64": _wav(other), "reference_audio_base64": _wav(enrolled)},
        headers=admin_headers,
    ).json()
    assert different["same_speaker"] is False
    assert different["speaker_similarity"] < same["speaker_similarity"]
    silent = client.post(
        url, json={"audio_base64": _wav(np.zeros(32000, np.float32))}, headers=admin_headers
    ).json()
    assert silent["ok"] is False and silent["audio"]["failures"]
    bad = client.post(
        url, json={"audio_base64": base64.b64encode(b"RIFF junk").decode()}, headers=admin_headers
    )
    assert bad.status_code == 422 and "audio_base64" in bad.text


@pytest.fixture(scope="module")
def selfie(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = RecordingSpec(
        name="selfie",
        speech=(Utterance("I agree.", CUSTOMER_VOICE),),
        min_duration_s=4.5,
        blinks_s=(1.0,),
        turns=((2.0, 28.0), (3.2, -28.0)),
        turn_hold_s=0.6,
    )
    return build_recording(spec, tmp_path_factory.mktemp("selfie") / "selfie.mp4")


def test_liveness_reports_each_challenge_with_its_time(
    client: TestClient, admin_headers: dict[str, str], selfie: Path
) -> None:
    body = {"video_base64": base64.b64encode(selfie.read_bytes()).decode()}
    r = client.post(INVOKE.format("finance.identity.liveness"), json=body, headers=admin_headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["passed"], out
    times = {c["name"]: c["at_s"] for c in out["challenges"]}
    assert times["blink"] == pytest.approx(1.1, abs=0.3)
    assert 1.8 <= times["turn_left"] <= 2.9 or 1.8 <= times["turn_right"] <= 2.9
    assert out["face_present_ratio"] > 0.95
    junk = {"video_base64": base64.b64encode(b"\x00" * 1000).decode()}
    r = client.post(INVOKE.format("finance.identity.liveness"), json=junk, headers=admin_headers)
    assert r.status_code == 422 and "video_base64" in r.text
