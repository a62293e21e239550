"""The knowledge-tracing benchmark: pyKT's protocol on fold files, variants, summaries."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.education.tracing.conftest import learning_data
from yangcheng.education.data.formats import write_sequence_file
from yangcheng.education.tracing.benchmark import load, main, run, summarise


@pytest.fixture(scope="module")
def fold_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small dataset written as the AKT repository's statics fold-1 files."""
    folder = tmp_path_factory.mktemp("education")
    data = learning_data(n_students=120, length=30, seed=4)
    skills_only = data.subset(range(120))
    parts = {"train": range(0, 80), "valid": range(80, 100), "test": range(100, 120)}
    for part, rows in parts.items():
        write_sequence_file(skills_only.subset(list(rows)), folder / f"st_{part}1.csv", layout="3")
    return folder


def test_the_test_students_stay_out_of_every_fold(fold_files: Path) -> None:
    split = load("statics2011", fold_files)
    assert split is not None
    assert len(split.pool) == 100 and len(split.test) == 20
    pool = {tuple(s.correct.tolist()) + tuple(s.skills.tolist()) for s in split.pool}
    assert not any(tuple(s.correct.tolist()) + tuple(s.skills.tolist()) in pool for s in split.test)
    assert load("assist2015", fold_files) is None  # no a15 files there


def test_run_scores_each_fold_and_summarises(fold_files: Path, tmp_path: Path) -> None:
    log = tmp_path / "folds.jsonl"
    result = run(
        datasets=["statics2011", "assist2015"],
        models=["BKT", "AKT-tiny"],
        folds=2,
        data_dir=fold_files,
        max_epochs=2,
        log=log,
        variants={"AKT-tiny": {"model": "AKT", "d_model": 8, "n_heads": 2, "final_fc_dim": 8}},
    )
    assert result["skipped"] == [f"assist2015: no fold files in {fold_files}"]
    rows = result["folds"]
    assert sorted((r["model"], r["fold"]) for r in rows) == [
        ("AKT-tiny", 0),
        ("AKT-tiny", 1),
        ("BKT", 0),
        ("BKT", 1),
    ]
    assert [json.loads(line)["model"] for line in log.read_text().splitlines()] == [
        r["model"] for r in rows
    ]
    tiny = next(r for r in rows if r["model"] == "AKT-tiny" and r["fold"] == 0)
    assert tiny["base_model"] == "AKT" and tiny["params"]["d_model"] == 8
    assert tiny["predict_ms"] > 0 and tiny["mastery_ms"] > 0  # fold 0 on CPU: latency
    summary = {r["model"]: r for r in result["summary"]}
    assert summary["BKT"]["folds"] == 2
    aucs = [r["auc"] for r in rows if r["model"] == "BKT"]
    assert summary["BKT"]["auc"] == pytest.approx(np.mean(aucs), abs=1e-4)
    assert summary["AKT-tiny"]["pykt_auc"] == 0.8309  # pyKT's AKT on Statics


def test_summary_orders_models_as_the_field_does() -> None:
    rows = [
        {
            "dataset": "d",
            "model": m,
            "base_model": b,
            "auc": 0.7,
            "accuracy": 0.7,
            "window_auc": 0.7,
            "fit_s": 1.0,
        }
        for m, b in [("AKT", "AKT"), ("BKT", "BKT"), ("AKT-big", "AKT"), ("DKT", "DKT")]
    ]
    assert [r["model"] for r in summarise(rows)] == ["BKT", "DKT", "AKT", "AKT-big"]


def test_unknown_models_are_refused(fold_files: Path) -> None:
    with pytest.raises(ValueError, match="unknown model 'GKT'"):
        run(datasets=["statics2011"], models=["GKT"], data_dir=fold_files)
    with pytest.raises(ValueError, match="needs a 'model'"):
        run(datasets=["statics2011"], models=["x"], data_dir=fold_files, variants={"x": {}})


def test_command_line_writes_json(fold_files: Path, tmp_path: Path) -> None:
    out = tmp_path / "kt.json"
    args = ["--datasets", "statics2011", "--models", "BKT", "--data", str(fold_files)]
    assert main([*args, "--out", str(out)]) == 0
    assert json.loads(out.read_text())["summary"][0]["model"] == "BKT"
