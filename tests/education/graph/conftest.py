"""A small generated graph, written once per session and loaded into a fresh store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from yangcheng.education.graph.generate import GraphData, generate_graph, write_bulk
from yangcheng.education.graph.store import LadybugStore


def title_encoder(texts: Sequence[str]) -> np.ndarray:
    """A tiny bag-of-words encoder: enough to make same-concept titles nearest."""
    vocab: dict[str, int] = {}
    rows = [[vocab.setdefault(w.strip(":.").lower(), len(vocab)) for w in t.split()] for t in texts]
    out = np.zeros((len(texts), len(vocab)), dtype=np.float32)
    for i, row in enumerate(rows):
        out[i, row] = 1.0
    return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture(scope="session")
def small_graph() -> GraphData:
    from yangcheng.education.graph.embeddings import similar_edges

    data = generate_graph(2_000, n_concepts=60, n_teachers=40, n_schools=4, seed=3)
    edges, _ = similar_edges(data.tables["Resource"], title_encoder, k=4)
    data.tables["SIMILAR_TO"] = edges
    return data


@pytest.fixture(scope="session")
def bulk_files(small_graph: GraphData, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_bulk(small_graph, tmp_path_factory.mktemp("bulk"))


@pytest.fixture(scope="session")
def store(
    bulk_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LadybugStore]:
    with LadybugStore(tmp_path_factory.mktemp("db") / "graph.lbdb") as s:
        s.load(bulk_files)
        yield s
