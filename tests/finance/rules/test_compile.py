from __future__ import annotations

import itertools
from typing import Any

import pytest
import rule_engine

from yangcheng.finance.rules import (
    InvalidRule,
    MissingField,
    RuleEvaluationError,
    TransactionSchema,
    WrongType,
    compile_rule,
)


@pytest.mark.parametrize(
    ("expression", "position", "words"),
    [
        ('amount_cny > "big"', 13, 'amount_cny is a number but "big" is a string'),
        ('"big" < amount_cny', 0, "string"),
        ("country == 5", 11, "country is a string but 5 is a number"),
        ("amount_cny >", 12, "end of rule"),
        ("(amount_cny > 5", 15, "end of rule"),
        ("amount_cny $ 4", 11, "illegal character '$'"),
        ("amont_cny > 5", 0, "unknown field 'amont_cny' (did you mean 'amount_cny'?)"),
        ('amount_cny > 5 and countyr == "CN"', 19, "unknown field 'countyr'"),
        ('amount_cny > 5 and (country == "CN" or n_txn_24h + "a" > 2)', 51, "'+'"),
        ("is_new_device and amount_cny", 18, "true/false"),
        ("not amount_cny", 4, "true/false"),
        ("country in [1, 2]", 11, "holds numbers"),
        ("created_at > 5", 13, "datetime"),
        ("amount_cny", 0, "true or false"),
        ("", 0, "empty"),
    ],
)
def test_compile_errors_carry_position_and_reason(
    schema: TransactionSchema, expression: str, position: int, words: str
) -> None:
    with pytest.raises(InvalidRule) as caught:
        compile_rule(expression, schema)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.expression, error.position) == (expression, position)
    assert words in error.reason
    assert str(error).startswith(f"rule {expression!r} at position {position}: ")


def test_message_matches_documented_shape_and_pointer(schema: TransactionSchema) -> None:
    with pytest.raises(InvalidRule) as caught:
        compile_rule('amount_cny > "x"', schema)
    assert str(caught.value).startswith("rule 'amount_cny > \"x\"' at position 13: ")
    assert caught.value.pointer().splitlines()[1] == " " * 13 + "^"


def test_pointer_on_a_multi_line_rule_points_into_the_right_line(
    schema: TransactionSchema,
) -> None:
    with pytest.raises(InvalidRule) as caught:
        compile_rule("amount_cny > 10 and\n  country == 5", schema)
    assert caught.value.pointer() == "  country == 5\n" + " " * 13 + "^"


def test_fields_come_from_the_ast_not_from_text(schema: TransactionSchema) -> None:
    rule = compile_rule(
        'amount_cny > 1000 and country in ["HK", "MO"] and created_at < $now  # country', schema
    )
    assert rule.fields == frozenset({"amount_cny", "country", "created_at"})
    # a field name inside a string literal is not a read
    assert compile_rule('country == "amount_cny"', schema).fields == frozenset({"country"})


def test_values_read_are_the_typed_values_of_read_fields(
    schema: TransactionSchema, row: dict[str, Any]
) -> None:
    rule = compile_rule("n_txn_24h >= 5 and is_new_device", schema)
    assert rule.values_read(row) == {"is_new_device": True, "n_txn_24h": 7}


def test_matches(schema: TransactionSchema, row: dict[str, Any]) -> None:
    assert compile_rule('amount_cny >= 52000 and country == "HK"', schema).matches(row)
    assert not compile_rule("amount_cny > 52000", schema).matches(row)
    assert compile_rule('created_at < d"2024-03-01T00:00:00Z"', schema).matches(row)
    assert compile_rule("n_txn_24h == 7", schema).matches(row)


def test_row_errors_surface_from_matches(schema: TransactionSchema, row: dict[str, Any]) -> None:
    rule = compile_rule("amount_cny > 10", schema)
    with pytest.raises(MissingField):
        rule.matches({"country": "HK"})
    with pytest.raises(WrongType):
        rule.matches({**row, "amount_cny": "10"})
    # fields the rule does not read may be absent
    assert rule.matches({"amount_cny": 11})


def test_run_time_failure_is_an_error_not_a_miss(
    schema: TransactionSchema, row: dict[str, Any]
) -> None:
    rule = compile_rule("amount_cny / n_txn_24h > 100", schema)
    with pytest.raises(RuleEvaluationError):
        rule.matches({**row, "n_txn_24h": 0})


def test_compiled_rules_are_cached_per_expression_and_schema(schema: TransactionSchema) -> None:
    same_schema = TransactionSchema(dict(schema.fields))
    assert compile_rule("amount_cny > 1", schema) is compile_rule("amount_cny > 1", same_schema)
    other = TransactionSchema({"amount_cny": "float"})
    assert compile_rule("amount_cny > 1", other) is not compile_rule("amount_cny > 1", schema)


EXPRESSIONS = [
    'amount_cny > 1000 and country == "HK"',
    "amount_cny * 2 >= n_txn_24h * 1000 or not is_new_device",
    'country in ["CN", "HK"] and created_at > d"2024-01-01"',
    "country =~ '^H' and n_txn_24h % 2 == 1",
    "country.length == 2 and amount_cny - 0.1 > 51999.8",
    "is_new_device ? n_txn_24h > 5 : amount_cny < 10",
]
ROWS = [
    {"amount_cny": a, "country": c, "is_new_device": d, "created_at": t, "n_txn_24h": n}
    for a, c, d, t, n in itertools.product(
        [0.1, 999.99, 52000.0],
        ["HK", "CN", "US"],
        [True, False],
        ["2023-12-31T23:59:59+00:00", "2024-06-01T00:00:00+00:00"],
        [0, 7],
    )
]


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_fast_path_agrees_with_fully_typed_rule_engine(
    schema: TransactionSchema, expression: str
) -> None:
    fast = compile_rule(expression, schema)
    reference = rule_engine.Rule(expression, schema.context())
    for r in ROWS:
        assert fast.matches(r) == reference.matches(schema.validate_row(r)), r


def test_non_text_rule_is_rejected(schema: TransactionSchema) -> None:
    with pytest.raises(InvalidRule):
        compile_rule(42, schema)  # type: ignore[arg-type]
