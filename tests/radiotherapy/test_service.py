"""`radiotherapy.predict_motion` over the API: ahead of the last position, and honest."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker
from yangcheng.radiotherapy.motion.synthetic import lujan_trace

URL = "/v1/capabilities/radiotherapy.predict_motion:invoke"


def test_prediction_beats_the_last_position_on_a_breathing_trace(
    client: TestClient, make_key: KeyMaker
) -> None:
    auth = {"Authorization": f"Bearer {make_key('radiotherapy')}"}
    trace = lujan_trace(duration_s=90.0, sampling_hz=10.0, seed=3)
    positions = np.asarray(trace)  # (T, 9): three markers
    body = {"positions_mm": positions.round(4).tolist(), "latency_ms": 300.0}
    answer = client.post(URL, json=body, headers=auth).json()
    assert answer["horizon_steps"] == 3
    assert len(answer["predicted_mm"]) == positions.shape[1]
    assert answer["rmse_mm"] < 0.7 * answer["rmse_no_prediction_mm"]
    none = client.post(URL, json={**body, "model": "none"}, headers=auth).json()
    assert none["rmse_mm"] == answer["rmse_no_prediction_mm"]
    assert none["predicted_mm"] == positions[-1].round(4).tolist()


def test_ragged_or_short_traces_are_refused(client: TestClient, make_key: KeyMaker) -> None:
    auth = {"Authorization": f"Bearer {make_key('radiotherapy')}"}
    ragged = [[0.0, 1.0, 2.0]] * 80 + [[0.0, 1.0]]
    bad = client.post(URL, json={"positions_mm": ragged}, headers=auth)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "positions_mm"]
    short = client.post(URL, json={"positions_mm": [[0.0]] * 10}, headers=auth)
    assert short.status_code == 422
