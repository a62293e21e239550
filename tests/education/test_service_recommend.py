"""`education.recommend`: four recommenders on the demo catalogue, a live history, the page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker

URL = "/v1/capabilities/education.recommend:invoke"


@pytest.fixture
def auth(make_key: KeyMaker) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('education')}"}


def test_every_model_answers_k_unseen_resources(client: TestClient, auth: dict[str, str]) -> None:
    from yangcheng.education.service_recommend import _demo

    demo = _demo()
    student = demo.students[3]
    used = set(demo.train["resource_id"][demo.train["student_id"] == student])
    for model in ("knowledge", "hybrid", "als", "popularity"):
        body = {"model": model, "student_id": student, "k": 7}
        answer = client.post(URL, json=body, headers=auth).json()
        ids = [item["resource_id"] for item in answer["items"]]
        assert len(ids) == len(set(ids)) == 7 and used.isdisjoint(ids), model


def test_knowledge_model_pushes_ready_skills_first(
    client: TestClient, auth: dict[str, str]
) -> None:
    answer = client.post(URL, json={"model": "knowledge", "k": 20}, headers=auth).json()
    tiers = [item["tier"] for item in answer["items"]]
    order = {"frontier": 0, "review": 1, "blocked": 2}
    assert [order[t] for t in tiers] == sorted(order[t] for t in tiers)
    frontier = set(answer["frontier_skills"])
    assert frontier and answer["items"][0]["skill_id"] in frontier


def test_a_live_history_is_traced_and_its_resources_skipped(
    client: TestClient, auth: dict[str, str]
) -> None:
    from yangcheng.education.service_recommend import _demo

    resources = _demo().resources
    first = resources[resources["kind"] == "exercise"].iloc[0]
    skill = first["skill_id"]
    same = resources[(resources["skill_id"] == skill) & (resources["kind"] == "exercise")]
    history = [
        {"resource_id": r, "timestamp": 1.7e9 + i, "correct": 1}
        for i, r in enumerate(same["resource_id"])
    ]
    for model in ("knowledge", "hybrid"):
        answer = client.post(URL, json={"model": model, "history": history}, headers=auth).json()
        ids = {item["resource_id"] for item in answer["items"]}
        assert ids.isdisjoint(same["resource_id"])
        mastered = [it["mastery"] for it in answer["items"] if it["skill_id"] == skill]
        assert all(m >= 0.95 for m in mastered)  # every exercise of the skill right


def test_bad_requests_are_named(client: TestClient, auth: dict[str, str]) -> None:
    history = [{"resource_id": "r999999", "timestamp": 1.7e9, "correct": 1}]
    bad = client.post(URL, json={"history": history}, headers=auth)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "history[0]", "resource_id"]
    als = client.post(URL, json={"model": "als", "history": []}, headers=auth)
    assert als.status_code == 422 and "knowledge or hybrid" in als.text
    nobody = client.post(URL, json={"student_id": "s99999"}, headers=auth)
    assert nobody.status_code == 422 and "s99999" in nobody.text


def test_the_page_compares_the_models(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("education")
    auth = {"Authorization": f"Bearer {key}"}
    url = "/v1/capabilities/education.recommend.compare:invoke"
    dash = client.post(url, json={}, headers=auth).json()["dashboard"]
    top, scores = dash["tables"]
    assert top["columns"] == ["rank", "knowledge", "hybrid", "als", "popularity"]
    assert len(top["rows"]) == 10
    assert {row[0] for row in scores["rows"]} == {"knowledge", "hybrid", "als", "popularity"}
    assert all(0 <= row[1] <= 1 for row in scores["rows"])
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get("/console/live/education-recommend")
    assert page.status_code == 200 and "Top 10 per model" in page.text
