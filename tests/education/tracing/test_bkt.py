"""BKT: recovers the parameters of its own process, and traces learning better than a
running average."""

from __future__ import annotations

import numpy as np
import pytest

from tests.education.tracing.conftest import _seq, baseline_auc, bkt_data
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.tracing import BKT, evaluate


def test_recovers_the_parameters_that_generated_the_data() -> None:
    truth = {"prior": 0.3, "learn": 0.15, "guess": 0.2, "slip": 0.1}
    data = bkt_data(0.3, 0.15, 0.2, 0.1, n_students=600, length=30, seed=0)
    model = BKT().fit(data)
    for name, value in truth.items():
        fitted = getattr(model, f"{name}_")
        assert fitted == pytest.approx([value, value], abs=0.05), name


def test_caps_guess_and_slip() -> None:
    # a process with a high guess: uncapped EM finds it, the default bound stops at 0.3
    data = bkt_data(prior=0.3, learn=0.2, guess=0.45, slip=0.05, seed=1)
    assert (BKT(max_guess=0.99).fit(data).guess_ > 0.4).all()
    model = BKT().fit(data)
    assert model.guess_ == pytest.approx([0.3, 0.3])
    assert (model.slip_ <= 0.3).all()


def test_fit_is_deterministic() -> None:
    data = bkt_data(0.4, 0.1, 0.2, 0.1, n_students=100, seed=2)
    a, b = BKT().fit(data), BKT().fit(data)
    assert a.learn_.tolist() == b.learn_.tolist()
    assert a.log_likelihood_ == b.log_likelihood_


def test_beats_the_running_average(learning: tuple[KTSequences, ...]) -> None:
    train, _, test = learning
    assert evaluate(BKT().fit(train), test).auc > baseline_auc(test) + 0.05


def test_predictions_and_mastery_follow_the_bkt_update(learning: tuple[KTSequences, ...]) -> None:
    train, _, test = learning
    model = BKT(forgets=True).fit(train)
    seq = test[0]
    known = model.prior_.copy()
    expected = []
    for s, y in zip(seq.skills, seq.correct, strict=True):
        g, sl, t, f = model.guess_[s], model.slip_[s], model.learn_[s], model.forget_[s]
        expected.append(known[s] * (1 - sl) + (1 - known[s]) * g)
        right = known[s] * (1 - sl if y else sl)
        posterior = right / (right + (1 - known[s]) * (g if y else 1 - g))
        known[s] = posterior * (1 - f) + (1 - posterior) * t
    assert model.predict_proba(test)[0] == pytest.approx(expected, abs=1e-12)
    assert model.mastery(seq) == pytest.approx(known, abs=1e-12)


def test_mastery_of_an_empty_history_is_the_prior() -> None:
    model = BKT().fit(bkt_data(0.3, 0.15, 0.2, 0.1, n_students=50, seed=3))
    empty = _seq("new", [], [], [])
    assert model.mastery(empty).tolist() == model.prior_.tolist()


def test_practice_raises_mastery() -> None:
    model = BKT().fit(bkt_data(0.3, 0.15, 0.2, 0.1, n_students=200, seed=4))
    right = model.mastery(_seq("r", [0, 0, 0], [0, 0, 0], [1, 1, 1]))
    wrong = model.mastery(_seq("w", [0, 0, 0], [0, 0, 0], [0, 0, 0]))
    assert right[0] > model.prior_[0] > wrong[0]
    assert right[1] == wrong[1] == model.prior_[1]  # the other skill is untouched


def test_skills_without_training_data_get_average_parameters() -> None:
    data = bkt_data(0.3, 0.15, 0.2, 0.1, n_students=100, seed=5)
    wider = KTSequences(data.sequences, n_questions=3, n_skills=3)
    model = BKT().fit(wider)
    assert model.learn_[2] == pytest.approx(np.mean(model.learn_[:2]), abs=0.02)
