from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.data.logs import to_sequences
from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.graph.prerequisites import (
    METHODS,
    PrerequisiteInferenceError,
    evaluate_edges,
    infer_prerequisites,
    pair_statistics,
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
        m: evaluate_edges(infer_prerequisites(stats, m), sim, seqs.skill_ids)["f1"] for m in METHODS
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
