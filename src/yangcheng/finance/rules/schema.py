"""The typed shape of a transaction, shared by rules, tables and scorecards.

Rules are written by analysts against named fields. Declaring those fields once, with types, lets a
typo or a wrong comparison fail when the rule is saved rather than at 3 a.m. on live traffic, and
lets every row be checked once, at the door, instead of every rule guessing at missing values.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import rule_engine
from rule_engine import DataType
from rule_engine.parser import Parser

__all__ = ["FieldType", "MissingField", "RowError", "TransactionSchema", "WrongType"]


class FieldType(StrEnum):
    """Field types an analyst can use; rule-engine sees both numeric kinds as one decimal FLOAT."""

    FLOAT = "float"
    INT = "int"
    STR = "str"
    BOOL = "bool"
    DATETIME = "datetime"


_ENGINE_TYPES: dict[FieldType, Any] = {
    FieldType.FLOAT: DataType.FLOAT,
    FieldType.INT: DataType.FLOAT,
    FieldType.STR: DataType.STRING,
    FieldType.BOOL: DataType.BOOLEAN,
    FieldType.DATETIME: DataType.DATETIME,
}

_EXPECTED_WORDS: dict[FieldType, str] = {
    FieldType.FLOAT: "a finite number",
    FieldType.INT: "an integer",
    FieldType.STR: "a string",
    FieldType.BOOL: "true or false",
    FieldType.DATETIME: "a datetime or ISO-8601 string",
}

# words the rule language claims, so a field with one of these names could never be referenced
_RESERVED = frozenset(Parser.reserved_words) | {"elif", "else", "while"}

#: One decimal context for every evaluation, so results do not depend on the calling thread's.
DECIMAL_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


class RowError(ValueError):
    """A transaction row that cannot be evaluated; `.field` names the culprit for the caller."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MissingField(RowError):
    """A required field is absent (or null): a missing amount must never read as zero."""

    def __init__(self, name: str) -> None:
        super().__init__(name, f"transaction is missing field {name!r}")


class WrongType(RowError):
    """A field holds a value of the wrong type, such as the string '100' for a numeric amount."""

    def __init__(self, name: str, expected: str, got: str) -> None:
        super().__init__(name, f"field {name!r} must be {expected}, got {got}")
        self.expected = expected
        self.got = got


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def _coerce(name: str, kind: FieldType, value: Any) -> Any:
    """Convert one value to its field type or say exactly why not.

    Strings are never parsed as numbers: an amount arriving as text almost always means an upstream
    parsing bug, and guessing would hide it.
    """
    if kind is FieldType.STR:
        if isinstance(value, str):
            return value
    elif kind is FieldType.BOOL:
        if isinstance(value, bool):
            return value
    elif kind is FieldType.FLOAT:
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
            if math.isfinite(number):
                return number
    elif kind is FieldType.INT:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif kind is FieldType.DATETIME:
        moment = value
        if isinstance(value, str):
            try:
                moment = _dt.datetime.fromisoformat(value)
            except ValueError:
                moment = None
        if isinstance(moment, _dt.datetime):
            # naive times are read as UTC, the same default the rule context uses
            return moment if moment.tzinfo else moment.replace(tzinfo=_dt.UTC)
    raise WrongType(name, _EXPECTED_WORDS[kind], _describe(value))


class TransactionSchema:
    """Named, typed transaction fields; hashable so compiled rules can be cached per schema."""

    __slots__ = ("_hash", "fields")

    def __init__(self, fields: Mapping[str, FieldType | str]) -> None:
        if not fields:
            raise ValueError("a transaction schema needs at least one field")
        typed: dict[str, FieldType] = {}
        for name, kind in fields.items():
            if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
                raise ValueError(f"field name {name!r} must be an identifier not starting with '_'")
            if name in _RESERVED:
                raise ValueError(f"field name {name!r} is a word of the rule language")
            try:
                typed[name] = FieldType(kind)
            except ValueError:
                allowed = ", ".join(t.value for t in FieldType)
                raise ValueError(
                    f"field {name!r} has unknown type {kind!r}; use {allowed}"
                ) from None
        self.fields: Mapping[str, FieldType] = typed
        self._hash = hash(tuple(sorted((k, v.value) for k, v in typed.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TransactionSchema) and dict(self.fields) == dict(other.fields)

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v.value}" for k, v in self.fields.items())
        return f"TransactionSchema({inner})"

    def engine_type(self, name: str) -> Any:
        """The rule-engine DataType of a field (ints are FLOAT there: decimals, not ints)."""
        return _ENGINE_TYPES[self.fields[name]]

    def context(self) -> rule_engine.Context:
        """A rule-engine context that rejects unknown fields and mistyped comparisons."""
        return rule_engine.Context(
            type_resolver={name: self.engine_type(name) for name in self.fields},
            default_timezone="utc",
            decimal_context=DECIMAL_CONTEXT,
            mapping_attribute_lookup=False,
        )

    def validate_row(
        self, row: Mapping[str, Any], only: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """A typed copy of `row` with the schema's fields (or just `only`), or raise RowError.

        Fields outside the schema are dropped: no rule can read them, and carrying them would
        let an unchecked value slip into an explanation.
        """
        names = self.fields if only is None else only
        typed: dict[str, Any] = {}
        for name in names:
            kind = self.fields.get(name)
            if kind is None:
                raise KeyError(f"{name!r} is not a field of {self!r}")
            value = row.get(name)
            if value is None:
                raise MissingField(name)
            typed[name] = _coerce(name, kind, value)
        return typed

    def to_dict(self) -> dict[str, str]:
        return {name: kind.value for name, kind in self.fields.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> TransactionSchema:
        return cls(dict(data))
