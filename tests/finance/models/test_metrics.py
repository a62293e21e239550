"""Metrics on cases small enough to work out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.finance.models import evaluate, pr_auc, recall_at_fpr, roc_auc


def test_perfect_and_reversed_ranking() -> None:
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert pr_auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0


def test_average_precision_by_hand() -> None:
    # ranked: 1, 0, 1, 0 -> precision at the two positives: 1/1 and 2/3
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.8, 0.7, 0.1])
    assert pr_auc(y, p) == pytest.approx((1 + 2 / 3) / 2)


def test_recall_at_fpr_by_hand() -> None:
    # 200 negatives scored 0..199, 10 positives: 6 above every negative, 4 in the middle
    y = np.array([0] * 200 + [1] * 10)
    p = np.concatenate([np.arange(200.0), [300.0] * 6, [100.5, 101.5, 102.5, 103.5]])
    assert recall_at_fpr(y, p, 0.0) == pytest.approx(0.6)
    assert recall_at_fpr(y, p, 0.01) == pytest.approx(0.6)  # 2 false alarms buy nothing
    assert recall_at_fpr(y, p, 0.5) == pytest.approx(1.0)  # 99 false alarms reach all


def test_evaluate() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.1
    p = np.clip(0.1 + 0.5 * y + rng.normal(0, 0.2, 2000), 0, 1)
    out = evaluate(y, p)
    assert out["n"] == 2000 and out["positives"] == int(y.sum())
    assert 0.9 < out["roc_auc"] <= 1.0
    assert set(out) == {"n", "positives", "roc_auc", "pr_auc", "recall_at_1pct_fpr", "brier"}
