"""Training features (whole tables) equal serving features (one dict at a time)."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.finance.data import TransactionTable, generate_loan_applications
from yangcheng.finance.models import (
    CARD_FEATURES,
    LOAN_FEATURES,
    TAIWAN_FEATURES,
    VELOCITY_FEATURES,
    card_feature_row,
    loan_feature_matrix,
    loan_feature_row,
    taiwan_feature_matrix,
    taiwan_feature_row,
)

from .conftest import CardData


def velocity_of(X: np.ndarray, i: int) -> dict[str, float]:
    tail = X[i, len(CARD_FEATURES) - len(VELOCITY_FEATURES) :]
    return dict(zip(VELOCITY_FEATURES, tail.tolist(), strict=True))


def test_card_matrix_rows_equal_card_feature_row(cards: CardData) -> None:
    X = cards.X
    assert X.shape == (len(cards.table), len(CARD_FEATURES))
    picks = np.concatenate([np.arange(0, len(X), 97), np.flatnonzero(cards.y)[:200]])
    for i in picks:
        row = card_feature_row(cards.table[int(i)], velocity_of(X, int(i)))
        np.testing.assert_allclose(row, X[i], rtol=1e-12, equal_nan=True)


def test_card_feature_meanings() -> None:
    txn = {
        "amount_cny": 1000.0, "channel": "ecom", "mcc": 4829, "country": "US",
        "home_country": "CN", "is_new_device": True, "ts": 1709222400.0 + 3 * 3600,
    }  # fmt: skip
    velocity = dict.fromkeys(VELOCITY_FEATURES, 0.0)
    velocity |= {"card_id_count_86400s": 2.0, "card_id_sum_86400s": 500.0}
    f = dict(zip(CARD_FEATURES, card_feature_row(txn, velocity).tolist(), strict=True))
    assert f["amount_cny_log"] == pytest.approx(np.log1p(1000.0))
    assert f["amount_to_card_mean_24h"] == pytest.approx(4.0)  # 1000 / (500 / 2)
    assert f["amount_is_round"] == 1.0 and f["hour"] == 3.0  # hour from ts, in CST
    assert f["channel_ecom"] == 1.0 and f["channel_atm"] == 0.0
    assert f["mcc_high_risk"] == 1.0 and f["is_foreign"] == 1.0 and f["is_new_device"] == 1.0
    assert f["is_away_from_home_city"] == 0.0  # no city online
    velocity["card_id_count_86400s"] = 0.0
    assert np.isnan(card_feature_row(txn, velocity)[1])  # no history: missing, not zero
    del velocity["device_id_sum_3600s"]
    with pytest.raises(KeyError, match="device_id_sum_3600s"):
        card_feature_row(txn, velocity)


def test_loan_matrix_rows_equal_loan_feature_row() -> None:
    loans = generate_loan_applications(2000, seed=2)
    X = loan_feature_matrix(loans)
    assert X.shape == (2000, len(LOAN_FEATURES))
    for i in range(0, 2000, 37):
        np.testing.assert_allclose(loan_feature_row(loans[i]), X[i], rtol=1e-12, equal_nan=True)
    one_hot = [j for j, name in enumerate(LOAN_FEATURES) if name.startswith("purpose_")]
    assert np.all(X[:, one_hot].sum(axis=1) == 1)


def test_taiwan_matrix_rows_equal_taiwan_feature_row(uci: TransactionTable) -> None:
    X = taiwan_feature_matrix(uci)
    assert X.shape == (len(uci), len(TAIWAN_FEATURES))
    assert "SEX" not in TAIWAN_FEATURES and "MARRIAGE" not in TAIWAN_FEATURES
    for i in range(0, len(uci), 601):
        np.testing.assert_allclose(taiwan_feature_row(uci[i]), X[i], rtol=1e-12, equal_nan=True)
