"""The knowledge graph's tables, in one place, as Cypher DDL both stores run.

Ids are strings unique across the whole graph (each table has its own prefix: ``k`` concepts,
``r`` resources, ``t`` teachers, ``c`` courses, ``h`` schools), so a console can look any node
up by id alone. The bulk files ``generate`` writes have exactly these columns in this order
(relations: ``from``, ``to``, then the properties), which is what ``COPY ... FROM`` needs.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ID_PREFIXES",
    "NODE_TABLES",
    "PREREQUISITE_SOURCES",
    "REL_TABLES",
    "RESOURCE_KINDS",
    "NodeTable",
    "RelTable",
    "ddl",
    "label_of",
]

RESOURCE_KINDS = ("video", "exercise", "document")
PREREQUISITE_SOURCES = ("curriculum", "inferred")


@dataclass(frozen=True)
class NodeTable:
    """A node table: its name and (column, Cypher type) pairs; the first column is the key."""

    name: str
    columns: tuple[tuple[str, str], ...]

    def create(self) -> str:
        cols = ", ".join(f"{c} {t}" for c, t in self.columns)
        key = self.columns[0][0]
        return f"CREATE NODE TABLE IF NOT EXISTS {self.name}({cols}, PRIMARY KEY({key}))"


@dataclass(frozen=True)
class RelTable:
    """A relation table: its name, endpoint tables and property columns."""

    name: str
    source: str
    target: str
    columns: tuple[tuple[str, str], ...] = ()

    def create(self) -> str:
        props = "".join(f", {c} {t}" for c, t in self.columns)
        ends = f"FROM {self.source} TO {self.target}"
        return f"CREATE REL TABLE IF NOT EXISTS {self.name}({ends}{props})"


NODE_TABLES: tuple[NodeTable, ...] = (
    NodeTable(
        "Concept",
        (("id", "STRING"), ("name", "STRING"), ("subject", "STRING"), ("grade", "INT64")),
    ),
    NodeTable(
        "Resource",
        (
            ("id", "STRING"),
            ("kind", "STRING"),
            ("title", "STRING"),
            ("text", "STRING"),
            ("difficulty", "DOUBLE"),
            ("duration_s", "INT64"),
            ("quality", "DOUBLE"),
        ),
    ),
    NodeTable(
        "Teacher",
        (("id", "STRING"), ("name", "STRING"), ("school", "STRING"), ("subject", "STRING")),
    ),
    NodeTable(
        "Course",
        (("id", "STRING"), ("name", "STRING"), ("subject", "STRING"), ("grade", "INT64")),
    ),
    NodeTable("School", (("id", "STRING"), ("name", "STRING"), ("city", "STRING"))),
)

REL_TABLES: tuple[RelTable, ...] = (
    RelTable("PREREQUISITE_OF", "Concept", "Concept", (("weight", "DOUBLE"), ("source", "STRING"))),
    RelTable("TEACHES", "Resource", "Concept"),
    RelTable("AUTHORED", "Teacher", "Resource"),
    RelTable("COVERS", "Course", "Concept"),
    RelTable("TAUGHT_BY", "Course", "Teacher"),
    RelTable("RUNS", "School", "Course"),
    RelTable("SIMILAR_TO", "Resource", "Resource", (("score", "DOUBLE"),)),
)

ID_PREFIXES = {"k": "Concept", "r": "Resource", "t": "Teacher", "c": "Course", "h": "School"}


def ddl() -> list[str]:
    """The statements that create every table (idempotent), nodes first."""
    return [t.create() for t in NODE_TABLES] + [t.create() for t in REL_TABLES]


def label_of(node_id: str) -> str:
    """The node table an id belongs to, from its prefix; ``ValueError`` when unknown."""
    label = ID_PREFIXES.get(node_id[:1])
    if label is None:
        raise ValueError(
            f"node id {node_id!r}: unknown prefix (expected one of {', '.join(ID_PREFIXES)})"
        )
    return label
