"""The shipped tracer: real ASSIST2015 DKT in the package, its card, and the script that made it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.education.tracing.conftest import learning_data
from yangcheng.education.data.formats import write_sequence_file
from yangcheng.education.data.sequences import KTSequences, StudentSequence
from yangcheng.education.models import (
    ARTIFACTS_DIR,
    DEFAULT_MODEL,
    demo_students,
    load_shipped,
    load_tracer,
    shipped_card,
    shipped_models,
)
from yangcheng.education.models.train_shipped import LICENCE, main, pick_demo_students
from yangcheng.education.tracing import OnnxTracer


def _student(skills: list[int], correct: list[int]) -> StudentSequence:
    a = np.asarray(skills, dtype=np.int64)
    return StudentSequence("s", a, a, np.asarray(correct, dtype=np.int8))


def test_the_default_model_ships_small_with_its_card() -> None:
    assert DEFAULT_MODEL in shipped_models()
    card = shipped_card()
    path = ARTIFACTS_DIR / card["artifact"]
    assert path.suffix == ".onnx" and path.stat().st_size < 2_000_000
    assert card["licence"] == LICENCE == "ASSISTments terms: cite the dataset; AKT repo MIT"
    assert "ASSISTments 2015" in card["training_data"]
    assert 0.65 < card["metrics"]["test_auc"] < 0.8
    assert card["metrics"]["test_responses"] > 100_000
    assert card["command"].startswith("python -m yangcheng.education.models.train_shipped")


def test_the_shipped_dkt_knows_assist2015_and_reads_practice() -> None:
    model = load_shipped()
    assert isinstance(model, OnnxTracer) and model.tracer == "DKT" and model.n_skills_ == 100
    skill = model.skill_ids_.index("61")
    right = model.mastery(_student([skill] * 8, [1] * 8))
    wrong = model.mastery(_student([skill] * 8, [0] * 8))
    assert right[skill] > wrong[skill] + 0.2
    assert right[skill] > model.skill_prior_[skill] > wrong[skill]
    run = model.predict_proba(
        KTSequences(
            [_student([skill] * 8, [1] * 8)], 100, 100, model.question_ids_, model.skill_ids_
        )
    )[0]
    assert run[-1] > run[1]  # each right answer raises the next prediction


def test_demo_students_are_real_test_students_worth_drawing() -> None:
    students = demo_students()
    assert len(students) >= 3
    for seq in students:
        assert 40 <= len(seq) <= 150 and 3 <= len(np.unique(seq.skills)) <= 8
        half = len(seq) // 2
        assert seq.correct[half:].mean() >= seq.correct[:half].mean() + 0.15


def test_the_script_trains_any_tracer_by_name_and_scores_it_as_served(tmp_path: Path) -> None:
    data = learning_data(n_students=150, length=30, seed=5)
    for part, picks in (
        ("train", range(100)),
        ("valid", range(100, 120)),
        ("test", range(120, 150)),
    ):
        write_sequence_file(data.subset(list(picks)), tmp_path / f"a15_{part}1.csv", layout="3")
    out = tmp_path / "out"
    assert main(["--model", "BKT", "--data", str(tmp_path), "--out", str(out)]) == 0
    card = json.loads((out / "kt-assist2015-bkt.json").read_text())
    assert card["artifact"] == "kt-assist2015-bkt.npz" and card["tracer"] == "BKT"
    assert 0.5 < card["metrics"]["test_auc"] <= 1 and card["metrics"]["test_responses"] > 0
    assert "--model BKT" in card["command"] and card["licence"] == LICENCE
    assert load_tracer(out / card["artifact"]).n_skills_ == data.n_skills
    assert (out / "kt-assist2015-demo.txt").exists()


def test_demo_students_are_picked_for_their_curves() -> None:
    data = learning_data(n_students=80, length=60, n_skills=5, seed=2)
    picked = pick_demo_students(data, count=3)
    assert 1 <= len(picked) <= 3
    for seq in picked:
        assert 0.45 <= float(seq.correct.mean()) <= 0.85
        assert seq.correct[30:].mean() >= seq.correct[:30].mean() + 0.15


@pytest.mark.parametrize("name", ["kt-nothing", "../x"])
def test_unknown_shipped_models_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        load_shipped(name)
