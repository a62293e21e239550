"""The knowledge graph on the platform: questions, read-only Cypher, the build job, the page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker
from yangcheng.education.service_graph import BuildRequest, build
from yangcheng.platform.catalog import InvalidInput

URL = "/v1/capabilities/education.graph.query:invoke"


@pytest.fixture
def ask(client: TestClient, make_key: KeyMaker):  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {make_key('education')}"}

    def call(body: dict[str, object], status: int = 200) -> dict:  # type: ignore[type-arg]
        answer = client.post(URL, json=body, headers=auth)
        assert answer.status_code == status, answer.text[:400]
        return answer.json()  # type: ignore[no-any-return]

    return call


def test_the_demo_graph_and_a_learning_path_in_prerequisite_order(ask) -> None:  # type: ignore[no-untyped-def]
    counts = ask({"ask": "counts"})["counts"]
    assert counts["Resource"] == 20_000 and counts["Concept"] == 120
    assert counts["SIMILAR_TO"] > 0 and counts["PREREQUISITE_OF"] > 0
    path = ask({"ask": "learning_path", "node": "k026"})["learning_path"]
    assert path[-1] == "k026" and len(path) > 1
    for i, concept in enumerate(path):
        before = ask({"ask": "prerequisites", "node": concept, "depth": 1, "limit": 200})
        for p in before["prerequisites"]:
            assert path.index(p["concept"]) < i  # every prerequisite is learnt first
    shorter = ask({"ask": "learning_path", "node": "k026", "mastered": [path[-2]]})
    assert path[-2] not in shorter["learning_path"] and len(shorter["learning_path"]) < len(path)


def test_resources_similar_and_neighbourhood(ask) -> None:  # type: ignore[no-untyped-def]
    videos = ask({"ask": "resources", "node": "k026", "kind": "video", "limit": 5})["resources"]
    assert videos and {r["kind"] for r in videos} == {"video"}
    qualities = [r["quality"] for r in videos]
    assert qualities == sorted(qualities, reverse=True)
    like = ask({"ask": "similar", "node": videos[0]["id"], "limit": 5})["similar"]
    scores = [s for _, s in like]
    assert len(like) == 5 and scores == sorted(scores, reverse=True) and scores[0] <= 1.0 + 1e-6
    around = ask({"ask": "neighbourhood", "node": "t000", "hops": 1, "limit": 50})
    assert around["nodes"] and all("t000" in (e["source"], e["target"]) for e in around["edges"])


def test_cypher_is_read_only_and_errors_are_named(ask) -> None:  # type: ignore[no-untyped-def]
    rows = ask({"ask": "cypher", "cypher": "MATCH (c:Concept) RETURN c.id ORDER BY c.id LIMIT 2"})
    assert rows["rows"] == [["k000"], ["k001"]]
    refused = ask({"ask": "cypher", "cypher": "MATCH (c:Concept) DETACH DELETE c"}, 422)
    assert refused["detail"][0]["loc"] == ["body", "cypher"] and "DETACH" in str(refused)
    unknown = ask({"ask": "prerequisites", "node": "k999"}, 422)
    assert "k999" in str(unknown)
    nothing = ask({"ask": "similar"}, 422)
    assert nothing["detail"][0]["loc"] == ["body", "node"]
    missing = ask({"graph": "nowhere", "ask": "counts"}, 422)
    assert "nowhere" in str(missing)


def test_a_built_graph_is_queried_by_name(ask) -> None:  # type: ignore[no-untyped-def]
    answer = build(BuildRequest(name="tiny", n_resources=300, seed=3, similar=False))
    assert answer.counts["Resource"] == 300 and answer.counts["SIMILAR_TO"] == 0
    assert ask({"graph": "tiny", "ask": "counts"})["counts"] == answer.counts
    with pytest.raises(InvalidInput, match="exists"):
        build(BuildRequest(name="tiny", n_resources=300))


def test_the_graph_page(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("education")
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get("/console/live/education-graph")
    assert page.status_code == 200
    assert "Learning path to" in page.text and "Best resources teaching" in page.text
