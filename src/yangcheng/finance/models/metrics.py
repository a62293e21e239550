"""Ranking and calibration metrics a risk team reports, on top of ``sklearn.metrics``."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve."""
    return float(roc_auc_score(np.asarray(y).astype(int), p))


def pr_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the precision-recall curve, as average precision."""
    return float(average_precision_score(np.asarray(y).astype(int), p))


def recall_at_fpr(y: np.ndarray, p: np.ndarray, fpr: float = 0.01) -> float:
    """Share of positives caught at the best threshold that flags at most ``fpr`` of negatives."""
    false_pos, true_pos, _ = roc_curve(np.asarray(y).astype(int), p)
    return float(true_pos[false_pos <= fpr].max())


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """The figures of a model card: counts, ROC-AUC, PR-AUC, recall at 1 % FPR, Brier score."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=np.float64)
    return {
        "n": len(y),
        "positives": int(y.sum()),
        "roc_auc": roc_auc(y, p),
        "pr_auc": pr_auc(y, p),
        "recall_at_1pct_fpr": recall_at_fpr(y, p, 0.01),
        "brier": float(brier_score_loss(y, p)),
    }
