"""`education.kt.train`: a job that fits, scores on held-out students, and saves for predict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker, wait_for_job
from tests.education.tracing.conftest import learning_data
from yangcheng.config import Settings
from yangcheng.education.data.formats import write_sequence_file
from yangcheng.education.data.presets import generate_dataset
from yangcheng.education.service_kt import PredictRequest, predict
from yangcheng.education.service_kt_models import models_folder
from yangcheng.education.service_kt_train import TrainRequest, train
from yangcheng.platform.catalog import InvalidInput

PREDICT = "/v1/capabilities/education.kt.predict:invoke"
TRAIN = "/v1/capabilities/education.kt.train:invoke"


@pytest.fixture
def api(make_key: KeyMaker) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('education,jobs')}"}


def test_a_train_job_on_sim_tiny_makes_a_model_predict_can_use(
    client: TestClient, api: dict[str, str], settings: Settings
) -> None:
    request = {
        "tracer": "DKT",
        "preset": "sim-tiny",
        "seed": 0,
        "max_epochs": 3,
        "name": "tiny-dkt",
    }
    job = client.post(
        "/v1/jobs", json={"capability": "education.kt.train", "items": [request]}, headers=api
    ).json()
    assert wait_for_job(client, job["id"], api, timeout_s=240)["state"] == "succeeded"
    (row,) = client.get(f"/v1/jobs/{job['id']}/results", headers=api).json()["rows"]
    assert row["ok"], row["error"]
    out = row["output"]
    assert out["model"] == "tiny-dkt" and out["artifact"] == "tiny-dkt.onnx"
    assert 0 <= out["test_auc"] <= 1 and 0 <= out["test_accuracy"] <= 1
    assert out["epochs"] == 3 and out["skills"] == 10 and out["skill_ids"][0] == "k000"
    assert out["train"]["students"] + out["valid"]["students"] + out["test"]["students"] == 60
    assert out["test"]["students"] == 12 and out["test_responses"] > 0
    assert out["trained_at"].endswith("Z") or out["trained_at"].endswith("+00:00")
    assert (settings.home / "education" / "kt-models" / "tiny-dkt.onnx").is_file()
    body = {
        "model": "tiny-dkt",
        "history": [{"skill_id": "k003", "correct": 1}] * 3,
        "candidates": [{"skill_id": "k004"}],
    }
    answer = client.post(PREDICT, json=body, headers=api).json()
    assert answer["tracer"] == "DKT" and len(answer["p_correct"]) == 3
    assert len(answer["mastery"]) == 10 and len(answer["candidates"]) == 1


def test_training_runs_only_as_a_job(client: TestClient, api: dict[str, str]) -> None:
    response = client.post(TRAIN, json={"tracer": "BKT"}, headers=api)
    assert response.status_code == 409 and "POST /v1/jobs" in response.json()["detail"]


@pytest.mark.parametrize("tracer", ["BKT", "IRT"])
def test_numpy_tracers_learn_the_simulated_students(app: FastAPI, tracer: str) -> None:
    out = train(TrainRequest(tracer=tracer, preset="sim-tiny", seed=1, name=f"t-{tracer.lower()}"))
    assert out.artifact.endswith(".npz") and out.epochs is None
    assert out.test_auc > 0.55
    model = out.model
    # questions q000.. belong to skills k000..; IRT reads questions, BKT ignores them
    assert _mastery_q(model, "k002", "q012", 1) > _mastery_q(model, "k002", "q012", 0)


def _mastery_q(model: str, skill: str, question: str, correct: int) -> float:
    history = [{"skill_id": skill, "question_id": question, "correct": correct}] * 8
    answer = predict(PredictRequest.model_validate({"model": model, "history": history}))
    return next(m.mastery for m in answer.mastery if m.skill_id == skill)


def test_an_uploaded_sequence_file_trains_and_its_ids_are_served(
    app: FastAPI, tmp_path: Path
) -> None:
    data = learning_data(n_students=60, length=30, seed=4)
    path = tmp_path / "upload.txt"
    write_sequence_file(data, path, layout="4")
    out = train(TrainRequest(tracer="IRT", sequence_file=path.read_text(), name="uploaded"))
    assert out.dataset == "upload" and out.questions == data.n_questions
    # IRT predicts per question: it needs the question when the skills are not the questions
    with pytest.raises(InvalidInput, match=r"history\.0\.question_id"):
        predict(
            PredictRequest.model_validate(
                {"model": "uploaded", "history": [{"skill_id": "1", "correct": 1}]}
            )
        )
    assert _mastery_q("uploaded", "1", "5", 1) > _mastery_q("uploaded", "1", "5", 0)


@pytest.mark.parametrize(
    ("request_body", "field", "words"),
    [
        ({"tracer": "GPT"}, "tracer", "unknown tracer"),
        ({"preset": "sim-huge"}, "preset", "unknown preset"),
        ({"preset": "sim-tiny", "sequence_file": "3\n1,2,3\n1,0,1\n"}, "sequence_file", "not both"),
        ({"name": "Bad Name"}, "name", ""),
        ({"test_fraction": 0.9}, "test_fraction", ""),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    client: TestClient, api: dict[str, str], request_body: dict[str, Any], field: str, words: str
) -> None:
    response = client.post(
        "/v1/jobs", json={"capability": "education.kt.train", "items": [request_body]}, headers=api
    )
    assert response.status_code == 422, response.text[:300]
    detail = response.json()["detail"]
    assert any(d["loc"][-1] == field and words in d["msg"] for d in detail), detail


def test_refusals_found_while_running_name_the_field(app: FastAPI) -> None:
    with pytest.raises(InvalidInput, match=r"sequence_file: line 3: responses must be 0 or 1"):
        train(TrainRequest(sequence_file="3\n1,2,3\n1,0,7\n" * 12))
    with pytest.raises(InvalidInput, match=r"sequence_file: 2 students"):
        train(TrainRequest(sequence_file="3\n1,2,3\n1,0,1\n" * 2))
    with pytest.raises(InvalidInput, match=r"name: 'kt-assist2015-dkt' is a shipped model"):
        train(TrainRequest(name="kt-assist2015-dkt"))
    train(TrainRequest(tracer="BKT", name="taken"))
    with pytest.raises(InvalidInput, match=r"name: a model 'taken' exists"):
        train(TrainRequest(tracer="BKT", name="taken"))
    again = train(TrainRequest(tracer="BKT", name="taken", overwrite=True, seed=3))
    assert again.model == "taken"
    assert sorted(p.name for p in models_folder().iterdir()) == ["taken.json", "taken.npz"]


def test_the_same_seed_gives_the_same_split_and_scores(app: FastAPI) -> None:
    first = train(TrainRequest(tracer="BKT", seed=7, name="a"))
    second = train(TrainRequest(tracer="BKT", seed=7, name="b"))
    assert first.test_auc == second.test_auc and first.test == second.test
    assert generate_dataset("sim-tiny", 7).sequences.interactions == (
        first.train.responses + first.valid.responses + first.test.responses
    )


def test_models_that_rerun_the_history_per_candidate_have_a_budget(app: FastAPI) -> None:
    train(TrainRequest(tracer="IRT", name="irt"))
    history = [{"skill_id": "k001", "question_id": "q006", "correct": 1}] * 1_000
    many = [{"skill_id": "k001", "question_id": f"q{i:03d}"} for i in range(6, 27)]
    with pytest.raises(InvalidInput, match=r"candidates: 21 candidates after 1000 responses"):
        predict(
            PredictRequest.model_validate({"model": "irt", "history": history, "candidates": many})
        )
    few = predict(
        PredictRequest.model_validate(
            {"model": "irt", "history": history[:100], "candidates": many}
        )
    )
    assert len(few.candidates) == 21 and all(0 < c.p_correct < 1 for c in few.candidates)


def test_a_model_without_a_name_gets_one_its_card_agrees_with(app: FastAPI) -> None:
    from yangcheng.education.models import model_path, read_card

    out = train(TrainRequest(tracer="BKT"))
    assert out.model.startswith("kt-bkt-")
    path = model_path(models_folder(), out.model)
    assert path is not None and read_card(path)["name"] == out.model
