"""Backtest a flow on labelled history before it goes live.

The questions a risk team asks of a draft: how many frauds or defaults would
it have stopped (recall), how many good customers would it have bothered
(precision, hit rate), and how does the approval rate move against what runs
today. History is replayed in time order through a fresh in-memory velocity
store, so velocity rules see what they would have seen live.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from yangcheng.finance.decision import Flow, Resources
from yangcheng.finance.rules import ListStore, VelocityStore


@dataclass
class RuleStats:
    rule_id: str
    hits: int
    precision: float


@dataclass
class BacktestReport:
    flow: str
    version: int
    records: int
    positives: int
    flagged: int
    declined: int
    precision: float
    recall: float
    f1: float
    hit_rate: float
    approval_rate: float
    decline_recall: float
    score_auc: float | None
    baseline_version: int | None = None
    baseline_approval_rate: float | None = None
    approval_rate_change: float | None = None
    baseline_recall: float | None = None
    rules: list[RuleStats] = field(default_factory=list)


@dataclass
class _Run:
    decisions: list[str]
    scores: list[float]
    rule_hits: Counter[str]
    rule_true: Counter[str]


def _replay(
    flow: Flow, rows: Sequence[Mapping[str, Any]], labels: np.ndarray, lists: ListStore | None
) -> _Run:
    resources = Resources(VelocityStore(None), lists, record=True)
    run = _Run([], [], Counter(), Counter())
    for row, label in zip(rows, labels, strict=True):
        result = flow.decide(row, resources)
        run.decisions.append(result.decision)
        run.scores.append(result.score if result.score is not None else float("nan"))
        for rule_id in {f.rule_id for f in result.rules_fired}:
            run.rule_hits[rule_id] += 1
            run.rule_true[rule_id] += int(label)
    return run


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def backtest(
    flow: Flow,
    rows: Iterable[Mapping[str, Any]],
    labels: Sequence[int] | np.ndarray,
    *,
    baseline: Flow | None = None,
    lists: ListStore | None = None,
    ts_field: str = "ts",
) -> BacktestReport:
    """Replay ``rows`` (any order; sorted by ``ts_field`` here) with 0/1 ``labels``."""
    table = list(rows)
    y = np.asarray(labels, dtype=np.int64)
    if len(table) != len(y):
        raise ValueError(f"{len(table)} rows but {len(y)} labels")
    if not table:
        raise ValueError("backtest needs at least one labelled row")
    if all(ts_field in r for r in table):
        order = sorted(range(len(table)), key=lambda i: float(table[i][ts_field]))
        table = [table[i] for i in order]
        y = y[order]
    run = _replay(flow, table, y, lists)
    flagged = np.array([d != "approve" for d in run.decisions])
    declined = np.array([d == "decline" for d in run.decisions])
    tp = int((flagged & (y == 1)).sum())
    precision = _ratio(tp, int(flagged.sum()))
    recall = _ratio(tp, int((y == 1).sum()))
    scores = np.array(run.scores)
    auc = None
    if np.isfinite(scores).all() and 0 < y.sum() < len(y):
        from yangcheng.finance.models.metrics import roc_auc

        auc = float(roc_auc(y, scores))
    report = BacktestReport(
        flow=flow.name,
        version=flow.version,
        records=len(table),
        positives=int(y.sum()),
        flagged=int(flagged.sum()),
        declined=int(declined.sum()),
        precision=precision,
        recall=recall,
        f1=_ratio(2 * precision * recall, precision + recall),
        hit_rate=float(flagged.mean()),
        approval_rate=1.0 - float(flagged.mean()),
        decline_recall=_ratio(int((declined & (y == 1)).sum()), int((y == 1).sum())),
        score_auc=auc,
        rules=sorted(
            (RuleStats(r, n, _ratio(run.rule_true[r], n)) for r, n in run.rule_hits.items()),
            key=lambda s: -s.hits,
        ),
    )
    if baseline is not None:
        base = _replay(baseline, table, y, lists)
        base_flagged = np.array([d != "approve" for d in base.decisions])
        report.baseline_version = baseline.version
        report.baseline_approval_rate = 1.0 - float(base_flagged.mean())
        report.approval_rate_change = report.approval_rate - report.baseline_approval_rate
        report.baseline_recall = _ratio(int((base_flagged & (y == 1)).sum()), int((y == 1).sum()))
    return report
