"""The WoE scorecard: points that add up, scale as promised, and name the reasons."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from yangcheng.finance.data import TransactionTable, generate_loan_applications
from yangcheng.finance.models import (
    LOAN_FEATURES,
    TAIWAN_FEATURES,
    LogisticScorecardModel,
    loan_feature_matrix,
    roc_auc,
    taiwan_feature_matrix,
)
from yangcheng.finance.models.train import SCORECARD_PARAMS, uci_split


@pytest.fixture(scope="module")
def loans() -> tuple[np.ndarray, np.ndarray]:
    table = generate_loan_applications(12_000, seed=6)
    return loan_feature_matrix(table), table["default"].astype(int)


@pytest.fixture(scope="module")
def scorecard(loans: tuple[np.ndarray, np.ndarray]) -> LogisticScorecardModel:
    X, y = loans
    return LogisticScorecardModel().fit(X[:9000], y[:9000], LOAN_FEATURES)


def test_ranks_held_out_loans(
    loans: tuple[np.ndarray, np.ndarray], scorecard: LogisticScorecardModel
) -> None:
    X, y = loans
    p = scorecard.predict_proba(X[9000:])
    assert p.shape == (3000, 2) and np.all((p >= 0) & (p <= 1))
    assert roc_auc(y[9000:], p[:, 1]) > 0.7
    assert roc_auc(y[9000:], -scorecard.score(X[9000:])) == pytest.approx(
        roc_auc(y[9000:], p[:, 1])
    )


def test_points_add_up_and_scale_600_at_50_to_1_pdo_20(
    loans: tuple[np.ndarray, np.ndarray], scorecard: LogisticScorecardModel
) -> None:
    X, _ = loans
    totals = scorecard.score(X[:200])
    p_bad = scorecard.predict_proba(X[:200])[:, 1]
    factor = 20 / math.log(2)
    for i in range(200):
        total, per = scorecard.points(X[i])
        assert list(per) == list(LOAN_FEATURES)
        assert total == pytest.approx(sum(per.values())) == pytest.approx(totals[i])
        # total = 600 + PDO/ln2 * ln(odds_good / 50)
        odds_good = (1 - p_bad[i]) / p_bad[i]
        assert total == pytest.approx(600 + factor * math.log(odds_good / 50), abs=1e-6)
    # 20 more points is twice the odds of being good
    a, b = np.argsort(totals)[[10, -10]]
    odds = (1 - p_bad) / p_bad
    assert odds[b] / odds[a] == pytest.approx(2 ** ((totals[b] - totals[a]) / 20))


def test_coefficients_read_the_right_way(scorecard: LogisticScorecardModel) -> None:
    assert np.all(scorecard.coef_ <= 0)  # a safer bin (higher WoE) never costs points
    assert (scorecard.coef_ < 0).sum() >= 5
    inquiries = LOAN_FEATURES.index("n_inquiries_6m")
    points = scorecard.points_[inquiries]
    edges = scorecard.bin_edges_[inquiries]
    assert points[0] > points[len(edges)]  # few inquiries score better than many


def test_reason_codes_are_the_largest_losses_against_the_best_bin(
    loans: tuple[np.ndarray, np.ndarray], scorecard: LogisticScorecardModel
) -> None:
    X, _ = loans
    worst = int(np.argmin(scorecard.score(X)))
    codes = scorecard.reason_codes(X[worst], top_k=3)
    assert len(codes) == 3
    _, per = scorecard.points(X[worst])
    losses = {name: scorecard.points_[j].max() - per[name] for j, name in enumerate(LOAN_FEATURES)}
    expected = sorted(losses.items(), key=lambda kv: -kv[1])[:3]
    assert [n for n, _ in codes] == [n for n, _ in expected]
    assert [v for _, v in codes] == pytest.approx([v for _, v in expected])


def test_missing_values_have_their_own_bin(
    loans: tuple[np.ndarray, np.ndarray], scorecard: LogisticScorecardModel
) -> None:
    X, _ = loans
    row = X[0].copy()
    row[LOAN_FEATURES.index("debt_to_income")] = np.nan
    total, per = scorecard.points(row)
    # never missing in training: neutral WoE, so the points of a WoE of 0
    j = LOAN_FEATURES.index("debt_to_income")
    assert per["debt_to_income"] == pytest.approx(
        scorecard.offset_ / len(LOAN_FEATURES)
        - scorecard.factor_ * scorecard.intercept_ / len(LOAN_FEATURES)
    )
    assert np.isfinite(total) and scorecard.woe_[j][-1] == 0.0


def test_save_load_round_trip(
    tmp_path: Path, loans: tuple[np.ndarray, np.ndarray], scorecard: LogisticScorecardModel
) -> None:
    X, _ = loans
    scorecard.save(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
    loaded = LogisticScorecardModel.load(tmp_path)
    assert np.array_equal(loaded.predict_proba(X), scorecard.predict_proba(X))
    assert np.array_equal(loaded.score(X), scorecard.score(X))
    assert loaded.points(X[3]) == scorecard.points(X[3])
    assert loaded.get_params() == scorecard.get_params()


def test_uci_taiwan_scorecard_held_out(uci: TransactionTable) -> None:
    X, y = taiwan_feature_matrix(uci), uci["default"]
    train, test = uci_split(uci)
    model = LogisticScorecardModel(**SCORECARD_PARAMS).fit(X[train], y[train], TAIWAN_FEATURES)
    assert roc_auc(y[test], model.predict_proba(X[test])[:, 1]) > 0.75


def test_bad_input_is_refused(loans: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = loans
    with pytest.raises(ValueError, match="both classes"):
        LogisticScorecardModel().fit(X[:50], np.zeros(50))
    with pytest.raises(RuntimeError, match="not fitted"):
        LogisticScorecardModel().points(X[0])
    with pytest.raises(ValueError, match="unknown parameter"):
        LogisticScorecardModel().set_params(depth=3)
