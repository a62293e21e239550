"""Type rules rule-engine leaves to run time but an analyst would call a bug.

rule-engine accepts `country == 5` (always false), `amount_cny and is_new` (truthiness of a
number) and `country in [1, 2]`. In a risk rule each is almost certainly a typo that would
silently never fire, so we reject them at compile time, reading the types off the compiled AST.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rule_engine import DataType
from rule_engine import ast as re_ast

__all__ = ["is_bool_or_unknown", "iter_nodes", "plural_words", "strictness_problem", "type_words"]

_TYPE_WORDS = {
    "FLOAT": "a number",
    "STRING": "a string",
    "BOOLEAN": "true/false",
    "DATETIME": "a datetime",
    "TIMEDELTA": "a duration",
    "NULL": "null",
    "ARRAY": "an array",
    "SET": "a set",
    "MAPPING": "a mapping",
    "BYTES": "bytes",
}
_PLURAL_WORDS = {
    "FLOAT": "numbers",
    "STRING": "strings",
    "BOOLEAN": "true/false values",
    "DATETIME": "datetimes",
}


def type_words(data_type: Any) -> str:
    name = str(getattr(data_type, "name", data_type))
    return _TYPE_WORDS.get(name, name.lower())


def plural_words(data_type: Any) -> str:
    name = str(getattr(data_type, "name", data_type))
    return _PLURAL_WORDS.get(name, name.lower() + " values")


def iter_nodes(node: Any) -> Iterator[Any]:
    """Every AST node below `node`, children first, found through its public attributes."""
    seen: set[str] = set()
    for cls in type(node).__mro__:
        seen.update(getattr(cls, "__slots__", ()))
    seen.update(getattr(node, "__dict__", {}))
    seen.discard("context")
    for name in sorted(seen):
        value = getattr(node, name, None)
        items = value if isinstance(value, tuple | list) else (value,)
        for item in items:
            for sub in item if isinstance(item, tuple) else (item,):
                if isinstance(sub, re_ast.ExpressionBase):
                    yield from iter_nodes(sub)
    yield node


def is_bool_or_unknown(data_type: Any) -> bool:
    return data_type in (DataType.BOOLEAN, DataType.UNDEFINED)


def _both_known(left: Any, right: Any) -> bool:
    unknown = (DataType.UNDEFINED, DataType.NULL)
    return left not in unknown and right not in unknown


def strictness_problem(statement: Any) -> str | None:
    """The first such problem, innermost first, as a sentence; None when the rule is sound."""
    for node in iter_nodes(statement.expression):
        if type(node) is re_ast.ComparisonExpression:
            left, right = node.left.result_type, node.right.result_type
            if _both_known(left, right) and not DataType.is_compatible(left, right):
                return f"cannot compare {type_words(left)} with {type_words(right)}"
        elif isinstance(node, re_ast.LogicExpression):
            for side in (node.left, node.right):
                if not is_bool_or_unknown(side.result_type):
                    return f"'{node.type}' needs true/false on both sides"
        elif isinstance(node, re_ast.UnaryExpression) and node.type == "not":
            if not is_bool_or_unknown(node.right.result_type):
                return "'not' needs true/false"
        elif isinstance(node, re_ast.TernaryExpression):
            if not is_bool_or_unknown(node.condition.result_type):
                return "the condition before '?' must be true/false"
            yes, no = node.case_true.result_type, node.case_false.result_type
            if _both_known(yes, no) and not DataType.is_compatible(yes, no):
                return (
                    f"'?:' gives {type_words(yes)} or {type_words(no)}; both must be the same type"
                )
        elif isinstance(node, re_ast.ContainsExpression):
            container = node.container.result_type
            member_type = getattr(container, "value_type", DataType.UNDEFINED)
            member = node.member.result_type
            collection = DataType.is_type(container, DataType.ARRAY) or DataType.is_type(
                container, DataType.SET
            )
            if (
                collection
                and _both_known(member, member_type)
                and not DataType.is_compatible(member, member_type)
            ):
                return f"'in' looks for {type_words(member)} among {plural_words(member_type)}"
    return None
