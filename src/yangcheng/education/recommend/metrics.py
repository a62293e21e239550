"""Top-k ranking metrics for one student, with binary relevance.

Definitions follow RecBole's: ``recall@k`` divides the hits by the number of target items
(not by ``min(k, targets)``), ``ndcg@k`` uses ``log2(rank + 1)`` discounts and the ideal DCG
of ``min(k, targets)`` hits, ``hit_rate@k`` is 1 when any target is in the top k.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np

__all__ = ["coverage", "hit_rate_at_k", "ndcg_at_k", "recall_at_k"]


def _hits(recommended: Sequence[str], targets: Collection[str], k: int) -> np.ndarray:
    if k < 1:
        raise ValueError(f"k must be positive, got {k}")
    if len(targets) == 0:
        raise ValueError("targets must not be empty (a student with no target is not scored)")
    wanted = set(targets)
    return np.array([r in wanted for r in recommended[:k]], dtype=np.float64)


def recall_at_k(recommended: Sequence[str], targets: Collection[str], k: int = 20) -> float:
    return float(_hits(recommended, targets, k).sum() / len(set(targets)))


def ndcg_at_k(recommended: Sequence[str], targets: Collection[str], k: int = 20) -> float:
    hits = _hits(recommended, targets, k)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = discounts[: min(k, len(set(targets)))].sum()
    return float((hits * discounts[: len(hits)]).sum() / ideal)


def hit_rate_at_k(recommended: Sequence[str], targets: Collection[str], k: int = 20) -> float:
    return float(_hits(recommended, targets, k).any())


def coverage(recommendations: Collection[Sequence[str]], n_resources: int) -> float:
    """Share of the catalogue that appears in at least one list."""
    if n_resources < 1:
        raise ValueError(f"n_resources must be positive, got {n_resources}")
    return len({r for recs in recommendations for r in recs}) / n_resources
