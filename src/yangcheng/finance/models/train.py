"""Training of the default models that ship inside the package, seeded end to end.

``python -m yangcheng.finance.models.train --uci PATH`` rebuilds
``artifacts/<name>/`` for every name in :data:`SHIPPED`: the model files, and a
``card.json`` model card (task, training data and its licence, held-out
metrics, limitations). Same inputs and seeds give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import sklearn
from sklearn.model_selection import train_test_split

from yangcheng.finance.data.loaders import load_uci_taiwan
from yangcheng.finance.data.synthetic_cards import EPOCH_S, generate_card_transactions
from yangcheng.finance.data.synthetic_loans import generate_loan_applications
from yangcheng.finance.data.table import DatasetCard, TransactionTable
from yangcheng.finance.models.features import (
    CARD_FEATURES,
    LOAN_FEATURES,
    TAIWAN_FEATURES,
    card_feature_matrix,
    loan_feature_matrix,
    taiwan_feature_matrix,
)
from yangcheng.finance.models.gbm import GBMRiskModel
from yangcheng.finance.models.logistic import LogisticScorecardModel
from yangcheng.finance.models.metrics import evaluate
from yangcheng.finance.models.shipped import ARTIFACTS_DIR, SHIPPED, RiskModel

CARD_N, CARD_SEED, CARD_FRAUD_RATE = 200_000, 20240301, 0.01
CARD_TRAIN_DAYS = 24  # train on the first 24 days, hold out the last 6
CARD_GBM_PARAMS: dict[str, Any] = {
    "num_iterations": 150,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "seed": 0,
}
CREDIT_GBM_PARAMS: dict[str, Any] = {
    "num_iterations": 200,
    "num_leaves": 15,
    "learning_rate": 0.05,
    "min_data_in_leaf": 50,
    "seed": 0,
}
LOAN_N, LOAN_SEED = 50_000, 20240301
SCORECARD_PARAMS: dict[str, Any] = {"n_bins": 10, "min_bin_fraction": 0.02, "C": 1.0}
UCI_SPLIT_SEED = 0
VERSION = "1.0"


@dataclass
class TrainedModel:
    name: str
    model: RiskModel
    card: dict[str, Any]


def card_time_split(table: TransactionTable, train_days: int = CARD_TRAIN_DAYS) -> np.ndarray:
    """True for the rows of the first ``train_days`` days (training), False after (held out)."""
    return np.asarray(table["ts"] < EPOCH_S + train_days * 86400)


def uci_split(table: TransactionTable, seed: int = UCI_SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified 80/20 split of the UCI Taiwan clients: (train, test) indices."""
    rows = np.arange(len(table))
    train, test = train_test_split(
        rows, test_size=0.2, stratify=table["default"], random_state=seed
    )
    return np.sort(train), np.sort(test)


def train_card_fraud_gbm() -> TrainedModel:
    table = generate_card_transactions(CARD_N, CARD_SEED, CARD_FRAUD_RATE)
    X, y = card_feature_matrix(table), table["is_fraud"]
    train = card_time_split(table)
    model = GBMRiskModel(**CARD_GBM_PARAMS).fit(X[train], y[train], CARD_FEATURES)
    metrics = evaluate(y[~train], model.predict_proba(X[~train])[:, 1])
    card = _model_card(
        "card_fraud_gbm",
        task="card payment fraud: probability that a payment is fraudulent",
        model=model,
        feature_set="card",
        data=table.card,
        split=f"train: days 1-{CARD_TRAIN_DAYS} ({int(train.sum())} payments, of which 20 % "
        f"stratified for calibration); held out: days {CARD_TRAIN_DAYS + 1}-30 "
        f"({int((~train).sum())} payments)",
        metrics=metrics,
        limitations=[
            "Trained on synthetic payments only: the fraud patterns are stylised (card testing, "
            "account takeover, velocity bursts, merchant collusion) and the probabilities are "
            "calibrated to a 1 % fraud rate. Retrain and recalibrate on the bank's own "
            "labelled payments before it decides anything.",
            "Velocity features must come from a store with exactly the semantics of "
            "yangcheng.finance.models.velocity (previous events of the entity with "
            "ts >= now - window); other windows or an including current event skew scores.",
            "Amounts in CNY; hour in China Standard Time; mcc is used as a number.",
        ],
    )
    return TrainedModel("card_fraud_gbm", model, card)


def train_credit_default_gbm(uci_path: str | Path) -> TrainedModel:
    table = load_uci_taiwan(uci_path)
    X, y = taiwan_feature_matrix(table), table["default"]
    train, test = uci_split(table)
    model = GBMRiskModel(**CREDIT_GBM_PARAMS).fit(X[train], y[train], TAIWAN_FEATURES)
    metrics = evaluate(y[test], model.predict_proba(X[test])[:, 1])
    card = _model_card(
        "credit_default_gbm",
        task="credit-card default: probability of default on the next month's payment",
        model=model,
        feature_set="uci_taiwan",
        data=table.card,
        split=_uci_split_text(train, test),
        metrics=metrics,
        limitations=_uci_limitations(),
    )
    return TrainedModel("credit_default_gbm", model, card)


def train_credit_scorecard(uci_path: str | Path) -> TrainedModel:
    table = load_uci_taiwan(uci_path)
    X, y = taiwan_feature_matrix(table), table["default"]
    train, test = uci_split(table)
    model = LogisticScorecardModel(**SCORECARD_PARAMS).fit(X[train], y[train], TAIWAN_FEATURES)
    metrics = evaluate(y[test], model.predict_proba(X[test])[:, 1])
    card = _model_card(
        "credit_scorecard",
        task="credit-card default: points scorecard (600 points at good:bad odds 50:1, "
        "20 points to double the odds) and probability of default",
        model=model,
        feature_set="uci_taiwan",
        data=table.card,
        split=_uci_split_text(train, test),
        metrics=metrics,
        limitations=[
            *_uci_limitations(),
            "Bins are training quantiles; a feature whose coefficient came out with the wrong "
            "sign was dropped (coefficient 0), so its points are the same for every client.",
        ],
    )
    return TrainedModel("credit_scorecard", model, card)


def train_loan_default_gbm() -> TrainedModel:
    table = generate_loan_applications(LOAN_N, LOAN_SEED)
    X, y = loan_feature_matrix(table), table["default"]
    train, test = train_test_split(
        np.arange(len(table)), test_size=0.2, stratify=y, random_state=UCI_SPLIT_SEED
    )
    model = GBMRiskModel(**CREDIT_GBM_PARAMS).fit(X[train], y[train], LOAN_FEATURES)
    metrics = evaluate(y[test], model.predict_proba(X[test])[:, 1])
    card = _model_card(
        "loan_default_gbm",
        task="consumer-loan application: probability of default, first-party fraud included",
        model=model,
        feature_set="loan",
        data=table.card,
        split=f"stratified 80/20 (random_state={UCI_SPLIT_SEED}): {len(train)} applications "
        f"to train (20 % of them held for calibration), {len(test)} held out",
        metrics=metrics,
        limitations=[
            "Trained on synthetic applications only: the default mechanism and the "
            "first-party-default pattern are stylised, and probabilities are calibrated to "
            "their rates (about 6 % ordinary default plus 2 % first-party). Rebuild it on the "
            "lender's own booked loans, with reject inference, before it decides anything.",
            "Features are what the applicant declares plus bureau counts (inquiries, open "
            "loans, history length) and device facts; declared income is not verified here.",
        ],
    )
    return TrainedModel("loan_default_gbm", model, card)


def train_shipped(
    uci_path: str | Path, out_dir: str | Path = ARTIFACTS_DIR, names: tuple[str, ...] = SHIPPED
) -> dict[str, dict[str, Any]]:
    """Train the named shipped models and write them under ``out_dir``; returns their cards."""
    trainers = {
        "card_fraud_gbm": train_card_fraud_gbm,
        "credit_default_gbm": lambda: train_credit_default_gbm(uci_path),
        "credit_scorecard": lambda: train_credit_scorecard(uci_path),
        "loan_default_gbm": train_loan_default_gbm,
    }
    cards = {}
    for name in names:
        trained = trainers[name]()
        target = Path(out_dir) / name
        target.mkdir(parents=True, exist_ok=True)
        for old in target.iterdir():
            old.unlink()
        trained.model.save(target, metadata={"feature_set": trained.card["features"]["set"]})
        text = json.dumps(trained.card, indent=1, ensure_ascii=False) + "\n"
        (target / "card.json").write_text(text, encoding="utf-8")
        cards[name] = trained.card
    return cards


def _model_card(
    name: str,
    *,
    task: str,
    model: RiskModel,
    feature_set: str,
    data: DatasetCard,
    split: str,
    metrics: dict[str, Any],
    limitations: list[str],
) -> dict[str, Any]:
    row_function = {
        "card": "card_feature_row",
        "loan": "loan_feature_row",
        "uci_taiwan": "taiwan_feature_row",
    }[feature_set]
    return {
        "name": name,
        "version": VERSION,
        "task": task,
        "model": {"class": type(model).__name__, "params": model.get_params()},
        "features": {
            "set": feature_set,
            "row_function": f"yangcheng.finance.models.features.{row_function}",
            "names": list(model.feature_names_),
        },
        "training_data": {**data.to_dict(), "split": split},
        "metrics": {"held_out": metrics},
        "limitations": limitations,
        "built_with": {"lightgbm": lgb.__version__, "scikit-learn": sklearn.__version__},
    }


def _uci_split_text(train: np.ndarray, test: np.ndarray) -> str:
    return (
        f"stratified 80/20 (sklearn train_test_split, random_state={UCI_SPLIT_SEED}): "
        f"{len(train)} clients to train (of which 20 % held for calibration where the model "
        f"calibrates), {len(test)} held out"
    )


def _uci_limitations() -> list[str]:
    return [
        "Clients of one Taiwanese bank in 2005, amounts in NT dollars: the model ranks "
        "clients like those; it does not know mainland Chinese applicants, today's economy "
        "or CNY amounts, and must be rebuilt on the lender's own data before use.",
        "Needs six months of account history (repayment status, bills, payments): it scores "
        "existing card holders, not new applicants.",
        "SEX and MARRIAGE are in the dataset but left out of the features; AGE is used.",
    ]


def _default_uci_path() -> Path:
    data_dir = os.environ.get("YANGCHENG_DATA_DIR")
    if data_dir:
        return Path(data_dir) / "finance" / "UCI_Credit_Card.csv"
    repo = Path(__file__).resolve().parents[4]
    return repo / ".." / "shared" / "data" / "finance" / "UCI_Credit_Card.csv"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--uci", type=Path, default=_default_uci_path(), help="UCI_Credit_Card.csv")
    parser.add_argument("--out", type=Path, default=ARTIFACTS_DIR)
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(SHIPPED)} (default: all)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(SHIPPED))
    if unknown:
        parser.error(f"unknown model {', '.join(unknown)}; shipped: {', '.join(SHIPPED)}")
    cards = train_shipped(args.uci, args.out, tuple(args.names) or SHIPPED)
    for name, card in cards.items():
        held_out = card["metrics"]["held_out"]
        print(f"{name}: ROC-AUC {held_out['roc_auc']:.4f}, PR-AUC {held_out['pr_auc']:.4f}")


if __name__ == "__main__":
    main()
