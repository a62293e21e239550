"""Compile an analyst's rule text once, check it against the schema, and evaluate it fast.

Compilation is strict and slow (~0.3 ms); evaluation runs millions of times. So each rule is
compiled twice: once against the typed schema context, which rejects unknown fields and
mismatched types with a position, and once against an untyped context that skips rule-engine's
per-symbol type checks at run time. That is safe because every row is validated against the same
schema before evaluation, and it roughly halves evaluation time. The untyped rule's AST is then
translated into plain Python closures (`_closures`), which answer a prepared row without walking
the tree; whenever a closure meets a value or an error it does not handle, rule-engine evaluates the
rule instead, so the answer (or the error) is always rule-engine's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import rule_engine
from rule_engine import DataType
from rule_engine import ast as re_ast
from rule_engine import errors as re_errors
from rule_engine.types import coerce_value

from ._checks import iter_nodes, strictness_problem, type_words
from ._closures import translate
from ._diagnose import diagnose
from .schema import DECIMAL_CONTEXT, TransactionSchema

__all__ = ["CompiledRule", "InvalidRule", "RuleEvaluationError", "compile_rule", "prepare_row"]


class InvalidRule(ValueError):
    """A rule that cannot be compiled; `position` is a character offset into `expression`."""

    def __init__(
        self, expression: str, position: int | None, reason: str, rule_id: str | None = None
    ) -> None:
        self.expression = expression
        self.position = position
        self.reason = reason
        self.rule_id = rule_id
        where = f" at position {position}" if position is not None else ""
        owner = (
            f"rule {rule_id!r} ({expression!r})" if rule_id is not None else f"rule {expression!r}"
        )
        super().__init__(f"{owner}{where}: {reason}")

    def for_rule(self, rule_id: str) -> InvalidRule:
        """The same error, naming the rule that carries the expression."""
        return InvalidRule(self.expression, self.position, self.reason, rule_id)

    def pointer(self) -> str:
        """The offending line of the expression with a caret under the position, for a console."""
        if self.position is None:
            return self.expression
        start = self.expression.rfind("\n", 0, self.position) + 1
        end = self.expression.find("\n", self.position)
        line = self.expression[start : end if end >= 0 else len(self.expression)]
        return f"{line}\n{' ' * (self.position - start)}^"


class RuleEvaluationError(ValueError):
    """A rule failed on a particular row (e.g. division by zero); never read as 'no hit'."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"rule {expression!r} failed: {reason}")
        self.expression = expression
        self.reason = reason


def _resolve_item(thing: Mapping[str, Any], name: str) -> Any:
    try:
        return thing[name]
    except KeyError:
        raise re_errors.SymbolResolutionError(name) from None


@functools.lru_cache(maxsize=256)
def _contexts(schema: TransactionSchema) -> tuple[rule_engine.Context, rule_engine.Context]:
    names = frozenset(schema.fields)

    def untyped(name: str) -> Any:
        if name not in names:
            raise re_errors.SymbolResolutionError(name)
        return DataType.UNDEFINED

    fast = rule_engine.Context(
        type_resolver=untyped,
        resolver=_resolve_item,
        default_timezone="utc",
        decimal_context=DECIMAL_CONTEXT,
        mapping_attribute_lookup=False,
    )
    return schema.context(), fast


def prepare_row(
    schema: TransactionSchema, row: Mapping[str, Any], only: Iterable[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate a row once and convert it to rule-engine values once, for many rules.

    Returns (typed row for explanations, engine row of decimals for evaluation).
    """
    typed = schema.validate_row(row, only)
    engine = {name: coerce_value(value, verify_type=False) for name, value in typed.items()}
    return typed, engine


class CompiledRule:
    """A checked rule, ready to evaluate; build it with `compile_rule`, which caches."""

    __slots__ = ("_closure", "_rule", "expression", "field_order", "fields", "schema")

    def __init__(self, expression: str, schema: TransactionSchema) -> None:
        typed_context, fast_context = _contexts(schema)
        try:
            checked = rule_engine.Rule(expression, typed_context)
        except re_errors.EngineError as error:
            found = diagnose(expression, error, typed_context, list(schema.fields))
            raise InvalidRule(expression, found.position, found.reason) from None
        problem = strictness_problem(checked.statement)
        if problem is not None:
            found = diagnose(expression, None, typed_context, list(schema.fields), problem)
            raise InvalidRule(expression, found.position, found.reason)
        result_type = checked.statement.expression.result_type
        if result_type not in (DataType.BOOLEAN, DataType.UNDEFINED):
            raise InvalidRule(
                expression,
                0,
                f"a rule must be true or false, but this is {type_words(result_type)}",
            )
        self.expression = expression
        self.schema = schema
        self.fields: frozenset[str] = frozenset(
            node.name
            for node in iter_nodes(checked.statement.expression)
            if isinstance(node, re_ast.SymbolExpression)
            and node.scope is None
            and node.name in schema.fields
        )
        self.field_order: tuple[str, ...] = tuple(sorted(self.fields))
        self._rule = rule_engine.Rule(expression, fast_context)
        #: the same rule as closures; None when it uses a construct they do not cover
        self._closure = translate(self._rule.statement.expression, fast_context.decimal_context)

    def __repr__(self) -> str:
        return f"CompiledRule({self.expression!r})"

    def matches(self, row: Mapping[str, Any]) -> bool:
        """Whether `row` satisfies the rule; RowError if a field it reads is absent or mistyped."""
        _, engine = prepare_row(self.schema, row, self.field_order)
        return self.matches_prepared(engine)

    def values_read(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The typed values of the fields this rule reads, so a hit can say why it fired."""
        return self.schema.validate_row(row, self.field_order)

    def matches_prepared(self, engine_row: Mapping[str, Any]) -> bool:
        """Evaluate on a row already through `prepare_row` (the hot path for rule sets)."""
        closure = self._closure
        if closure is not None:
            try:
                return closure(engine_row)
            except Exception:  # rule-engine decides: its answer, or its error
                pass
        try:
            return bool(self._rule.evaluate(engine_row))
        except re_errors.EngineError as error:
            raise RuleEvaluationError(self.expression, error.message) from None


@functools.lru_cache(maxsize=8192)
def _compile_cached(expression: str, schema: TransactionSchema) -> CompiledRule:
    return CompiledRule(expression, schema)


def compile_rule(expression: str, schema: TransactionSchema) -> CompiledRule:
    """Compile (or fetch from cache) `expression` against `schema`; raises InvalidRule."""
    if not isinstance(expression, str):
        raise InvalidRule(repr(expression), None, "a rule must be text")
    return _compile_cached(expression, schema)
