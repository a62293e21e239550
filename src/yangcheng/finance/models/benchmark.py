"""Finance risk-model benchmark, run by `yangcheng bench finance-models [--quick]`.

Trains and evaluates on held-out data:

* GBM on synthetic card fraud: days 1-24 train, days 25-30 held out (a later period);
* GBM on the ULB credit-card sample: stratified 70/30. The sample keeps all 492 frauds
  but only 1,230 normal payments (~29 % fraud against 0.17 % in the full data), so its
  PR-AUC is not a production precision;
* GBM and WoE scorecard on UCI Taiwan default of credit card clients, stratified 80/20;
* GBM on synthetic loan applications, stratified 80/20;
* single-row latency of the shipped models (`score_row`, feature row, reason codes).

Real data from ../shared/data/finance (or $YANGCHENG_DATA_DIR/finance); rows needing a
missing file are skipped. Figures measured on the UCI and ULB files must cite them
(Yeh & Lien 2009, UCI, CC BY 4.0; Dal Pozzolo et al. 2015, ULB, ODbL).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
from sklearn.model_selection import train_test_split

from yangcheng.finance.data import (
    generate_card_transactions,
    generate_loan_applications,
    load_uci_taiwan,
    load_ulb_creditcard,
)
from yangcheng.finance.models import (
    CARD_FEATURES,
    LOAN_FEATURES,
    TAIWAN_FEATURES,
    GBMRiskModel,
    LogisticScorecardModel,
    card_feature_matrix,
    card_feature_row,
    evaluate,
    load_shipped,
    loan_feature_matrix,
    roc_auc,
    taiwan_feature_matrix,
)
from yangcheng.finance.models.train import (
    CARD_FRAUD_RATE,
    CARD_GBM_PARAMS,
    CARD_N,
    CARD_SEED,
    CREDIT_GBM_PARAMS,
    SCORECARD_PARAMS,
    card_time_split,
    uci_split,
)
from yangcheng.finance.models.velocity import VELOCITY_FEATURES

# src/yangcheng/finance/models/benchmark.py -> the repository root is four folders up
ROOT = Path(__file__).resolve().parents[4]


def data_dir() -> Path:
    env = os.environ.get("YANGCHENG_DATA_DIR")
    return Path(env) if env else ROOT / ".." / "shared" / "data"


def _row(name: str, dataset: str, split: str, fit_s: float, n_train: int, **m: Any) -> dict:
    return {
        "model": name,
        "dataset": dataset,
        "split": split,
        "n_train": n_train,
        "fit_s": fit_s,
        **m,
    }


def _fit(model: Any, X: np.ndarray, y: np.ndarray, names: Any) -> float:
    t0 = time.perf_counter()
    model.fit(X, y, names)
    return time.perf_counter() - t0


def card_fraud(quick: bool) -> list[dict]:
    n = 50_000 if quick else CARD_N
    table = generate_card_transactions(n, CARD_SEED, CARD_FRAUD_RATE)
    X, y = card_feature_matrix(table), table["is_fraud"]
    train = card_time_split(table)
    model = GBMRiskModel(**CARD_GBM_PARAMS)
    fit_s = _fit(model, X[train], y[train], CARD_FEATURES)
    p = model.predict_proba(X[~train])[:, 1]
    metrics = evaluate(y[~train], p)
    metrics["roc_auc_raw_score"] = roc_auc(y[~train], model.decision_function(X[~train]))
    # recall of each pattern at the threshold that flags 1 % of legitimate payments
    pattern = table["pattern"][~train]
    threshold = np.quantile(p[~y[~train]], 0.99)
    metrics["recall_at_1pct_fpr_by_pattern"] = {
        str(name): float(np.mean(p[pattern == name] > threshold))
        for name in np.unique(pattern)
        if name != "none"
    }
    split = "days 1-24 train / days 25-30 held out"
    return [_row("GBM", f"synthetic cards n={n}", split, fit_s, int(train.sum()), **metrics)]


def ulb(_: bool) -> list[dict]:
    path = data_dir() / "finance" / "creditcard_sample.csv"
    if not path.exists():
        return []
    table = load_ulb_creditcard(path)
    names = [f"V{i}" for i in range(1, 29)] + ["amount_eur"]
    X = np.column_stack([table[c] for c in names])
    y = table["is_fraud"]
    tr, te = train_test_split(np.arange(len(y)), test_size=0.3, stratify=y, random_state=0)
    model = GBMRiskModel(num_iterations=200, num_leaves=7, min_data_in_leaf=10, seed=0)
    fit_s = _fit(model, X[tr], y[tr], names)
    metrics = evaluate(y[te], model.predict_proba(X[te])[:, 1])
    metrics["roc_auc_raw_score"] = roc_auc(y[te], model.decision_function(X[te]))
    split = "stratified 70/30 (rebalanced sample, ~29 % fraud)"
    return [_row("GBM", "ULB creditcard_sample", split, fit_s, len(tr), **metrics)]


def uci(_: bool) -> list[dict]:
    path = data_dir() / "finance" / "UCI_Credit_Card.csv"
    if not path.exists():
        return []
    table = load_uci_taiwan(path)
    X, y = taiwan_feature_matrix(table), table["default"]
    tr, te = uci_split(table)
    rows = []
    for name, model in (
        ("GBM", GBMRiskModel(**CREDIT_GBM_PARAMS)),
        ("WoE scorecard", LogisticScorecardModel(**SCORECARD_PARAMS)),
    ):
        fit_s = _fit(model, X[tr], y[tr], TAIWAN_FEATURES)
        metrics = evaluate(y[te], model.predict_proba(X[te])[:, 1])
        rows.append(_row(name, "UCI Taiwan", "stratified 80/20", fit_s, len(tr), **metrics))
    return rows


def loans(quick: bool) -> list[dict]:
    n = 20_000 if quick else 50_000
    table = generate_loan_applications(n, seed=11)
    X, y = loan_feature_matrix(table), table["default"]
    tr, te = train_test_split(np.arange(n), test_size=0.2, stratify=y, random_state=0)
    rows = []
    for name, model in (
        ("GBM", GBMRiskModel(**CREDIT_GBM_PARAMS)),
        ("WoE scorecard", LogisticScorecardModel(**SCORECARD_PARAMS)),
    ):
        fit_s = _fit(model, X[tr], y[tr], LOAN_FEATURES)
        p = model.predict_proba(X[te])[:, 1]
        metrics = evaluate(y[te], p)
        fpd = table["pattern"][te] == "first_party_default"
        metrics["roc_auc_without_fpd"] = roc_auc(y[te][~fpd], p[~fpd])
        split = "stratified 80/20"
        rows.append(_row(name, f"synthetic loans n={n}", split, fit_s, len(tr), **metrics))
    return rows


def _timed(fn: Callable[[int], Any], n: int) -> dict[str, float]:
    for i in range(min(n, 200)):  # warm up
        fn(i)
    times = np.empty(n)
    for i in range(n):
        t0 = time.perf_counter_ns()
        fn(i)
        times[i] = time.perf_counter_ns() - t0
    return {
        "p50_us": float(np.percentile(times, 50) / 1e3),
        "p99_us": float(np.percentile(times, 99) / 1e3),
    }


def latency(quick: bool) -> dict[str, dict[str, float]]:
    n = 2000 if quick else 20_000
    table = generate_card_transactions(5000, seed=5)
    X = card_feature_matrix(table)
    velocity = [
        dict(zip(VELOCITY_FEATURES, X[i, -len(VELOCITY_FEATURES) :], strict=True))
        for i in range(len(X))
    ]
    rows = [table[i] for i in range(len(X))]
    card = cast(GBMRiskModel, load_shipped("card_fraud_gbm"))
    out = {
        "card_fraud_gbm.score_row": _timed(lambda i: card.score_row(X[i % len(X)]), n),
        "card_feature_row": _timed(
            lambda i: card_feature_row(rows[i % len(X)], velocity[i % len(X)]), n
        ),
        "card_fraud_gbm.reason_codes": _timed(lambda i: card.reason_codes(X[i % len(X)]), n // 4),
        "card_fraud_gbm.predict_proba_1row": _timed(
            lambda i: card.predict_proba(X[i % len(X)][None, :]), n // 4
        ),
    }
    uci_path = data_dir() / "finance" / "UCI_Credit_Card.csv"
    if uci_path.exists():
        Xc = taiwan_feature_matrix(load_uci_taiwan(uci_path))[:5000]
        gbm = cast(GBMRiskModel, load_shipped("credit_default_gbm"))
        scorecard = cast(LogisticScorecardModel, load_shipped("credit_scorecard"))
        out["credit_default_gbm.score_row"] = _timed(lambda i: gbm.score_row(Xc[i % 5000]), n)
        out["credit_scorecard.points"] = _timed(lambda i: scorecard.points(Xc[i % 5000]), n // 4)
    return out


def bench_finance_models(quick: bool) -> dict[str, Any]:
    models: list[dict] = []
    for part in (card_fraud, ulb, uci, loans):
        models.extend(part(quick))
    return {"models": models, "latency": latency(quick)}


def flat_metrics(quick: bool) -> dict[str, Any]:
    """The benchmark as flat name -> value pairs, for `yangcheng bench`."""
    result = bench_finance_models(quick)
    flat: dict[str, Any] = {}
    for row in result["models"]:
        tag = f"{row['model']}@{row['dataset']}"
        for key in ("roc_auc", "pr_auc", "recall_at_1pct_fpr"):
            if key in row:
                flat[f"{tag}.{key}"] = row[key]
    for name, t in result["latency"].items():
        flat[f"{name}.p50_us"] = t["p50_us"]
        flat[f"{name}.p99_us"] = t["p99_us"]
    return flat
