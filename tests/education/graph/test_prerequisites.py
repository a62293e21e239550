from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.data.logs import to_sequences
from yangcheng.education.data.presets import generate_dataset
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.graph.influence import dkt_influence_scores, learning_gain_scores
from yangcheng.education.graph.prerequisites import (
    METHODS,
    PairStatistics,
    PrerequisiteInferenceError,
    edge_scores,
    evaluate_edges,
    infer_prerequisites,
    pair_statistics,
    score_auc,
    true_prerequisites,
)


@pytest.fixture(scope="module")
def simulated() -> tuple[StudentSimulator, pd.DataFrame]:
    sim = StudentSimulator(
        n_skills=30,
        n_questions=1500,
        prerequisite_density=0.08,
        extra_skill_probability=0.3,
        seed=0,
    )
    log, _ = sim.generate(300, (20, 150))
    return sim, log


def test_truth_scores_perfectly_and_reversed_truth_scores_zero(
    simulated: tuple[StudentSimulator, pd.DataFrame],
) -> None:
    sim, _ = simulated
    child, parent = np.nonzero(sim.prerequisites)
    names = np.array([f"k{i:03d}" for i in range(sim.n_skills)])
    true = pd.DataFrame({"from": names[parent], "to": names[child]})
    assert evaluate_edges(true, sim)["f1"] == 1.0
    reversed_edges = true.rename(columns={"from": "to", "to": "from"})
    assert evaluate_edges(reversed_edges, sim)["f1"] == 0.0


def test_cotag_beats_the_order_baseline_on_simulated_learners(
    simulated: tuple[StudentSimulator, pd.DataFrame],
) -> None:
    sim, log = simulated
    seqs = to_sequences(log)
    stats = pair_statistics(seqs)
    scores = {
        m: evaluate_edges(infer_prerequisites(stats, m), sim, seqs.skill_ids)["f1"]
        for m in ("order", "performance", "cotag")
    }
    assert scores["cotag"] > 0.4
    assert scores["cotag"] > scores["order"] + 0.2
    # Each method does better than guessing edges among earlier-practised pairs at random.
    n = sim.n_skills
    density = sim.prerequisites.sum() / (n * (n - 1) / 2)
    assert min(scores.values()) > density


def test_inferred_edges_are_prerequisite_rows(
    simulated: tuple[StudentSimulator, pd.DataFrame],
) -> None:
    _, log = simulated
    edges = infer_prerequisites(log, "order")
    assert list(edges.columns) == ["from", "to", "weight", "source"]
    assert (edges["source"] == "inferred").all() and (edges["from"] != edges["to"]).all()
    assert edges["weight"].is_monotonic_decreasing
    pairs = set(zip(edges["from"], edges["to"], strict=True))
    assert not any((b, a) in pairs for a, b in pairs)  # order > 0.7 can't hold both ways


def test_bad_requests_raise_named_errors(simulated: tuple[StudentSimulator, pd.DataFrame]) -> None:
    sim, log = simulated
    with pytest.raises(PrerequisiteInferenceError, match="method"):
        infer_prerequisites(log, "magic")  # type: ignore[arg-type]
    with pytest.raises(PrerequisiteInferenceError, match="kx"):
        evaluate_edges(pd.DataFrame({"from": ["kx"], "to": ["k001"]}), sim)


@pytest.fixture(scope="module")
def small() -> tuple[StudentSimulator, PairStatistics, KTSequences]:
    ds = generate_dataset("sim-small", seed=0)
    return ds.simulator, pair_statistics(ds.sequences), ds.sequences


def test_closure_counts_an_ancestor_edge_as_right_but_not_as_direct() -> None:
    sim = StudentSimulator(n_skills=30, n_questions=60, prerequisite_density=0.2, seed=1)
    direct = true_prerequisites(sim)
    reach = true_prerequisites(sim, closure=True)
    assert (reach >= direct).all() and reach.sum() > direct.sum()
    assert not np.diag(reach).any()  # a DAG: no skill is its own ancestor
    a, c = np.argwhere(reach & ~direct)[0]
    names = [f"k{i:03d}" for i in range(sim.n_skills)]
    scores = evaluate_edges(pd.DataFrame({"from": [names[a]], "to": [names[c]]}), sim)
    assert scores["precision"] == 0.0 and scores["closure_precision"] == 1.0
    assert scores["closure_true_edges"] == reach.sum()


def test_auc_is_one_for_the_truth_and_zero_for_its_reverse() -> None:
    sim = StudentSimulator(n_skills=15, n_questions=30, prerequisite_density=0.3, seed=2)
    truth = true_prerequisites(sim).astype(float)
    assert score_auc(truth, sim) == 1.0
    # Reversed edges score above every true one; the unrelated pairs tie with the truth.
    assert score_auc(truth.T, sim) < 0.5


def test_learning_gain_ranks_true_edges_above_other_pairs() -> None:
    # 1,200 students on 20 skills: AUC 0.60-0.65 over seeds 0-3 (0.601 on this one); with
    # 400 students it drifts between 0.55 and 0.72, too noisy to assert.
    sim = StudentSimulator(n_skills=20, n_questions=200, seed=0)
    log, _ = sim.generate(1200, (20, 120))
    seqs = to_sequences(log)
    scores = edge_scores(pair_statistics(seqs), "gain")
    assert score_auc(scores, sim, seqs.skill_ids) > 0.56
    assert np.isneginf(np.diag(scores)).all()
    np.testing.assert_array_equal(scores, learning_gain_scores(seqs))


def test_dkt_influence_is_seeded_and_standardised(
    small: tuple[StudentSimulator, PairStatistics, KTSequences],
) -> None:
    # No AUC bound: on sim-small it is 0.49-0.58, chance on this simulator (see influence.py).
    _, stats, seqs = small
    scores = edge_scores(stats, "dkt")
    finite = scores[np.isfinite(scores)]
    assert finite.size == scores.size - scores.shape[0]  # every off-diagonal pair scored
    assert abs(finite.mean()) < 1e-9 and abs(finite.std() - 1.0) < 1e-9
    np.testing.assert_array_equal(scores, dkt_influence_scores(seqs, seed=0))
    assert not np.array_equal(scores, dkt_influence_scores(seqs, seed=1))


@pytest.mark.parametrize("method", ["gain", "dkt"])
def test_response_methods_give_oriented_prerequisite_rows(
    small: tuple[StudentSimulator, PairStatistics, KTSequences], method: str
) -> None:
    _, stats, _ = small
    assert method in METHODS  # selectable by name
    edges = infer_prerequisites(stats, method, gain_threshold=0.5, dkt_threshold=1.0)  # type: ignore[arg-type]
    assert len(edges) > 0 and (edges["source"] == "inferred").all()
    assert edges["weight"].is_monotonic_decreasing
    pairs = set(zip(edges["from"], edges["to"], strict=True))
    assert not any((b, a) in pairs for a, b in pairs)  # oriented by the asymmetry


def test_response_methods_reject_bad_settings(
    small: tuple[StudentSimulator, PairStatistics, KTSequences],
) -> None:
    sim, stats, seqs = small
    with pytest.raises(PrerequisiteInferenceError, match="attempts"):
        learning_gain_scores(seqs, attempts=1)
    with pytest.raises(PrerequisiteInferenceError, match="half_life_days"):
        learning_gain_scores(seqs, half_life_days=0.0)
    with pytest.raises(PrerequisiteInferenceError, match="epochs"):
        dkt_influence_scores(seqs, epochs=0)
    with pytest.raises(PrerequisiteInferenceError, match="shape"):
        score_auc(np.zeros((3, 3)), sim)
    with pytest.raises(PrerequisiteInferenceError, match="method"):
        edge_scores(stats, "magic")  # type: ignore[arg-type]
