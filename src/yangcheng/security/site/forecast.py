"""Forecasting each checkpoint's hourly arrivals, and measuring how good the forecast is.

Staffing is only as good as the forecast it is built on, so every model here is scored against
the obvious baseline — next week's hour equals this week's (seasonal naive) — on the days held
back at the end of the history. The default model, ``"mstl"``, was chosen by that measurement
on generated sites (``site_benchmark``): statsforecast's MSTL with one weekly season (168 h,
which contains the daily one and lets Friday's banks differ from Tuesday's), a one-week moving
average for the level, fitted on ``log1p`` of the counts so that the weekly pattern scales with
the level instead of adding to it. A trend from AutoETS extrapolates the last day's random
excursion and did worse than the moving average; an additive fit on raw counts was worse at the
quiet shoulder hours that MAPE weighs heavily.

Input is statsforecast's long format: ``unique_id`` (checkpoint), ``ds`` (hour), ``y`` (count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

__all__ = [
    "MIN_HISTORY_H",
    "MODELS",
    "WEEK_H",
    "BacktestResult",
    "InvalidHistory",
    "ModelName",
    "backtest",
    "forecast",
    "validate_history",
]

ModelName = Literal["seasonal_naive", "mstl"]
MODELS: tuple[ModelName, ...] = get_args(ModelName)
WEEK_H = 168
#: The weekly season needs two full cycles before it can be estimated at all.
MIN_HISTORY_H = 2 * WEEK_H


class InvalidHistory(ValueError):
    """An arrival history the forecaster cannot use, naming the column and, where one is to
    blame, the row (its position in the frame as given)."""

    def __init__(self, field: str, reason: str, row: int | None = None) -> None:
        where = field if row is None else f"row {row}, {field}"
        super().__init__(f"{where}: {reason}")
        self.field = field
        self.reason = reason
        self.row = row


#: Models fitted on log1p(count) rather than the count.
_LOG_SCALE: dict[ModelName, bool] = {"seasonal_naive": False, "mstl": True}


def _build(name: ModelName) -> Any:
    """The statsforecast model behind ``name`` (imported here: statsforecast takes seconds to
    import, which a process that only registers capabilities should not pay)."""
    from statsforecast.models import MSTL, SeasonalNaive, WindowAverage

    model: Any
    if name == "seasonal_naive":
        model = SeasonalNaive(season_length=WEEK_H)
    else:
        model = MSTL(season_length=WEEK_H, trend_forecaster=WindowAverage(window_size=WEEK_H))
    model.alias = name
    return model


def validate_history(df: pd.DataFrame, min_hours: int = MIN_HISTORY_H) -> pd.DataFrame:
    """Check that ``df`` is an hourly, gap-free, non-negative history; return it sorted.

    Raises InvalidHistory for missing columns, timestamps that are not whole hours,
    timezone-aware timestamps, negative or non-finite counts, an hour given twice for a
    checkpoint, a missing hour inside a checkpoint's history, or a checkpoint with fewer than
    ``min_hours`` hours. Rows are reported by their position in ``df``.
    """
    for column in ("unique_id", "ds", "y"):
        if column not in df.columns:
            raise InvalidHistory(column, "missing column (need unique_id, ds, y)")
    data = pd.DataFrame(
        {"unique_id": df["unique_id"].astype(str).to_numpy(), "row": np.arange(len(df))}
    )
    try:
        ds = pd.to_datetime(df["ds"])
    except (ValueError, TypeError) as exc:
        raise InvalidHistory("ds", f"not timestamps ({exc})") from None
    if isinstance(ds.dtype, pd.DatetimeTZDtype):
        raise InvalidHistory("ds", "timezone-aware timestamps; give local (naive) hours")
    data["ds"] = ds.to_numpy()
    y = pd.to_numeric(df["y"], errors="coerce").to_numpy(dtype=float)
    data["y"] = y
    bad = np.flatnonzero(~np.isfinite(y) | (y < 0))
    if bad.size:
        raise InvalidHistory("y", f"count must be a finite number >= 0, got {y[bad[0]]}", bad[0])
    off_hour = np.flatnonzero((data["ds"] != data["ds"].dt.floor("h")).to_numpy())
    if off_hour.size:
        raise InvalidHistory(
            "ds", f"{data['ds'].iloc[off_hour[0]]} is not a whole hour", int(off_hour[0])
        )
    data = data.sort_values(["unique_id", "ds", "row"], kind="stable")
    same_series = data["unique_id"].to_numpy()[1:] == data["unique_id"].to_numpy()[:-1]
    step = np.diff(data["ds"].to_numpy()) / np.timedelta64(1, "h")
    dupes = np.flatnonzero(same_series & (step == 0))
    if dupes.size:
        dup = data.iloc[dupes[0] + 1]
        raise InvalidHistory(
            "ds", f"{dup['unique_id']} has hour {dup['ds']} twice", int(dup["row"])
        )
    gaps = np.flatnonzero(same_series & (step > 1))
    if gaps.size:
        before, after = data.iloc[gaps[0]], data.iloc[gaps[0] + 1]
        missing = int(step[gaps[0]]) - 1
        raise InvalidHistory(
            "ds",
            f"{after['unique_id']} is missing {missing} hour(s) between {before['ds']} and "
            f"{after['ds']}",
            int(after["row"]),
        )
    lengths = data.groupby("unique_id").size()
    short = lengths[lengths < min_hours]
    if len(short):
        raise InvalidHistory(
            "ds",
            f"{short.index[0]} has {int(short.iloc[0])} hours of history; at least {min_hours} "
            f"({min_hours / 24:g} days) are needed",
        )
    return data.drop(columns="row").reset_index(drop=True)


def _check_models(models: Sequence[str]) -> list[ModelName]:
    unknown = [m for m in models if m not in _LOG_SCALE]
    if unknown or not models:
        raise ValueError(f"models must be among {MODELS}, got {list(models)}")
    return [m for m in MODELS if m in models]


def _predict(history: pd.DataFrame, horizon_h: int, models: Sequence[ModelName]) -> pd.DataFrame:
    """Forecast every series ``horizon_h`` hours ahead with each model; counts clipped at 0."""
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    out: pd.DataFrame | None = None
    for log_scale in (False, True):
        names = [m for m in models if _LOG_SCALE[m] == log_scale]
        if not names:
            continue
        built = [_build(name) for name in names]
        train = history[["unique_id", "ds", "y"]]
        if log_scale:
            train = train.assign(y=np.log1p(train["y"]))
        engine = StatsForecast(
            models=built,
            freq="h",
            n_jobs=1,
            fallback_model=SeasonalNaive(season_length=WEEK_H),
        )
        predicted = engine.forecast(h=horizon_h, df=train)
        for name in names:
            values = predicted[name].to_numpy(dtype=float)
            predicted[name] = np.clip(np.expm1(values) if log_scale else values, 0.0, None)
        out = predicted if out is None else out.merge(predicted, on=["unique_id", "ds"])
    assert out is not None
    return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def forecast(df: pd.DataFrame, horizon_h: int, model: ModelName = "mstl") -> pd.DataFrame:
    """Each checkpoint's count for the ``horizon_h`` hours after its history ends.

    Returns ``unique_id``, ``ds``, ``forecast`` (expected items that hour, >= 0).
    """
    if horizon_h < 1:
        raise ValueError(f"horizon_h must be at least 1, got {horizon_h}")
    (name,) = _check_models([model])
    predicted = _predict(validate_history(df), horizon_h, [name])
    return predicted.rename(columns={name: "forecast"})[["unique_id", "ds", "forecast"]]


@dataclass(frozen=True)
class BacktestResult:
    """Forecasts of the held-back days next to what happened, and the errors.

    ``forecasts`` has ``unique_id``, ``ds``, ``y`` (actual), ``counted`` (whether the hour
    enters MAPE and sMAPE) and one column per model. ``per_series`` has one row per model and
    checkpoint, ``overall`` one row per model (indexed by model), with ``mape_pct``,
    ``smape_pct``, ``wape_pct`` and ``hours_counted``.
    """

    forecasts: pd.DataFrame
    per_series: pd.DataFrame
    overall: pd.DataFrame
    horizon_h: int
    floor_fraction: float
    models: tuple[ModelName, ...]

    @property
    def hours_counted(self) -> int:
        return int(self.forecasts["counted"].sum())

    @property
    def hours_total(self) -> int:
        return len(self.forecasts)

    def mape_pct(self, model: ModelName) -> float:
        return float(self.overall.loc[model, "mape_pct"])

    def wape_pct(self, model: ModelName) -> float:
        return float(self.overall.loc[model, "wape_pct"])

    def undershoot_margin(self, model: ModelName = "mstl", quantile: float = 0.9) -> float:
        """How far above its forecast the actual count went, as a fraction of the forecast,
        in the ``quantile`` of counted hours (0 if the forecast was mostly high): planning for
        ``forecast * (1 + margin)`` covers that share of hours."""
        counted = self.forecasts[self.forecasts["counted"]]
        predicted = counted[model].to_numpy(dtype=float)
        ratio = counted["y"].to_numpy(dtype=float) / np.maximum(predicted, 1e-9) - 1.0
        return max(0.0, float(np.quantile(ratio, quantile)))

    def best_model(self) -> ModelName:
        """The model with the lowest overall MAPE."""
        best: ModelName = self.overall["mape_pct"].idxmin()
        return best


def _errors(frame: pd.DataFrame, model: str) -> dict[str, float]:
    counted = frame["counted"].to_numpy()
    y = frame["y"].to_numpy(dtype=float)
    yhat = frame[model].to_numpy(dtype=float)
    abs_err = np.abs(yhat - y)
    denom = np.abs(y) + np.abs(yhat)
    return {
        "mape_pct": float(100 * np.mean(abs_err[counted] / y[counted])),
        "smape_pct": float(100 * np.mean(2 * abs_err[counted] / denom[counted])),
        "wape_pct": float(100 * abs_err.sum() / max(y.sum(), 1e-12)),
        "hours_counted": float(counted.sum()),
    }


def backtest(
    df: pd.DataFrame,
    horizon_days: int = 7,
    models: Sequence[ModelName] = ("seasonal_naive", "mstl"),
    floor_fraction: float = 0.05,
) -> BacktestResult:
    """Hold back each checkpoint's last ``horizon_days`` days, forecast them, score each model.

    MAPE divides by the actual count, so the near-empty night hours (a few dozen items against
    thousands at the banks) would dominate it with percentages that mean nothing for staffing.
    MAPE and sMAPE therefore count only the hours whose actual count is at least
    ``floor_fraction`` of that checkpoint's mean hourly count over the held-back days (the
    ``counted`` column; typically the nights drop out, about 12 % of hours at the default 5 %).
    WAPE — sum of absolute errors over sum of actuals — needs no floor and uses every hour; it
    is the share of the items that the forecast put in the wrong hour or missed.
    """
    names = _check_models(models)
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    if not 0 <= floor_fraction < 1:
        raise ValueError(f"floor_fraction must be in [0, 1), got {floor_fraction}")
    horizon_h = horizon_days * 24
    history = validate_history(df, min_hours=MIN_HISTORY_H + horizon_h)
    last = history.groupby("unique_id")["ds"].transform("max")
    held = history["ds"] > last - pd.Timedelta(hours=horizon_h)
    predicted = _predict(history[~held], horizon_h, names)
    frame = history[held].merge(predicted, on=["unique_id", "ds"], how="left")
    floor = floor_fraction * frame.groupby("unique_id")["y"].transform("mean")
    frame["counted"] = (frame["y"] >= floor) & (frame["y"] > 0)
    frame = frame[["unique_id", "ds", "y", "counted", *names]]

    per_series = pd.DataFrame(
        [
            {"model": name, "unique_id": uid, **_errors(group, name)}
            for name in names
            for uid, group in frame.groupby("unique_id")
        ]
    )
    overall = pd.DataFrame([{"model": name, **_errors(frame, name)} for name in names])
    return BacktestResult(
        forecasts=frame.reset_index(drop=True),
        per_series=per_series,
        overall=overall.set_index("model"),
        horizon_h=horizon_h,
        floor_fraction=floor_fraction,
        models=tuple(names),
    )
