"""Graph stores: one interface, an embedded default (LadybugDB) and a server option (Neo4j).

The platform asks the graph a handful of questions (what comes before a concept, what teaches
it, what to learn next, what is like this resource, what is around this node); both stores
answer them with the same Cypher, so a deployment can move from the embedded database to a
Neo4j server without the callers noticing. ``query`` gives power users raw read-only Cypher.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from yangcheng.education.graph.schema import (
    NODE_TABLES,
    REL_TABLES,
    RESOURCE_KINDS,
    RelTable,
    ddl,
    label_of,
)

__all__ = [
    "GraphQueryError",
    "GraphStore",
    "LadybugStore",
    "Neighbourhood",
    "Neo4jStore",
    "Prerequisite",
    "ReadOnlyQueryError",
    "StoreUnavailableError",
    "UnknownNodeError",
    "check_read_only",
    "topological_order",
]

_WRITE = re.compile(
    r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|ALTER|COPY|LOAD|INSTALL|ATTACH|"
    r"IMPORT|EXPORT|CHECKPOINT|BEGIN|COMMIT|ROLLBACK|CALL)\b",
    re.IGNORECASE,
)
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`")
_MAX_DEPTH = 30


class GraphQueryError(ValueError):
    """A question the graph cannot answer as asked (which argument, what is wrong)."""


class ReadOnlyQueryError(GraphQueryError):
    """``query`` got Cypher that would change the graph; the keyword is named."""


class UnknownNodeError(GraphQueryError):
    """An id that is not in the graph (the id and its table are named)."""


class StoreUnavailableError(ValueError):
    """A store whose backend is not installed or reachable (what to install is named)."""


@dataclass(frozen=True)
class Prerequisite:
    """A concept that comes before another: its shortest distance and one shortest path
    (from it to the asked concept, both included)."""

    concept: str
    distance: int
    path: tuple[str, ...]


@dataclass
class Neighbourhood:
    """Nodes (id -> {label, name}) and directed edges (from, relation, to) around a node."""

    center: str
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)


def check_read_only(cypher: str) -> None:
    """Raise ``ReadOnlyQueryError`` when ``cypher`` holds a writing keyword outside strings.

    Deliberately conservative: ``CALL`` (procedures may write) and ``LOAD`` are refused too,
    and a keyword inside a comment counts; power users lose little, the graph stays safe."""
    bare = _STRINGS.sub("''", cypher)
    match = _WRITE.search(bare)
    if match:
        raise ReadOnlyQueryError(
            f"query is read-only: keyword {match.group(1).upper()!r} at character "
            f"{match.start()} would change the graph (use load() to write)"
        )


def _positive(name: str, value: int, high: int | None = None) -> int:
    if not isinstance(value, int) or value < 1 or (high is not None and value > high):
        bound = f" and at most {high}" if high is not None else ""
        raise GraphQueryError(f"{name} must be a positive integer{bound}, got {value!r}")
    return value


def topological_order(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """Kahn's order of ``nodes`` by (before, after) ``edges`` among them; ties by id."""
    import heapq

    members = set(nodes)
    after: dict[str, list[str]] = {n: [] for n in members}
    indegree = dict.fromkeys(members, 0)
    for a, b in set(edges):
        if a in members and b in members:
            after[a].append(b)
            indegree[b] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for m in after[n]:
            indegree[m] -= 1
            if indegree[m] == 0:
                heapq.heappush(ready, m)
    if len(order) != len(members):
        raise GraphQueryError("prerequisites form a cycle; no learning order exists")
    return order


class GraphStore(ABC):
    """What the platform asks of a knowledge graph. Implementations differ only in
    ``_run`` (execute Cypher, return rows as tuples) and ``load``."""

    @abstractmethod
    def _run(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Rows of a Cypher statement."""

    @abstractmethod
    def load(self, files: Mapping[str, str | Path]) -> dict[str, int]:
        """Bulk-load table -> file (``generate.write_bulk``'s); returns ``counts()``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the backend (a no-op where nothing is held)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Raw read-only Cypher; writing statements raise ``ReadOnlyQueryError``."""
        check_read_only(cypher)
        return self._run(cypher, params)

    def counts(self) -> dict[str, int]:
        """Rows per node and relation table."""
        out = {}
        for t in NODE_TABLES:
            out[t.name] = int(self._run(f"MATCH (n:{t.name}) RETURN count(n)")[0][0])
        for r in REL_TABLES:
            out[r.name] = int(self._run(f"MATCH ()-[e:{r.name}]->() RETURN count(e)")[0][0])
        return out

    def _require(self, node_id: str, label: str | None = None) -> str:
        try:
            found = label_of(node_id)
        except ValueError as exc:
            raise UnknownNodeError(str(exc)) from None
        if label is not None and found != label:
            raise UnknownNodeError(f"{node_id!r} is a {found} id, expected a {label} id")
        if not self._run(f"MATCH (n:{found} {{id: $id}}) RETURN n.id", {"id": node_id}):
            raise UnknownNodeError(f"{found} {node_id!r} is not in the graph")
        return found

    def prerequisites(self, concept: str, depth: int = 3) -> list[Prerequisite]:
        """Concepts up to ``depth`` prerequisite steps before ``concept``, nearest first."""
        self._require(concept, "Concept")
        depth = _positive("depth", depth, _MAX_DEPTH)
        rows = self._run(
            f"MATCH p = (a:Concept)-[:PREREQUISITE_OF*1..{depth}]->(c:Concept {{id: $id}}) "
            "RETURN a.id, length(p), properties(nodes(p), 'id')",
            {"id": concept},
        )
        best: dict[str, Prerequisite] = {}
        for a, length, path in rows:
            cand = Prerequisite(a, int(length), tuple(path))
            old = best.get(a)
            if old is None or (cand.distance, cand.path) < (old.distance, old.path):
                best[a] = cand
        return sorted(best.values(), key=lambda p: (p.distance, p.concept))

    def resources_for(
        self, concept: str, kind: str | None = None, limit: int = 10
    ) -> list[dict[str, Any]]:
        """The best (highest quality) resources teaching ``concept``, of ``kind`` if given."""
        self._require(concept, "Concept")
        limit = _positive("limit", limit, 10_000)
        if kind is not None and kind not in RESOURCE_KINDS:
            raise GraphQueryError(f"kind must be one of {', '.join(RESOURCE_KINDS)}, got {kind!r}")
        where = "WHERE r.kind = $kind " if kind is not None else ""
        params: dict[str, Any] = {"id": concept}
        if kind is not None:
            params["kind"] = kind
        rows = self._run(
            f"MATCH (r:Resource)-[:TEACHES]->(c:Concept {{id: $id}}) {where}"
            "RETURN r.id, r.kind, r.title, r.difficulty, r.duration_s, r.quality "
            f"ORDER BY r.quality DESC, r.id LIMIT {limit}",
            params,
        )
        keys = ("id", "kind", "title", "difficulty", "duration_s", "quality")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def learning_path(self, target: str, mastered: Iterable[str] = ()) -> list[str]:
        """The concepts to learn before (and including) ``target``, in an order that respects
        every prerequisite. Mastered concepts are left out and cut the search: what lies
        behind a mastered concept is taken as mastered too."""
        self._require(target, "Concept")
        known = set(mastered)
        if target in known:
            return []
        needed, edges, frontier = {target}, [], [target]
        while frontier:
            rows = self._run(
                "MATCH (a:Concept)-[:PREREQUISITE_OF]->(b:Concept) WHERE b.id IN $ids "
                "RETURN a.id, b.id",
                {"ids": frontier},
            )
            frontier = []
            for a, b in rows:
                if a in known:
                    continue
                edges.append((a, b))
                if a not in needed:
                    needed.add(a)
                    frontier.append(a)
        return topological_order(needed, edges)

    def similar(self, resource: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` resources most like ``resource`` (SIMILAR_TO), best first."""
        self._require(resource, "Resource")
        k = _positive("k", k, 1000)
        rows = self._run(
            "MATCH (r:Resource {id: $id})-[s:SIMILAR_TO]->(o:Resource) "
            f"RETURN o.id, s.score ORDER BY s.score DESC, o.id LIMIT {k}",
            {"id": resource},
        )
        return [(str(o), float(s)) for o, s in rows]

    def neighbourhood(self, node: str, hops: int = 1, limit: int = 200) -> Neighbourhood:
        """Nodes and edges within ``hops`` (1 or 2) of ``node``, either direction, nearest
        first, at most ``limit`` nodes: what a console draws around a node.

        Each query is one labelled pattern anchored on the node's primary key (id lookups of
        a whole frontier with ``IN`` scan the table; anchored patterns walk adjacency lists),
        and a pattern is only extended when its prefix found something."""
        label = self._require(node)
        hops = _positive("hops", hops, 2)
        limit = _positive("limit", limit, 10_000)
        out = Neighbourhood(node)
        seen: set[tuple[str, str, str]] = set()
        prefixes: list[tuple[tuple[RelTable, bool], ...]] = [()]
        for _ in range(hops):
            extended = []
            for prefix in prefixes:
                at = label if not prefix else _far_end(prefix[-1])
                for rel in REL_TABLES:
                    for forward in (True, False):
                        if (rel.source if forward else rel.target) != at:
                            continue
                        room = limit - len(out.nodes)
                        if room <= 0:
                            break
                        path = (*prefix, (rel, forward))
                        rows = self._run(_pattern(label, path, room), {"id": node})
                        if rows:
                            extended.append(path)
                        for row in rows:
                            ids, name = row[:-1], row[-1]
                            for i, (r, fwd) in enumerate(path):
                                edge = (ids[i], r.name, ids[i + 1])
                                edge = edge if fwd else (ids[i + 1], r.name, ids[i])
                                if edge not in seen:
                                    seen.add(edge)
                                    out.edges.append(edge)
                            far = ids[-1]
                            if far != node and far not in out.nodes:
                                out.nodes[far] = {"label": _far_end(path[-1]), "name": str(name)}
            prefixes = extended
            if len(out.nodes) >= limit:
                break
        keep = set(out.nodes) | {node}
        out.edges = sorted(e for e in out.edges if e[0] in keep and e[2] in keep)
        return out


def _far_end(step: tuple[RelTable, bool]) -> str:
    rel, forward = step
    return rel.target if forward else rel.source


def _pattern(label: str, path: tuple[tuple[RelTable, bool], ...], limit: int) -> str:
    """``MATCH (n0:L {id: $id})-[:R1]->(n1:T1)<-[:R2]-(n2:T2) RETURN n0.id, n1.id, n2.id,
    n2.<name>``: one anchored path pattern, the far node new."""
    parts = [f"(n0:{label} {{id: $id}})"]
    for i, (rel, forward) in enumerate(path, start=1):
        arrow = f"-[:{rel.name}]->" if forward else f"<-[:{rel.name}]-"
        parts.append(f"{arrow}(n{i}:{_far_end((rel, forward))})")
    k = len(path)
    ids = ", ".join(f"n{i}.id" for i in range(k + 1))
    far = _far_end(path[-1])
    return (
        f"MATCH {''.join(parts)} WHERE n{k}.id <> $id RETURN {ids}, n{k}.{_NAME[far]} LIMIT {limit}"
    )


_NAME = {
    "Resource": "title",
    "Concept": "name",
    "Teacher": "name",
    "Course": "name",
    "School": "name",
}


class LadybugStore(GraphStore):
    """The embedded store: a LadybugDB (the maintained Kùzu fork) database in a folder."""

    def __init__(
        self,
        path: str | Path,
        read_only: bool = False,
        threads: int = 0,
        query_timeout_ms: int | None = None,
    ) -> None:
        """``query_timeout_ms`` bounds every statement (a server answering users' Cypher
        sets it, so a cross product over a million nodes fails instead of running on)."""
        import ladybug

        self.path = Path(path)
        self._db = ladybug.Database(str(self.path), read_only=read_only)
        self._conn = ladybug.Connection(self._db, num_threads=threads)
        if query_timeout_ms is not None:
            self._conn.set_query_timeout(query_timeout_ms)
        if not read_only:
            for statement in ddl():
                self._conn.execute(statement)

    def _run(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            result = self._conn.execute(cypher, dict(params or {}))
        except RuntimeError as exc:
            raise GraphQueryError(f"Cypher failed: {exc}") from None
        if isinstance(result, list):
            result = result[-1]
        rows = []
        while result.has_next():
            rows.append(tuple(result.get_next()))
        return rows

    def load(self, files: Mapping[str, str | Path]) -> dict[str, int]:
        tables = [t.name for t in NODE_TABLES] + [t.name for t in REL_TABLES]
        unknown = set(files) - set(tables)
        if unknown:
            raise GraphQueryError(f"load: unknown table(s) {', '.join(sorted(unknown))}")
        for name in tables:
            if name not in files:
                continue
            path = Path(files[name]).resolve()
            if not path.is_file():
                raise GraphQueryError(f"load: file for {name} not found: {path}")
            self._run(f"COPY {name} FROM '{path.as_posix()}'")
        return self.counts()

    def close(self) -> None:
        self._conn.close()
        self._db.close()


class Neo4jStore(GraphStore):
    """The server option: the same questions over Bolt with the ``neo4j`` driver (installed
    separately: ``pip install neo4j``). Bulk files are loaded with ``UNWIND`` batches."""

    def __init__(
        self, uri: str, user: str = "neo4j", password: str = "", database: str = "neo4j"
    ) -> None:
        try:
            import neo4j
        except ImportError:
            raise StoreUnavailableError(
                "Neo4jStore needs the Neo4j Python driver: pip install neo4j "
                "(or use the embedded LadybugStore)"
            ) from None
        self._driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
        self._database = database

    def _run(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        # Neo4j spells Kùzu's path helpers differently.
        cypher = re.sub(
            r"properties\((nodes|rels)\((\w+)\), '(\w+)'\)", r"[x IN \1(\2) | x.\3]", cypher
        )
        with self._driver.session(database=self._database) as session:
            return [tuple(r.values()) for r in session.run(cypher, dict(params or {}))]

    def load(self, files: Mapping[str, str | Path], batch: int = 10_000) -> dict[str, int]:
        import pandas as pd

        nodes = {t.name: t for t in NODE_TABLES}
        rels = {t.name: t for t in REL_TABLES}
        for name, path in files.items():
            frame = pd.read_parquet(path)
            for lo in range(0, len(frame), batch):
                rows = frame.iloc[lo : lo + batch].to_dict("records")
                if name in nodes:
                    self._run(f"UNWIND $rows AS row CREATE (n:{name}) SET n = row", {"rows": rows})
                else:
                    rel = rels[name]
                    props = ", ".join(f"{c}: row.{c}" for c, _ in rel.columns)
                    self._run(
                        f"UNWIND $rows AS row MATCH (a:{rel.source} {{id: row.`from`}}), "
                        f"(b:{rel.target} {{id: row.`to`}}) CREATE (a)-[:{name} {{{props}}}]->(b)",
                        {"rows": rows},
                    )
        return self.counts()

    def close(self) -> None:
        self._driver.close()
