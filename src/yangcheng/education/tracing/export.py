"""Serving the neural tracers: export to one ONNX file, predict with ONNX Runtime.

The graph takes int64 ``questions``, ``skills`` and ``correct`` of shape ``(batch, time)``
(both dynamic) and returns ``p_correct`` ``(batch, time)``: ``P(correct_t | responses < t)``;
nets with a per-skill read-out (DKT) also return ``knowledge`` ``(batch, time, n_skills)``.
Everything else a predictor needs (vocabulary, priors, each skill's representative question)
travels in the file's metadata under ``yangcheng``, so the file alone serves: no torch needed.
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from yangcheng.education.data.sequences import KTSequences, StudentSequence
from yangcheng.education.tracing._padding import (
    last,
    predict_padded,
    predict_windowed,
    skill_queries,
)
from yangcheng.education.tracing.base import VocabularyChecks

if TYPE_CHECKING:  # serving must not need torch
    from yangcheng.education.tracing.neural import NeuralTracer

__all__ = ["ONNX_OPSET", "OnnxDKT", "OnnxTracer", "export_onnx"]

ONNX_OPSET = 17
METADATA_KEY = "yangcheng"
_FORMAT = 1
_ATTENTION_BATCH = 32
"""Rows per run for attention graphs: their (batch, heads, T, T) scores dominate memory."""


def export_onnx(model: NeuralTracer, path: str | Path) -> Path:
    """Write ``model``'s serving graph and metadata to ``path`` (atomically); returns it."""
    import onnx
    import torch
    from torch import nn

    model._check_fitted("export_onnx")
    net = copy.deepcopy(model.net_).cpu().eval()  # served on CPU wherever it was trained
    read_out: Callable[..., torch.Tensor] | None = getattr(net, "knowledge", None)
    has_knowledge = read_out is not None

    class Serving(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = net

        def forward(
            self, questions: torch.Tensor, skills: torch.Tensor, correct: torch.Tensor
        ) -> tuple[torch.Tensor, ...]:
            p = torch.sigmoid(self.net(questions, skills, correct))
            if read_out is not None:
                return p, torch.sigmoid(read_out(questions, skills, correct))
            return (p,)

    serving = Serving().eval()
    example = tuple(torch.zeros(1, 3, dtype=torch.int64) for _ in range(3))
    outputs = ["p_correct", "knowledge"] if has_knowledge else ["p_correct"]
    axes = {name: {0: "batch", 1: "time"} for name in ["questions", "skills", "correct", *outputs]}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with torch.no_grad(), warnings.catch_warnings():
        # the LSTM starts from zero states, which ONNX Runtime makes for any batch size
        warnings.filterwarnings("ignore", "Exporting a model to ONNX with a batch_size")
        # the LSTM's own shape checks, constant for any input of this graph
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        torch.onnx.export(
            serving,
            example,
            str(tmp),
            input_names=["questions", "skills", "correct"],
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    graph = onnx.load(str(tmp))
    entry = graph.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = json.dumps(
        {
            "format": _FORMAT,
            "tracer": type(model).__name__,
            "params": {k: v for k, v in model.get_params().items() if k != "checkpoint_path"},
            "id_kinds": list(model._id_kinds),
            "n_questions": model.n_questions_,
            "n_skills": model.n_skills_,
            "question_ids": model.question_ids_,
            "skill_ids": model.skill_ids_,
            "skill_prior": model.skill_prior_.tolist(),
            "skill_question": model.skill_question_.tolist(),
            "context": model.window if model.bounded_context else None,
        }
    )
    onnx.save(graph, str(tmp))
    os.replace(tmp, path)
    return path


class OnnxTracer(VocabularyChecks):
    """An exported neural tracer run by ONNX Runtime: ``predict_proba`` and ``mastery`` as
    the torch model's (to float32 rounding), with the same id checks."""

    expected: str | None = None
    """The tracer class the file must hold (None: any)."""

    def __init__(self, path: str | Path, *, threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        raw = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        if raw is None:
            raise ValueError(f"{path} has no {METADATA_KEY!r} metadata: not written by export_onnx")
        meta: dict[str, Any] = json.loads(raw)
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path}: metadata format {meta.get('format')}, expected {_FORMAT}")
        if self.expected is not None and meta["tracer"] != self.expected:
            raise ValueError(f"{path} holds a {meta['tracer']}, not a {self.expected}")
        self.tracer: str = meta["tracer"]
        self.params: dict[str, Any] = meta["params"]
        self._id_kinds = tuple(meta["id_kinds"])
        self.n_questions_ = int(meta["n_questions"])
        self.n_skills_ = int(meta["n_skills"])
        self.question_ids_ = list(meta["question_ids"])
        self.skill_ids_ = list(meta["skill_ids"])
        self.skill_prior_ = np.asarray(meta["skill_prior"], dtype=np.float64)
        self.skill_question_ = np.asarray(meta["skill_question"], dtype=np.int64)
        context = meta.get("context")
        self.context: int | None = None if context is None else int(context)
        """Most responses the graph reads at once (attention models), or None."""
        self._outputs = [o.name for o in self.session.get_outputs()]
        self._inputs = [i.name for i in self.session.get_inputs()]

    def _feed(
        self, questions: np.ndarray, skills: np.ndarray, correct: np.ndarray
    ) -> dict[str, np.ndarray]:
        given = {"questions": questions, "skills": skills, "correct": correct}
        return {name: given[name] for name in self._inputs}  # the exporter drops unused ones

    def _run(self, questions: np.ndarray, skills: np.ndarray, correct: np.ndarray) -> np.ndarray:
        (p,) = self.session.run(["p_correct"], self._feed(questions, skills, correct))
        return np.asarray(p, dtype=np.float64)

    def predict_proba(self, data: KTSequences) -> list[np.ndarray]:
        self._check_data(data)
        if self.context is not None:
            return predict_windowed(list(data), self.context, _ATTENTION_BATCH, self._run)
        return predict_padded(list(data), 256, self._run)

    def mastery(self, seq: StudentSequence) -> np.ndarray:
        self._check_sequence(seq)
        if "knowledge" in self._outputs:
            if len(seq) == 0:
                return self.skill_prior_.copy()
            arrays = [
                np.asarray(a, np.int64)[None] for a in (seq.questions, seq.skills, seq.correct)
            ]
            (state,) = self.session.run(["knowledge"], self._feed(*arrays))
            return np.asarray(state[0, -1], dtype=np.float64)
        if self.context is not None:
            seq = last(seq, self.context - 1)
        questions, skills, correct = skill_queries(seq, self.skill_question_)
        out = np.empty(len(questions), dtype=np.float64)
        for start in range(0, len(questions), _ATTENTION_BATCH):
            rows = slice(start, start + _ATTENTION_BATCH)
            out[rows] = self._run(questions[rows], skills[rows], correct[rows])[:, len(seq)]
        return out


class OnnxDKT(OnnxTracer):
    """An exported :class:`~yangcheng.education.tracing.dkt.DKT` (refuses other tracers)."""

    expected = "DKT"
