from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import rule_engine

from yangcheng.finance.rules import (
    FieldType,
    MissingField,
    RowError,
    TransactionSchema,
    WrongType,
)


def test_validate_row_returns_typed_copy_of_schema_fields_only(
    schema: TransactionSchema, row: dict[str, Any]
) -> None:
    typed = schema.validate_row(row)
    assert set(typed) == set(schema.fields)
    assert typed["created_at"] == dt.datetime(
        2024, 3, 1, 2, 15, tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    assert isinstance(typed["n_txn_24h"], int)
    assert row["created_at"] == "2024-03-01T02:15:00+08:00"  # the input is not modified


@pytest.mark.parametrize("value", [None, "absent"])
def test_missing_or_null_field_is_an_error_not_a_default(
    schema: TransactionSchema, row: dict[str, Any], value: str | None
) -> None:
    if value is None:
        row["amount_cny"] = None
    else:
        del row["amount_cny"]
    with pytest.raises(MissingField) as caught:
        schema.validate_row(row)
    assert caught.value.field == "amount_cny"
    assert isinstance(caught.value, RowError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount_cny", "52000"),  # numbers as text are an upstream bug, not coerced
        ("amount_cny", True),
        ("amount_cny", float("nan")),
        ("n_txn_24h", 7.5),
        ("n_txn_24h", False),
        ("country", 86),
        ("is_new_device", 1),
        ("created_at", "yesterday"),
    ],
)
def test_wrong_type_names_field_and_expectation(
    schema: TransactionSchema, row: dict[str, Any], field: str, value: Any
) -> None:
    row[field] = value
    with pytest.raises(WrongType) as caught:
        schema.validate_row(row)
    assert caught.value.field == field
    assert field in str(caught.value)


def test_int_field_accepts_integral_float_and_naive_datetime_is_utc(
    schema: TransactionSchema, row: dict[str, Any]
) -> None:
    row["n_txn_24h"] = 7.0
    row["created_at"] = dt.datetime(2024, 3, 1, 2, 15)
    typed = schema.validate_row(row)
    assert typed["n_txn_24h"] == 7 and isinstance(typed["n_txn_24h"], int)
    assert typed["created_at"].tzinfo == dt.UTC


def test_unknown_type_in_schema_is_rejected() -> None:
    with pytest.raises(ValueError, match="decimal"):
        TransactionSchema({"amount": "decimal"})


def test_context_rejects_unknown_field_and_wrong_type_at_compile_time(
    schema: TransactionSchema,
) -> None:
    context = schema.context()
    with pytest.raises(rule_engine.SymbolResolutionError):
        rule_engine.Rule("amont_cny > 5", context)
    with pytest.raises(rule_engine.EngineError):
        rule_engine.Rule('amount_cny > "big"', context)
    assert rule_engine.Rule("n_txn_24h >= 3", context).matches({"n_txn_24h": 3})


def test_schema_equality_hash_and_round_trip(schema: TransactionSchema) -> None:
    again = TransactionSchema.from_dict(schema.to_dict())
    assert again == schema and hash(again) == hash(schema)
    assert again.fields["n_txn_24h"] is FieldType.INT


@pytest.mark.parametrize("name", ["in", "null", "inf", "_hidden", "amount-cny"])
def test_field_names_that_rules_could_not_reference_are_rejected(name: str) -> None:
    with pytest.raises(ValueError, match="field name"):
        TransactionSchema({name: "float"})
