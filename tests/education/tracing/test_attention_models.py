"""SAKT, AKT and simpleKT: causal (no answer leaks), learn, read long histories, serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tests.education.tracing.conftest import _seq, baseline_auc, learning_data
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.tracing import (
    AKT,
    SAKT,
    NeuralTracer,
    OnnxTracer,
    SimpleKT,
    UnknownIdError,
    evaluate,
    export_onnx,
)
from yangcheng.education.tracing._padding import predict_padded, predict_windowed

SMALL: dict[str, dict[str, Any]] = {
    "SAKT": {"embedding_size": 16, "n_heads": 2, "n_blocks": 1},
    "AKT": {"d_model": 16, "n_heads": 2, "d_ff": 32, "final_fc_dim": 32},
    "SimpleKT": {
        "d_model": 16,
        "n_heads": 2,
        "n_blocks": 1,
        "d_ff": 32,
        "final_fc_dim": 32,
        "final_fc_dim2": 16,
    },
}
CLASSES: dict[str, type[NeuralTracer]] = {"SAKT": SAKT, "AKT": AKT, "SimpleKT": SimpleKT}
COMMON: dict[str, Any] = {"lr": 5e-3, "batch_size": 32, "threads": 1, "seed": 0}


def make(name: str, **extra: Any) -> NeuralTracer:
    return CLASSES[name](**(SMALL[name] | COMMON | extra))


@pytest.fixture(scope="module", params=sorted(CLASSES))
def fitted(request: pytest.FixtureRequest, learning: tuple[KTSequences, ...]) -> NeuralTracer:
    train, valid, _ = learning
    return make(request.param, max_epochs=12, patience=3).fit(train, valid)


def test_beats_the_running_average(fitted: NeuralTracer, learning: tuple[KTSequences, ...]) -> None:
    _, _, test = learning
    assert evaluate(fitted, test).auc > baseline_auc(test) + 0.05


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_response_never_informs_its_own_prediction(
    name: str, learning: tuple[KTSequences, ...]
) -> None:
    """Flip response t: predictions at 0..t must not move, later ones may (and should)."""
    train, _, _ = learning
    model = make(name, max_epochs=1).fit(train)
    seq = train[0]
    base = model.predict_proba(KTSequences([seq], train.n_questions, train.n_skills))[0]
    moved_later = False
    for t in (0, 5, 17, len(seq) - 1):
        flipped = seq.correct.copy()
        flipped[t] = 1 - flipped[t]
        other = _seq("f", seq.questions.tolist(), seq.skills.tolist(), flipped.tolist())
        p = model.predict_proba(KTSequences([other], train.n_questions, train.n_skills))[0]
        np.testing.assert_allclose(p[: t + 1], base[: t + 1], atol=1e-6)
        moved_later |= bool(np.abs(p[t + 1 :] - base[t + 1 :]).max(initial=0) > 1e-6)
    assert moved_later


def test_rasch_follows_the_data(learning: tuple[KTSequences, ...]) -> None:
    """Question ids that differ from skills switch the Rasch embeddings on, and are checked."""
    train, _, _ = learning
    with_questions = make("AKT", max_epochs=1).fit(train)
    assert with_questions.uses_questions_ and with_questions.net_.rasch
    bad = _seq("b", [train.n_questions], [0], [1])
    with pytest.raises(UnknownIdError, match="question"):
        with_questions.mastery(bad)
    skills_only = KTSequences(
        [_seq(s.student, s.skills.tolist(), s.skills.tolist(), s.correct.tolist()) for s in train],
        train.n_skills,
        train.n_skills,
    )
    plain = make("AKT", max_epochs=1).fit(skills_only)
    assert not plain.uses_questions_ and not plain.net_.rasch
    assert plain._id_kinds == ("skill",)


def test_rasch_difficulties_are_penalised(learning: tuple[KTSequences, ...]) -> None:
    train, _, _ = learning
    free = make("AKT", max_epochs=2, l2=0.0).fit(train)
    held = make("AKT", max_epochs=2, l2=1e-1).fit(train)
    assert held.net_.difficulty.weight.abs().mean() < free.net_.difficulty.weight.abs().mean()


def test_windowed_prediction_covers_long_histories() -> None:
    """Every response is predicted from at least half a window, and short ones as before."""
    rng = np.random.default_rng(0)
    n = 23
    seq = _seq("long", list(range(n)), list(range(n)), rng.integers(0, 2, n).tolist())
    short = _seq("short", [1, 2], [1, 2], [0, 1])
    seen: list[int] = []

    def context(q: np.ndarray, s: np.ndarray, c: np.ndarray) -> np.ndarray:
        # report, for each position, the first question id the window holds
        seen.append(q.shape[1])
        return np.repeat(q[:, :1], q.shape[1], axis=1).astype(np.float64)

    out = predict_windowed([seq, short], 8, 4, context)
    assert max(seen) <= 8
    starts = out[0].astype(int)
    assert (starts[:8] == 0).all()
    for t in range(8, n):
        assert t - starts[t] >= 4, t  # at least half a window of history
        assert t - starts[t] < 8
    np.testing.assert_array_equal(out[1], predict_padded([short], 4, context)[0])


def test_long_histories_predict_and_give_mastery(fitted: NeuralTracer) -> None:
    data = learning_data(n_students=2, length=450, seed=7)
    probs = fitted.predict_proba(data)
    assert [len(p) for p in probs] == [450, 450]
    assert all(((p > 0) & (p < 1)).all() for p in probs)
    mastery = fitted.mastery(data[0])
    assert mastery.shape == (fitted.n_skills_,) and ((mastery > 0) & (mastery < 1)).all()


def test_mastery_is_the_next_step_prediction(
    fitted: NeuralTracer, learning: tuple[KTSequences, ...]
) -> None:
    _, _, test = learning
    seq = test[2]
    full = fitted.mastery(seq)
    for k in (0, fitted.n_skills_ - 1):
        probe = _seq(
            "probe",
            [*seq.questions.tolist(), int(fitted.skill_question_[k])],
            [*seq.skills.tolist(), k],
            [*seq.correct.tolist(), 1],
        )
        data = KTSequences([probe], test.n_questions, test.n_skills)
        assert fitted.predict_proba(data)[0][-1] == pytest.approx(full[k], abs=1e-6)


def test_onnx_matches_torch(
    fitted: NeuralTracer, learning: tuple[KTSequences, ...], tmp_path: Path
) -> None:
    _, _, test = learning
    path = export_onnx(fitted, tmp_path / "model.onnx")
    served = OnnxTracer(path)
    assert served.tracer == type(fitted).__name__ and served.context == fitted.window
    for a, b in zip(fitted.predict_proba(test), served.predict_proba(test), strict=True):
        np.testing.assert_allclose(b, a, atol=5e-4)  # float32, graph-fused
    long = learning_data(n_students=1, length=300, seed=3)
    for seq in [test[0], _seq("one", [0], [2], [1]), _seq("none", [], [], []), long[0]]:
        np.testing.assert_allclose(served.mastery(seq), fitted.mastery(seq), atol=5e-4)
    np.testing.assert_allclose(
        served.predict_proba(long)[0], fitted.predict_proba(long)[0], atol=5e-4
    )


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_same_seed_same_weights(name: str, learning: tuple[KTSequences, ...]) -> None:
    train, _, _ = learning
    a = make(name, max_epochs=1, seed=3).fit(train.subset(range(60)))
    b = make(name, max_epochs=1, seed=3).fit(train.subset(range(60)))
    for key, value in a.net_.state_dict().items():
        assert torch.equal(value, b.net_.state_dict()[key]), key
