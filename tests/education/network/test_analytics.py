from __future__ import annotations

import networkit as nk
import numpy as np
import pytest
import scipy.sparse as sp

from yangcheng.education.network.analytics import (
    agreement,
    degrees,
    detect_communities,
    independent_cascade,
    pagerank,
    precision_recall,
    top_k,
)
from yangcheng.education.network.generate import SyntheticNetwork
from yangcheng.education.network.graph import build_graph, reply_graph, social_graph


def test_communities_recover_planted_courses(network: SyntheticNetwork) -> None:
    social = social_graph(network.events)
    found = detect_communities(social.graph, seed=0)
    assert found.modularity > 0.5
    assert agreement(found.labels, network.truth.class_of_student)["nmi"] > 0.6
    assert agreement(found.labels, network.truth.course_of_student)["nmi"] > 0.6
    shuffled = np.random.default_rng(0).permutation(found.labels)
    assert agreement(shuffled, network.truth.course_of_student)["nmi"] < 0.3
    assert found.sizes().sum() == social.n_nodes


def test_the_same_seed_gives_the_same_communities_on_several_threads(
    network: SyntheticNetwork,
) -> None:
    social = social_graph(network.events)
    threads = nk.getMaxNumberOfThreads()
    nk.setNumberOfThreads(2)
    try:
        runs = [detect_communities(social.graph, seed=3).labels for _ in range(4)]
        assert nk.getMaxNumberOfThreads() == 2
    finally:
        nk.setNumberOfThreads(threads)
    for labels in runs[1:]:
        assert np.array_equal(labels, runs[0])


def test_influencers_are_found_by_repliers(network: SyntheticNetwork) -> None:
    replies = reply_graph(network.events)
    planted = network.truth.influential
    repliers = degrees(replies.graph, in_degree=True).astype(float)
    found = replies.nodes[top_k(repliers, planted.shape[0])]
    assert precision_recall(found, planted)["precision"] == 1.0
    spread = replies.matrix.T.tocsr()
    top = independent_cascade(spread, top_k(repliers, 3), n_runs=5)
    rand = independent_cascade(spread, np.array([10, 20, 30]), n_runs=5)
    assert top > 3 * rand


def test_pagerank_is_a_distribution_favouring_hubs(network: SyntheticNetwork) -> None:
    full = build_graph(network.events)
    scores = pagerank(full.graph)
    # NetworKit drops the damped mass of degree-0 nodes on undirected graphs.
    n_alone = (full.strengths() == 0).sum()
    assert scores.sum() + 0.85 * n_alone / full.n_nodes == pytest.approx(1.0, abs=1e-6)
    strength = full.strengths()
    assert np.corrcoef(scores, strength)[0, 1] > 0.8


def test_cascade_extremes() -> None:
    path = sp.csr_matrix(np.diag(np.ones(4), k=1))  # 0 -> 1 -> 2 -> 3 -> 4
    assert independent_cascade(path, np.array([0]), p=1.0, n_runs=3) == 5
    assert independent_cascade(path, np.array([2]), p=1.0, n_runs=3) == 3
    assert independent_cascade(path, np.array([0]), p=0.0, n_runs=3) == 1


def test_top_k_and_precision_recall() -> None:
    assert top_k(np.array([0.1, 0.5, 0.5, 0.2]), 3).tolist() == [1, 2, 3]
    scores = precision_recall(np.array([1, 2, 3, 4]), np.array([3, 4, 5]))
    assert scores["precision"] == 0.5
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(4 / 7)
