"""A versioned set of analyst rules evaluated together against one transaction.

Rules are compiled when the set is built, not when traffic arrives, so a broken rule blocks the
release of a rule set rather than a payment. Each hit carries the values it read, because an
analyst reviewing a decline needs to see "amount_cny=52000" rather than re-derive it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from .compile import CompiledRule, InvalidRule, compile_rule, prepare_row
from .schema import TransactionSchema

__all__ = ["Outcome", "Rule", "RuleHit", "RuleSet", "RuleSetError"]

Outcome = Literal["approve", "review", "decline", "tag"]
_OUTCOMES: tuple[str, ...] = get_args(Outcome)


class RuleSetError(ValueError):
    """A rule set whose structure is wrong: duplicate ids, bad outcome or severity, bad document."""


@dataclass(frozen=True)
class Rule:
    """One analyst rule: when `expression` holds, propose `outcome` with `severity` 0..100."""

    id: str
    expression: str
    outcome: Outcome
    severity: int
    description: str = ""
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise RuleSetError(f"rule id must be a non-empty string, got {self.id!r}")
        if self.outcome not in _OUTCOMES:
            raise RuleSetError(
                f"rule {self.id!r}: outcome {self.outcome!r} is not one of {', '.join(_OUTCOMES)}"
            )
        severity = self.severity
        if isinstance(severity, bool) or not isinstance(severity, int) or not 0 <= severity <= 100:
            raise RuleSetError(
                f"rule {self.id!r}: severity must be an integer 0..100, got {severity!r}"
            )
        if isinstance(self.tags, str):
            raise RuleSetError(f"rule {self.id!r}: tags must be a list of strings, not one string")
        object.__setattr__(self, "tags", tuple(self.tags))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "expression": self.expression,
            "outcome": self.outcome,
            "severity": self.severity,
            "description": self.description,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        missing = [key for key in ("id", "expression", "outcome", "severity") if key not in data]
        if missing:
            raise RuleSetError(f"rule {data.get('id', '?')!r} is missing {', '.join(missing)}")
        unknown = set(data) - {"id", "expression", "outcome", "severity", "description", "tags"}
        if unknown:
            raise RuleSetError(f"rule {data['id']!r} has unknown keys {', '.join(sorted(unknown))}")
        return cls(
            id=data["id"],
            expression=data["expression"],
            outcome=data["outcome"],
            severity=data["severity"],
            description=data.get("description", ""),
            tags=tuple(data.get("tags", ())),
        )


@dataclass(frozen=True)
class RuleHit:
    """A rule that fired, with the values it read so the decision can be explained."""

    rule_id: str
    outcome: Outcome
    severity: int
    description: str
    values_read: Mapping[str, Any] = field(default_factory=dict)


class RuleSet:
    """Named, versioned rules compiled once against a schema; rule order is evaluation order."""

    def __init__(
        self, name: str, version: str, rules: Iterable[Rule], schema: TransactionSchema
    ) -> None:
        self.name = name
        self.version = str(version)
        self.schema = schema
        self.rules: tuple[Rule, ...] = tuple(rules)
        seen: set[str] = set()
        compiled: list[tuple[Rule, CompiledRule]] = []
        for rule in self.rules:
            if rule.id in seen:
                raise RuleSetError(f"rule set {name!r}: duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            try:
                compiled.append((rule, compile_rule(rule.expression, schema)))
            except InvalidRule as error:
                raise error.for_rule(rule.id) from None
        self._compiled = tuple(compiled)
        #: the fields any rule reads: only these must be present in a row
        self.fields: frozenset[str] = frozenset().union(*(c.fields for _, c in compiled))
        self._fields = tuple(sorted(self.fields))

    def __repr__(self) -> str:
        return f"RuleSet({self.name!r}, version={self.version!r}, rules={len(self.rules)})"

    def __len__(self) -> int:
        return len(self.rules)

    def evaluate(self, row: Mapping[str, Any]) -> list[RuleHit]:
        """Every rule that fires on `row`, in rule order.

        The row is validated once for the fields the set reads; a missing or mistyped one raises
        RowError, and a rule failing on this row raises RuleEvaluationError naming the rule.
        """
        typed, engine = prepare_row(self.schema, row, self._fields)
        hits: list[RuleHit] = []
        for rule, compiled in self._compiled:
            if compiled.matches_prepared(engine):
                values = {name: typed[name] for name in compiled.field_order}
                hits.append(RuleHit(rule.id, rule.outcome, rule.severity, rule.description, values))
        return hits

    def to_dict(self) -> dict[str, Any]:
        """A JSON/YAML-friendly document; `from_dict` restores an equal rule set."""
        return {
            "name": self.name,
            "version": self.version,
            "schema": self.schema.to_dict(),
            "rules": [rule.to_dict() for rule in self.rules],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], schema: TransactionSchema | None = None) -> RuleSet:
        """Build from `to_dict` output; `schema` overrides the document's own, if given."""
        for key in ("name", "version", "rules"):
            if key not in data:
                raise RuleSetError(f"rule set document is missing {key!r}")
        if schema is None:
            if "schema" not in data:
                raise RuleSetError("rule set document has no 'schema' and none was given")
            schema = TransactionSchema.from_dict(data["schema"])
        rules: Sequence[Mapping[str, Any]] = data["rules"]
        return cls(data["name"], data["version"], [Rule.from_dict(r) for r in rules], schema)
