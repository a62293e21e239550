from __future__ import annotations

import math

import pytest

from yangcheng.education.recommend import (
    coverage,
    hit_rate_at_k,
    ndcg_at_k,
    recall_at_k,
    top_k,
)


def test_recall_counts_hits_over_all_targets() -> None:
    recs = ["a", "b", "c", "d"]
    assert recall_at_k(recs, {"b", "d", "z"}, k=4) == pytest.approx(2 / 3)
    assert recall_at_k(recs, {"b", "d", "z"}, k=2) == pytest.approx(1 / 3)
    assert recall_at_k(recs, {"y", "z"}, k=4) == 0.0


def test_ndcg_by_hand() -> None:
    # hits at ranks 2 and 4; ideal: 2 hits at ranks 1, 2
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at_k(["a", "b", "c", "d"], {"b", "d"}, k=4) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["b", "d", "c"], {"b", "d"}, k=3) == pytest.approx(1.0)
    # more targets than k: the ideal is k hits
    assert ndcg_at_k(["a", "b"], {"a", "b", "c"}, k=2) == pytest.approx(1.0)


def test_hit_rate_and_coverage() -> None:
    assert hit_rate_at_k(["a", "b"], {"b"}, k=2) == 1.0
    assert hit_rate_at_k(["a", "b"], {"b"}, k=1) == 0.0
    assert coverage([["a", "b"], ["b", "c"]], n_resources=10) == pytest.approx(0.3)


def test_empty_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="targets"):
        recall_at_k(["a"], set(), k=1)


def test_top_k_orders_skips_and_breaks_ties_by_index() -> None:
    scores = [0.1, 0.9, 0.5, 0.9, 0.3]
    assert top_k(scores, 3).tolist() == [1, 3, 2]
    assert top_k(scores, 3, exclude=[1]).tolist() == [3, 2, 4]
    assert top_k(scores, 10, exclude=[0, 1]).tolist() == [3, 2, 4]
