"""The site-planning benchmark: forecast accuracy and whether the staffing plan holds.

A generated 1,000,000-items-a-day site (8 weeks of history; 5 in quick mode) is backtested on
its last 7 days: MAPE and WAPE of the seasonal-naive baseline against the chosen model. The
busiest forecast day is then staffed twice — once with Erlang C on the bare forecast (the
textbook plan) and once sized for the busiest quarter-hour and for the forecast's 90th-percentile
undershoot measured in the backtest (the planned margin) — and each plan is replayed against
what actually arrived that day, with arrivals surging within the hour, to see the waits.
"""

from __future__ import annotations

import importlib
import time

import pandas as pd

from yangcheng.security.site.arrivals import generate_arrivals, peak_hour_rate
from yangcheng.security.site.forecast import backtest
from yangcheng.security.site.staffing import check_plan, peak_15min_factor, staffing_plan

__all__ = ["run_site_benchmark"]

Metric = float | int | str


def _plan_metrics(
    prefix: str, plan: pd.DataFrame, checked: pd.DataFrame, target_wait_s: float
) -> dict[str, Metric]:
    site = plan.groupby("ds")[["lanes", "operators", "items"]].sum()
    peak_ds = site["items"].idxmax()
    at_peak = checked[checked["ds"] == peak_ds]
    return {
        f"{prefix}_peak_lanes": int(site["lanes"].max()),
        f"{prefix}_lane_hours": int(site["lanes"].sum()),
        f"{prefix}_peak_operators": int(site["operators"].max()),
        f"{prefix}_operator_hours": int(site["operators"].sum()),
        f"{prefix}_peak_hour_lane_p95_wait_s": float(at_peak["lane_p95_wait_s"].max()),
        f"{prefix}_peak_hour_review_p95_wait_s": float(at_peak["review_p95_wait_s"].max()),
        f"{prefix}_day_lane_p95_wait_s_worst_hour": float(checked["lane_p95_wait_s"].max()),
        f"{prefix}_day_review_p95_wait_s_worst_hour": float(checked["review_p95_wait_s"].max()),
        f"{prefix}_checkpoint_hours_lane_over_target": int(
            ((checked["lane_p95_wait_s"] > target_wait_s) & (checked["arrived"] > 0)).sum()
        ),
        f"{prefix}_checkpoint_hours_review_over_target": int(
            (checked["review_p95_wait_s"] > target_wait_s).sum()
        ),
    }


def run_site_benchmark(
    quick: bool,
    *,
    daily_items: float = 1_000_000,
    checkpoints: int = 4,
    lane_rate_per_h: float = 7200.0,
    target_wait_s: float = 60.0,
    alarm_fraction: float = 0.15,
    review_s_per_item: float = 20.0,
    surge: float = 0.3,
    seed: int = 0,
) -> dict[str, Metric]:
    """Run the benchmark; a flat dict of metrics with units in the keys.

    Waits are the worst checkpoint's 95th percentile over items arriving in the site's
    busiest forecast hour (``*_peak_hour_*``) or in any hour of the day (``*_worst_hour``).
    ``lane_rate_per_h`` defaults to a high-speed baggage line's 7,200 items an hour.
    """
    importlib.import_module("statsforecast")  # seconds to import: keep it out of backtest_s
    started = time.perf_counter()
    days = 35 if quick else 56
    arrivals = generate_arrivals(days, daily_items, checkpoints, seed=seed)
    generated = time.perf_counter()
    result = backtest(arrivals, horizon_days=7)
    backtested = time.perf_counter()

    held = result.forecasts.rename(columns={"mstl": "forecast"})
    day_totals = held.groupby(held["ds"].dt.normalize())["forecast"].sum()
    busiest_day = day_totals.idxmax()
    day = held[held["ds"].dt.normalize() == busiest_day]
    margin = result.undershoot_margin("mstl", 0.9)
    peak_factor = peak_15min_factor(surge)
    sizing = (lane_rate_per_h, target_wait_s, alarm_fraction, review_s_per_item)
    textbook = staffing_plan(day, *sizing)
    planned = staffing_plan(day, *sizing, peak_factor=peak_factor, forecast_margin=margin)
    planned_at = time.perf_counter()
    replay = (lane_rate_per_h, alarm_fraction, review_s_per_item)
    textbook_checked = check_plan(textbook, *replay, actual=arrivals, seed=seed, surge=surge)
    planned_checked = check_plan(planned, *replay, actual=arrivals, seed=seed, surge=surge)
    simulated = time.perf_counter()

    metrics: dict[str, Metric] = {
        "history_days": days,
        "checkpoints": checkpoints,
        "daily_items": float(daily_items),
        "backtest_days": 7,
        "backtest_hours_counted": result.hours_counted,
        "backtest_hours_total": result.hours_total,
        "mape_floor_fraction_of_mean": result.floor_fraction,
    }
    for model in result.models:
        metrics[f"{model}_mape_pct"] = result.mape_pct(model)
        metrics[f"{model}_wape_pct"] = result.wape_pct(model)
        metrics[f"{model}_smape_pct"] = float(result.overall.loc[model, "smape_pct"])
    metrics |= {
        "peak_hour_items_per_h": peak_hour_rate(arrivals),
        "busiest_forecast_day": busiest_day.date().isoformat(),
        "busiest_day_forecast_items": float(day["forecast"].sum()),
        "busiest_day_actual_items": float(day["y"].sum()),
        "peak_hour_forecast_items_per_h": peak_hour_rate(day, "forecast"),
        "lane_rate_per_h": lane_rate_per_h,
        "target_wait_s": target_wait_s,
        "alarm_fraction": alarm_fraction,
        "review_s_per_item": review_s_per_item,
        "surge_fraction": surge,
        "planned_peak_factor": peak_factor,
        "planned_forecast_margin": margin,
    }
    metrics |= _plan_metrics("textbook", textbook, textbook_checked, target_wait_s)
    metrics |= _plan_metrics("planned", planned, planned_checked, target_wait_s)
    metrics |= {
        "generate_s": generated - started,
        "backtest_s": backtested - generated,
        "plan_s": planned_at - backtested,
        "simulate_s": simulated - planned_at,
        "total_s": simulated - started,
    }
    return metrics
