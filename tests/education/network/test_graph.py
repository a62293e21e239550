from __future__ import annotations

import numpy as np
import pandas as pd

from yangcheng.education.network.events import from_dataframe
from yangcheng.education.network.graph import (
    bipartite_graph,
    build_graph,
    reply_graph,
    social_graph,
)


def _events():
    return from_dataframe(
        pd.DataFrame(
            {
                "src": ["a", "a", "b", "a", "c", "a"],
                "dst": ["r", "r", "a", "b", "b", "s"],
                "kind": ["view", "attempt", "reply", "reply", "cowork", "view"],
                "timestamp": [1, 2, 3, 4, 5, 6],
            }
        )
    )


def test_full_graph_counts_interactions_per_pair() -> None:
    events = _events()
    full = build_graph(events)
    idx = {events.label(i): i for i in range(events.n_nodes)}
    assert full.graph.numberOfEdges() == 4
    assert full.graph.weight(idx["a"], idx["r"]) == 2.0
    assert full.graph.weight(idx["a"], idx["b"]) == 2.0
    assert full.matrix[idx["b"], idx["a"]] == 2.0
    assert full.strengths()[idx["a"]] == 5.0


def test_projections() -> None:
    events = _events()
    social = social_graph(events)
    labels = [events.label(n) for n in social.nodes]
    assert labels == ["a", "b", "c"]
    assert social.graph.numberOfEdges() == 2
    replies = reply_graph(events)
    assert replies.graph.isDirected()
    assert replies.graph.weight(1, 0) == 1.0 and replies.graph.weight(0, 1) == 1.0
    assert replies.graph.numberOfEdges() == 2
    bipartite = bipartite_graph(events)
    assert [events.label(n) for n in bipartite.nodes] == ["a", "b", "c", "r", "s"]
    assert bipartite.graph.numberOfEdges() == 2
    assert np.allclose(bipartite.strengths(), [3, 0, 0, 2, 1])
