"""The generated site: deterministic, the right volume, and the shape forecasting relies on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangcheng.security.site import (
    checkpoint_names,
    generate_arrivals,
    peak_hour_rate,
    site_hourly,
    split_kinds,
)

DAILY = 400_000


@pytest.fixture(scope="module")
def site() -> pd.DataFrame:
    return generate_arrivals(28, daily_items=DAILY, checkpoints=4, seed=11)


def test_same_seed_same_frame_other_seed_other_counts() -> None:
    a = generate_arrivals(14, daily_items=DAILY, checkpoints=3, seed=5)
    b = generate_arrivals(14, daily_items=DAILY, checkpoints=3, seed=5)
    c = generate_arrivals(14, daily_items=DAILY, checkpoints=3, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["y"].to_numpy(), c["y"].to_numpy())


def test_long_format_one_row_per_checkpoint_hour(site: pd.DataFrame) -> None:
    assert list(site.columns) == ["unique_id", "ds", "y"]
    assert len(site) == 4 * 28 * 24
    assert (
        sorted(site["unique_id"].unique())
        == checkpoint_names(4)
        == [
            "T1-A",
            "T1-B",
            "T2-A",
            "T2-B",
        ]
    )
    assert site["ds"].min() == pd.Timestamp("2026-01-05")
    for _, series in site.groupby("unique_id"):
        assert (series["ds"].diff().dropna() == pd.Timedelta(hours=1)).all()
    assert site["y"].dtype == np.int64
    assert (site["y"] >= 0).all()


def test_daily_totals_average_daily_items(site: pd.DataFrame) -> None:
    daily = site.groupby(site["ds"].dt.normalize())["y"].sum()
    assert daily.mean() == pytest.approx(DAILY, rel=0.015)
    # Days differ (weekday factors, noise), but no day is off by a factor.
    assert 0.7 * DAILY < daily.min() < daily.max() < 1.3 * DAILY


def test_hour_of_day_has_two_banks_and_quiet_nights(site: pd.DataFrame) -> None:
    by_hour = site_hourly(site).groupby(lambda ts: ts.hour).mean()
    share = by_hour / by_hour.sum()
    assert share[[1, 2, 3]].max() < 0.005, "nights are near empty"
    morning = share[5:10].idxmax()
    evening = share[15:21].idxmax()
    assert 6 <= morning <= 7 and 17 <= evening <= 19
    trough = share[morning:evening].min()
    assert share[morning] > 1.3 * trough and share[evening] > 1.3 * trough


def test_fridays_and_sundays_are_busier_than_saturdays(site: pd.DataFrame) -> None:
    daily = site.groupby(site["ds"].dt.normalize())["y"].sum()
    for friday in daily.index[daily.index.dayofweek == 4]:
        saturday, sunday = friday + pd.Timedelta(days=1), friday + pd.Timedelta(days=2)
        assert daily[friday] > daily[saturday] < daily[sunday]


def test_counts_are_overdispersed_not_poisson(site: pd.DataFrame) -> None:
    """Same checkpoint and hour of the week across 4 weeks: variance far above the mean."""
    busy = site[site["ds"].dt.hour.isin([6, 7, 18])]
    key = [busy["unique_id"], busy["ds"].dt.dayofweek, busy["ds"].dt.hour]
    stats = busy.groupby(key)["y"].agg(["mean", "var"])
    assert (stats["var"] / stats["mean"]).median() > 5


def test_trend_raises_later_weeks() -> None:
    flat = generate_arrivals(28, DAILY, 2, seed=1, trend_per_week=0.0, day_noise_sd=0.0)
    rising = generate_arrivals(28, DAILY, 2, seed=1, trend_per_week=0.05, day_noise_sd=0.0)
    for frame, low, high in ((flat, 0.97, 1.03), (rising, 1.1, 1.2)):
        weekly = frame.groupby((frame["ds"] - frame["ds"].min()).dt.days // 7)["y"].sum()
        assert low < weekly.iloc[3] / weekly.iloc[0] < high


def test_peak_hour_rate_is_the_busiest_site_hour(site: pd.DataFrame) -> None:
    totals = site.groupby("ds")["y"].sum()
    assert peak_hour_rate(site) == totals.max()
    assert peak_hour_rate(site, rank=2) == np.sort(totals.to_numpy())[-2]
    # A typical airport peak hour carries roughly 8-12 % of the day.
    assert 0.07 * DAILY < peak_hour_rate(site) < 0.13 * DAILY
    with pytest.raises(ValueError, match="rank"):
        peak_hour_rate(site, rank=0)


def test_split_kinds_keeps_items_and_has_1_3_bags_per_passenger(site: pd.DataFrame) -> None:
    kinds = split_kinds(site, bags_per_passenger=1.3, seed=2)
    assert kinds["y"].sum() == site["y"].sum()
    totals = kinds.groupby("kind")["y"].sum()
    assert totals["bags"] / totals["passengers"] == pytest.approx(1.3, rel=0.01)
    assert {"T1-A/bags", "T1-A/passengers"} <= set(kinds["unique_id"])


def test_rejects_meaningless_arguments() -> None:
    with pytest.raises(ValueError, match="days"):
        generate_arrivals(0)
    with pytest.raises(ValueError, match="checkpoints"):
        generate_arrivals(7, checkpoints=0)
