from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.network.analytics import DAMPING, PAGERANK_TOL, pagerank
from yangcheng.education.network.anomaly import activity, stopped
from yangcheng.education.network.events import STUDENT, TEAM, EventsError, InteractionEvents
from yangcheng.education.network.generate import SyntheticNetwork
from yangcheng.education.network.graph import build_graph
from yangcheng.education.network.incremental import LiveNetwork, power_pagerank


def _live(network: SyntheticNetwork, base: pd.DataFrame, n_seen: int) -> LiveNetwork:
    events = InteractionEvents(base.reset_index(drop=True), network.events.node_type[:n_seen])
    return LiveNetwork(events)


@pytest.mark.parametrize("method", ["push", "power"])
def test_streamed_network_equals_full_rebuild(network: SyntheticNetwork, method: str) -> None:
    events = network.events
    frame = events.events
    team0 = int(np.flatnonzero(events.node_type == TEAM)[0])
    # The base holds 80 % of the events and no team: teams arrive as new nodes.
    in_base = (np.arange(len(frame)) < int(len(frame) * 0.8)) & (frame["dst"] < team0).to_numpy()
    live = _live(network, frame[in_base], team0)
    live.refresh_pagerank()
    stream = frame[~in_base]
    new_nodes = 0
    for batch in np.array_split(np.arange(len(stream)), 4):
        report = live.ingest(stream.iloc[batch])
        new_nodes += report.n_new_nodes
        refreshed = live.refresh_pagerank(method=method, tol=1e-10)
    assert new_nodes == events.n_nodes - team0 > 0
    assert np.array_equal(live.node_type, events.node_type)

    full = build_graph(events)
    assert live.graph.numberOfEdges() == full.graph.numberOfEdges()
    assert live.graph.totalEdgeWeight() == full.graph.totalEdgeWeight()
    assert (live.matrix != full.matrix).nnz == 0
    for u, v in [(int(frame["src"].iloc[i]), int(frame["dst"].iloc[i])) for i in (0, -1)]:
        assert live.graph.weight(u, v) == full.graph.weight(u, v)

    reference = pagerank(full.graph, tol=1e-12)
    assert np.abs(refreshed.scores - reference).sum() < 1e-7
    # the recompute stops at PAGERANK_TOL (an iteration's L2 change); each score is then
    # within tol * damping / (1 - damping) of the fixed point
    bound = PAGERANK_TOL * DAMPING / (1 - DAMPING)
    assert np.abs(live.recompute_pagerank().scores - reference).max() < bound

    now = float(frame["timestamp"].max())
    batch_flags = stopped(activity(events), now) & (events.node_type == STUDENT)
    assert np.array_equal(live.stopped_students(), np.flatnonzero(batch_flags))


def test_power_pagerank_matches_networkit_on_directed_graphs(network: SyntheticNetwork) -> None:
    from yangcheng.education.network.graph import reply_graph

    replies = reply_graph(network.events)
    scores, _ = power_pagerank(replies.matrix, directed=True, tol=1e-13)
    assert np.abs(scores - pagerank(replies.graph, tol=1e-13)).max() < 1e-10


def test_type_clash_in_a_batch_is_refused(network: SyntheticNetwork) -> None:
    live = _live(network, network.events.events.iloc[:1_000], network.events.n_nodes)
    resource = int(np.flatnonzero(network.events.node_type == 1)[0])
    batch = pd.DataFrame(
        {"src": [0, resource], "dst": [1, 2], "kind": ["reply", "reply"], "timestamp": [1, 2]}
    )
    with pytest.raises(EventsError, match=r"row 1, column 'src'.*resource"):
        live.ingest(batch)
    with pytest.raises(ValueError, match="method"):
        live.refresh_pagerank(method="magic")
