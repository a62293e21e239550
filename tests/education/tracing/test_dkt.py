"""DKT: learns, resumes from checkpoints to the same weights, serves from ONNX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tests.education.tracing.conftest import _seq, baseline_auc
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.tracing import (
    BKT,
    DKT,
    CheckpointMismatch,
    OnnxDKT,
    OnnxTracer,
    evaluate,
    export_onnx,
)

SMALL: dict[str, Any] = {
    "embedding_size": 16,
    "hidden_size": 32,
    "lr": 1e-2,
    "batch_size": 32,
    "threads": 1,
}


@pytest.fixture(scope="module")
def fitted(learning: tuple[KTSequences, ...]) -> DKT:
    train, valid, _ = learning
    return DKT(**SMALL, max_epochs=15, patience=3, seed=0).fit(train, valid)


def _weights(model: DKT) -> dict[str, torch.Tensor]:
    return model.net_.state_dict()


def test_beats_the_running_average(fitted: DKT, learning: tuple[KTSequences, ...]) -> None:
    _, _, test = learning
    assert evaluate(fitted, test).auc > baseline_auc(test) + 0.05


def test_early_stopping_keeps_the_best_epoch(fitted: DKT) -> None:
    aucs = [h.valid_auc for h in fitted.history_]
    assert all(a is not None for a in aucs)
    assert fitted.best_valid_auc_ == max(a for a in aucs if a is not None)
    assert aucs[fitted.best_epoch_ - 1] == fitted.best_valid_auc_


def test_same_seed_same_weights(learning: tuple[KTSequences, ...]) -> None:
    train, _, _ = learning
    a = DKT(**SMALL, max_epochs=2, seed=5).fit(train)
    b = DKT(**SMALL, max_epochs=2, seed=5).fit(train)
    for name, value in _weights(a).items():
        assert torch.equal(value, _weights(b)[name]), name


def test_resumed_training_reaches_the_same_weights(
    learning: tuple[KTSequences, ...], tmp_path: Path
) -> None:
    train, valid, _ = learning
    straight = DKT(**SMALL, max_epochs=4, patience=10, seed=1).fit(train, valid)
    checkpoint = tmp_path / "dkt.pt"
    first = DKT(**SMALL, max_epochs=2, patience=10, seed=1, checkpoint_path=checkpoint)
    first.fit(train, valid)  # "interrupted" after two epochs
    assert checkpoint.exists()
    resumed = DKT(**SMALL, max_epochs=4, patience=10, seed=1, checkpoint_path=checkpoint)
    resumed.fit(train, valid)
    assert [h.epoch for h in resumed.history_] == [1, 2, 3, 4]
    assert [h.valid_auc for h in resumed.history_] == [h.valid_auc for h in straight.history_]
    for name, value in _weights(straight).items():
        assert torch.equal(value, _weights(resumed)[name]), name


def test_a_checkpoint_of_other_settings_is_refused(
    learning: tuple[KTSequences, ...], tmp_path: Path
) -> None:
    train, _, _ = learning
    checkpoint = tmp_path / "dkt.pt"
    DKT(**SMALL, max_epochs=1, checkpoint_path=checkpoint).fit(train)
    other = DKT(**(SMALL | {"hidden_size": 8}), max_epochs=2, checkpoint_path=checkpoint)
    with pytest.raises(CheckpointMismatch, match="hidden_size"):
        other.fit(train)
    with pytest.raises(CheckpointMismatch, match="data"):
        DKT(**SMALL, max_epochs=2, checkpoint_path=checkpoint).fit(train.subset(range(50)))
    with pytest.raises(CheckpointMismatch, match="valid"):  # early stopping would differ
        DKT(**SMALL, max_epochs=2, checkpoint_path=checkpoint).fit(train, learning[1])


def test_onnx_matches_torch(fitted: DKT, learning: tuple[KTSequences, ...], tmp_path: Path) -> None:
    _, _, test = learning
    path = export_onnx(fitted, tmp_path / "dkt.onnx")
    served = OnnxDKT(path)
    ours, theirs = fitted.predict_proba(test), served.predict_proba(test)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-4)
    for seq in [test[0], test[1], _seq("one", [0], [2], [1]), _seq("none", [], [], [])]:
        np.testing.assert_allclose(served.mastery(seq), fitted.mastery(seq), atol=1e-4)
    assert served.tracer == "DKT" and served.params["hidden_size"] == 32


def test_mastery_reads_every_skill_at_the_next_step(
    fitted: DKT, learning: tuple[KTSequences, ...]
) -> None:
    _, _, test = learning
    seq = test[3]
    full = fitted.mastery(seq)
    assert full.shape == (fitted.n_skills_,)
    # the next-step prediction of a response on skill k equals mastery()[k]
    for k in range(fitted.n_skills_):
        probe = _seq(
            "probe",
            [*seq.questions.tolist(), 0],
            [*seq.skills.tolist(), k],
            [*seq.correct.tolist(), 0],
        )
        data = KTSequences([probe], test.n_questions, test.n_skills)
        assert fitted.predict_proba(data)[0][-1] == pytest.approx(full[k], abs=1e-6)
    assert fitted.mastery(_seq("none", [], [], [])).tolist() == fitted.skill_prior_.tolist()


def test_onnx_tracer_checks_the_file(tmp_path: Path, fitted: DKT) -> None:
    path = export_onnx(fitted, tmp_path / "dkt.onnx")
    assert OnnxTracer(path).tracer == "DKT"

    class OnnxOther(OnnxTracer):
        expected = "SAKT"

    with pytest.raises(ValueError, match="holds a DKT, not a SAKT"):
        OnnxOther(path)
    assert not isinstance(OnnxDKT(path), BKT)
