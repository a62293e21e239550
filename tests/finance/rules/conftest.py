"""Small real-shaped data for the rule engine tests."""

from __future__ import annotations

from typing import Any

import pytest

from yangcheng.finance.rules import TransactionSchema


@pytest.fixture
def schema() -> TransactionSchema:
    return TransactionSchema(
        {
            "amount_cny": "float",
            "country": "str",
            "is_new_device": "bool",
            "created_at": "datetime",
            "n_txn_24h": "int",
        }
    )


@pytest.fixture
def row() -> dict[str, Any]:
    return {
        "amount_cny": 52000.0,
        "country": "HK",
        "is_new_device": True,
        "created_at": "2024-03-01T02:15:00+08:00",
        "n_txn_24h": 7,
        "merchant_note": "not in the schema",
    }
