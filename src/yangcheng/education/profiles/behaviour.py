"""Learning-behaviour prediction: who will drop out, from the first weeks of activity.

The question a teacher can act on is asked of the students still coming: those with a
response in the last observed week. Those already gone are known, and counting them would
make any model look good (their days since the last response say it all). Features are
computed from the first ``observe_weeks`` weeks only: activity counts per week and their
trend, accuracy and its trend, gaps, day and correct streaks, response times, hints, and the
mean BKT mastery of the practised skills (BKT fitted on the same window, no labels used).
The label is 1 when the student has no response in the later window (by default from week
``2 * observe_weeks`` to the end of the log).

Two models: scikit-learn's ``HistGradientBoostingClassifier`` and a logistic-regression
baseline (imputed, standardised). AUC is measured on held-out students with a bootstrap CI.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, Self

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from yangcheng.education.data.logs import LogError, response_numbers, to_sequences, validate_log
from yangcheng.education.profiles.engagement import DAY_S, WEEK_S, generate_engagement_log
from yangcheng.education.tracing.bkt import BKT

__all__ = [
    "DropoutData",
    "DropoutDataError",
    "DropoutEvaluation",
    "DropoutModel",
    "ModelScore",
    "evaluate_dropout",
    "from_log",
    "generated_dropout_data",
]

ModelKind = Literal["boosting", "logistic"]
_SESSION_GAP_S = 30 * 60.0


class DropoutDataError(ValueError):
    """A log that cannot give dropout features or labels: says which setting and why."""


@dataclass
class DropoutData:
    """One row of features per student still active in the last observed week."""

    features: pd.DataFrame
    """Indexed by student_id."""
    labels: np.ndarray | None
    """1: no response in the label window; None when the log does not reach that window."""
    observe_weeks: int
    label_weeks: tuple[int, int]
    start: float
    """Course start (epoch seconds); week w is [start + w weeks, start + (w+1) weeks)."""


def from_log(
    log: pd.DataFrame,
    observe_weeks: int = 4,
    label_weeks: tuple[int, int] | None = None,
    start: float | None = None,
    bkt_iter: int = 30,
) -> DropoutData:
    """Dropout features (and labels when the log covers the label window) from a real log.

    ``start`` defaults to midnight (UTC) of the first response; ``label_weeks`` to
    ``(2 * observe_weeks, last week of the log + 1)``.
    """
    if observe_weeks < 1:
        raise DropoutDataError(f"observe_weeks must be at least 1, got {observe_weeks}")
    log = validate_log(log)
    missing = np.flatnonzero(np.isnan(log["timestamp"].to_numpy(dtype=np.float64)))
    if missing.size:
        raise LogError(
            int(missing[0]), "timestamp", "dropout prediction needs a time on every response"
        )
    log = log.sort_values(["student_id", "timestamp"], kind="stable").reset_index(drop=True)
    rows = log.groupby(response_numbers(log), sort=False).first()  # one row per response
    when = rows["timestamp"].to_numpy(dtype=np.float64)
    origin = float(np.floor(when.min() / DAY_S) * DAY_S) if start is None else float(start)
    week = np.floor((when - origin) / WEEK_S).astype(np.int64)
    last_week = int(week.max())
    window = label_weeks if label_weeks is not None else (2 * observe_weeks, last_week + 1)
    if not observe_weeks <= window[0] < window[1]:
        raise DropoutDataError(
            f"label_weeks {window} must start at or after observe_weeks={observe_weeks} "
            "and not be empty"
        )
    observed = rows[(week >= 0) & (week < observe_weeks)]
    recent = observed["student_id"][week[(week >= 0) & (week < observe_weeks)] == observe_weeks - 1]
    population = sorted(set(recent))
    if not population:
        raise DropoutDataError(
            f"no student has a response in week {observe_weeks - 1} (the last observed week) "
            f"counting from start={origin}: check start and observe_weeks"
        )
    observed = observed[observed["student_id"].isin(population)]
    features = _features(observed, origin, observe_weeks, bkt_iter)
    labels: np.ndarray | None = None
    if last_week >= window[1] - 1:
        later = set(rows["student_id"][(week >= window[0]) & (week < window[1])])
        labels = np.array([0 if s in later else 1 for s in features.index], dtype=np.int64)
    return DropoutData(features, labels, observe_weeks, window, origin)


def generated_dropout_data(
    n_students: int = 2000, n_weeks: int = 12, observe_weeks: int = 4, seed: int = 0
) -> DropoutData:
    """Features and labels from ``generate_engagement_log`` (same seed, same data)."""
    log, _ = generate_engagement_log(n_students, n_weeks, seed=seed)
    data = from_log(
        log,
        observe_weeks,
        (2 * observe_weeks, n_weeks),
        start=float(log["timestamp"].min() // DAY_S * DAY_S),
    )
    return data


def _features(rows: pd.DataFrame, origin: float, weeks: int, bkt_iter: int) -> pd.DataFrame:
    cutoff = origin + weeks * WEEK_S
    out: dict[str, dict[str, float]] = {}
    for student, group in rows.groupby("student_id", sort=True):
        t = group["timestamp"].to_numpy(dtype=np.float64)
        c = group["correct"].to_numpy(dtype=np.float64)
        w = np.floor((t - origin) / WEEK_S).astype(np.int64)
        counts = np.bincount(w, minlength=weeks).astype(np.float64)
        days = np.unique(np.floor((t - origin) / DAY_S).astype(np.int64))
        edges = np.concatenate([[-1], days, [weeks * 7]])
        half = len(c) // 2
        f: dict[str, float] = {f"responses_week{i}": counts[i] for i in range(weeks)}
        f.update(
            responses=float(len(c)),
            active_days=float(days.size),
            sessions=float(1 + np.sum(np.diff(t) > _SESSION_GAP_S)),
            activity_trend=_slope(counts) / max(counts.mean(), 1.0),
            last_week_share=counts[-1] / len(c),
            accuracy=float(c.mean()),
            accuracy_last_week=float(c[w == weeks - 1].mean()),
            accuracy_trend=float(c[half:].mean() - c[:half].mean()) if half else 0.0,
            max_gap_days=float(np.diff(edges).max() - 1),
            days_since_last=(cutoff - t.max()) / DAY_S,
            longest_day_streak=float(_longest_run(np.diff(days) == 1) + 1),
            longest_correct_streak=float(_longest_run(c == 1)),
            response_time_s=float(np.nanmean(group["response_time_s"]))
            if group["response_time_s"].notna().any()
            else np.nan,
            hints_per_response=float(group["hint_count"].mean()),
            skills_practised=float(group["skill_id"].nunique()),
        )
        out[str(student)] = f
    features = pd.DataFrame.from_dict(out, orient="index")
    features["bkt_mastery"] = _bkt_mastery(rows, bkt_iter).reindex(features.index)
    features.index.name = "student_id"
    return features


def _bkt_mastery(rows: pd.DataFrame, bkt_iter: int) -> pd.Series:
    sequences = to_sequences(rows.reset_index(drop=True))
    tracer = BKT(max_iter=bkt_iter).fit(sequences)
    values = {}
    for seq in sequences:
        practised = np.unique(seq.skills)
        values[seq.student] = float(tracer.mastery(seq)[practised].mean())
    return pd.Series(values)


def _slope(y: np.ndarray) -> float:
    x = np.arange(y.size, dtype=np.float64)
    x -= x.mean()
    return float((x * (y - y.mean())).sum() / max((x * x).sum(), 1e-12))


def _longest_run(flags: np.ndarray) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


class DropoutModel:
    """A dropout classifier with scikit-learn's API: ``fit(X, y)``, ``predict_proba(X)``.

    ``kind="boosting"`` is ``HistGradientBoostingClassifier`` (reads NaN as missing);
    ``kind="logistic"`` is median imputation, standardisation and logistic regression.
    """

    estimator_: Any
    feature_names_: list[str]

    def __init__(self, kind: ModelKind = "boosting", seed: int = 0) -> None:
        self.kind = kind
        self.seed = seed

    def fit(self, features: pd.DataFrame, labels: np.ndarray) -> Self:
        if self.kind == "boosting":
            self.estimator_ = HistGradientBoostingClassifier(
                max_iter=200,
                learning_rate=0.05,
                max_leaf_nodes=15,
                l2_regularization=1.0,
                random_state=self.seed,
            )
        elif self.kind == "logistic":
            self.estimator_ = make_pipeline(
                SimpleImputer(strategy="median"),
                StandardScaler(),
                LogisticRegression(max_iter=2000),
            )
        else:
            raise ValueError(f"kind must be 'boosting' or 'logistic', got {self.kind!r}")
        labels = np.asarray(labels)
        if np.unique(labels).size < 2:
            raise DropoutDataError("the training labels have one class only: nothing to learn")
        self.feature_names_ = list(features.columns)
        self.estimator_.fit(features.to_numpy(dtype=np.float64), labels)
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "estimator_"):
            raise ValueError("DropoutModel is not fitted yet: call fit(features, labels) first")
        missing = [c for c in self.feature_names_ if c not in features.columns]
        if missing:
            raise DropoutDataError(f"features lack column(s) the model was fitted on: {missing}")
        x = features[self.feature_names_].to_numpy(dtype=np.float64)
        return np.asarray(self.estimator_.predict_proba(x))


@dataclass(frozen=True)
class ModelScore:
    auc: float
    auc_low: float
    auc_high: float
    """95% bootstrap interval over test students."""


@dataclass(frozen=True)
class DropoutEvaluation:
    scores: dict[str, ModelScore]
    n_train: int
    n_test: int
    positive_rate: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_dropout(
    data: DropoutData, seed: int = 0, test_fraction: float = 0.3, n_bootstrap: int = 500
) -> DropoutEvaluation:
    """Both models trained on a seeded split of the students, AUC on the held-out ones."""
    if data.labels is None:
        raise DropoutDataError(
            f"no labels: the log ends before the label window {data.label_weeks} does"
        )
    rng = np.random.default_rng(seed)
    n = len(data.features)
    order = rng.permutation(n)
    n_test = round(test_fraction * n)
    test, train = order[:n_test], order[n_test:]
    y = data.labels
    if np.unique(y[test]).size < 2:
        raise DropoutDataError("the test split has one class only: use more students")
    boot = rng.integers(0, n_test, (n_bootstrap, n_test))
    scores = {}
    for kind in ("boosting", "logistic"):
        model = DropoutModel(kind, seed=seed).fit(data.features.iloc[train], y[train])
        p = model.predict_proba(data.features.iloc[test])[:, 1]
        samples = [roc_auc_score(y[test][b], p[b]) for b in boot if np.unique(y[test][b]).size == 2]
        low, high = np.percentile(samples, [2.5, 97.5])
        scores[kind] = ModelScore(float(roc_auc_score(y[test], p)), float(low), float(high))
    return DropoutEvaluation(scores, int(train.size), int(n_test), float(y.mean()))
