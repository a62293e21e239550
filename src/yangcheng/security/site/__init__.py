"""Site monitoring and planning: arrivals, forecasts and the lanes and operators they need.

``generate_arrivals`` makes a checkpoint-by-hour history from a seed; ``backtest`` and
``forecast`` predict it with statsforecast (seasonal naive against MSTL); ``staffing_plan``
turns a forecast into lanes and alarm-review operators with Erlang C, and ``check_plan``
replays the plan in a discrete-event simulation to see the waits it really gives.
"""

from __future__ import annotations

from yangcheng.security.site.arrivals import (
    checkpoint_names,
    generate_arrivals,
    peak_hour_rate,
    site_hourly,
    split_kinds,
)
from yangcheng.security.site.forecast import (
    MIN_HISTORY_H,
    MODELS,
    WEEK_H,
    BacktestResult,
    InvalidHistory,
    ModelName,
    backtest,
    forecast,
    validate_history,
)
from yangcheng.security.site.site_benchmark import run_site_benchmark
from yangcheng.security.site.staffing import (
    check_plan,
    erlang_b,
    erlang_c,
    mean_wait_s,
    peak_15min_factor,
    servers_needed,
    simulate_queue,
    staffing_plan,
    wait_probability,
    wait_quantile_s,
    within_hour_arrivals,
)

__all__ = [
    "MIN_HISTORY_H",
    "MODELS",
    "WEEK_H",
    "BacktestResult",
    "InvalidHistory",
    "ModelName",
    "backtest",
    "check_plan",
    "checkpoint_names",
    "erlang_b",
    "erlang_c",
    "forecast",
    "generate_arrivals",
    "mean_wait_s",
    "peak_15min_factor",
    "peak_hour_rate",
    "run_site_benchmark",
    "servers_needed",
    "simulate_queue",
    "site_hourly",
    "split_kinds",
    "staffing_plan",
    "validate_history",
    "wait_probability",
    "wait_quantile_s",
    "within_hour_arrivals",
]
