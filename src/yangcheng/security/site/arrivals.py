"""Hourly arrivals at a screening site's checkpoints, generated from a seed.

Forecasting and staffing need realistic history to be developed and benchmarked against, and a
real site's counts are rarely shareable. The generator reproduces the shape that matters for
both — strong daily and weekly seasonality, near-empty nights, day-to-day variation and noise
larger than Poisson — so a forecaster that works here has to model the same structure it would
meet at an airport.

The output is statsforecast's long format (``unique_id``, ``ds``, ``y``): one row per checkpoint
per hour, ``y`` the number of items (passengers and bags) presented for screening that hour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "DAY_OF_WEEK_FACTOR",
    "HOUR_OF_DAY_BANKS",
    "checkpoint_names",
    "generate_arrivals",
    "peak_hour_rate",
    "site_hourly",
    "split_kinds",
]

#: Relative volume by weekday, Monday first: Friday and Sunday are the heavy travel days,
#: Saturday the light one (normalised to a mean of 1 over a week).
DAY_OF_WEEK_FACTOR = np.array([1.00, 0.93, 0.95, 1.03, 1.13, 0.84, 1.12])
DAY_OF_WEEK_FACTOR = DAY_OF_WEEK_FACTOR / DAY_OF_WEEK_FACTOR.mean()

#: Flight banks as (centre hour, width h, relative height): the morning departure bank is the
#: day's peak, the evening bank a close second, with smaller midday and late-evening waves.
HOUR_OF_DAY_BANKS = (
    (6.5, 1.1, 1.00),
    (11.5, 1.4, 0.55),
    (15.0, 1.4, 0.50),
    (18.5, 1.2, 0.85),
    (21.5, 0.9, 0.30),
)
_NIGHT_FLOOR = 0.015  # a trickle of crew and cargo at 01:00-04:00


def checkpoint_names(checkpoints: int) -> list[str]:
    """Two checkpoints a terminal: T1-A, T1-B, T2-A, T2-B, ..."""
    return [f"T{i // 2 + 1}-{'AB'[i % 2]}" for i in range(checkpoints)]


def _hour_profile(scales: np.ndarray) -> np.ndarray:
    """Mean relative rate for each hour of the day (evaluated at the half hour)."""
    hour = np.arange(24) + 0.5
    rate = np.full(24, _NIGHT_FLOOR)
    for (centre, width, height), scale in zip(HOUR_OF_DAY_BANKS, scales, strict=True):
        # Wrap around midnight so the late bank bleeds into 00:00 rather than vanishing.
        distance = np.minimum(np.abs(hour - centre), 24 - np.abs(hour - centre))
        rate += height * scale * np.exp(-0.5 * (distance / width) ** 2)
    return rate / rate.sum()


def generate_arrivals(
    days: int,
    daily_items: float = 1_000_000,
    checkpoints: int = 4,
    seed: int = 0,
    start: str = "2026-01-05",
    *,
    trend_per_week: float = 0.003,
    day_noise_sd: float = 0.04,
    hour_dispersion: float = 200.0,
) -> pd.DataFrame:
    """Hourly item counts for ``checkpoints`` checkpoints over ``days`` days.

    The expected count of checkpoint ``j`` in hour ``t`` is::

        mu[j, t] = share[j] * hour_profile[j][hour(t)] * DAY_OF_WEEK_FACTOR[weekday(t)]
                   * (1 + trend_per_week * weeks(t))

    scaled so that the whole site's expected daily total, averaged over the span, is exactly
    ``daily_items``. ``hour_profile`` is the sum of the flight banks in ``HOUR_OF_DAY_BANKS``
    (morning peak around 06:00-07:00, evening peak around 18:00-19:00, near zero at night)
    with each checkpoint's bank heights varied by up to ±20 %; ``share`` splits the site
    between checkpoints unevenly (Dirichlet). The observed count is gamma-Poisson (negative
    binomial)::

        y ~ Poisson(mu * D * G),  D ~ LogNormal(mean 1, sd day_noise_sd) per checkpoint-day,
                                  G ~ Gamma(shape=hour_dispersion, mean 1) per hour

    so its variance is about ``mu + mu**2 * (1/hour_dispersion + day_noise_sd**2)``: at the
    default ~7 % hour-to-hour and 4 % day-to-day spread, far above Poisson's at these volumes,
    as flight delays and busy days make it. The same arguments always give the same frame.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    if checkpoints < 1:
        raise ValueError(f"checkpoints must be at least 1, got {checkpoints}")
    if daily_items <= 0:
        raise ValueError(f"daily_items must be positive, got {daily_items}")
    rng = np.random.default_rng(seed)
    names = checkpoint_names(checkpoints)
    shares = rng.dirichlet(np.full(checkpoints, 12.0))
    bank_scales = rng.uniform(0.8, 1.2, size=(checkpoints, len(HOUR_OF_DAY_BANKS)))

    ds = pd.date_range(start, periods=days * 24, freq="h")
    hours = ds.hour.to_numpy()
    weekday = ds.dayofweek.to_numpy()
    weeks = np.arange(days * 24) / 168.0
    site_shape = DAY_OF_WEEK_FACTOR[weekday] * (1.0 + trend_per_week * weeks)

    mu = np.empty((checkpoints, days * 24))
    for j in range(checkpoints):
        mu[j] = shares[j] * _hour_profile(bank_scales[j])[hours] * site_shape
    mu *= daily_items * days / mu.sum()

    day_factor = np.exp(
        day_noise_sd * rng.standard_normal((checkpoints, days)) - 0.5 * day_noise_sd**2
    )
    hour_factor = rng.gamma(hour_dispersion, 1.0 / hour_dispersion, size=mu.shape)
    counts = rng.poisson(mu * np.repeat(day_factor, 24, axis=1) * hour_factor)

    return pd.DataFrame(
        {
            "unique_id": np.repeat(names, days * 24),
            "ds": np.tile(ds.to_numpy(), checkpoints),
            "y": counts.reshape(-1).astype(np.int64),
        }
    )


def site_hourly(df: pd.DataFrame, column: str = "y") -> pd.Series:
    """The whole site's count per hour (all checkpoints summed), indexed by ``ds``."""
    return df.groupby("ds")[column].sum().sort_index()


def peak_hour_rate(df: pd.DataFrame, column: str = "y", rank: int = 1) -> float:
    """The site's ``rank``-th busiest hour, items per hour.

    ``rank=1`` is the absolute peak; planners often design for a lower rank (e.g. the 30th
    busiest hour of a year) so one freak hour does not size the whole site.
    """
    totals = site_hourly(df, column).to_numpy()
    if not 1 <= rank <= len(totals):
        raise ValueError(f"rank must be between 1 and {len(totals)}, got {rank}")
    return float(np.sort(totals)[::-1][rank - 1])


def split_kinds(df: pd.DataFrame, bags_per_passenger: float = 1.3, seed: int = 0) -> pd.DataFrame:
    """Split each hour's items into passengers and bags, as separate series.

    Each item is a bag with probability ``r / (1 + r)`` (``r = bags_per_passenger``), so bags
    average ``r`` times passengers. The result has ``unique_id`` like ``"T1-A/passengers"``
    and ``"T1-A/bags"`` and a ``kind`` column; drop ``kind`` before handing it to statsforecast,
    which would take it for an exogenous regressor.
    """
    rng = np.random.default_rng(seed)
    bags = rng.binomial(df["y"].to_numpy(np.int64), bags_per_passenger / (1 + bags_per_passenger))
    passengers = df.assign(
        unique_id=df["unique_id"] + "/passengers", y=df["y"].to_numpy() - bags, kind="passengers"
    )
    bag_rows = df.assign(unique_id=df["unique_id"] + "/bags", y=bags, kind="bags")
    return pd.concat([passengers, bag_rows], ignore_index=True)
