"""Decision tables: the spreadsheet form of rules that analysts and auditors already read.

Each cell holds a small "unary test" on its column's field (DMN style: `-`, `< 5`, `[1..5]`,
`"CN","HK"`). Cells are translated into rule-engine expressions and compiled with the same
type checks as free-form rules, so a table cannot say what a rule could not.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from .compile import CompiledRule, InvalidRule, compile_rule, prepare_row
from .schema import FieldType, TransactionSchema

__all__ = ["DecisionTable", "HitPolicy", "TableCellError", "TableRow"]

HitPolicy = Literal["first", "collect", "priority"]
_POLICIES: tuple[str, ...] = get_args(HitPolicy)

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<word>[A-Za-z_]\w*)
    | (?P<punct>\.\.|<=|>=|!=|==|[<>=\[\](),])
    )""",
    re.VERBOSE,
)
_COMPARISONS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "==": "==", "!=": "!="}
_ORDERED = (FieldType.FLOAT, FieldType.INT, FieldType.DATETIME)


class TableCellError(ValueError):
    """A cell that is not a valid test for its column; `row` is 1-based, as analysts count."""

    def __init__(self, table: str, row: int, column: str, cell: str, reason: str) -> None:
        super().__init__(
            f"decision table {table!r}, row {row}, column {column!r} (cell {cell!r}): {reason}"
        )
        self.table, self.row, self.column, self.cell, self.reason = table, row, column, cell, reason


class _CellSyntax(ValueError):
    pass


@dataclass(frozen=True)
class TableRow:
    """One table row: a test per input column, the outputs it yields, and its priority."""

    conditions: tuple[str, ...]
    outputs: Mapping[str, Any]
    priority: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "conditions", tuple(self.conditions))
        object.__setattr__(self, "outputs", dict(self.outputs))

    def to_dict(self) -> dict[str, Any]:
        return {
            "conditions": list(self.conditions),
            "outputs": dict(self.outputs),
            "priority": self.priority,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableRow:
        _require(data, ("conditions", "outputs"), "table row")
        return cls(tuple(data["conditions"]), dict(data["outputs"]), int(data.get("priority", 0)))


def _require(data: Mapping[str, Any], keys: tuple[str, ...], what: str) -> None:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} must be a mapping, got {type(data).__name__}")
    missing = [key for key in keys if key not in data]
    if missing:
        raise ValueError(f"{what} document is missing {', '.join(map(repr, missing))}")


def _tokens(cell: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, cell.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise _CellSyntax(f"unexpected {text[pos:].strip()[:12]!r} at character {pos}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(token: tuple[str, str], kind: FieldType) -> str:
    """Render one cell literal as rule-engine text, insisting it fits the column's type."""
    tag, text = token
    if kind in (FieldType.FLOAT, FieldType.INT) and tag == "number":
        value = float(text)
        if not math.isfinite(value):
            raise _CellSyntax(f"{text} is not a finite number")
        return text
    if kind is FieldType.STR and tag == "string":
        return json.dumps(json.loads(text), ensure_ascii=False)
    if kind is FieldType.BOOL and tag == "word" and text in ("true", "false"):
        return text
    if kind is FieldType.DATETIME and tag == "string":
        try:
            moment = _dt.datetime.fromisoformat(json.loads(text))
        except ValueError:
            raise _CellSyntax(f"{text} is not an ISO-8601 datetime") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=_dt.UTC)
        return f'd"{moment.isoformat()}"'
    if kind is FieldType.STR and tag == "word":
        raise _CellSyntax(f'strings must be quoted: write "{text}"')
    wanted = {
        FieldType.FLOAT: "a number",
        FieldType.INT: "a number",
        FieldType.STR: 'a quoted string such as "CN"',
        FieldType.BOOL: "true or false",
        FieldType.DATETIME: 'a quoted ISO datetime such as "2024-01-31T00:00:00"',
    }[kind]
    raise _CellSyntax(f"expected {wanted}, got {text}")


def cell_expression(cell: str, field_name: str, kind: FieldType) -> str | None:
    """The rule-engine expression for one cell, or None for '-' (any value)."""
    if cell.strip() == "-":
        return None
    tokens = _tokens(cell)
    if not tokens:
        raise _CellSyntax("empty cell: write '-' to accept any value")
    head = tokens[0][1]
    if tokens[0][0] == "punct" and head in _COMPARISONS:
        if len(tokens) != 2:
            raise _CellSyntax(f"'{head}' takes exactly one value")
        op = _COMPARISONS[head]
        if op not in ("==", "!=") and kind not in _ORDERED:
            raise _CellSyntax(f"'{head}' needs a numeric or datetime column")
        return f"{field_name} {op} {_literal(tokens[1], kind)}"
    if tokens[0][0] == "punct" and head in "[(]":
        shape = [t[1] if t[0] == "punct" else "v" for t in tokens]
        if len(tokens) != 5 or shape[2] != ".." or shape[4] not in ("]", ")", "["):
            raise _CellSyntax("a range looks like [1..5], with [ ] inclusive and ( ) exclusive")
        if kind not in _ORDERED:
            raise _CellSyntax("ranges need a numeric or datetime column")
        low, high = _literal(tokens[1], kind), _literal(tokens[3], kind)
        if kind is not FieldType.DATETIME and float(low) > float(high):
            raise _CellSyntax(f"empty range: {low} is above {high}")
        low_op = ">=" if head == "[" else ">"
        high_op = "<=" if shape[4] == "]" else "<"
        return f"({field_name} {low_op} {low} and {field_name} {high_op} {high})"
    if any(t != ("punct", ",") for t in tokens[1::2]) or len(tokens) % 2 == 0:
        raise _CellSyntax('a list looks like "CN","HK" (values separated by commas)')
    values = [_literal(t, kind) for t in tokens[0::2]]
    if len(values) == 1:
        return f"{field_name} == {values[0]}"
    return f"{field_name} in [{', '.join(values)}]"


class DecisionTable:
    """Rows of unary tests over `inputs`; `hit_policy` picks which matching rows answer."""

    def __init__(
        self,
        name: str,
        inputs: Sequence[str],
        rules: Iterable[TableRow],
        hit_policy: HitPolicy = "first",
        *,
        schema: TransactionSchema,
    ) -> None:
        self.name, self.schema = name, schema
        self.inputs: tuple[str, ...] = tuple(inputs)
        self.rules: tuple[TableRow, ...] = tuple(rules)
        if hit_policy not in _POLICIES:
            raise ValueError(f"decision table {name!r}: hit policy must be one of {_POLICIES}")
        self.hit_policy: HitPolicy = hit_policy
        if not self.inputs or len(set(self.inputs)) != len(self.inputs):
            raise ValueError(f"decision table {name!r}: inputs must be distinct and non-empty")
        for column in self.inputs:
            if column not in schema.fields:
                raise ValueError(f"decision table {name!r}: input {column!r} is not a schema field")
        self._compiled = tuple(self._compile_row(i, row) for i, row in enumerate(self.rules, 1))

    def _compile_row(self, number: int, row: TableRow) -> CompiledRule:
        if len(row.conditions) != len(self.inputs):
            raise TableCellError(
                self.name,
                number,
                "*",
                "",
                f"has {len(row.conditions)} cells for "
                f"{len(self.inputs)} inputs ({', '.join(self.inputs)})",
            )
        parts = []
        for column, cell in zip(self.inputs, row.conditions, strict=True):
            if not isinstance(cell, str):
                raise TableCellError(self.name, number, column, repr(cell), "cells must be text")
            try:
                expression = cell_expression(cell, column, self.schema.fields[column])
                if expression is not None:
                    compile_rule(expression, self.schema)
                    parts.append(f"({expression})")
            except (_CellSyntax, InvalidRule) as error:
                reason = error.reason if isinstance(error, InvalidRule) else str(error)
                raise TableCellError(self.name, number, column, cell, reason) from None
        return compile_rule(" and ".join(parts) or "true", self.schema)

    def __repr__(self) -> str:
        return (
            f"DecisionTable({self.name!r}, rows={len(self.rules)}, hit_policy={self.hit_policy!r})"
        )

    def evaluate(self, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Outputs of the answering rows: first match, all matches in order, or top priority."""
        _, engine = prepare_row(self.schema, row, self.inputs)
        answers: list[TableRow] = []
        for table_row, compiled in zip(self.rules, self._compiled, strict=True):
            if compiled.matches_prepared(engine):
                answers.append(table_row)
                if self.hit_policy == "first":
                    break
        if self.hit_policy == "priority" and answers:
            top = max(r.priority for r in answers)
            answers = [next(r for r in answers if r.priority == top)]
        return [dict(r.outputs) for r in answers]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "inputs": list(self.inputs),
            "hit_policy": self.hit_policy,
            "schema": self.schema.to_dict(),
            "rules": [r.to_dict() for r in self.rules],
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], schema: TransactionSchema | None = None
    ) -> DecisionTable:
        _require(
            data, ("name", "inputs", "rules") + (() if schema else ("schema",)), "decision table"
        )
        schema = schema or TransactionSchema.from_dict(data["schema"])
        rows = [TableRow.from_dict(r) for r in data["rules"]]
        return cls(
            data["name"], data["inputs"], rows, data.get("hit_policy", "first"), schema=schema
        )
