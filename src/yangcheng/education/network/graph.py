"""NetworKit graphs from events: the whole network and its projections.

Repeated interactions between the same pair become one edge whose weight counts them,
so algorithms see tie strength and the graph stays as small as the distinct pairs. Each
projection numbers its nodes locally (students ``0..n_students-1`` in the order of
``InteractionEvents.ids_of(STUDENT)``) and returns the global ids to map back.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkit as nk
import numpy as np
import scipy.sparse as sp

from yangcheng.education.network.events import (
    RESOURCE,
    SOCIAL_KINDS,
    STUDENT,
    InteractionEvents,
)


@dataclass
class WeightedGraph:
    """A NetworKit graph, its weighted adjacency as CSR, and the global id of each node.

    ``nodes[i]`` is the global id of local node ``i``. ``matrix[u, v]`` counts interactions
    ``u -> v`` (both directions for an undirected graph); kept because NetworKit has no fast
    bulk export, and NumPy/SciPy code (strengths, cascades, warm PageRank) needs one.
    """

    graph: nk.Graph
    nodes: np.ndarray
    matrix: sp.csr_matrix

    @property
    def n_nodes(self) -> int:
        return int(self.nodes.shape[0])

    def strengths(self) -> np.ndarray:
        """Weighted out-degree: interactions each node took part in (initiated if directed)."""
        return np.asarray(self.matrix.sum(axis=1)).ravel()


def aggregate_pairs(
    src: np.ndarray, dst: np.ndarray, n_nodes: int, *, directed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct pairs and their counts; undirected pairs as (min, max); self-loops dropped."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if not directed:
        src, dst = np.minimum(src, dst), np.maximum(src, dst)
    keep = src != dst
    key = src[keep] * n_nodes + dst[keep]
    unique, count = np.unique(key, return_counts=True)
    return unique // n_nodes, unique % n_nodes, count.astype(np.float64)


def graph_from_pairs(
    src: np.ndarray,
    dst: np.ndarray,
    nodes: np.ndarray,
    *,
    directed: bool = False,
) -> WeightedGraph:
    """A weighted graph on local ids ``0..len(nodes)-1``; weights count events per pair."""
    n_nodes = int(nodes.shape[0])
    u, v, w = aggregate_pairs(src, dst, n_nodes, directed=directed)
    graph = nk.GraphFromCoo(
        (w, (u.astype(np.uint64), v.astype(np.uint64))),
        n=n_nodes,
        weighted=True,
        directed=directed,
    )
    return WeightedGraph(graph, nodes, csr_from_pairs(u, v, w, n_nodes, directed=directed))


def csr_from_pairs(
    u: np.ndarray, v: np.ndarray, w: np.ndarray, n_nodes: int, *, directed: bool
) -> sp.csr_matrix:
    """CSR adjacency of distinct pairs (mirrored when undirected)."""
    if not directed:
        u, v, w = np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
    matrix = sp.csr_matrix((w, (u, v)), shape=(n_nodes, n_nodes))
    matrix.sum_duplicates()
    return matrix


def build_graph(events: InteractionEvents) -> WeightedGraph:
    """The whole heterogeneous network, undirected and weighted, on global ids."""
    frame = events.events
    return graph_from_pairs(
        frame["src"].to_numpy(), frame["dst"].to_numpy(), np.arange(events.n_nodes)
    )


def _student_projection(
    events: InteractionEvents, kinds: tuple[str, ...], *, directed: bool
) -> WeightedGraph:
    frame = events.of_kinds(*kinds)
    local = events.local_index(STUDENT)
    return graph_from_pairs(
        local[frame["src"].to_numpy()],
        local[frame["dst"].to_numpy()],
        events.ids_of(STUDENT),
        directed=directed,
    )


def social_graph(events: InteractionEvents) -> WeightedGraph:
    """Student-student ties (replies and co-work, both ways), undirected and weighted."""
    return _student_projection(events, SOCIAL_KINDS, directed=False)


def reply_graph(events: InteractionEvents) -> WeightedGraph:
    """Who replies to whom: directed replier -> replied-to, so in-weight is attention got."""
    return _student_projection(events, ("reply",), directed=True)


def bipartite_graph(events: InteractionEvents) -> WeightedGraph:
    """Student-resource views and attempts; local ids: students first, then resources."""
    frame = events.of_kinds("view", "attempt")
    nodes = np.concatenate([events.ids_of(STUDENT), events.ids_of(RESOURCE)])
    local = np.full(events.n_nodes, -1, dtype=np.int64)
    local[nodes] = np.arange(nodes.shape[0])
    return graph_from_pairs(local[frame["src"].to_numpy()], local[frame["dst"].to_numpy()], nodes)
