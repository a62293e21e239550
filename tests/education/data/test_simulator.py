from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.data import (
    PRESETS,
    StudentSimulator,
    generate_dataset,
    to_sequences,
    validate_log,
)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC by ranks (ties share their mean rank)."""
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    positives = labels == 1
    n_pos, n_neg = positives.sum(), (~positives).sum()
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@pytest.fixture(scope="module")
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    log, truth = StudentSimulator(seed=11).generate(300, (20, 150))
    return log, truth.responses


def test_the_same_seed_gives_the_same_bytes() -> None:
    one, _ = StudentSimulator(seed=3).generate(40, (5, 40))
    two, _ = StudentSimulator(seed=3).generate(40, (5, 40))
    other, _ = StudentSimulator(seed=4).generate(40, (5, 40))
    assert one.to_csv(index=False) == two.to_csv(index=False)
    assert one.to_csv(index=False) != other.to_csv(index=False)
    a, b = generate_dataset("sim-tiny", seed=2), generate_dataset("sim-tiny", seed=2)
    assert pd.util.hash_pandas_object(a.log).equals(pd.util.hash_pandas_object(b.log))
    assert a.truth.responses.equals(b.truth.responses)


def test_the_log_is_valid_and_the_truth_lines_up_with_its_sequences(
    small: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    log, truth = small
    validate_log(log)
    seqs = to_sequences(log)
    assert seqs.interactions == len(truth)
    assert truth.groupby("student_id").size().between(20, 150).all()
    items = np.array(seqs.question_ids)[np.concatenate([s.questions for s in seqs])]
    assert np.array_equal(items, truth["item_id"].to_numpy())
    assert np.array_equal(np.concatenate([s.correct for s in seqs]), truth["correct"].to_numpy())
    skills = np.array(seqs.skill_ids)[np.concatenate([s.skills for s in seqs])]
    assert np.array_equal(skills, truth["skill_id"].to_numpy())
    for seq in seqs:
        assert seq.timestamps is not None and np.all(np.diff(seq.timestamps) > 0)
    assert (log["attempt"] >= 1).all() and (log.loc[log["correct"] == 1, "attempt"] == 1).all()
    assert log["response_time_s"].gt(0).all()
    assert 0.5 < truth["correct"].mean() < 0.8


def test_p_correct_stays_between_guess_and_one_minus_slip() -> None:
    sim = StudentSimulator(seed=5)
    questions = np.arange(sim.n_questions)
    n = questions.size
    low = sim.p_correct(np.full(n, -9.0), np.zeros((n, sim.n_skills)), questions)
    high = sim.p_correct(np.full(n, 9.0), np.ones((n, sim.n_skills)), questions)
    assert np.all(low >= sim.guess) and np.all(low < sim.guess + 0.01)
    assert np.all(high <= 1 - sim.slip) and np.all(high > 1 - sim.slip - 0.01)
    mid = np.full((n, sim.n_skills), 0.5)
    assert np.all(
        sim.p_correct(np.zeros(n), mid + 0.3, questions)
        > sim.p_correct(np.zeros(n), mid, questions)
    )


def test_learning_shows_in_the_data(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, truth = small
    opportunity = truth.groupby(["student_id", "skill_id"]).cumcount()
    practiced = truth.assign(opportunity=opportunity)
    deep = practiced.groupby(["student_id", "skill_id"])["opportunity"].transform("max") >= 4
    curve = practiced[deep].groupby("opportunity")["p_correct"].mean()
    assert curve[4] - curve[0] > 0.1  # the same students on the same skills, five tries on
    gain = truth["mastery_after"] - truth["mastery"]
    assert (gain >= 0).all() and gain.mean() > 0.02


def test_forgetting_shows_in_the_data(small: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, truth = small
    prev = truth.groupby(["student_id", "skill_id"]).shift(1)
    gap_days = (truth["timestamp"] - prev["timestamp"]) / 86_400
    change = truth["mastery"] - prev["mastery_after"]  # from just after one try to the next
    soon, later = change[gap_days < 1 / 24], change[gap_days > 8]  # 8 days: two half-lives
    assert len(soon) > 1000 and len(later) > 50
    assert soon.mean() > -0.01  # barely any loss within the hour
    assert later.mean() < -0.1  # a clear loss after two half-lives


def test_forgetting_is_exponential_towards_prior_knowledge() -> None:
    sim = StudentSimulator(half_life_days=2.0, seed=0)
    prior, mastery = np.full((3, sim.n_skills), 0.1), np.full((3, sim.n_skills), 0.9)
    out = sim.forget(mastery, prior, np.array([0.0, 2 * 86_400.0, 40 * 86_400.0]))
    assert np.allclose(out[0], 0.9) and np.allclose(out[1], 0.5) and np.allclose(out[2], 0.1)
    never = StudentSimulator(half_life_days=float("inf"), seed=0)
    assert np.allclose(never.forget(mastery, prior, np.array([1e9, 0, 0])), 0.9)


def test_prerequisites_form_a_dag_and_speed_learning() -> None:
    sim = StudentSimulator(n_skills=30, n_questions=120, prerequisite_density=0.2, seed=9)
    parents = sim.prerequisites
    assert parents.any() and not np.diag(parents).any()
    for skill, prerequisite in zip(*np.nonzero(parents), strict=True):
        assert sim.depth[prerequisite] < sim.depth[skill]  # no cycles
    single = [q for q, s in enumerate(sim.question_skills) if len(s) == 1]
    with_parents = [q for q in single if parents[sim.question_skills[q][0]].any()]
    orphans = [q for q in single if not parents[sim.question_skills[q][0]].any()]
    assert with_parents and orphans
    for q in (with_parents[0], orphans[0]):
        skill = sim.question_skills[q][0]
        others = np.arange(sim.n_skills) != skill
        ready, unready = np.full((1, sim.n_skills), 0.1), np.full((1, sim.n_skills), 0.1)
        ready[0, others] = 0.95  # everything else mastered, prerequisites included
        gain_ready = sim.learn(ready, np.array([q]))[0, skill] - 0.1
        gain_unready = sim.learn(unready, np.array([q]))[0, skill] - 0.1
        assert gain_ready > 0 and gain_unready > 0
        if q == with_parents[0]:
            assert gain_ready > 2 * gain_unready
        else:
            assert gain_ready == pytest.approx(gain_unready)


def test_a_running_accuracy_predictor_finds_signal(
    small: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Tracing has something to find: past success on a skill predicts the next answer."""
    _, truth = small
    group = truth.groupby(["student_id", "skill_id"])["correct"]
    right_before = group.cumsum() - truth["correct"]
    tries_before = group.cumcount()
    predicted = (right_before + 1) / (tries_before + 2)  # Laplace-smoothed running accuracy
    labels = truth["correct"].to_numpy()
    assert auc(predicted.to_numpy(), labels) > 0.58
    assert auc(truth["p_correct"].to_numpy(), labels) > 0.75  # the ceiling is well above


def test_bad_simulator_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="n_questions >= n_skills"):
        StudentSimulator(n_skills=10, n_questions=5)
    with pytest.raises(ValueError, match="skills_per_question"):
        StudentSimulator(skills_per_question=(2, 1))
    with pytest.raises(ValueError, match="guess"):
        StudentSimulator(guess=0.6, slip=0.5)
    with pytest.raises(ValueError, match="n_students"):
        StudentSimulator().generate(0)
    with pytest.raises(ValueError, match="steps_per_student"):
        StudentSimulator().generate(3, (5, 2))


def test_presets_generate_with_a_card() -> None:
    data = generate_dataset("sim-tiny", seed=1)
    card = data.card
    assert card.seed == 1 and card.records == data.sequences.interactions == len(
        data.truth.responses
    )
    assert card.counts["students"] == len(data.sequences) == PRESETS["sim-tiny"].n_students
    assert card.counts["log_rows"] == len(data.log)
    assert card.to_dict()["generator"].endswith("StudentSimulator")
    assert {"sim-small", "sim-assist2009", "sim-assist2015", "sim-statics2011"} <= set(PRESETS)
    with pytest.raises(KeyError, match=r"unknown dataset 'nope'.*sim-small"):
        generate_dataset("nope")
