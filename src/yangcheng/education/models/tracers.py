"""Which tracers can be trained by name: one line each, imported only when used.

The platform's train capability and the shipped-model script both pick a tracer by name
from :data:`TRACERS`, so a new model of ``yangcheng.education.tracing`` (SAKT, AKT, simpleKT)
becomes trainable and shippable by adding its line here. Names are the class names in
``yangcheng.education.tracing``, whose lazy imports keep torch out until a neural one is
made.
"""

from __future__ import annotations

from typing import Any

from yangcheng.education.tracing import KnowledgeTracer

__all__ = ["TRACERS", "make_tracer"]

TRACERS: dict[str, str] = {
    "BKT": "Bayesian knowledge tracing: a two-state HMM per skill, fitted by EM (NumPy)",
    "IRT": "2PL item response theory, abilities tracked online (NumPy/SciPy; reads questions)",
    "DKT": "Deep knowledge tracing: an LSTM over (skill, correct) tokens (PyTorch, ONNX serving)",
    "SAKT": "Self-attentive knowledge tracing: the next skill attends to past responses",
    "AKT": "Attentive knowledge tracing: monotonic attention, Rasch question embeddings",
    "SimpleKT": "simpleKT: question-aware embeddings and plain attention, a strong baseline",
}
"""Trainable tracers: class name in ``yangcheng.education.tracing`` -> what it is."""


def make_tracer(name: str, **options: Any) -> KnowledgeTracer:
    """A fresh ``name`` tracer with those ``options`` it has as parameters (others ignored).

    Options are shared settings (``max_epochs``, ``seed``, ``threads``...): a NumPy tracer
    has none of the neural ones and simply does not get them.
    """
    if name not in TRACERS:
        raise KeyError(f"unknown tracer {name!r}; trainable: {', '.join(TRACERS)}")
    from yangcheng.education import tracing

    cls = getattr(tracing, name)
    if not (isinstance(cls, type) and issubclass(cls, KnowledgeTracer)):
        raise TypeError(f"yangcheng.education.tracing.{name} is not a KnowledgeTracer")
    accepted = set(cls().get_params())
    return cls(**{k: v for k, v in options.items() if k in accepted})
