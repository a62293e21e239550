"""Knowledge-tracing models with one estimator API: fit, predict_proba, mastery.

``BKT`` (NumPy) and ``IRT`` (NumPy/SciPy) need no deep-learning stack; ``DKT``, ``SAKT``,
``AKT`` and ``SimpleKT`` train in PyTorch (imported on first use) and serve from ONNX with
``OnnxTracer`` (ONNX Runtime only).
Scored with pyKT's protocol by :func:`evaluate` and :func:`cross_validate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from yangcheng.education.tracing.base import (
    KnowledgeTracer,
    NotFittedError,
    ResponsePredictor,
    UnknownIdError,
    VocabularyMismatch,
)
from yangcheng.education.tracing.bkt import BKT
from yangcheng.education.tracing.evaluate import (
    CVResult,
    FoldResult,
    Scores,
    cross_validate,
    evaluate,
    score_predictions,
)
from yangcheng.education.tracing.export import OnnxDKT, OnnxTracer, export_onnx
from yangcheng.education.tracing.irt import IRT

if TYPE_CHECKING:
    from yangcheng.education.tracing.akt import AKT
    from yangcheng.education.tracing.dkt import DKT
    from yangcheng.education.tracing.neural import CheckpointMismatch, EpochReport, NeuralTracer
    from yangcheng.education.tracing.sakt import SAKT
    from yangcheng.education.tracing.simplekt import SimpleKT

__all__ = [
    "AKT",
    "BKT",
    "DKT",
    "IRT",
    "SAKT",
    "CVResult",
    "CheckpointMismatch",
    "EpochReport",
    "FoldResult",
    "KnowledgeTracer",
    "NeuralTracer",
    "NotFittedError",
    "OnnxDKT",
    "OnnxTracer",
    "ResponsePredictor",
    "Scores",
    "SimpleKT",
    "UnknownIdError",
    "VocabularyMismatch",
    "cross_validate",
    "evaluate",
    "export_onnx",
    "score_predictions",
]

_TORCH = {
    "AKT": "yangcheng.education.tracing.akt",
    "DKT": "yangcheng.education.tracing.dkt",
    "SAKT": "yangcheng.education.tracing.sakt",
    "SimpleKT": "yangcheng.education.tracing.simplekt",
    "CheckpointMismatch": "yangcheng.education.tracing.neural",
    "EpochReport": "yangcheng.education.tracing.neural",
    "NeuralTracer": "yangcheng.education.tracing.neural",
}


def __getattr__(name: str) -> Any:
    """Torch-backed names load on first use, so BKT, IRT and ONNX serving stay light."""
    if name in _TORCH:
        import importlib

        return getattr(importlib.import_module(_TORCH[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
