from __future__ import annotations

from fastapi.testclient import TestClient


def test_the_fixed_xray_test_sets_are_in_the_catalog(client: TestClient) -> None:
    datasets = {d["name"]: d for d in client.get("/v1/catalog").json()["datasets"]}
    assert datasets["xray-test-v1"]["seed"] == 20261126
    assert datasets["xray-test-v1"]["records"] == 2000
    assert datasets["xray-hard-v1"]["seed"] == 20261127
    assert "hard" in datasets["xray-hard-v1"]["description"]
