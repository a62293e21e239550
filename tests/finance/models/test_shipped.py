"""The models shipped in the package load, describe themselves, and score."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.finance.data import (
    TransactionTable,
    generate_card_transactions,
    generate_loan_applications,
)
from yangcheng.finance.models import (
    CARD_FEATURES,
    LOAN_FEATURES,
    SHIPPED,
    TAIWAN_FEATURES,
    GBMRiskModel,
    LogisticScorecardModel,
    card_feature_matrix,
    card_feature_row,
    load_shipped,
    loan_feature_matrix,
    loan_feature_row,
    roc_auc,
    shipped_card,
    taiwan_feature_matrix,
    taiwan_feature_row,
)
from yangcheng.finance.models.shipped import ARTIFACTS_DIR
from yangcheng.finance.models.velocity import VELOCITY_FEATURES


def test_artifacts_are_small_text_and_carry_a_card() -> None:
    files = [p for p in ARTIFACTS_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 2_000_000
    assert {p.suffix for p in files} <= {".txt", ".json"}  # no pickles
    for name in SHIPPED:
        card = shipped_card(name)
        assert card["name"] == name and card["version"]
        assert card["task"] and card["limitations"]
        assert card["training_data"]["licence"] and card["training_data"]["records"] > 1000
        held_out = card["metrics"]["held_out"]
        assert held_out["n"] > 1000 and 0.5 < held_out["roc_auc"] <= 1.0
    assert shipped_card("card_fraud_gbm")["metrics"]["held_out"]["roc_auc"] > 0.95
    assert shipped_card("credit_default_gbm")["metrics"]["held_out"]["roc_auc"] > 0.75


def test_card_fraud_model_scores_new_synthetic_payments() -> None:
    model = load_shipped("card_fraud_gbm")
    assert isinstance(model, GBMRiskModel)
    assert model.feature_names_ == list(CARD_FEATURES)
    table = generate_card_transactions(20_000, seed=99, fraud_rate=0.02)
    X = card_feature_matrix(table)
    p = model.predict_proba(X)[:, 1]
    assert roc_auc(table["is_fraud"], p) > 0.95
    i = int(np.flatnonzero(table["pattern"] == "account_takeover")[0])
    velocity = dict(zip(VELOCITY_FEATURES, X[i, -len(VELOCITY_FEATURES) :].tolist(), strict=True))
    row = card_feature_row(table[i], velocity)
    assert model.score_row(row) == pytest.approx(p[i]) and p[i] > 0.5
    assert model.reason_codes(row)


def test_credit_models_score_uci_clients(uci: TransactionTable) -> None:
    X = taiwan_feature_matrix(uci)[:2000]
    y = uci["default"][:2000]
    gbm = load_shipped("credit_default_gbm")
    scorecard = load_shipped("credit_scorecard")
    assert isinstance(gbm, GBMRiskModel) and isinstance(scorecard, LogisticScorecardModel)
    assert gbm.feature_names_ == scorecard.feature_names_ == list(TAIWAN_FEATURES)
    assert roc_auc(y, gbm.predict_proba(X)[:, 1]) > 0.75
    row = taiwan_feature_row(uci[0])
    total, per = scorecard.points(row)
    assert 300 < total < 900 and len(per) == len(TAIWAN_FEATURES)


def test_loan_model_scores_new_synthetic_applications() -> None:
    model = load_shipped("loan_default_gbm")
    assert isinstance(model, GBMRiskModel) and model.feature_names_ == list(LOAN_FEATURES)
    table = generate_loan_applications(5000, seed=98)
    p = model.predict_proba(loan_feature_matrix(table))[:, 1]
    assert roc_auc(table["default"], p) > 0.7
    fpd = table["pattern"] == "first_party_default"
    assert np.median(p[fpd]) > 5 * np.median(p[~fpd])
    i = int(np.flatnonzero(fpd)[0])
    assert model.score_row(loan_feature_row(table[i])) == pytest.approx(p[i])


def test_unknown_name() -> None:
    with pytest.raises(KeyError, match="card_fraud_gbm"):
        load_shipped("nope")
