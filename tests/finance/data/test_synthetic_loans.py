"""Synthetic loan applications: deterministic, risk-driven defaults, first-party default."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.finance.data import TransactionTable, generate_loan_applications
from yangcheng.finance.data.synthetic_loans import LOAN_MAX_AMOUNT_CNY
from yangcheng.finance.models.metrics import roc_auc

N = 20_000


@pytest.fixture(scope="module")
def loans() -> TransactionTable:
    return generate_loan_applications(N, seed=4)


def test_deterministic(loans: TransactionTable) -> None:
    again = generate_loan_applications(N, seed=4)
    for name in loans.columns:
        assert np.array_equal(again[name], loans[name]), name
    assert not np.array_equal(
        generate_loan_applications(N, seed=5)["income_cny"], loans["income_cny"]
    )


def test_fields_and_card(loans: TransactionTable) -> None:
    for name in (
        "age", "income_cny", "employment_years", "debt_to_income", "credit_history_months",
        "n_open_loans", "n_inquiries_6m", "loan_amount_cny", "term_months", "purpose",
        "housing", "channel", "device_id", "id_hash", "id_issued_days", "is_new_device",
        "default", "pattern",
    ):  # fmt: skip
        assert name in loans.columns
    assert np.all(np.diff(loans["ts"]) >= 0)
    assert np.all(loans["loan_amount_cny"] <= LOAN_MAX_AMOUNT_CNY)
    assert np.all((loans["age"] >= 20) & (loans["age"] <= 65))
    assert loans.card.counts["pattern=first_party_default"] == round(N * 0.02)
    assert all(len(h) == 16 for h in loans["id_hash"][:100])


def test_defaults_follow_risk(loans: TransactionTable) -> None:
    ordinary = loans["pattern"] == "none"
    rate = loans["default"][ordinary].mean()
    assert 0.03 < rate < 0.12
    y = loans["default"][ordinary]
    assert roc_auc(y, loans["debt_to_income"][ordinary]) > 0.55
    assert roc_auc(y, loans["n_inquiries_6m"][ordinary]) > 0.55
    assert roc_auc(y, -loans["income_cny"][ordinary]) > 0.55


def test_first_party_default_signature(loans: TransactionTable) -> None:
    fpd = loans["pattern"] == "first_party_default"
    ordinary = ~fpd
    assert loans["default"][fpd].all()
    assert (
        np.median(loans["id_issued_days"][fpd])
        < 60
        < 1000
        < np.median(loans["id_issued_days"][ordinary])
    )
    assert loans["n_inquiries_6m"][fpd].mean() > 4 * loans["n_inquiries_6m"][ordinary].mean()
    at_max = loans["loan_amount_cny"] >= LOAN_MAX_AMOUNT_CNY
    assert at_max[fpd].mean() > 0.5 > 0.1 > at_max[ordinary].mean()
    assert loans["is_new_device"][fpd].mean() > 0.7 > 0.2 > loans["is_new_device"][ordinary].mean()
    # a ring shares a few phones
    assert len(np.unique(loans["device_id"][fpd])) < fpd.sum() / 2
