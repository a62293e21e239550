"""`education.tutor.next`: ZPDES over a student's responses, served without state."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import KeyMaker
from yangcheng.education.tutor.serve import default_graph

URL = "/v1/capabilities/education.tutor.next:invoke"


def test_a_new_student_starts_in_the_zpd_and_mastery_opens_more(
    client: TestClient, make_key: KeyMaker
) -> None:
    auth = {"Authorization": f"Bearer {make_key('education')}"}
    graph = default_graph()
    first = client.post(URL, json={}, headers=auth).json()
    roots = {graph.names[i] for i in graph.roots}
    assert set(first["zpd"]) == roots and first["activity"] in roots
    assert first["mastered"] == []
    question = int(first["question_id"].removeprefix("q"))
    assert question in graph.exercises[graph.index(first["activity"])]
    # mastering every root opens the activities whose prerequisites they are
    history = [{"activity": r, "correct": 1} for r in sorted(roots) for _ in range(4)]
    later = client.post(URL, json={"responses": history}, headers=auth).json()
    assert roots <= set(later["mastered"])
    assert later["activity"] not in roots and set(later["zpd"]).isdisjoint(roots)
    again = client.post(URL, json={"responses": history}, headers=auth).json()
    assert again["activity"] == later["activity"]  # the same history, the same answer


def test_an_unknown_activity_is_named(client: TestClient, make_key: KeyMaker) -> None:
    auth = {"Authorization": f"Bearer {make_key('education')}"}
    bad = [{"activity": "k000", "correct": 1}, {"activity": "k999", "correct": 0}]
    answer = client.post(URL, json={"responses": bad}, headers=auth)
    assert answer.status_code == 422
    assert "responses[1].activity" in answer.text and "k999" in answer.text


def test_the_tutoring_page_compares_policies_on_one_cohort(
    client: TestClient, make_key: KeyMaker
) -> None:
    key = make_key("education")
    auth = {"Authorization": f"Bearer {key}"}
    url = "/v1/capabilities/education.tutor.compare:invoke"
    body = {"students": 200, "exercises": 60}
    dash = client.post(url, json=body, headers=auth).json()["dashboard"]
    (chart,) = dash["charts"]
    curves = {s["name"]: [y for _, y in s["points"]] for s in chart["series"]}
    assert set(curves) == {"ZPDES", "random", "expert", "bkt-mastery"}
    starts = {c[0] for c in curves.values()}
    assert len(starts) == 1  # the same students, before any exercise
    assert all(len(c) == 61 for c in curves.values())
    gains = {row[0]: row[1] for row in dash["tables"][0]["rows"]}
    assert gains["ZPDES"] > gains["random"] > 0
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get("/console/live/education-tutoring")
    assert page.status_code == 200 and "Mean true mastery" in page.text
