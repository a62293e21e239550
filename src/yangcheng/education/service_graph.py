"""The knowledge graph on the platform: queries, a build job, and the console's Graph page.

Graphs live under the platform's home (``education/graphs/<name>``), each an embedded
LadybugDB database opened read-only by the API, so any number of server processes can
query one graph while nothing can change it by accident. ``demo`` (20,000 resources on
120 concepts, SIMILAR_TO links from MiniLM embeddings of the titles) is built the first
time it is asked for; ``education.graph.build`` builds others, up to a million resources,
as a job. A graph is built in a scratch folder and renamed into place, so a query never
sees half a graph.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yangcheng.config import Settings
from yangcheng.education.graph import (
    GraphQueryError,
    LadybugStore,
    MiniLMEncoder,
    generate_graph,
    similar_edges,
    write_bulk,
)
from yangcheng.platform.catalog import Capability, DashboardPage, InvalidInput
from yangcheng.platform.panels import Dashboard, Table, Tile

__all__ = ["CAPABILITIES", "DASHBOARD", "GraphAnswer", "GraphQuery", "query"]

DEMO = "demo"
DEMO_RESOURCES = 20_000
DEMO_CONCEPTS = 120
MAX_RESOURCES = 1_000_000
MAX_ROWS = 1_000
QUERY_TIMEOUT_MS = 5_000
GRAPH_NAME = r"^[a-z0-9][a-z0-9-]{0,31}$"

_home: Path | None = None
_lock = threading.Lock()
_stores: dict[str, LadybugStore] = {}
_store_locks: dict[str, threading.Lock] = {}


def configure(home: Path) -> None:
    global _home
    with _lock:
        _home = Path(home)
        _stores.clear()


def graphs_folder() -> Path:
    return (_home or Settings().home) / "education" / "graphs"


def build_graph(
    path: Path, n_resources: int, seed: int, n_concepts: int | None = None, similar: bool = True
) -> dict[str, Any]:
    """Generate, embed, write and load a graph at ``path`` (which must not exist)."""
    figures: dict[str, Any] = {}
    scratch = path.parent / f".build-{path.name}-{uuid.uuid4().hex[:8]}"
    scratch.mkdir(parents=True)
    try:
        tic = time.perf_counter()
        data = generate_graph(n_resources, n_concepts=n_concepts, seed=seed)
        figures["generate_s"] = time.perf_counter() - tic
        if similar:
            tic = time.perf_counter()
            edges, cost = similar_edges(data.tables["Resource"], MiniLMEncoder().encode, k=5)
            data.tables["SIMILAR_TO"] = edges
            figures["similar_s"] = time.perf_counter() - tic
            figures["embedded_texts"] = int(cost["distinct_texts"])
        files = write_bulk(data, scratch / "bulk")
        tic = time.perf_counter()
        with LadybugStore(scratch / "graph.lbdb") as store:
            figures["counts"] = store.load(files)
        figures["load_s"] = time.perf_counter() - tic
        shutil.rmtree(scratch / "bulk")
        scratch.rename(path)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return figures


def _store(name: str) -> tuple[LadybugStore, threading.Lock]:
    with _lock:
        if name in _stores:
            return _stores[name], _store_locks[name]
        path = graphs_folder() / name
        if not path.exists():
            if name != DEMO:
                known = sorted(p.name for p in graphs_folder().glob("[a-z0-9]*"))
                raise InvalidInput(
                    "graph",
                    f"no graph {name!r}; built here: {', '.join(known) or 'none'} "
                    "(education.graph.build makes one)",
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                build_graph(path, DEMO_RESOURCES, seed=0, n_concepts=DEMO_CONCEPTS)
            except OSError:
                if not path.exists():  # another process won the rename: use its graph
                    raise
        store = LadybugStore(
            path / "graph.lbdb", read_only=True, threads=1, query_timeout_ms=QUERY_TIMEOUT_MS
        )
        _stores[name] = store
        _store_locks[name] = threading.Lock()
        return store, _store_locks[name]


QueryKind = Literal[
    "counts", "prerequisites", "resources", "learning_path", "similar", "neighbourhood", "cypher"
]


class GraphQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    graph: str = Field(default=DEMO, pattern=GRAPH_NAME, description="A built graph's name.")
    ask: QueryKind = Field(
        default="counts",
        description="counts; prerequisites (of a concept, up to depth); resources (teaching a "
        "concept, best quality first); learning_path (to a concept, skipping mastered ones); "
        "similar (resources like a resource); neighbourhood (nodes around any node); cypher "
        "(read-only Cypher, at most 1,000 rows).",
    )
    node: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The concept (k...), resource (r...), teacher (t...), course (c...) or "
        "school (h...) id the question is about.",
    )
    depth: int = Field(default=3, ge=1, le=30, description="prerequisites: steps back.")
    hops: int = Field(default=1, ge=1, le=2, description="neighbourhood: 1 or 2.")
    kind: Literal["video", "exercise", "document"] | None = Field(
        default=None, description="resources: only this kind."
    )
    limit: int = Field(default=10, ge=1, le=200)
    mastered: list[str] = Field(
        default_factory=list, max_length=5_000, description="learning_path: concepts known."
    )
    cypher: str | None = Field(default=None, min_length=1, max_length=4_000)
    params: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="cypher: $parameters."
    )


class PrerequisiteOut(BaseModel):
    concept: str
    distance: int
    path: list[str]


class ResourceOut(BaseModel):
    id: str
    kind: str
    title: str
    difficulty: float
    duration_s: float
    quality: float


class NodeOut(BaseModel):
    id: str
    label: str
    name: str


class EdgeOut(BaseModel):
    source: str
    relation: str
    target: str


class GraphAnswer(BaseModel):
    graph: str
    ask: str
    counts: dict[str, int] | None = None
    prerequisites: list[PrerequisiteOut] | None = None
    resources: list[ResourceOut] | None = None
    learning_path: list[str] | None = None
    similar: list[tuple[str, float]] | None = None
    nodes: list[NodeOut] | None = None
    edges: list[EdgeOut] | None = None
    rows: list[list[Any]] | None = Field(default=None, description="cypher: the rows.")
    latency_ms: float


def _needs_node(req: GraphQuery) -> str:
    if req.node is None:
        raise InvalidInput("node", f"{req.ask} needs a node id")
    return req.node


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def query(req: GraphQuery) -> GraphAnswer:
    store, lock = _store(req.graph)
    out: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        with lock:  # one connection per graph; LadybugDB connections are not shared
            if req.ask == "counts":
                out["counts"] = store.counts()
            elif req.ask == "prerequisites":
                found = store.prerequisites(_needs_node(req), req.depth)
                out["prerequisites"] = [
                    PrerequisiteOut(concept=p.concept, distance=p.distance, path=list(p.path))
                    for p in found[: req.limit]
                ]
            elif req.ask == "resources":
                rows = store.resources_for(_needs_node(req), req.kind, req.limit)
                out["resources"] = [ResourceOut(**r) for r in rows]
            elif req.ask == "learning_path":
                out["learning_path"] = store.learning_path(_needs_node(req), req.mastered)
            elif req.ask == "similar":
                out["similar"] = store.similar(_needs_node(req), req.limit)
            elif req.ask == "neighbourhood":
                around = store.neighbourhood(_needs_node(req), req.hops, req.limit)
                out["nodes"] = [
                    NodeOut(id=i, label=n["label"], name=n["name"]) for i, n in around.nodes.items()
                ]
                out["edges"] = [EdgeOut(source=a, relation=r, target=b) for a, r, b in around.edges]
            else:
                if req.cypher is None:
                    raise InvalidInput("cypher", "ask=cypher needs the Cypher text")
                found_rows = store.query(req.cypher, req.params)
                out["rows"] = [_plain(list(r)) for r in found_rows[:MAX_ROWS]]
    except GraphQueryError as exc:
        field = "cypher" if req.ask == "cypher" else "node"
        raise InvalidInput(field, str(exc)) from None
    return GraphAnswer(
        graph=req.graph,
        ask=req.ask,
        latency_ms=round((time.perf_counter() - started) * 1e3, 3),
        **out,
    )


class BuildRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=GRAPH_NAME, description="The new graph's name.")
    n_resources: int = Field(default=100_000, ge=100, le=MAX_RESOURCES)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    similar: bool = Field(default=True, description="Embed titles for SIMILAR_TO links.")


class BuildResponse(BaseModel):
    name: str
    counts: dict[str, int]
    seconds: dict[str, float]
    embedded_texts: int | None


def build(req: BuildRequest) -> BuildResponse:
    path = graphs_folder() / req.name
    if path.exists() or req.name == DEMO:
        raise InvalidInput("name", f"a graph {req.name!r} exists; choose another name")
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = build_graph(path, req.n_resources, req.seed, similar=req.similar)
    return BuildResponse(
        name=req.name,
        counts=figures["counts"],
        seconds={k: round(v, 3) for k, v in figures.items() if k.endswith("_s")},
        embedded_texts=figures.get("embedded_texts"),
    )


class OverviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    concept: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="The concept to show; default the demo concept with the longest path.",
    )


class OverviewResponse(BaseModel):
    dashboard: Dashboard


def _deepest(store: LadybugStore, lock: threading.Lock) -> str:
    with lock:
        rows = store.query(
            "MATCH (c:Concept) OPTIONAL MATCH (a:Concept)-[:PREREQUISITE_OF]->(c) "
            "RETURN c.id, count(a) AS n ORDER BY n DESC, c.id LIMIT 1"
        )
    return str(rows[0][0])


def overview(req: OverviewRequest) -> OverviewResponse:
    store, lock = _store(DEMO)
    concept = req.concept or _deepest(store, lock)

    def ask(**kw: Any) -> GraphAnswer:
        return query(GraphQuery(graph=DEMO, node=concept, **kw))

    counts = query(GraphQuery(graph=DEMO, ask="counts")).counts or {}
    before = ask(ask="prerequisites", depth=30, limit=50)
    path = ask(ask="learning_path")
    resources = ask(ask="resources", limit=8)
    first = resources.resources[0] if resources.resources else None
    similar = (
        query(GraphQuery(graph=DEMO, ask="similar", node=first.id, limit=8)) if first else None
    )
    titles: dict[str, str] = {}
    if similar is not None and similar.similar:
        ids = [i for i, _ in similar.similar]
        with lock:
            titles = dict(
                store.query(
                    "MATCH (r:Resource) WHERE r.id IN $ids RETURN r.id, r.title", {"ids": ids}
                )
            )
    dashboard = Dashboard(
        title=f"Knowledge graph (demo): concept {concept}",
        generated_at=time.time(),
        tiles=[
            Tile(label="Concepts", value=counts.get("Concept", 0)),
            Tile(label="Resources", value=counts.get("Resource", 0)),
            Tile(label="Teachers", value=counts.get("Teacher", 0)),
            Tile(label="Prerequisite links", value=counts.get("PREREQUISITE_OF", 0)),
            Tile(label="Similarity links", value=counts.get("SIMILAR_TO", 0), hint="MiniLM"),
            Tile(label="Steps to learn it", value=len(path.learning_path or [])),
        ],
        tables=[
            Table(
                title=f"Learning path to {concept} (prerequisites first)",
                columns=["step", "concept"],
                rows=[[i + 1, c] for i, c in enumerate(path.learning_path or [])],
            ),
            Table(
                title=f"What comes before {concept}",
                columns=["concept", "steps before", "path"],
                rows=[
                    [p.concept, p.distance, " → ".join(p.path)] for p in before.prerequisites or []
                ],
            ),
            Table(
                title=f"Best resources teaching {concept}",
                columns=["resource", "kind", "title", "quality", "minutes"],
                rows=[
                    [r.id, r.kind, r.title, round(r.quality, 2), round(r.duration_s / 60, 1)]
                    for r in resources.resources or []
                ],
            ),
            Table(
                title=f"Resources like {first.id}: {first.title}" if first else "Similar",
                columns=["resource", "title", "cosine"],
                rows=[
                    [i, titles.get(i, ""), round(s, 3)]
                    for i, s in (similar.similar if similar and similar.similar else [])
                ],
            ),
        ],
        note="education.graph.query answers the same questions on any built graph, and read-"
        "only Cypher; education.graph.build builds graphs of up to a million resources.",
    )
    return OverviewResponse(dashboard=dashboard)


CAPABILITIES = (
    Capability(
        name="education.graph.query",
        version="1.0.0",
        group="education",
        summary="Ask the knowledge graph: prerequisites, resources, learning paths, similar "
        "resources, neighbourhoods, read-only Cypher",
        description="Concepts with their prerequisite DAG, resources (videos, exercises, "
        "documents) teaching them, teachers, courses and schools, in an embedded graph "
        "database (LadybugDB). The demo graph has 20,000 resources; built graphs up to a "
        "million (p99 of every question in milliseconds: yangcheng bench education).",
        request_model=GraphQuery,
        response_model=GraphAnswer,
        handler=query,
        examples=(
            {"ask": "counts"},
            {"ask": "learning_path", "node": "k026"},
            {"ask": "cypher", "cypher": "MATCH (c:Concept) RETURN c.id, c.name LIMIT 5"},
        ),
    ),
    Capability(
        name="education.graph.build",
        version="1.0.0",
        group="education",
        summary="Build a generated knowledge graph of up to a million resources (a job)",
        description="Generates concepts, prerequisites, resources, teachers, courses and "
        "schools, links similar resources by MiniLM embeddings of their titles (ONNX "
        "Runtime), bulk-loads it and reports the time each step took. Query it by name.",
        request_model=BuildRequest,
        response_model=BuildResponse,
        handler=build,
        jobs_only=True,
        examples=({"name": "district-100k", "n_resources": 100_000},),
    ),
    Capability(
        name="education.graph.overview",
        version="1.0.0",
        group="education",
        summary="One concept of the demo knowledge graph as a dashboard",
        description="Its learning path, its prerequisites with their paths, the best "
        "resources teaching it, and the resources most like the best one (the console's "
        "Knowledge graph page).",
        request_model=OverviewRequest,
        response_model=OverviewResponse,
        handler=overview,
        examples=({},),
    ),
)

DASHBOARD = DashboardPage(
    slug="education-graph",
    title="Knowledge graph",
    group="education",
    description="A concept's learning path, prerequisites, resources and similar resources.",
    status_capability="education.graph.overview",
    refresh_s=3600,
)
