"""A compiled rule-engine AST as a tree of plain Python closures: same answers, no tree walk.

rule-engine evaluates a rule by walking its AST: every node is a method call that re-checks types,
and each evaluation enters a fresh decimal context. For the rules analysts write (comparisons of
fields with numbers and strings, joined by and/or) that walk costs several microseconds, nearly all
of it overhead. `translate` turns the AST into nested closures once, at compile time; calling the
result with a prepared row is a handful of Python function calls. No source text is generated: each
node type has a hand-written closure factory.

The closures are an optimisation, never a second semantics. They implement only the *successful*
paths of rule-engine, for the values a prepared row holds (finite Decimal, str, bool, aware
datetime, timedelta, bytes, null) and the values the supported nodes derive from them. Anything
else -- a value of another type, a type mismatch rule-engine reports, a division by zero, a
missing field -- raises `Bail` (or lets Python's own exception out), and the caller re-evaluates
the whole rule with rule-engine, which then produces its own answer or its own error. Evaluation
has no side effects, so running part of a rule twice is harmless. The invariant is therefore:

    when a closure *returns*, rule-engine would have returned the same value on that row.

Node types without a closure make `translate` return None: the rule keeps rule-engine evaluation.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re
from collections.abc import Callable, Mapping
from typing import Any

from rule_engine import DataType
from rule_engine import ast as re_ast

__all__ = ["Bail", "Closure", "Unsupported", "translate"]

Row = Mapping[str, Any]
Closure = Callable[[Row], Any]

_Decimal = decimal.Decimal
_DATETIME = _dt.datetime
_TIMEDELTA = _dt.timedelta
_NONE = type(None)

#: classes a symbol value keeps through rule-engine's `coerce_value` unchanged (Decimal and
#: datetime need a closer look: only finite decimals and aware datetimes are taken as they are)
_PLAIN: frozenset[type] = frozenset({str, bool, _NONE, bytes, _TIMEDELTA})
#: classes rule-engine orders with Python's own operators once both sides share the class
_ORDERABLE: frozenset[type] = frozenset({_Decimal, str, bool, bytes, _DATETIME, _TIMEDELTA})
#: decimal signals that must trap so arithmetic can never yield a NaN or an infinity
_REQUIRED_TRAPS = (decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow)


class Bail(Exception):
    """A closure met a value outside the paths it implements; re-evaluate with rule-engine."""


class Unsupported(Exception):
    """The AST holds a node (or a literal) the translator does not handle."""


def _is_plain(value: Any) -> bool:
    """Whether `value` is what rule-engine's symbol resolution would return for it, unchanged."""
    kind = value.__class__
    if kind is _Decimal:
        return bool(value.is_finite())
    if kind in _PLAIN:
        return True
    if kind is _DATETIME:
        return value.tzinfo is not None
    if kind is tuple or kind is set:
        return all(_is_plain(member) for member in value)
    return False


def translate(
    expression: re_ast.ExpressionBase, decimal_context: decimal.Context
) -> Callable[[Row], bool] | None:
    """A closure returning `bool(expression.evaluate(row))`, or None when a node is unsupported.

    `expression` must come from a rule parsed with a context whose symbols are untyped
    (DataType.UNDEFINED) and resolved as `row[name]`; `decimal_context` is that context's
    decimal context, the one rule-engine evaluates arithmetic in.
    """
    try:
        closure, is_bool = _Translator(decimal_context).node(expression)
    except (Unsupported, RecursionError):
        return None
    if is_bool:
        return closure

    def truth(row: Row) -> bool:
        return bool(closure(row))

    return truth


Translated = tuple[Closure, bool]
"""A closure and whether it always returns a bool."""


class _Translator:
    def __init__(self, decimal_context: decimal.Context) -> None:
        # a private copy: the context methods set status flags on it, never on a shared one
        self.context = decimal_context.copy()
        self.arithmetic = all(self.context.traps[signal] for signal in _REQUIRED_TRAPS)

    # -- dispatch ---------------------------------------------------------------------------

    def node(self, node: re_ast.ExpressionBase) -> Translated:
        handler = _HANDLERS.get(type(node))
        if handler is None:
            raise Unsupported(type(node).__name__)
        return handler(self, node)

    def closure(self, node: re_ast.ExpressionBase) -> Closure:
        return self.node(node)[0]

    # -- leaves -----------------------------------------------------------------------------

    @staticmethod
    def constant(node: re_ast.ExpressionBase) -> tuple[bool, Any]:
        """(True, value) for a literal node whose value never changes, else (False, None)."""
        if type(node) in _SCALAR_LITERALS:
            assert isinstance(node, re_ast.LiteralExpressionBase)
            value = node.value
        elif type(node) in _COLLECTION_LITERALS and node.is_reduced:
            # rule-engine builds a fresh tuple (or set) per evaluation; nothing mutates one
            value = node.evaluate(None)
        else:
            return False, None
        if not _is_plain(value):
            raise Unsupported(f"literal {value!r}")
        return True, value

    def literal(self, node: re_ast.ExpressionBase) -> Translated:
        found, value = self.constant(node)
        if not found:
            raise Unsupported(type(node).__name__)

        def literal(row: Row) -> Any:
            return value

        return literal, value.__class__ is bool

    @staticmethod
    def symbol_name(node: re_ast.ExpressionBase) -> str | None:
        """The field a plain symbol reads; None for any other node."""
        if type(node) is not re_ast.SymbolExpression:
            return None
        if node.scope is not None or node.result_type != DataType.UNDEFINED:
            # $builtins, or a typed symbol that rule-engine type-checks at run time
            raise Unsupported(f"symbol {node.name!r}")
        return str(node.name)

    def symbol(self, node: re_ast.ExpressionBase) -> Translated:
        name = self.symbol_name(node)
        assert name is not None

        def read(row: Row) -> Any:
            value = row[name]
            kind = value.__class__
            if kind is _Decimal:
                if value.is_finite():
                    return value
            elif kind in _PLAIN or (kind is _DATETIME and value.tzinfo is not None):
                return value
            raise Bail(name)

        return read, False

    def array(self, node: re_ast.ExpressionBase) -> Translated:
        if self.constant(node)[0]:
            return self.literal(node)
        assert isinstance(node, re_ast.ArrayExpression)
        members = tuple(self.closure(member) for member in node.value)

        def array(row: Row) -> tuple[Any, ...]:
            return tuple([member(row) for member in members])

        return array, False

    # -- comparisons ------------------------------------------------------------------------

    def equality(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.ComparisonExpression)
        if node.type not in ("eq", "ne"):
            raise Unsupported(f"comparison {node.type}")
        negate = node.type == "ne"
        name = self.symbol_name(node.left)
        found, value = self.constant(node.right)
        if name is not None and found:
            return _field_equals(name, value, negate), True
        left, right = self.closure(node.left), self.closure(node.right)
        if negate:

            def not_equal(row: Row) -> bool:
                a = left(row)
                b = right(row)
                return type(a) is not type(b) or a != b

            return not_equal, True

        def equal(row: Row) -> bool:
            a = left(row)
            b = right(row)
            return type(a) is type(b) and a == b

        return equal, True

    def ordering(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.ArithmeticComparisonExpression)
        op = node.type
        if op not in _ORDER_OPS:
            raise Unsupported(f"comparison {op}")
        name = self.symbol_name(node.left)
        found, value = self.constant(node.right)
        if name is not None and found and value.__class__ in _ORDERABLE:
            return _field_order(name, op, value), True
        compare = _ORDER_OPS[op]
        left, right = self.closure(node.left), self.closure(node.right)

        def ordered(row: Row) -> bool:
            a = left(row)
            b = right(row)
            kind = a.__class__
            # null/null and array/array have rule-engine's own ordering: left to it
            if kind is b.__class__ and kind in _ORDERABLE:
                return compare(a, b)
            raise Bail(op)

        return ordered, True

    def regex(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.FuzzyComparisonExpression)
        if type(node.right) is not re_ast.StringExpression:
            raise Unsupported("regex from an expression")
        pattern: re.Pattern[str] = node._right
        op = node.type
        if op not in ("eq_fzm", "eq_fzs", "ne_fzm", "ne_fzs"):
            raise Unsupported(f"regex {op}")
        find = pattern.match if op.endswith("fzm") else pattern.search
        wanted = op.startswith("eq")
        left = self.closure(node.left)

        # rule-engine also stores the match groups for `$re_groups`; only a rule that reads
        # `$re_groups` could see them, and such a rule is never translated (builtin symbol)
        def matches(row: Row) -> bool:
            text = left(row)
            if text.__class__ is str:
                return (find(text) is not None) is wanted
            raise Bail(op)

        return matches, True

    def contains(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.ContainsExpression)
        found, container_value = self.constant(node.container)
        member = self.closure(node.member)
        if found and container_value.__class__ in (tuple, set):
            items = container_value

            def in_items(row: Row) -> bool:
                # the same `in` as rule-engine's, on equal values (plain ones: `==` never raises)
                return member(row) in items

            return in_items, True
        container = self.closure(node.container)

        def contained(row: Row) -> bool:
            box = container(row)
            item = member(row)
            kind = box.__class__
            if kind is tuple or kind is set:
                return item in box
            if kind is str and item.__class__ is str:
                return item in box
            raise Bail("in")

        return contained, True

    # -- logic and control ------------------------------------------------------------------

    def logic(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.LogicExpression)
        op = node.type
        if op not in ("and", "or"):
            raise Unsupported(f"logic {op}")
        # `a and b and c` parses as `(a and b) and c`: flatten the chain, keep the order
        parts: list[re_ast.ExpressionBase] = []
        pending: list[re_ast.ExpressionBase] = [node]
        while pending:
            current = pending.pop()
            if type(current) is re_ast.LogicExpression and current.type == op:
                assert isinstance(current, re_ast.LogicExpression)
                pending.append(current.right)
                pending.append(current.left)
            else:
                parts.append(current)
        translated = [self.node(part) for part in parts]
        closures = tuple(closure for closure, _ in translated)
        all_bool = all(is_bool for _, is_bool in translated)
        # truthiness of plain values is pure, so testing each part once (Python's and/or) and
        # taking bool() of the last value tested is rule-engine's bool(bool(a and b) and c)
        combined = (_and_chain if op == "and" else _or_chain)(closures)
        if all_bool:
            return combined, True

        def truth(row: Row) -> bool:
            return bool(combined(row))

        return truth, True

    def unary(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.UnaryExpression)
        operand = self.closure(node.right)
        if node.type == "not":

            def negation(row: Row) -> bool:
                return not operand(row)

            return negation, True
        if node.type == "uminus" and self.arithmetic:
            minus = self.context.minus

            def negative(row: Row) -> Any:
                value = operand(row)
                kind = value.__class__
                if kind is _Decimal:
                    return minus(value)
                if kind is _TIMEDELTA:
                    return -value
                raise Bail("uminus")

            return negative, False
        raise Unsupported(f"unary {node.type}")

    def ternary(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.TernaryExpression)
        condition = self.closure(node.condition)
        when_true, true_bool = self.node(node.case_true)
        when_false, false_bool = self.node(node.case_false)

        def choose(row: Row) -> Any:
            return when_true(row) if condition(row) else when_false(row)

        return choose, true_bool and false_bool

    def coalesce(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.CoalesceExpression)
        left, left_bool = self.node(node.left)
        right, right_bool = self.node(node.right)

        def coalesced(row: Row) -> Any:
            value = left(row)
            return right(row) if value is None else value

        return coalesced, left_bool and right_bool

    def attribute(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.GetAttributeExpression)
        if node.name != "length" or node._object_type is not None:
            raise Unsupported(f"attribute {node.name!r}")
        target = self.closure(node.object)

        def length(row: Row) -> Any:
            value = target(row)
            if value.__class__ is str:
                return _Decimal(len(value))
            raise Bail("length")

        return length, False

    # -- arithmetic -------------------------------------------------------------------------

    def add(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.AddExpression)
        if node.type != "add" or not self.arithmetic:
            raise Unsupported(f"arithmetic {node.type}")
        plus = self.context.add
        left, right = self.closure(node.left), self.closure(node.right)

        def added(row: Row) -> Any:
            a = left(row)
            b = right(row)
            kind, other = a.__class__, b.__class__
            if kind is _Decimal and other is _Decimal:
                return plus(a, b)
            if (
                (kind is other and kind in (str, bytes, _TIMEDELTA))
                or (kind is _DATETIME and other is _TIMEDELTA)
                or (kind is _TIMEDELTA and other is _DATETIME)
            ):
                return a + b
            raise Bail("add")

        return added, False

    def subtract(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.SubtractExpression)
        if node.type != "sub" or not self.arithmetic:
            raise Unsupported(f"arithmetic {node.type}")
        minus = self.context.subtract
        left, right = self.closure(node.left), self.closure(node.right)

        def subtracted(row: Row) -> Any:
            a = left(row)
            b = right(row)
            kind, other = a.__class__, b.__class__
            if kind is _Decimal and other is _Decimal:
                return minus(a, b)
            if (kind is _DATETIME and other in (_DATETIME, _TIMEDELTA)) or (
                kind is _TIMEDELTA and other is _TIMEDELTA
            ):
                return a - b
            raise Bail("sub")

        return subtracted, False

    def arithmetic_op(self, node: re_ast.ExpressionBase) -> Translated:
        assert isinstance(node, re_ast.ArithmeticExpression)
        if node.type not in _ARITHMETIC or not self.arithmetic:
            raise Unsupported(f"arithmetic {node.type}")
        # the context's own method: rule-engine's operator, in rule-engine's decimal context
        operate: Callable[[Any, Any], Any] = getattr(self.context, _ARITHMETIC[node.type])
        left_found, left_value = self.constant(node.left)
        right_found, right_value = self.constant(node.right)
        if right_found and right_value.__class__ is _Decimal:
            left = self.closure(node.left)

            def by_constant(row: Row) -> Any:
                a = left(row)
                if a.__class__ is _Decimal:
                    return operate(a, right_value)
                raise Bail(node.type)

            return by_constant, False
        if left_found and left_value.__class__ is _Decimal:
            right = self.closure(node.right)

            def constant_by(row: Row) -> Any:
                b = right(row)
                if b.__class__ is _Decimal:
                    return operate(left_value, b)
                raise Bail(node.type)

            return constant_by, False
        left, right = self.closure(node.left), self.closure(node.right)

        def computed(row: Row) -> Any:
            a = left(row)
            b = right(row)
            if a.__class__ is _Decimal and b.__class__ is _Decimal:
                return operate(a, b)
            raise Bail(node.type)

        return computed, False


# rule-engine operator names -> decimal.Context methods (a ZeroDivisionError or any other
# decimal signal escapes, and rule-engine then raises its own ArithmeticError)
_ARITHMETIC = {
    "mul": "multiply",
    "tdiv": "divide",
    "fdiv": "divide_int",
    "mod": "remainder",
    "pow": "power",
}


def _gt(a: Any, b: Any) -> Any:
    return a > b


def _ge(a: Any, b: Any) -> Any:
    return a >= b


def _lt(a: Any, b: Any) -> Any:
    return a < b


def _le(a: Any, b: Any) -> Any:
    return a <= b


_ORDER_OPS: dict[str, Callable[[Any, Any], Any]] = {"gt": _gt, "ge": _ge, "lt": _lt, "le": _le}

_SCALAR_LITERALS: frozenset[type] = frozenset(
    {
        re_ast.BooleanExpression,
        re_ast.BytesExpression,
        re_ast.DatetimeExpression,
        re_ast.FloatExpression,
        re_ast.NullExpression,
        re_ast.StringExpression,
        re_ast.TimedeltaExpression,
    }
)

_COLLECTION_LITERALS: frozenset[type] = frozenset({re_ast.ArrayExpression, re_ast.SetExpression})

_HANDLERS: dict[type, Callable[[_Translator, Any], Translated]] = {
    **{literal: _Translator.literal for literal in _SCALAR_LITERALS},
    re_ast.ArrayExpression: _Translator.array,
    re_ast.SetExpression: _Translator.literal,
    re_ast.SymbolExpression: _Translator.symbol,
    re_ast.ComparisonExpression: _Translator.equality,
    re_ast.ArithmeticComparisonExpression: _Translator.ordering,
    re_ast.FuzzyComparisonExpression: _Translator.regex,
    re_ast.ContainsExpression: _Translator.contains,
    re_ast.LogicExpression: _Translator.logic,
    re_ast.UnaryExpression: _Translator.unary,
    re_ast.TernaryExpression: _Translator.ternary,
    re_ast.CoalesceExpression: _Translator.coalesce,
    re_ast.GetAttributeExpression: _Translator.attribute,
    re_ast.AddExpression: _Translator.add,
    re_ast.SubtractExpression: _Translator.subtract,
    re_ast.ArithmeticExpression: _Translator.arithmetic_op,
}


# -- fused closures for the shapes analysts write most: `field <op> literal` ------------------


def _field_equals(name: str, value: Any, negate: bool) -> Closure:
    """`name == value` (or !=) reading the field inline: one call instead of three."""
    kind = value.__class__
    if kind is _Decimal:
        if negate:

            def decimal_ne(row: Row) -> bool:
                found = row[name]
                cls = found.__class__
                if cls is _Decimal:
                    if found.is_finite():
                        return found != value
                elif cls in _PLAIN or (cls is _DATETIME and found.tzinfo is not None):
                    return True
                raise Bail(name)

            return decimal_ne

        def decimal_eq(row: Row) -> bool:
            found = row[name]
            cls = found.__class__
            if cls is _Decimal:
                if found.is_finite():
                    return found == value
            elif cls in _PLAIN or (cls is _DATETIME and found.tzinfo is not None):
                return False
            raise Bail(name)

        return decimal_eq

    simple = kind in _PLAIN  # no members, no time zone: the class alone says it is plain
    if negate:

        def other_ne(row: Row) -> bool:
            found = row[name]
            cls = found.__class__
            if cls is kind and simple:
                return found != value
            if _is_plain(found):
                return cls is not kind or found != value
            raise Bail(name)

        return other_ne

    def other_eq(row: Row) -> bool:
        found = row[name]
        cls = found.__class__
        if cls is kind and simple:
            return found == value
        if _is_plain(found):
            return cls is kind and found == value
        raise Bail(name)

    return other_eq


def _field_order(name: str, op: str, value: Any) -> Closure:
    """`name <op> value` for an orderable literal, reading the field inline."""
    kind = value.__class__
    if kind is _Decimal:
        return _DECIMAL_ORDER[op](name, value)
    compare = _ORDER_OPS[op]

    def ordered(row: Row) -> bool:
        found = row[name]
        if found.__class__ is kind and _is_plain(found):
            return compare(found, value)
        raise Bail(name)

    return ordered


def _decimal_gt(name: str, value: Any) -> Closure:
    def gt(row: Row) -> bool:
        found = row[name]
        if found.__class__ is _Decimal and found.is_finite():
            return found > value
        raise Bail(name)

    return gt


def _decimal_ge(name: str, value: Any) -> Closure:
    def ge(row: Row) -> bool:
        found = row[name]
        if found.__class__ is _Decimal and found.is_finite():
            return found >= value
        raise Bail(name)

    return ge


def _decimal_lt(name: str, value: Any) -> Closure:
    def lt(row: Row) -> bool:
        found = row[name]
        if found.__class__ is _Decimal and found.is_finite():
            return found < value
        raise Bail(name)

    return lt


def _decimal_le(name: str, value: Any) -> Closure:
    def le(row: Row) -> bool:
        found = row[name]
        if found.__class__ is _Decimal and found.is_finite():
            return found <= value
        raise Bail(name)

    return le


_DECIMAL_ORDER: dict[str, Callable[[str, Any], Closure]] = {
    "gt": _decimal_gt,
    "ge": _decimal_ge,
    "lt": _decimal_lt,
    "le": _decimal_le,
}


# -- and/or chains, unrolled for the common lengths -------------------------------------------


def _and_chain(parts: tuple[Closure, ...]) -> Closure:
    if len(parts) == 2:
        first, second = parts

        def and2(row: Row) -> Any:
            return first(row) and second(row)

        return and2
    if len(parts) == 3:
        first, second, third = parts

        def and3(row: Row) -> Any:
            return first(row) and second(row) and third(row)

        return and3

    def and_n(row: Row) -> Any:
        value: Any = True
        for part in parts:
            value = part(row)
            if not value:
                return value
        return value

    return and_n


def _or_chain(parts: tuple[Closure, ...]) -> Closure:
    if len(parts) == 2:
        first, second = parts

        def or2(row: Row) -> Any:
            return first(row) or second(row)

        return or2
    if len(parts) == 3:
        first, second, third = parts

        def or3(row: Row) -> Any:
            return first(row) or second(row) or third(row)

        return or3

    def or_n(row: Row) -> Any:
        value: Any = False
        for part in parts:
            value = part(row)
            if value:
                return value
        return value

    return or_n
