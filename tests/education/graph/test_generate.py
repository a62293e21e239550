from __future__ import annotations

import hashlib
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.graph.generate import (
    GraphData,
    GraphSizeError,
    generate_graph,
    read_bulk,
    write_bulk,
)
from yangcheng.education.graph.schema import NODE_TABLES, REL_TABLES, RESOURCE_KINDS


def _digest(paths: dict[str, Path]) -> dict[str, str]:
    return {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in paths.items()}


def test_same_seed_same_bytes_other_seed_other_graph(tmp_path: Path) -> None:
    a = write_bulk(generate_graph(1_500, seed=7), tmp_path / "a")
    b = write_bulk(generate_graph(1_500, seed=7), tmp_path / "b")
    c = write_bulk(generate_graph(1_500, seed=8), tmp_path / "c")
    assert _digest(a) == _digest(b)
    assert _digest(a)["Resource"] != _digest(c)["Resource"]


def test_tables_have_schema_columns_and_round_trip(
    small_graph: GraphData, bulk_files: dict[str, Path]
) -> None:
    for table in NODE_TABLES:
        assert list(small_graph.tables[table.name].columns) == [c for c, _ in table.columns]
    for rel in REL_TABLES:
        expected = ["from", "to", *(c for c, _ in rel.columns)]
        assert list(small_graph.tables[rel.name].columns) == expected
    back = read_bulk(bulk_files)
    assert back.counts == {k: len(v) for k, v in small_graph.tables.items()}


def test_every_relation_joins_existing_nodes_of_the_right_table(small_graph: GraphData) -> None:
    ids = {t.name: set(small_graph.tables[t.name]["id"]) for t in NODE_TABLES}
    for rel in REL_TABLES:
        frame = small_graph.tables[rel.name]
        assert set(frame["from"]) <= ids[rel.source], rel.name
        assert set(frame["to"]) <= ids[rel.target], rel.name
    all_ids = [i for s in ids.values() for i in s]
    assert len(all_ids) == len(set(all_ids))  # ids unique across tables


def test_prerequisites_form_a_dag_within_subjects(small_graph: GraphData) -> None:
    concepts = small_graph.tables["Concept"].set_index("id")
    edges = small_graph.tables["PREREQUISITE_OF"]
    graph = nx.DiGraph(list(zip(edges["from"], edges["to"], strict=True)))
    assert nx.is_directed_acyclic_graph(graph)
    assert len(edges) > 0
    same = (
        concepts.loc[edges["from"], "subject"].to_numpy()
        == concepts.loc[edges["to"], "subject"].to_numpy()
    )
    assert same.all()


def test_resources_share_their_concepts_words(small_graph: GraphData) -> None:
    res = small_graph.tables["Resource"]
    teaches = small_graph.tables["TEACHES"].drop_duplicates("from", keep="first")
    name = small_graph.tables["Concept"].set_index("id")["name"]
    joined = res.set_index("id").join(teaches.set_index("from"))
    for title, text, concept in joined[["title", "text", "to"]].head(200).itertuples(index=False):
        assert name[concept].lower() in title.lower()
        assert name[concept] in text
    assert set(res["kind"]) == set(RESOURCE_KINDS)
    assert (res["quality"].between(0, 1)).all() and (res["duration_s"] > 0).all()


def test_every_resource_teaches_and_has_one_author(small_graph: GraphData) -> None:
    res = small_graph.tables["Resource"]
    assert set(small_graph.tables["TEACHES"]["from"]) == set(res["id"])
    authored = small_graph.tables["AUTHORED"]
    assert sorted(authored["to"]) == sorted(res["id"])


def test_simulator_curriculum_is_the_concept_layer() -> None:
    sim = StudentSimulator(n_skills=15, n_questions=60, prerequisite_density=0.2, seed=2)
    data = generate_graph(500, simulator=sim, seed=0)
    concepts = data.tables["Concept"]["id"].tolist()
    assert concepts == [f"k{i:03d}" for i in range(15)]
    log, _ = sim.generate(3, 5)
    assert set(log["skill_id"]) <= set(concepts)  # KT skills join graph concepts by id
    edges = {
        (a, b)
        for a, b in zip(*(data.tables["PREREQUISITE_OF"][c] for c in ("from", "to")), strict=True)
    }
    truth = {
        (f"k{p:03d}", f"k{s:03d}") for s, p in zip(*np.nonzero(sim.prerequisites), strict=True)
    }
    assert edges == truth


def test_bad_sizes_raise_named_errors() -> None:
    with pytest.raises(GraphSizeError, match="n_resources"):
        generate_graph(0)
    with pytest.raises(GraphSizeError, match="n_schools"):
        generate_graph(100, n_teachers=2, n_schools=5)
