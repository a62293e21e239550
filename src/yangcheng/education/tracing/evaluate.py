"""pyKT's evaluation protocol: next-response AUC and accuracy, student folds, windows of 200.

What is scored. Every response at position ``t >= 1`` of each (windowed) sequence, predicted
from the responses before it; the first response of a sequence is left out because a model
has seen nothing of the student yet (pyKT's DKT emits no prediction for it, so leaving it out
is what makes our numbers comparable with pyKT's tables). Predictions of all students are
pooled into one vector and scored once: AUC with scikit-learn's ``roc_auc_score`` and
accuracy with a response predicted correct when ``p >= 0.5``.

How students are split (pyKT's ``data_preprocess``): 20% of students are held out as the test
set; the other 80% are cut into ``k`` folds; model ``i`` trains on all folds but ``i``, uses
fold ``i`` for early stopping, and is scored on the test set. The ``k`` test scores give the
mean and the (sample) standard deviation. With ``test_fraction=0`` the classic cross-
validation is run instead: fold ``i`` is the test set and nothing is held out for validation.
Students are split before windowing (:mod:`yangcheng.education.data.splits`: windows of at
most ``window`` responses, sequences and last windows under 3 responses dropped), so no
student's windows sit on both sides of a split.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.data.splits import student_folds, windows
from yangcheng.education.tracing.base import KnowledgeTracer, ResponsePredictor

__all__ = [
    "CVResult",
    "FoldResult",
    "Scores",
    "cross_validate",
    "evaluate",
    "score_predictions",
]

THRESHOLD = 0.5
FIRST_SCORED = 1
"""Index of the first scored response of each sequence (see the module docstring)."""


@dataclass(frozen=True)
class Scores:
    auc: float
    accuracy: float
    n_responses: int
    """How many responses were scored (those at t >= 1)."""


def score_predictions(data: KTSequences, probs: Sequence[np.ndarray]) -> Scores:
    """Pooled next-response AUC and accuracy of ``probs`` (one array per student of ``data``)."""
    if len(probs) != len(data):
        raise ValueError(f"{len(probs)} prediction arrays for {len(data)} students")
    ys, ps = [], []
    for seq, p in zip(data, probs, strict=True):
        p = np.asarray(p, dtype=np.float64)
        if p.shape != (len(seq),):
            raise ValueError(
                f"student {seq.student}: {p.shape[0] if p.ndim else 0} predictions "
                f"for {len(seq)} responses"
            )
        ys.append(seq.correct[FIRST_SCORED:])
        ps.append(p[FIRST_SCORED:])
    y = np.concatenate(ys).astype(np.int64) if ys else np.zeros(0, np.int64)
    p = np.concatenate(ps) if ps else np.zeros(0)
    if len(np.unique(y)) < 2:
        raise ValueError(
            f"AUC needs both correct and wrong responses at t >= 1; got {len(y)} responses "
            f"with labels {sorted(set(y.tolist()))}"
        )
    if not np.isfinite(p).all():
        raise ValueError("predictions contain NaN or infinity")
    auc = float(roc_auc_score(y, p))
    accuracy = float(np.mean((p >= THRESHOLD).astype(np.int64) == y))
    return Scores(auc=auc, accuracy=accuracy, n_responses=len(y))


def evaluate(model: ResponsePredictor, data: KTSequences) -> Scores:
    """Score a fitted tracer (or an exported one) on ``data`` as given (no windowing)."""
    return score_predictions(data, model.predict_proba(data))


@dataclass(frozen=True)
class FoldResult:
    fold: int
    scores: Scores
    fit_seconds: float
    train_sequences: int
    test_sequences: int


@dataclass(frozen=True)
class CVResult:
    folds: list[FoldResult]

    @property
    def auc_mean(self) -> float:
        return float(np.mean([f.scores.auc for f in self.folds]))

    @property
    def auc_std(self) -> float:
        return _std([f.scores.auc for f in self.folds])

    @property
    def accuracy_mean(self) -> float:
        return float(np.mean([f.scores.accuracy for f in self.folds]))

    @property
    def accuracy_std(self) -> float:
        return _std([f.scores.accuracy for f in self.folds])

    @property
    def fit_seconds_mean(self) -> float:
        return float(np.mean([f.fit_seconds for f in self.folds]))

    def summary(self) -> str:
        return (
            f"AUC {self.auc_mean:.4f} ± {self.auc_std:.4f}, "
            f"ACC {self.accuracy_mean:.4f} ± {self.accuracy_std:.4f}, "
            f"fit {self.fit_seconds_mean:.1f} s per fold ({len(self.folds)} folds)"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "auc_mean": self.auc_mean,
            "auc_std": self.auc_std,
            "accuracy_mean": self.accuracy_mean,
            "accuracy_std": self.accuracy_std,
            "fit_seconds_mean": self.fit_seconds_mean,
            "folds": [asdict(f) for f in self.folds],
        }


def _std(values: list[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def cross_validate(
    model_factory: Callable[[], KnowledgeTracer],
    data: KTSequences,
    *,
    k: int = 5,
    seed: int = 0,
    window: int = 200,
    test_fraction: float = 0.2,
    progress: Callable[[FoldResult], None] | None = None,
) -> CVResult:
    """Fit ``k`` fresh models from ``model_factory`` on pyKT's student splits; score each.

    ``model_factory`` returns an unfitted tracer (a class, or ``lambda: DKT(seed=1)``);
    sequences are windowed to ``window`` responses after splitting (see the module docs).
    """
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1); got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(data))
    n_test = round(test_fraction * len(data))
    held_out, rest = np.sort(order[:n_test]), np.sort(order[n_test:])
    remaining = data.subset(rest.tolist())
    fixed_test = windows(data.subset(held_out.tolist()), window) if n_test else None
    results: list[FoldResult] = []
    for i, (others, fold) in enumerate(student_folds(remaining, k, seed)):
        train = windows(remaining.subset(others.tolist()), window)
        inner = windows(remaining.subset(fold.tolist()), window)
        valid, test = (inner, fixed_test) if fixed_test is not None else (None, inner)
        model = model_factory()
        started = time.perf_counter()
        model.fit(train, valid)
        fit_seconds = time.perf_counter() - started
        result = FoldResult(i, evaluate(model, test), fit_seconds, len(train), len(test))
        results.append(result)
        if progress is not None:
            progress(result)
    return CVResult(results)
