"""Labelled history for backtests and benchmarks, as plain transaction dicts.

Generated deterministically from a seed for each business the shipped flows
serve; rows carry exactly the fields a live request would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from yangcheng.finance.data.table import TransactionTable


def table_rows(
    table: TransactionTable, rename: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Rows as dicts of Python scalars (NumPy scalars would fail strict type checks)."""
    rename = rename or {}
    names = list(table.columns)
    columns = [np.asarray(table[name]).tolist() for name in names]
    keys = [rename.get(n, n) for n in names]
    return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]


def labelled_history(
    business: str, records: int, seed: int
) -> tuple[str, list[dict[str, Any]], np.ndarray]:
    """(dataset name, rows, 0/1 labels); KeyError for a business with no generator."""
    if business == "card_payment":
        from yangcheng.finance.data.synthetic_cards import generate_card_transactions

        table = generate_card_transactions(records, seed=seed)
        return (
            "finance-synthetic-card-payments",
            table_rows(table),
            np.asarray(table["is_fraud"], dtype=np.int64),
        )
    if business == "consumer_credit":
        from yangcheng.finance.data.synthetic_loans import generate_loan_applications

        table = generate_loan_applications(records, seed=seed)
        rows = table_rows(table, rename={"id_hash": "id_number"})
        return (
            "finance-synthetic-loan-applications",
            rows,
            np.asarray(table["default"], dtype=np.int64),
        )
    raise KeyError(business)
