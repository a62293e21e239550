"""`education.kt.predict` over the API: shapes, ranges, priors, and errors that name the field."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import roc_auc_score

from tests.conftest import KeyMaker
from yangcheng.education.models import demo_students, load_shipped
from yangcheng.education.service_kt import PredictRequest, predict

URL = "/v1/capabilities/education.kt.predict:invoke"
HISTORY = [
    {"skill_id": s, "correct": c}
    for s, c in [("8", 0), ("8", 1), ("8", 1), ("61", 0), ("8", 1), ("61", 1), ("22", 1)]
]


@pytest.fixture
def api(make_key: KeyMaker) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('education')}"}


def _post(client: TestClient, api: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(URL, json=body, headers=api)


def test_a_history_gets_per_step_candidates_mastery_and_curves(
    client: TestClient, api: dict[str, str]
) -> None:
    body = {"history": HISTORY, "candidates": [{"skill_id": "8"}, {"skill_id": "30"}]}
    answer = _post(client, api, body).json()
    assert answer["model"] == "kt-assist2015-dkt" and answer["tracer"] == "DKT"
    assert answer["mastery_kind"] == "p_correct"
    assert len(answer["p_correct"]) == len(HISTORY)
    assert all(0 < p < 1 for p in answer["p_correct"])
    assert [c["skill_id"] for c in answer["candidates"]] == ["8", "30"]
    assert len(answer["mastery"]) == 100 and all(0 < m["mastery"] < 1 for m in answer["mastery"])
    by_skill = {m["skill_id"]: m for m in answer["mastery"]}
    assert (by_skill["8"]["responses"], by_skill["8"]["correct"]) == (4, 3)
    # curves: most practised first, then the candidate not practised; every step drawn
    assert [t["skill_id"] for t in answer["trajectory"]] == ["8", "61", "22", "30"]
    assert answer["trajectory_steps"] == list(range(len(HISTORY) + 1))
    curves = {t["skill_id"]: t["mastery"] for t in answer["trajectory"]}
    assert all(len(c) == len(HISTORY) + 1 for c in curves.values())
    # one model, one story: what it predicted at step t is skill_t's curve at t, and the
    # candidates and mastery now are the curves' last points
    for t, response in enumerate(HISTORY):
        assert curves[response["skill_id"]][t] == pytest.approx(answer["p_correct"][t], abs=1e-5)
    for c in answer["candidates"]:
        assert c["p_correct"] == pytest.approx(curves[c["skill_id"]][-1], abs=1e-5)
        assert c["p_correct"] == pytest.approx(by_skill[c["skill_id"]]["mastery"], abs=1e-5)


def test_an_empty_history_is_a_new_student_answered_with_priors(
    client: TestClient, api: dict[str, str]
) -> None:
    answer = _post(client, api, {"candidates": [{"skill_id": "22"}]}).json()
    prior = load_shipped().skill_prior_
    assert answer["p_correct"] == []
    assert [m["mastery"] for m in answer["mastery"]] == pytest.approx(prior.tolist(), abs=1e-5)
    assert answer["trajectory_steps"] == [0]
    assert answer["trajectory"][0]["skill_id"] == "22"
    k = load_shipped().skill_ids_.index("22")
    assert answer["candidates"][0]["p_correct"] == pytest.approx(prior[k], abs=1e-5)


def test_right_answers_raise_mastery_and_wrong_ones_lower_it() -> None:
    def run(correct: int) -> dict[str, float]:
        history = [{"skill_id": "61", "correct": correct}] * 10
        answer = predict(PredictRequest.model_validate({"history": history}))
        return {m.skill_id: m.mastery for m in answer.mastery}

    right, wrong = run(1), run(0)
    assert right["61"] > wrong["61"] + 0.2


def test_the_shipped_model_separates_real_test_students_answers() -> None:
    """AUC on the shipped demo students (real ASSIST2015 test students), as served."""
    students = demo_students()
    ys: list[int] = []
    ps: list[float] = []
    for seq in students:
        history = [
            {"skill_id": students.skill_ids[s], "correct": int(c)}
            for s, c in zip(seq.skills.tolist(), seq.correct.tolist(), strict=True)
        ]
        answer = predict(PredictRequest.model_validate({"history": history}))
        ys += seq.correct[1:].tolist()
        ps += answer.p_correct[1:]
    assert roc_auc_score(ys, ps) > 0.62


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        (
            {"history": [*HISTORY[:3], {"skill_id": "9999", "correct": 1}]},
            ["body", "history", "3", "skill_id"],
            "'9999' is not a skill",
        ),
        (
            {"candidates": [{"skill_id": "nope"}]},
            ["body", "candidates", "0", "skill_id"],
            "not a skill",
        ),
        ({"history": [{"skill_id": "8", "correct": 2}]}, ["body", "history", 0, "correct"], ""),
        ({"history": [{"skill_id": "8"}]}, ["body", "history", 0, "correct"], ""),
        ({"model": "kt-none"}, ["body", "model"], "no model 'kt-none'"),
        ({"model": "../etc"}, ["body", "model"], ""),
        ({"history": [HISTORY[0]] * 2001}, ["body", "history"], ""),
        ({"trajectory_skills": 31}, ["body", "trajectory_skills"], ""),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, api: dict[str, str], body: dict[str, Any], loc: list[Any], words: str
) -> None:
    response = _post(client, api, body)
    assert response.status_code == 422, response.text[:300]
    detail = response.json()["detail"]
    assert any(d["loc"] == loc and words in d["msg"] for d in detail), detail


def test_ids_may_be_numbers_and_models_are_listed(client: TestClient, api: dict[str, str]) -> None:
    answer = _post(client, api, {"history": [{"skill_id": 8, "question_id": 8, "correct": 1}]})
    assert answer.status_code == 200 and len(answer.json()["p_correct"]) == 1
    listed = client.post(
        "/v1/capabilities/education.kt.models:invoke", json={}, headers=api
    ).json()["models"]
    shipped = next(m for m in listed if m["name"] == "kt-assist2015-dkt")
    assert (
        shipped["shipped"] and shipped["tracer"] == "DKT" and shipped["metrics"]["test_auc"] > 0.65
    )
    assert shipped["created_at"].endswith(("Z", "+00:00"))


def test_the_shipped_model_is_in_the_catalog_with_its_licence(client: TestClient) -> None:
    catalog = client.get("/v1/catalog").json()
    card = next(m for m in catalog["models"] if m["name"] == "kt-assist2015-dkt")
    assert card["licence"] == "ASSISTments terms: cite the dataset; AKT repo MIT"
    assert card["metrics"]["test_auc"] > 0.65 and card["artifact"].endswith(".onnx")
    names = {c["name"] for c in catalog["capabilities"]}
    assert {"education.kt.predict", "education.kt.train", "education.kt.mastery"} <= names


def test_serving_needs_no_torch() -> None:
    code = (
        "import sys\n"
        "from yangcheng.education.service_kt import PredictRequest, predict\n"
        "predict(PredictRequest.model_validate("
        "{'history': [{'skill_id': '8', 'correct': 1}], 'candidates': [{'skill_id': '8'}]}))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_console_tries_it_from_its_example(client: TestClient, make_key: KeyMaker) -> None:
    key = make_key("education")
    assert client.post("/console/login", data={"key": key}, follow_redirects=False).is_redirect
    form = client.get("/console/capabilities/education.kt.predict?example=0")
    assert form.status_code == 200 and "history" in form.text
    body = {
        "model": "kt-assist2015-dkt",
        "history": json.dumps(HISTORY),
        "candidates": json.dumps([{"skill_id": "8"}]),
        "trajectory_skills": "3",
    }
    tried = client.post("/console/try/education.kt.predict", data=body)
    assert tried.status_code == 200 and "trajectory_steps" in tried.text
    bad = client.post(
        "/console/try/education.kt.predict",
        data={**body, "history": json.dumps([{"skill_id": "404", "correct": 1}])},
    )
    assert bad.status_code == 422 and "history.0.skill_id" in bad.text


def test_graphs_without_a_skill_read_out_are_asked_and_agree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Attention tracers (no ``knowledge`` output) get curves and candidates by asking the
    graph about each skill after each prefix: on DKT both ways must give the same numbers."""
    from yangcheng.education import service_kt, service_kt_models

    body = {"history": HISTORY * 3, "candidates": [{"skill_id": "8"}, {"skill_id": "30"}]}
    read_out = predict(PredictRequest.model_validate(body))
    for module in (service_kt, service_kt_models):
        monkeypatch.setattr(module, "has_knowledge", lambda tracer: False)
    asked = predict(PredictRequest.model_validate(body))
    assert asked.trajectory_steps == read_out.trajectory_steps
    for a, b in zip(asked.trajectory, read_out.trajectory, strict=True):
        assert a.skill_id == b.skill_id and a.mastery == pytest.approx(b.mastery, abs=1e-5)
    for a, b in zip(asked.candidates, read_out.candidates, strict=True):
        assert a.p_correct == pytest.approx(b.p_correct, abs=1e-5)
    # a long history asks at fewer prefixes, keeping the responses run bounded
    n = 1_960
    history = [{"skill_id": str(1 + i % 30), "correct": i % 2} for i in range(n)]
    sampled = predict(PredictRequest.model_validate({"history": history, "trajectory_skills": 30}))
    assert sampled.trajectory_steps[0] == 0 and sampled.trajectory_steps[-1] == n
    assert 2 <= len(sampled.trajectory_steps) < 51 and len(sampled.trajectory) == 30
    assert len(sampled.trajectory) * sum(s + 1 for s in sampled.trajectory_steps) <= 200_000
