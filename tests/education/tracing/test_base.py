"""The API every tracer shares: parameters, and clear errors for misuse."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tests.education.tracing.conftest import _seq
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.tracing import (
    BKT,
    DKT,
    IRT,
    KnowledgeTracer,
    NotFittedError,
    UnknownIdError,
    VocabularyMismatch,
)

FACTORIES: dict[str, Callable[[], KnowledgeTracer]] = {
    "BKT": BKT,
    "IRT": IRT,
    "DKT": lambda: DKT(embedding_size=8, hidden_size=8, max_epochs=1, threads=1),
}


@pytest.fixture(scope="module", params=sorted(FACTORIES))
def fitted(request: pytest.FixtureRequest, learning: tuple[KTSequences, ...]) -> KnowledgeTracer:
    train, _, _ = learning
    return FACTORIES[request.param]().fit(train)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_predicting_before_fit_says_so(name: str, learning: tuple[KTSequences, ...]) -> None:
    model = FACTORIES[name]()
    with pytest.raises(NotFittedError, match=f"{name} is not fitted yet: call fit"):
        model.predict_proba(learning[2])
    with pytest.raises(NotFittedError, match="before mastery"):
        model.mastery(learning[2][0])


def test_predictions_line_up_with_responses(
    fitted: KnowledgeTracer, learning: tuple[KTSequences, ...]
) -> None:
    test = learning[2]
    probs = fitted.predict_proba(test)
    assert [p.shape for p in probs] == [(len(s),) for s in test]
    assert all(p.dtype == np.float64 and ((p > 0) & (p < 1)).all() for p in probs)


def test_history_does_not_leak_into_its_own_prediction(
    fitted: KnowledgeTracer, learning: tuple[KTSequences, ...]
) -> None:
    # flipping response t changes predictions after t, never at t or before
    seq = learning[2][0]
    flipped = seq.correct.copy()
    flipped[5] = 1 - flipped[5]
    other = _seq("x", seq.questions.tolist(), seq.skills.tolist(), flipped.tolist())
    data = learning[2]
    a, b = fitted.predict_proba(KTSequences([seq, other], data.n_questions, data.n_skills))
    np.testing.assert_allclose(a[:6], b[:6], atol=1e-6)
    assert not np.allclose(a[6:], b[6:])


def test_unknown_ids_name_the_student_and_the_id(fitted: KnowledgeTracer) -> None:
    n_q, n_s = fitted.n_questions_, fitted.n_skills_
    unknown_skill = KTSequences([_seq("stu-7", [0, 1], [0, n_s], [1, 0])], n_q, n_s + 1)
    with pytest.raises(
        UnknownIdError, match=rf"student stu-7: skill {n_s} is unknown to the fitted model"
    ):
        fitted.predict_proba(unknown_skill)
    with pytest.raises(UnknownIdError, match="student m: skill 99"):
        fitted.mastery(_seq("m", [0], [99], [1]))
    unknown_question = KTSequences([_seq("stu-8", [0, n_q], [0, 0], [1, 0])], n_q + 1, n_s)
    if "question" in type(fitted)._id_kinds:
        with pytest.raises(UnknownIdError, match=rf"student stu-8: question {n_q} is unknown"):
            fitted.predict_proba(unknown_question)
    else:  # a skill-level model predicts new questions of known skills
        assert len(fitted.predict_proba(unknown_question)[0]) == 2


def test_unknown_id_shows_the_original_label(learning: tuple[KTSequences, ...]) -> None:
    train = learning[0]
    model = BKT().fit(train)
    labels = [f"skill-{k}" for k in range(train.n_skills + 1)]
    data = KTSequences(
        [_seq("s", [0], [train.n_skills], [1])],
        train.n_questions,
        train.n_skills + 1,
        skill_ids=labels,
    )
    with pytest.raises(UnknownIdError, match=rf"skill {train.n_skills} \('skill-5'\)"):
        model.predict_proba(data)


def test_a_different_vocabulary_is_refused(learning: tuple[KTSequences, ...]) -> None:
    train = learning[0]
    named = KTSequences(
        train.sequences,
        train.n_questions,
        train.n_skills,
        skill_ids=[f"k{i}" for i in range(train.n_skills)],
    )
    model = BKT().fit(named)
    shuffled = KTSequences(
        train.sequences[:2],
        train.n_questions,
        train.n_skills,
        skill_ids=[f"k{i}" for i in reversed(range(train.n_skills))],
    )
    with pytest.raises(VocabularyMismatch, match="skill index 0 is 'k4' in the data but 'k0'"):
        model.predict_proba(shuffled)


def test_mastery_of_an_empty_history_is_a_prior(fitted: KnowledgeTracer) -> None:
    empty = _seq("new", [], [], [])
    m = fitted.mastery(empty)
    assert m.shape == (fitted.n_skills_,)
    assert ((m > 0) & (m < 1)).all()


def test_parameters_follow_scikit_learn() -> None:
    model = DKT(hidden_size=50)
    params = model.get_params()
    assert params["hidden_size"] == 50 and params["seed"] == 0
    assert model.set_params(seed=3) is model and model.seed == 3
    clone = DKT(**model.get_params())
    assert clone.get_params() == model.get_params()
    with pytest.raises(ValueError, match="DKT has no parameter 'hiden_size'"):
        model.set_params(hiden_size=3)
    assert repr(BKT(forgets=True)).startswith("BKT(forgets=True,")


def test_fit_refuses_an_empty_training_set() -> None:
    with pytest.raises(ValueError, match="the training set has no students"):
        BKT().fit(KTSequences([], 1, 1))
