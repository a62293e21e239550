from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from yangcheng.education.graph.generate import GraphData
from yangcheng.education.graph.store import (
    GraphQueryError,
    LadybugStore,
    Neo4jStore,
    ReadOnlyQueryError,
    StoreUnavailableError,
    UnknownNodeError,
    check_read_only,
)


def _dag(data: GraphData) -> nx.DiGraph:
    edges = data.tables["PREREQUISITE_OF"]
    graph = nx.DiGraph()
    graph.add_nodes_from(data.tables["Concept"]["id"])
    graph.add_edges_from(zip(edges["from"], edges["to"], strict=True))
    return graph


def _deepest(data: GraphData) -> str:
    graph = _dag(data)
    return max(graph.nodes, key=lambda n: (len(nx.ancestors(graph, n)), n))


def test_counts_match_the_files(store: LadybugStore, small_graph: GraphData) -> None:
    assert store.counts() == {k: len(v) for k, v in small_graph.tables.items()}


def test_prerequisites_are_the_ancestors_within_depth_with_shortest_paths(
    store: LadybugStore, small_graph: GraphData
) -> None:
    graph = _dag(small_graph)
    target = _deepest(small_graph)
    for depth in (1, 2, 3):
        found = store.prerequisites(target, depth)
        distance = nx.single_source_shortest_path_length(graph.reverse(), target, cutoff=depth)
        assert {p.concept: p.distance for p in found} == {k: v for k, v in distance.items() if v}
        for p in found:
            assert p.path[0] == p.concept and p.path[-1] == target
            assert len(p.path) == p.distance + 1
            assert all(graph.has_edge(a, b) for a, b in zip(p.path, p.path[1:], strict=False))


def test_resources_for_are_best_first_and_of_the_asked_kind(
    store: LadybugStore, small_graph: GraphData
) -> None:
    concept = small_graph.tables["TEACHES"]["to"].value_counts().index[0]
    teaches = set(small_graph.tables["TEACHES"].query("to == @concept")["from"])
    got = store.resources_for(concept, limit=7)
    assert len(got) == 7 and {r["id"] for r in got} <= teaches
    quality = [r["quality"] for r in got]
    assert quality == sorted(quality, reverse=True)
    res = small_graph.tables["Resource"].set_index("id")
    assert quality[0] == res.loc[list(teaches), "quality"].max()
    videos = store.resources_for(concept, kind="video", limit=50)
    assert videos and all(r["kind"] == "video" for r in videos)
    with pytest.raises(GraphQueryError, match="kind"):
        store.resources_for(concept, kind="podcast")


def test_learning_path_is_the_unmastered_closure_in_topological_order(
    store: LadybugStore, small_graph: GraphData
) -> None:
    graph = _dag(small_graph)
    target = _deepest(small_graph)
    full = store.learning_path(target)
    assert set(full) == nx.ancestors(graph, target) | {target}
    position = {c: i for i, c in enumerate(full)}
    assert all(position[a] < position[b] for a, b in graph.subgraph(full).edges)
    assert full[-1] == target
    mastered = {p for p in graph.predecessors(target)}
    cut = store.learning_path(target, mastered)
    assert cut == [target]
    assert store.learning_path(target, {target}) == []


def test_similar_returns_stored_edges_best_first(
    store: LadybugStore, small_graph: GraphData
) -> None:
    edges = small_graph.tables["SIMILAR_TO"]
    resource = edges["from"].iloc[0]
    got = store.similar(resource, k=10)
    mine = edges[edges["from"] == resource]
    assert {r for r, _ in got} == set(mine["to"])
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True)


def test_neighbourhood_holds_only_true_edges_and_the_nodes_they_join(
    store: LadybugStore, small_graph: GraphData
) -> None:
    teacher = small_graph.tables["AUTHORED"]["from"].iloc[0]
    hood = store.neighbourhood(teacher, hops=2, limit=60)
    assert 0 < len(hood.nodes) <= 60 and teacher not in hood.nodes
    authored = set(small_graph.tables["AUTHORED"].query("`from` == @teacher")["to"])
    assert authored & set(hood.nodes)
    rel_pairs = {
        name: set(zip(frame["from"], frame["to"], strict=True))
        for name, frame in small_graph.tables.items()
        if "from" in frame.columns
    }
    for a, rel, b in hood.edges:
        assert (a, b) in rel_pairs[rel]
        assert {a, b} <= set(hood.nodes) | {teacher}
    one = store.neighbourhood(teacher, hops=1, limit=10_000)
    assert set(one.nodes) == authored | set(
        small_graph.tables["TAUGHT_BY"].query("to == @teacher")["from"]
    )


def test_query_is_read_only(store: LadybugStore) -> None:
    rows = store.query("MATCH (c:Concept) WHERE c.name CONTAINS 'set' RETURN count(c)")
    assert rows[0][0] >= 0
    with pytest.raises(ReadOnlyQueryError, match="'SET'"):
        store.query("MATCH (c:Concept) SET c.name = 'x'")
    with pytest.raises(ReadOnlyQueryError, match="'CREATE'"):
        store.query("create (c:Concept {id: 'kx'})")
    check_read_only("MATCH (r:Resource) WHERE r.title = 'How to CREATE a graph' RETURN r.id")


def test_unknown_nodes_and_bad_arguments_are_named(store: LadybugStore) -> None:
    with pytest.raises(UnknownNodeError, match="k99999"):
        store.prerequisites("k99999")
    with pytest.raises(UnknownNodeError, match="prefix"):
        store.neighbourhood("zz1")
    with pytest.raises(UnknownNodeError, match="Concept"):
        store.resources_for("r0001")
    with pytest.raises(GraphQueryError, match="depth"):
        store.prerequisites("k000", depth=0)
    with pytest.raises(GraphQueryError, match="limit"):
        store.resources_for("k000", limit=-1)


def test_load_rejects_unknown_tables_and_missing_files(tmp_path: Path) -> None:
    with LadybugStore(tmp_path / "g.lbdb") as s:
        with pytest.raises(GraphQueryError, match="Lesson"):
            s.load({"Lesson": tmp_path / "x.parquet"})
        with pytest.raises(GraphQueryError, match="not found"):
            s.load({"Concept": tmp_path / "missing.parquet"})
        assert sum(s.counts().values()) == 0


def test_neo4j_store_without_driver_says_what_to_install() -> None:
    try:
        import neo4j  # noqa: F401
    except ImportError:
        with pytest.raises(StoreUnavailableError, match="pip install neo4j"):
            Neo4jStore("bolt://localhost:7687")
    else:
        pytest.skip("neo4j driver installed")
