"""GBMRiskModel: calibrated, one row as fast and as exact as many, explained, saved as text."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from yangcheng.finance.data import TransactionTable
from yangcheng.finance.models import (
    CARD_FEATURES,
    TAIWAN_FEATURES,
    GBMRiskModel,
    roc_auc,
    taiwan_feature_matrix,
)
from yangcheng.finance.models.train import CREDIT_GBM_PARAMS, uci_split

from .conftest import CardData


def test_beats_0_9_auc_on_a_later_period_of_card_fraud(
    cards: CardData, card_model: GBMRiskModel
) -> None:
    test = ~cards.train
    assert cards.y[test].sum() > 50
    assert roc_auc(cards.y[test], card_model.predict_proba(cards.X[test])[:, 1]) > 0.9


def test_beats_0_75_auc_on_uci_taiwan_held_out(uci: TransactionTable) -> None:
    X, y = taiwan_feature_matrix(uci), uci["default"]
    train, test = uci_split(uci)
    assert len(test) == 6000 and not np.intersect1d(train, test).size
    model = GBMRiskModel(**CREDIT_GBM_PARAMS).fit(X[train], y[train], TAIWAN_FEATURES)
    assert roc_auc(y[test], model.predict_proba(X[test])[:, 1]) > 0.75


def test_probabilities_are_calibrated_monotone_and_in_range(
    cards: CardData, card_model: GBMRiskModel
) -> None:
    proba = card_model.predict_proba(cards.X)
    assert proba.shape == (len(cards.X), 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(np.diff(card_model.calibration_raw_) > 0)
    assert np.all(np.diff(card_model.calibration_proba_) >= 0)
    raw = card_model.decision_function(cards.X)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(proba[order, 1]) >= 0)  # never reverses the booster's ranking
    # calibrated: on the later period, predicted and observed fraud counts agree
    test = ~cards.train
    expected = proba[test, 1].sum()
    observed = cards.y[test].sum()
    assert abs(expected - observed) < 4 * np.sqrt(observed) + 0.2 * observed


def test_calibration_rows_are_held_out_of_training(
    cards: CardData, card_model: GBMRiskModel
) -> None:
    n = int(cards.train.sum())
    assert card_model.n_train_ + card_model.n_calibration_ == n
    assert card_model.n_calibration_ == pytest.approx(0.2 * n, abs=2)
    # without bagging, the first tree's root counts every row the booster saw: n_train_ of them
    X, y = cards.X[:8000], cards.y[:8000]
    model = GBMRiskModel(num_iterations=3, bagging_fraction=1.0, bagging_freq=0).fit(X, y)
    root = model.booster_.dump_model()["tree_info"][0]["tree_structure"]
    assert root["internal_count"] == model.n_train_ == 8000 - model.n_calibration_


def test_score_row_equals_predict_proba(cards: CardData, card_model: GBMRiskModel) -> None:
    rows = np.concatenate([np.arange(300), np.flatnonzero(cards.y)[:100]])
    proba = card_model.predict_proba(cards.X[rows])[:, 1]
    scores = [card_model.score_row(cards.X[i]) for i in rows]
    assert scores == proba.tolist()
    row = cards.X[0].copy()
    row[1] = np.nan  # missing goes down LightGBM's default branch, in both paths
    assert card_model.score_row(row) == card_model.predict_proba(row[None, :])[0, 1]
    with pytest.raises(ValueError, match="features"):
        card_model.score_row(cards.X[0, :-1])


def test_reason_codes_are_the_largest_pushes_and_contributions_sum_to_the_margin(
    cards: CardData, card_model: GBMRiskModel
) -> None:
    rows = np.concatenate([np.flatnonzero(cards.y)[:20], np.arange(20)])
    contrib = card_model.contributions(cards.X[rows])
    assert contrib.shape == (len(rows), len(CARD_FEATURES) + 1)
    np.testing.assert_allclose(
        contrib.sum(axis=1), card_model.decision_function(cards.X[rows]), atol=1e-9
    )
    for k, i in enumerate(rows):
        codes = card_model.reason_codes(cards.X[i], top_k=3)
        assert len(codes) <= 3
        values = [v for _, v in codes]
        assert values == sorted(values, reverse=True) and all(v > 0 for v in values)
        by_name = dict(zip(CARD_FEATURES, contrib[k, :-1].tolist(), strict=True))
        for name, value in codes:
            assert value == pytest.approx(by_name[name], abs=1e-12)
        positives = sorted((v for v in by_name.values() if v > 0), reverse=True)
        assert values == pytest.approx(positives[:3])
    fraud = cards.X[np.flatnonzero(cards.y)[0]]
    assert len(card_model.reason_codes(fraud)) == 3


def test_save_load_round_trip_gives_identical_predictions(
    tmp_path: Path, cards: CardData, card_model: GBMRiskModel
) -> None:
    card_model.save(tmp_path, metadata={"feature_set": "card"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["booster.txt", "model.json"]
    assert (tmp_path / "booster.txt").read_text().startswith("tree\n")
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["feature_names"] == list(CARD_FEATURES)
    loaded = GBMRiskModel.load(tmp_path)
    assert loaded.metadata_ == {"feature_set": "card"}
    assert loaded.get_params() == card_model.get_params()
    assert np.array_equal(loaded.predict_proba(cards.X), card_model.predict_proba(cards.X))
    assert loaded.score_row(cards.X[7]) == card_model.score_row(cards.X[7])
    assert loaded.reason_codes(cards.X[7]) == card_model.reason_codes(cards.X[7])


def test_estimator_protocol_and_determinism(cards: CardData, card_model: GBMRiskModel) -> None:
    params = card_model.get_params()
    assert params["num_leaves"] == 15 and params["seed"] == 3
    twin = clone(card_model)
    assert not hasattr(twin, "booster_") and twin.get_params() == params
    X, y = cards.X[:8000], cards.y[:8000]
    a = GBMRiskModel(num_iterations=20, seed=1).fit(X, y)
    b = GBMRiskModel(num_iterations=20, seed=1).fit(X, y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.feature_names_[:2] == ["f0", "f1"]
    assert a.set_params(num_leaves=7, min_sum_hessian_in_leaf=0.1) is a
    assert a.get_params()["min_sum_hessian_in_leaf"] == 0.1
    copied = copy.deepcopy(card_model)
    assert copied.score_row(cards.X[3]) == card_model.score_row(cards.X[3])


def test_bad_input_is_refused(cards: CardData, card_model: GBMRiskModel) -> None:
    with pytest.raises(ValueError, match="both classes"):
        GBMRiskModel().fit(cards.X[:100], np.zeros(100))
    with pytest.raises(ValueError, match="feature names"):
        GBMRiskModel().fit(cards.X[:1000], cards.y[:1000], ["a", "b"])
    with pytest.raises(ValueError, match="features"):
        card_model.predict_proba(cards.X[:5, :3])
    with pytest.raises(RuntimeError, match="not fitted"):
        GBMRiskModel().predict_proba(cards.X[:5])
