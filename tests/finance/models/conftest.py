"""Small real data for the model tests, built once per session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from yangcheng.finance.data import TransactionTable, generate_card_transactions, load_uci_taiwan
from yangcheng.finance.models import CARD_FEATURES, GBMRiskModel, card_feature_matrix

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "finance"
UCI = DATA / "UCI_Credit_Card.csv"


@dataclass
class CardData:
    table: TransactionTable
    X: np.ndarray
    y: np.ndarray
    train: np.ndarray  # first 24 days; the rest is a later, held-out period


@pytest.fixture(scope="session")
def cards() -> CardData:
    table = generate_card_transactions(40_000, seed=11, fraud_rate=0.02)
    X = card_feature_matrix(table)
    train = table["ts"] < table["ts"].min() + 24 * 86400
    return CardData(table, X, table["is_fraud"].astype(int), train)


@pytest.fixture(scope="session")
def card_model(cards: CardData) -> GBMRiskModel:
    model = GBMRiskModel(num_iterations=80, num_leaves=15, min_data_in_leaf=30, seed=3)
    return model.fit(cards.X[cards.train], cards.y[cards.train], CARD_FEATURES)


@pytest.fixture(scope="session")
def uci() -> TransactionTable:
    if not UCI.exists():
        pytest.skip("shared UCI Taiwan file not present")
    return load_uci_taiwan(UCI)
