"""Feature definitions shared by training (whole tables) and serving (one dict at a time).

Each feature set is an ordered tuple of names and two functions that must agree:
``*_feature_row(record)`` for one request, as served, and ``*_feature_matrix(table)``
for training. Card payments also take velocity features
(:mod:`yangcheng.finance.models.velocity`): an online store passes them to
:func:`card_feature_row`, and :func:`card_feature_matrix` computes the same
numbers offline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from yangcheng.finance.data.synthetic_loans import (
    LOAN_CHANNELS,
    LOAN_HOUSING,
    LOAN_MAX_AMOUNT_CNY,
    LOAN_PURPOSES,
)
from yangcheng.finance.data.table import TransactionTable
from yangcheng.finance.models.velocity import VELOCITY_FEATURES, offline_velocity

_NAN = float("nan")
_CST_OFFSET_S = 8 * 3600

# Money transfer, electronics, digital games and goods, jewellery, quasi-cash,
# stored value, gambling: where stolen cards are cashed out.
HIGH_RISK_MCCS = frozenset({4829, 5732, 5816, 5818, 5944, 6051, 6540, 7995})

CARD_BASE_FEATURES = (
    "amount_cny_log",
    "amount_to_card_mean_24h",
    "amount_is_round",
    "hour",
    "channel_ecom",
    "channel_atm",
    "mcc",
    "mcc_high_risk",
    "is_foreign",
    "is_away_from_home_city",
    "is_new_device",
)
CARD_FEATURES = CARD_BASE_FEATURES + VELOCITY_FEATURES


def _hour(txn: Mapping[str, Any]) -> int:
    if "hour" in txn:
        return int(txn["hour"])
    return int((float(txn["ts"]) + _CST_OFFSET_S) % 86400 // 3600)


def card_feature_row(txn: Mapping[str, Any], velocity: Mapping[str, float]) -> np.ndarray:
    """:data:`CARD_FEATURES` of one payment, given the entity velocities before it.

    ``txn`` needs ``amount_cny``, ``channel`` ('pos', 'ecom', 'atm'), ``mcc``,
    ``country``, ``home_country``, ``is_new_device`` and ``hour`` (or ``ts``, read
    in China Standard Time); ``city`` and ``home_city`` are optional.
    """
    missing = [name for name in VELOCITY_FEATURES if name not in velocity]
    if missing:
        raise KeyError(f"velocity lacks {', '.join(missing)}")
    amount = float(txn["amount_cny"])
    count = float(velocity["card_id_count_86400s"])
    mean = float(velocity["card_id_sum_86400s"]) / count if count > 0 else 0.0
    channel = txn["channel"]
    mcc = int(txn["mcc"])
    city = txn.get("city") or ""
    row = [
        math.log1p(amount),
        amount / mean if mean > 0 else _NAN,
        1.0 if amount >= 100 and amount % 100 == 0 else 0.0,
        float(_hour(txn)),
        1.0 if channel == "ecom" else 0.0,
        1.0 if channel == "atm" else 0.0,
        float(mcc),
        1.0 if mcc in HIGH_RISK_MCCS else 0.0,
        1.0 if txn["country"] != txn["home_country"] else 0.0,
        1.0 if city and city != (txn.get("home_city") or "") else 0.0,
        1.0 if txn["is_new_device"] else 0.0,
    ]
    row.extend(float(velocity[name]) for name in VELOCITY_FEATURES)
    return np.array(row, dtype=np.float64)


def card_feature_matrix(table: TransactionTable) -> np.ndarray:
    """:data:`CARD_FEATURES` for every row of a ts-sorted card table, velocities included."""
    velocity = offline_velocity(table["ts"], table.data, table["amount_cny"])
    amount = table["amount_cny"].astype(np.float64)
    count = velocity["card_id_count_86400s"]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, velocity["card_id_sum_86400s"] / count, 0.0)
        ratio = np.where(mean > 0, amount / mean, np.nan)
    mcc = table["mcc"].astype(np.int64)
    channel = table["channel"]
    city = table["city"] if "city" in table else np.full(len(table), "")
    home_city = table["home_city"] if "home_city" in table else np.full(len(table), "")
    if "hour" in table:
        hour = table["hour"].astype(np.float64)
    else:
        hour = ((table["ts"] + _CST_OFFSET_S) % 86400 // 3600).astype(np.float64)
    columns = [
        np.log1p(amount),
        ratio,
        (amount >= 100) & (amount % 100 == 0),
        hour,
        channel == "ecom",
        channel == "atm",
        mcc,
        np.isin(mcc, sorted(HIGH_RISK_MCCS)),
        table["country"] != table["home_country"],
        (city != "") & (city != home_city),
        table["is_new_device"].astype(bool),
    ]
    columns.extend(velocity[name] for name in VELOCITY_FEATURES)
    return np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])


# --- consumer loan applications (yangcheng.finance.data.synthetic_loans) -------------

_LOAN_NUMERIC = (
    "age",
    "employment_years",
    "debt_to_income",
    "credit_history_months",
    "n_open_loans",
    "n_inquiries_6m",
    "term_months",
    "id_issued_days",
)
LOAN_FEATURES = (
    *_LOAN_NUMERIC,
    "income_cny_log",
    "loan_amount_cny_log",
    "loan_to_income",
    "amount_at_max",
    "is_new_device",
    *(f"purpose_{p}" for p in LOAN_PURPOSES),
    *(f"housing_{h}" for h in LOAN_HOUSING),
    *(f"channel_{c}" for c in LOAN_CHANNELS),
)


def loan_feature_row(application: Mapping[str, Any]) -> np.ndarray:
    """:data:`LOAN_FEATURES` of one application (fields as in ``generate_loan_applications``)."""
    income = float(application["income_cny"])
    amount = float(application["loan_amount_cny"])
    row = [float(application[name]) for name in _LOAN_NUMERIC]
    row += [
        math.log1p(income),
        math.log1p(amount),
        amount / income if income > 0 else _NAN,
        1.0 if amount >= 0.98 * LOAN_MAX_AMOUNT_CNY else 0.0,
        1.0 if application["is_new_device"] else 0.0,
    ]
    row += [1.0 if application["purpose"] == p else 0.0 for p in LOAN_PURPOSES]
    row += [1.0 if application["housing"] == h else 0.0 for h in LOAN_HOUSING]
    row += [1.0 if application["channel"] == c else 0.0 for c in LOAN_CHANNELS]
    return np.array(row, dtype=np.float64)


def loan_feature_matrix(table: TransactionTable) -> np.ndarray:
    """:data:`LOAN_FEATURES` for every application in a table."""
    income = table["income_cny"].astype(np.float64)
    amount = table["loan_amount_cny"].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        to_income = np.where(income > 0, amount / income, np.nan)
    columns: list[np.ndarray] = [table[name] for name in _LOAN_NUMERIC]
    columns += [
        np.log1p(income),
        np.log1p(amount),
        to_income,
        amount >= 0.98 * LOAN_MAX_AMOUNT_CNY,
        table["is_new_device"].astype(bool),
    ]
    columns += [table["purpose"] == p for p in LOAN_PURPOSES]
    columns += [table["housing"] == h for h in LOAN_HOUSING]
    columns += [table["channel"] == c for c in LOAN_CHANNELS]
    return np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])


# --- UCI "default of credit card clients" (Taiwan, 2005) -----------------------------

_PAY = ("PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6")
# SEX and MARRIAGE are left out on purpose: a credit decision must not turn on them.
TAIWAN_RAW_FEATURES = (
    "LIMIT_BAL",
    "EDUCATION",
    "AGE",
    *_PAY,
    *(f"BILL_AMT{i}" for i in range(1, 7)),
    *(f"PAY_AMT{i}" for i in range(1, 7)),
)
TAIWAN_FEATURES = (
    *TAIWAN_RAW_FEATURES,
    "utilisation_1",  # latest bill / credit limit
    "paid_share_1",  # latest payment / the bill it pays (the month before)
    "max_delay_months",
    "months_delayed",
)


def taiwan_feature_row(record: Mapping[str, Any]) -> np.ndarray:
    """:data:`TAIWAN_FEATURES` of one client record with the UCI column names."""
    row = [float(record[name]) for name in TAIWAN_RAW_FEATURES]
    limit, bill1, bill2 = row[0], float(record["BILL_AMT1"]), float(record["BILL_AMT2"])
    pays = [float(record[name]) for name in _PAY]
    row += [
        bill1 / limit if limit > 0 else _NAN,
        float(record["PAY_AMT1"]) / bill2 if bill2 > 0 else _NAN,
        max(pays),
        float(sum(1 for p in pays if p > 0)),
    ]
    return np.array(row, dtype=np.float64)


def taiwan_feature_matrix(table: TransactionTable) -> np.ndarray:
    """:data:`TAIWAN_FEATURES` for every client of a table from ``load_uci_taiwan``."""
    raw = np.column_stack([table[name].astype(np.float64) for name in TAIWAN_RAW_FEATURES])
    limit, bill2 = table["LIMIT_BAL"].astype(np.float64), table["BILL_AMT2"].astype(np.float64)
    pays = np.column_stack([table[name].astype(np.float64) for name in _PAY])
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(limit > 0, table["BILL_AMT1"] / limit, np.nan)
        paid = np.where(bill2 > 0, table["PAY_AMT1"] / bill2, np.nan)
    extra = np.column_stack([utilisation, paid, pays.max(axis=1), (pays > 0).sum(axis=1)])
    return np.hstack([raw, extra.astype(np.float64)])
