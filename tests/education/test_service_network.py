"""The learner network on the platform: the analytics job, bad uploads, the console page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker
from yangcheng.education.service_network import AnalyzeRequest, analyze
from yangcheng.platform.catalog import InvalidInput


def test_a_generated_network_is_analysed_and_scored_against_what_was_planted() -> None:
    answer = analyze(AnalyzeRequest(n_nodes=3_000, seed=1, top=5))
    assert answer.n_nodes == 3_000 and answer.n_events == 15_000
    assert answer.recovery is not None
    assert answer.recovery.flags["isolated"]["recall"] > 0.9
    # communities recover classes; a course holds ~11 classes, so NMI with courses sits near
    # 0.5 by construction and only has to stay well above chance
    assert answer.recovery.communities_nmi_classes > 0.85
    assert answer.recovery.communities_nmi_courses > 0.4
    again = analyze(AnalyzeRequest(n_nodes=3_000, seed=1, top=5))
    assert again.recovery == answer.recovery
    ranks = [c.pagerank for c in answer.central_students]
    assert len(ranks) == 5 and ranks == sorted(ranks, reverse=True)
    assert {"generate_s", "analytics_s", "total_s"} <= set(answer.seconds)


def test_uploaded_events_keep_their_own_ids() -> None:
    rows = ["src,dst,kind,timestamp"]
    for i in range(30):
        rows.append(f"ana,res{i % 7},view,{1.7e9 + 60 * i}")
        rows.append(f"ben,ana,reply,{1.7e9 + 60 * i + 5}")
        rows.append(f"cai,ana,reply,{1.7e9 + 60 * i + 7}")
    answer = analyze(AnalyzeRequest(events_csv="\n".join(rows)))
    assert answer.recovery is None and answer.n_events == 90
    assert answer.influential_students[0].student == "ana"
    assert answer.influential_students[0].repliers == 2


def test_bad_events_name_the_row_and_column() -> None:
    text = "src,dst,kind,timestamp\nana,res1,view,1700000000\nana,res2,dance,1700000060\n"
    with pytest.raises(InvalidInput) as err:
        analyze(AnalyzeRequest(events_csv=text))
    assert err.value.field == "events_csv" and "dance" in err.value.reason
    assert "row 1" in err.value.reason
    missing = "src,dst,when\na,b,1\n"
    with pytest.raises(InvalidInput, match="kind"):
        analyze(AnalyzeRequest(events_csv=missing))


def test_the_job_is_served_and_the_page_draws(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("education")
    auth = {"Authorization": f"Bearer {key}"}
    sync = client.post(
        "/v1/capabilities/education.network.analyze:invoke", json={"n_nodes": 500}, headers=auth
    )
    assert sync.status_code == 409 and "POST /v1/jobs" in sync.json()["detail"]
    dash = client.post(
        "/v1/capabilities/education.network.overview:invoke", json={}, headers=auth
    ).json()["dashboard"]
    assert dash["tiles"][0]["value"] == 20_000
    assert [s["name"] for s in dash["charts"][0]["series"]] == ["view", "attempt", "post", "reply"]
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    page = client.get("/console/live/education-network")
    assert page.status_code == 200 and "Learners to look at" in page.text
