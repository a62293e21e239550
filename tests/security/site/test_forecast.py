"""Forecasts: the chosen model beats repeating last week, and bad histories are refused."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from yangcheng.security.site import (
    BacktestResult,
    InvalidHistory,
    backtest,
    forecast,
    generate_arrivals,
    validate_history,
)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    # 5 weeks, 2 checkpoints: enough for a 7-day backtest on 4 weeks, small enough to be quick.
    return generate_arrivals(35, daily_items=200_000, checkpoints=2, seed=3)


@pytest.fixture(scope="module")
def result(history: pd.DataFrame) -> BacktestResult:
    return backtest(history, horizon_days=7)


def test_mstl_beats_seasonal_naive_on_noisy_generated_data(result: BacktestResult) -> None:
    """Seasonal naive copies one noisy week; MSTL averages the weeks, so its error is smaller."""
    assert result.mape_pct("mstl") < 0.9 * result.mape_pct("seasonal_naive")
    assert result.wape_pct("mstl") < 0.9 * result.wape_pct("seasonal_naive")
    per = result.per_series.pivot(index="unique_id", columns="model", values="mape_pct")
    assert (per["mstl"] < per["seasonal_naive"]).all()
    assert result.best_model() == "mstl"
    # Noise of ~8 % per hour bounds how good any forecast can be.
    assert 5 < result.mape_pct("mstl") < 12


def test_backtest_holds_back_the_last_week_of_each_checkpoint(
    history: pd.DataFrame, result: BacktestResult
) -> None:
    frame = result.forecasts
    assert result.horizon_h == 168 and result.hours_total == 2 * 168
    for uid, held in frame.groupby("unique_id"):
        actual = history[history["unique_id"] == uid].tail(168)
        assert held["ds"].tolist() == actual["ds"].tolist()
        assert held["y"].tolist() == actual["y"].tolist()


def test_mape_counts_only_hours_above_the_floor(result: BacktestResult) -> None:
    frame = result.forecasts
    mean = frame.groupby("unique_id")["y"].transform("mean")
    floor = result.floor_fraction * mean
    assert (frame.loc[frame["counted"], "y"] >= floor[frame["counted"]]).all()
    assert (frame.loc[~frame["counted"], "y"] < floor[~frame["counted"]]).all()
    hour = frame["ds"].dt.hour
    assert frame.loc[hour.isin([1, 2]), "counted"].mean() < 0.2, "nights mostly drop out"
    assert frame.loc[hour.isin([6, 7, 18]), "counted"].all(), "banks always count"
    assert 0.7 < result.hours_counted / result.hours_total < 0.97
    counted = frame[frame["counted"]]
    ape = (counted["mstl"] - counted["y"]).abs() / counted["y"]
    assert result.mape_pct("mstl") == pytest.approx(100 * ape.mean())
    wape = (frame["mstl"] - frame["y"]).abs().sum() / frame["y"].sum()
    assert result.wape_pct("mstl") == pytest.approx(100 * wape)


def test_undershoot_margin_covers_the_asked_share_of_hours(result: BacktestResult) -> None:
    margin = result.undershoot_margin("mstl", 0.9)
    counted = result.forecasts[result.forecasts["counted"]]
    covered = counted["y"] <= counted["mstl"] * (1 + margin) + 1e-9
    assert covered.mean() == pytest.approx(0.9, abs=0.01)


def test_forecast_continues_each_series_with_its_daily_shape(history: pd.DataFrame) -> None:
    out = forecast(history, horizon_h=30)
    assert list(out.columns) == ["unique_id", "ds", "forecast"]
    assert len(out) == 2 * 30
    start = history["ds"].max() + pd.Timedelta(hours=1)
    for _, series in out.groupby("unique_id"):
        assert series["ds"].tolist() == list(pd.date_range(start, periods=30, freq="h"))
    assert (out["forecast"] >= 0).all()
    by_hour = out.groupby(out["ds"].dt.hour)["forecast"].mean()
    assert by_hour[6] > 10 * by_hour[3]
    pd.testing.assert_frame_equal(out, forecast(history, horizon_h=30))


def test_forecast_needs_two_weeks(history: pd.DataFrame) -> None:
    short = history.groupby("unique_id").head(13 * 24)
    with pytest.raises(InvalidHistory, match="336") as info:
        forecast(short, horizon_h=24)
    assert info.value.field == "ds"
    with pytest.raises(ValueError, match="model"):
        forecast(history, horizon_h=24, model="prophet")  # type: ignore[arg-type, unused-ignore]


def _small() -> pd.DataFrame:
    return generate_arrivals(15, daily_items=10_000, checkpoints=2, seed=0)


@pytest.mark.parametrize(
    ("corrupt", "field", "row", "words"),
    [
        (lambda df: df.assign(y=df["y"].where(df.index != 40, -3)), "y", 40, ">= 0"),
        (
            lambda df: df.assign(y=df["y"].astype(float).where(df.index != 41, np.nan)),
            "y",
            41,
            "finite",
        ),
        (
            lambda df: df.assign(
                ds=df["ds"].where(df.index != 42, df["ds"][42] + pd.Timedelta(minutes=30))
            ),
            "ds",
            42,
            "whole hour",
        ),
        (lambda df: df.assign(ds=df["ds"].where(df.index != 43, df["ds"][42])), "ds", 43, "twice"),
        (lambda df: df.drop(index=[44, 45]), "ds", 44, "missing 2 hour"),
        (lambda df: df.drop(columns="y"), "y", None, "missing column"),
        (lambda df: df.assign(ds=df["ds"].dt.tz_localize("UTC")), "ds", None, "timezone"),
    ],
)
def test_bad_histories_name_the_field_and_row(
    corrupt: Callable[[pd.DataFrame], pd.DataFrame], field: str, row: int | None, words: str
) -> None:
    with pytest.raises(InvalidHistory, match=words) as info:
        validate_history(corrupt(_small()))
    assert (info.value.field, info.value.row) == (field, row)


def test_validate_history_sorts_and_keeps_only_the_three_columns() -> None:
    df = _small()
    shuffled = df.sample(frac=1.0, random_state=0).assign(kind="bags")
    clean = validate_history(shuffled.reset_index(drop=True))
    assert list(clean.columns) == ["unique_id", "ds", "y"]
    pd.testing.assert_frame_equal(clean, df.astype({"y": float}))
