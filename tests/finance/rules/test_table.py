from __future__ import annotations

import json
from typing import Any

import pytest

from yangcheng.finance.rules import DecisionTable, TableCellError, TableRow, TransactionSchema


def _table(schema: TransactionSchema, policy: str) -> DecisionTable:
    rows = [
        TableRow(("< 1000", "-"), {"action": "approve"}, priority=1),
        TableRow(("[1000..50000)", '"CN"'), {"action": "approve"}, priority=2),
        TableRow((">= 1000", '"HK","MO"'), {"action": "review"}, priority=5),
        TableRow((">= 50000", "-"), {"action": "decline"}, priority=9),
    ]
    return DecisionTable("limits", ["amount_cny", "country"], rows, policy, schema=schema)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("policy", "amount", "expected"),
    [
        ("first", 60000.0, ["review"]),
        ("collect", 60000.0, ["review", "decline"]),
        ("priority", 60000.0, ["decline"]),
        ("first", 10.0, ["approve"]),
        ("collect", 10.0, ["approve"]),
        ("priority", 10.0, ["approve"]),
    ],
)
def test_hit_policies(
    schema: TransactionSchema, row: dict[str, Any], policy: str, amount: float, expected: list[str]
) -> None:
    outputs = _table(schema, policy).evaluate({**row, "amount_cny": amount})
    assert [o["action"] for o in outputs] == expected


@pytest.mark.parametrize("policy", ["first", "collect", "priority"])
def test_no_match_gives_no_outputs(schema: TransactionSchema, policy: str) -> None:
    assert _table(schema, policy).evaluate({"amount_cny": 5000.0, "country": "US"}) == []


def test_priority_ties_go_to_the_earlier_row(schema: TransactionSchema) -> None:
    rows = [
        TableRow(("-",), {"n": 1}, 3),
        TableRow(("-",), {"n": 2}, 3),
        TableRow(("-",), {"n": 3}),
    ]
    table = DecisionTable("tie", ["country"], rows, "priority", schema=schema)
    assert table.evaluate({"country": "CN"}) == [{"n": 1}]


@pytest.mark.parametrize(
    ("column", "cell", "value", "expected"),
    [
        ("amount_cny", "< 5", 4.99, True),
        ("amount_cny", "< 5", 5.0, False),
        ("amount_cny", ">= 5", 5.0, True),
        ("amount_cny", "[1..5]", 1.0, True),
        ("amount_cny", "[1..5]", 5.0, True),
        ("amount_cny", "[1..5]", 5.01, False),
        ("amount_cny", "(1..5]", 1.0, False),
        ("amount_cny", "[1..5)", 5.0, False),
        ("amount_cny", "5", 5.0, True),
        ("amount_cny", "-2.5", -2.5, True),
        ("amount_cny", "!= 3", 3.0, False),
        ("amount_cny", "-", -1e9, True),
        ("country", '"CN","HK"', "HK", True),
        ("country", '"CN","HK"', "US", False),
        ("country", '"a,b"', "a,b", True),
        ("is_new_device", "true", True, True),
        ("is_new_device", "false", True, False),
        ("n_txn_24h", "[3..10]", 3, True),
        ("created_at", '>= "2024-03-01"', "2024-03-01T00:00:00+00:00", True),
        ("created_at", '< "2024-03-01"', "2024-03-01T00:00:00+00:00", False),
    ],
)
def test_cell_semantics(
    schema: TransactionSchema, column: str, cell: str, value: Any, expected: bool
) -> None:
    table = DecisionTable("one", [column], [TableRow((cell,), {"hit": True})], schema=schema)
    assert bool(table.evaluate({column: value})) is expected


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("CN", "quoted"),
        ('< "CN"', "numeric or datetime"),
        ("5", "quoted string"),
        ("[1..5]", "ranges need"),
        ('"CN" "HK"', "commas"),
        ("", "'-'"),
        ("CN ~ HK", "unexpected"),
    ],
)
def test_invalid_cells_name_row_and_column(
    schema: TransactionSchema, cell: str, reason: str
) -> None:
    rows = [TableRow(("< 1000", '"CN"'), {}), TableRow(("-", cell), {})]
    with pytest.raises(TableCellError) as caught:
        DecisionTable("bad", ["amount_cny", "country"], rows, schema=schema)
    error = caught.value
    assert (error.row, error.column, error.cell) == (2, "country", cell)
    assert reason in error.reason
    assert "row 2, column 'country'" in str(error)


@pytest.mark.parametrize(
    ("cell", "reason"), [('< "x"', "number"), ("[5..1]", "empty range"), ("[1..]", "range")]
)
def test_invalid_numeric_cells(schema: TransactionSchema, cell: str, reason: str) -> None:
    with pytest.raises(TableCellError, match="column 'amount_cny'") as caught:
        DecisionTable("bad", ["amount_cny"], [TableRow((cell,), {})], schema=schema)
    assert reason in caught.value.reason


def test_row_with_wrong_number_of_cells_is_rejected(schema: TransactionSchema) -> None:
    with pytest.raises(TableCellError, match="row 1"):
        DecisionTable("bad", ["amount_cny", "country"], [TableRow(("-",), {})], schema=schema)


def test_inputs_must_be_schema_fields(schema: TransactionSchema) -> None:
    with pytest.raises(ValueError, match="'amount'"):
        DecisionTable("bad", ["amount"], [], schema=schema)


def test_round_trip_and_outputs_are_copies(schema: TransactionSchema, row: dict[str, Any]) -> None:
    table = _table(schema, "collect")
    again = DecisionTable.from_dict(json.loads(json.dumps(table.to_dict())))
    assert again.to_dict() == table.to_dict()
    assert again.evaluate(row) == table.evaluate(row)
    again.evaluate(row)[0]["action"] = "tampered"
    assert again.evaluate(row)[0]["action"] == "review"


def test_from_dict_names_missing_keys(schema: TransactionSchema) -> None:
    with pytest.raises(ValueError, match="'inputs'"):
        DecisionTable.from_dict({"name": "t", "rules": []}, schema)
    with pytest.raises(ValueError, match="'outputs'"):
        DecisionTable.from_dict(
            {"name": "t", "inputs": ["country"], "rules": [{"conditions": ["-"]}]}, schema
        )
