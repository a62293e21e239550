"""2PL IRT: recovers question difficulties; tracks a new student's ability online."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from tests.education.tracing.conftest import _seq, baseline_auc, irt_data
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.tracing import IRT, evaluate


def test_recovers_the_difficulty_ordering() -> None:
    difficulty = np.linspace(-2.0, 2.0, 8)[[3, 0, 6, 1, 7, 2, 5, 4]]
    model = IRT().fit(irt_data(difficulty, n_students=800, seed=0))
    assert np.argsort(model.difficulty_).tolist() == np.argsort(difficulty).tolist()
    assert model.difficulty_ == pytest.approx(difficulty, abs=0.5)
    assert (model.discrimination_ > 0.5).all() and (model.discrimination_ < 2.5).all()


def test_beats_the_running_average(learning: tuple[KTSequences, ...]) -> None:
    train, _, test = learning
    assert evaluate(IRT().fit(train), test).auc > baseline_auc(test) + 0.05


def _exact_map(model: IRT, questions: np.ndarray, correct: np.ndarray) -> float:
    a, b = model.discrimination_[questions], model.difficulty_[questions]

    def negative_log_posterior(theta: float) -> float:
        z = a * (theta - b)
        return float(np.sum(np.logaddexp(0, z) - correct * z) + 0.5 * theta * theta)

    found = minimize_scalar(negative_log_posterior, bounds=(-6, 6), method="bounded")
    return float(found.x)


def test_next_response_uses_the_map_ability_of_the_previous_ones(
    learning: tuple[KTSequences, ...],
) -> None:
    train, _, test = learning
    model = IRT().fit(train)
    seq = test[2]
    predicted = model.predict_proba(test)[2]
    for t in range(len(seq)):
        theta = _exact_map(model, seq.questions[:t], seq.correct[:t]) if t else 0.0
        q = seq.questions[t]
        expected = 1 / (1 + np.exp(-model.discrimination_[q] * (theta - model.difficulty_[q])))
        assert predicted[t] == pytest.approx(expected, abs=1e-4), t


def test_mastery_is_the_mean_success_over_the_skills_questions() -> None:
    data = irt_data(np.linspace(-1.5, 1.5, 6), n_students=300, seed=1, skills_of=2)
    model = IRT().fit(data)
    empty = _seq("new", [], [], [])
    assert model.ability(empty) == 0.0
    prior = model.mastery(empty)
    even = 1 / (1 + np.exp(model.discrimination_[0::2] * model.difficulty_[0::2]))
    assert prior[0] == pytest.approx(even.mean())
    strong = model.mastery(_seq("s", [0, 1, 2, 3, 4, 5], [0, 1, 0, 1, 0, 1], [1] * 6))
    assert (strong > prior).all()


def test_unseen_questions_take_their_skills_mean_difficulty() -> None:
    data = irt_data(np.linspace(-1.5, 1.5, 6), n_students=200, seed=2, skills_of=2)
    wider = KTSequences(data.sequences, n_questions=7, n_skills=2)
    model = IRT().fit(wider)
    assert model.discrimination_[6] == 1.0
    probe = KTSequences([_seq("p", [6], [1], [1])], 7, 2)
    expected = 1 / (1 + np.exp(model.skill_difficulty_[1]))
    assert model.predict_proba(probe)[0][0] == pytest.approx(expected)
