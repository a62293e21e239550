"""How many lanes and operators each hour needs, and a simulation to check the answer.

A lane screens items at ``lane_rate_per_h``; a fraction of the items alarm and wait for an
operator to review the image. Both are queues, and sizing them to the average load alone
(items / rate) leaves no margin: at 100 % utilisation the queue grows without bound. The
classical answer is the M/M/c queue (Poisson arrivals, exponential service, ``c`` servers) and
its Erlang C formula, which gives the probability that an item waits and the distribution of
the wait. ``servers_needed`` turns that into the smallest number of servers that meets a wait
target.

Erlang C assumes the arrival rate is constant within the hour, which a flight bank is not.
``check_plan`` therefore replays the plan in a discrete-event simulation with arrivals that
surge and ebb within each hour, and reports the waits items would actually see.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "check_plan",
    "erlang_b",
    "erlang_c",
    "mean_wait_s",
    "peak_15min_factor",
    "servers_needed",
    "simulate_queue",
    "staffing_plan",
    "wait_probability",
    "wait_quantile_s",
    "within_hour_arrivals",
]

WaitStatistic = float | Literal["mean"]


def erlang_b(offered_load_erl: float, servers: int) -> float:
    """Erlang B blocking probability, by the recursion B(k) = a B(k-1) / (k + a B(k-1)).

    The recursion stays between 0 and 1 at every step, unlike the textbook ratio of
    ``a**c / c!`` terms, which overflows for a few hundred servers.
    """
    if offered_load_erl < 0 or servers < 0:
        raise ValueError("offered load and servers must be >= 0")
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load_erl * blocking / (k + offered_load_erl * blocking)
    return blocking


def _erlang_c_from_b(load_erl: float, servers: int, blocking: float) -> float:
    if load_erl >= servers:
        return 1.0
    return servers * blocking / (servers - load_erl * (1.0 - blocking))


def erlang_c(arrival_rate_per_h: float, service_rate_per_h: float, servers: int) -> float:
    """Probability that an arriving item waits at all in an M/M/c queue (1 if unstable)."""
    _check_rates(arrival_rate_per_h, service_rate_per_h)
    if arrival_rate_per_h == 0:
        return 0.0
    load_erl = arrival_rate_per_h / service_rate_per_h
    return _erlang_c_from_b(load_erl, servers, erlang_b(load_erl, servers))


def _check_rates(arrival_rate_per_h: float, service_rate_per_h: float) -> None:
    if arrival_rate_per_h < 0 or not math.isfinite(arrival_rate_per_h):
        raise ValueError(f"arrival_rate_per_h must be finite and >= 0, got {arrival_rate_per_h}")
    if service_rate_per_h <= 0 or not math.isfinite(service_rate_per_h):
        raise ValueError(f"service_rate_per_h must be finite and > 0, got {service_rate_per_h}")


def _drain_rate_per_s(arrival_rate_per_h: float, service_rate_per_h: float, servers: int) -> float:
    """c*mu - lambda in items per second: how fast a backlog clears."""
    return (servers * service_rate_per_h - arrival_rate_per_h) / 3600.0


def mean_wait_s(arrival_rate_per_h: float, service_rate_per_h: float, servers: int) -> float:
    """Mean time in queue before service, C / (c*mu - lambda); infinite if unstable."""
    p_wait = erlang_c(arrival_rate_per_h, service_rate_per_h, servers)
    if p_wait == 0.0:
        return 0.0
    drain = _drain_rate_per_s(arrival_rate_per_h, service_rate_per_h, servers)
    return math.inf if drain <= 0 else p_wait / drain


def wait_probability(
    arrival_rate_per_h: float, service_rate_per_h: float, servers: int, wait_s: float
) -> float:
    """P(an item waits longer than ``wait_s``) = C * exp(-(c*mu - lambda) * t)."""
    p_wait = erlang_c(arrival_rate_per_h, service_rate_per_h, servers)
    drain = _drain_rate_per_s(arrival_rate_per_h, service_rate_per_h, servers)
    if p_wait == 0.0:
        return 0.0
    return 1.0 if drain <= 0 else p_wait * math.exp(-drain * wait_s)


def wait_quantile_s(
    arrival_rate_per_h: float, service_rate_per_h: float, servers: int, quantile: float
) -> float:
    """The wait that a fraction ``quantile`` of items do not exceed (0 if they mostly don't
    wait at all; infinite if unstable)."""
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile}")
    p_wait = erlang_c(arrival_rate_per_h, service_rate_per_h, servers)
    drain = _drain_rate_per_s(arrival_rate_per_h, service_rate_per_h, servers)
    if drain <= 0 and p_wait > 0:
        return math.inf
    if p_wait <= 1 - quantile:
        return 0.0
    return math.log(p_wait / (1 - quantile)) / drain


def _erlang_b_direct(load_erl: float, servers: int) -> float:
    if servers == 0:
        return 1.0
    from scipy.stats import poisson

    return float(np.exp(poisson.logpmf(servers, load_erl) - poisson.logcdf(servers, load_erl)))


def servers_needed(
    arrival_rate_per_h: float,
    service_rate_per_h: float,
    target_wait_s: float,
    quantile: WaitStatistic = 0.95,
    max_utilization: float = 1.0,
) -> int:
    """The smallest number of servers whose queue is stable and meets the wait target.

    ``quantile=0.95`` asks that 95 % of items wait at most ``target_wait_s``; ``"mean"`` asks
    that the mean wait be at most ``target_wait_s``. ``max_utilization`` below 1 adds a
    planner's cap on load per server (for breaks, surges the hour hides). Zero arrivals need
    zero servers. Walks c upwards with the Erlang B recursion, so the cost is O(c).
    """
    _check_rates(arrival_rate_per_h, service_rate_per_h)
    if target_wait_s < 0:
        raise ValueError(f"target_wait_s must be >= 0, got {target_wait_s}")
    if quantile != "mean" and not 0 < float(quantile) < 1:
        raise ValueError(f"quantile must be in (0, 1) or 'mean', got {quantile!r}")
    if not 0 < max_utilization <= 1:
        raise ValueError(f"max_utilization must be in (0, 1], got {max_utilization}")
    if arrival_rate_per_h == 0:
        return 0
    load_erl = arrival_rate_per_h / service_rate_per_h
    # No queue is stable below the load, so start there: Erlang B at that c comes from the
    # Poisson distribution (B = pmf / cdf, in logs), and the walk up is O(sqrt(load)) steps
    # (square-root staffing) instead of O(load) from one server.
    servers = max(math.floor(load_erl / max_utilization) - 1, 0)
    blocking = _erlang_b_direct(load_erl, servers)
    while True:
        servers += 1
        blocking = load_erl * blocking / (servers + load_erl * blocking)
        if load_erl >= servers * max_utilization or load_erl >= servers:
            continue
        p_wait = _erlang_c_from_b(load_erl, servers, blocking)
        drain = _drain_rate_per_s(arrival_rate_per_h, service_rate_per_h, servers)
        if quantile == "mean":
            met = p_wait / drain <= target_wait_s
        else:
            met = p_wait * math.exp(-drain * target_wait_s) <= 1 - float(quantile)
        if met:
            return servers


def staffing_plan(
    forecast_df: pd.DataFrame,
    lane_rate_per_h: float = 7200.0,
    target_wait_s: float = 60.0,
    alarm_fraction: float = 0.15,
    review_s_per_item: float = 20.0,
    *,
    peak_factor: float = 1.0,
    forecast_margin: float = 0.0,
    review_target_wait_s: float | None = None,
    quantile: WaitStatistic = 0.95,
    count_col: str = "forecast",
    min_lanes: int = 1,
    min_operators: int = 1,
) -> pd.DataFrame:
    """Lanes and alarm-review operators per checkpoint per hour for a forecast.

    Each row of ``forecast_df`` (``unique_id``, ``ds``, ``count_col`` items that hour) is an
    M/M/c queue of lanes at ``lane_rate_per_h`` each; the alarmed items
    (``alarm_fraction`` of them) form a second queue of operators taking
    ``review_s_per_item`` each. ``review_load_erl = alarm_fraction * items * review_s / 3600``
    is the bare workload in operator-hours per hour; ``operators`` adds the queueing margin
    that keeps the review wait within ``review_target_wait_s`` (default: ``target_wait_s``).

    With the defaults the queues are sized for the forecast itself, as Erlang C has it — which
    runs lanes at over 90 % utilisation at these volumes and leaves nothing for an hour busier
    than forecast or a surge within the hour (``check_plan`` shows the queues that follow).
    Both queues are instead sized for ``design_items_per_h = items * peak_factor *
    (1 + forecast_margin)``: ``peak_factor`` is the busiest quarter-hour's rate over the
    hour's mean (``peak_15min_factor``), ``forecast_margin`` how far the actual count may
    exceed the forecast (``BacktestResult.undershoot_margin``).
    An open checkpoint keeps at least ``min_lanes`` lanes and ``min_operators`` operators even
    when the forecast says nobody comes: an item that does come still needs a lane, and its
    alarm someone to look at it.
    """
    if lane_rate_per_h <= 0 or review_s_per_item <= 0:
        raise ValueError("lane_rate_per_h and review_s_per_item must be positive")
    if not 0 <= alarm_fraction <= 1:
        raise ValueError(f"alarm_fraction must be in [0, 1], got {alarm_fraction}")
    if peak_factor < 1 or forecast_margin < 0:
        raise ValueError("peak_factor must be >= 1 and forecast_margin >= 0")
    review_wait_s = target_wait_s if review_target_wait_s is None else review_target_wait_s
    review_rate_per_h = 3600.0 / review_s_per_item
    items = np.clip(forecast_df[count_col].to_numpy(dtype=float), 0.0, None)
    design = items * peak_factor * (1.0 + forecast_margin)
    lanes = [
        max(min_lanes, servers_needed(rate, lane_rate_per_h, target_wait_s, quantile))
        for rate in design
    ]
    operators = [
        max(
            min_operators,
            servers_needed(alarm_fraction * rate, review_rate_per_h, review_wait_s, quantile),
        )
        for rate in design
    ]
    return pd.DataFrame(
        {
            "unique_id": forecast_df["unique_id"].to_numpy(),
            "ds": forecast_df["ds"].to_numpy(),
            "items": items,
            "design_items_per_h": design,
            "lane_load_erl": items / lane_rate_per_h,
            "lanes": np.asarray(lanes, dtype=np.int64),
            "review_load_erl": alarm_fraction * items * review_s_per_item / 3600.0,
            "operators": np.asarray(operators, dtype=np.int64),
        }
    )


def simulate_queue(
    arrival_times_s: np.ndarray,
    service_times_s: np.ndarray,
    servers: int | Sequence[int],
    period_s: float = 3600.0,
) -> np.ndarray:
    """Waits in a first-come-first-served queue with ``servers`` parallel servers.

    ``servers`` is a count, or a schedule: ``servers[k]`` serve from ``k * period_s`` (the
    last count holds afterwards). When the count drops, the servers that would be free latest
    close — they finish the item in hand and take no more — and the others carry on. Arrival
    times must be sorted. Returns each item's wait before service starts, in seconds.
    """
    arrivals = np.asarray(arrival_times_s, dtype=float)
    services = np.asarray(service_times_s, dtype=float)
    if arrivals.shape != services.shape or arrivals.ndim != 1:
        raise ValueError("arrival_times_s and service_times_s must be 1-D and the same length")
    if arrivals.size and np.any(np.diff(arrivals) < 0):
        raise ValueError("arrival_times_s must be sorted")
    schedule = [int(servers)] if isinstance(servers, int | np.integer) else list(servers)
    if not schedule or min(schedule) < 0:
        raise ValueError("servers must be a non-negative count or schedule")

    free_s: list[float] = [0.0] * schedule[0]  # when each open server next becomes free
    next_period = 1

    def open_period(k: int) -> None:
        nonlocal free_s
        change = schedule[k] - schedule[k - 1]
        if change > 0:
            for _ in range(change):
                heapq.heappush(free_s, k * period_s)
        elif change < 0:
            free_s = heapq.nsmallest(schedule[k], free_s)
            heapq.heapify(free_s)

    waits = np.empty(arrivals.size)
    for i, (arrive, service) in enumerate(zip(arrivals.tolist(), services.tolist(), strict=True)):
        while next_period < len(schedule) and next_period * period_s <= arrive:
            open_period(next_period)
            next_period += 1
        while True:
            start = max(arrive, free_s[0]) if free_s else math.inf
            if next_period < len(schedule) and next_period * period_s < start:
                open_period(next_period)
                next_period += 1
                continue
            break
        if math.isinf(start):
            raise ValueError(f"item {i} arrives at {arrive} s when no server ever opens again")
        heapq.heapreplace(free_s, start + service)
        waits[i] = start - arrive
    return waits


def within_hour_arrivals(
    counts: np.ndarray, rng: np.random.Generator, surge: float = 0.3, bins_per_h: int = 60
) -> np.ndarray:
    """Sorted arrival times (s from the first hour's start) with ``counts[h]`` in hour ``h``.

    Within an hour the rate follows the straight line between neighbouring hours' counts (so
    a rising bank keeps rising) times a wave ``1 + surge * sin(2 pi t / 1 h + phase)`` with a
    random phase each hour — the pulse of a flight's passengers reaching the checkpoint
    together. ``surge=0`` gives a rate that only follows the hourly trend.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if not 0 <= surge < 1:
        raise ValueError(f"surge must be in [0, 1), got {surge}")
    hours = counts.size
    if hours == 0:
        return np.empty(0)
    centre = np.arange(hours) + 0.5
    t_h = (np.arange(hours * bins_per_h) + 0.5) / bins_per_h
    level = np.interp(t_h, centre, counts.astype(float))
    phase = rng.uniform(0, 2 * np.pi, size=hours)
    wave = 1.0 + surge * np.sin(2 * np.pi * t_h + np.repeat(phase, bins_per_h))
    weights = (np.maximum(level, 1e-9) * wave).reshape(hours, bins_per_h)
    per_bin = rng.multinomial(counts, weights / weights.sum(axis=1, keepdims=True))
    bin_s = 3600.0 / bins_per_h
    starts = np.repeat(np.arange(hours * bins_per_h) * bin_s, per_bin.reshape(-1))
    return np.sort(starts + rng.uniform(0, bin_s, size=starts.size))


def peak_15min_factor(surge: float) -> float:
    """The busiest quarter-hour's mean rate over the hour's, for ``within_hour_arrivals``'s
    wave: 1 + surge * sin(pi/4) / (pi/4), about 1 + 0.9 * surge."""
    return 1.0 + surge * math.sin(math.pi / 4) / (math.pi / 4)


def _service_times_s(n: int, mean_s: float, cv: float, rng: np.random.Generator) -> np.ndarray:
    if cv == 0:
        return np.full(n, mean_s)
    shape = 1.0 / cv**2
    return rng.gamma(shape, mean_s / shape, size=n)


def _wait_stats(waits_s: np.ndarray, hour_of_item: np.ndarray, hours: int) -> np.ndarray:
    """Mean and p95 wait of the items arriving in each hour (NaN for empty hours)."""
    out = np.full((hours, 2), np.nan)
    order = np.argsort(hour_of_item, kind="stable")
    bounds = np.searchsorted(hour_of_item[order], np.arange(hours + 1))
    for h in range(hours):
        chunk = waits_s[order[bounds[h] : bounds[h + 1]]]
        if chunk.size:
            out[h] = (chunk.mean(), np.quantile(chunk, 0.95))
    return out


def check_plan(
    plan: pd.DataFrame,
    lane_rate_per_h: float = 7200.0,
    alarm_fraction: float = 0.15,
    review_s_per_item: float = 20.0,
    *,
    actual: pd.DataFrame | None = None,
    seed: int = 0,
    surge: float = 0.3,
    service_cv: float = 1.0,
) -> pd.DataFrame:
    """Simulate each checkpoint's day(s) under ``plan`` and report the waits items see.

    Arrivals per hour are ``actual``'s ``y`` where given (matched on ``unique_id`` and ``ds``
    — the honest check, with the forecast's errors in it) and otherwise Poisson around the
    plan's ``items``; within the hour they surge as ``within_hour_arrivals`` describes. Lanes
    follow the plan's schedule with service times of mean ``3600 / lane_rate_per_h`` and
    coefficient of variation ``service_cv`` (1: exponential, as Erlang C assumes; 0: fixed).
    Each alarmed item (probability ``alarm_fraction``) then queues for one of the hour's
    ``operators`` for an exponential review of mean ``review_s_per_item``. The plan's hours
    must be consecutive per checkpoint. Returns the plan's columns plus ``arrived``,
    ``lane_mean_wait_s``, ``lane_p95_wait_s``, ``review_mean_wait_s``, ``review_p95_wait_s``
    (per hour of arrival at the lane).
    """
    rng = np.random.default_rng(seed)
    plan = plan.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    if actual is not None:
        merged = plan.merge(actual[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="left")
        if merged["y"].isna().any():
            raise ValueError("actual lacks some of the plan's hours")
        arrived = merged["y"].to_numpy(dtype=np.int64)
    else:
        arrived = rng.poisson(plan["items"].to_numpy(dtype=float))
    columns = np.full((len(plan), 4), np.nan)
    for _, index in plan.groupby("unique_id", sort=True).indices.items():
        times = plan["ds"].to_numpy()[index]
        if np.any(np.diff(times) != np.timedelta64(1, "h")):
            raise ValueError("the plan's hours must be consecutive for each checkpoint")
        counts = arrived[index]
        hours = len(index)
        arrive_s = within_hour_arrivals(counts, rng, surge)
        hour_of_item = np.minimum((arrive_s // 3600).astype(np.int64), hours - 1)
        lane_service_s = _service_times_s(arrive_s.size, 3600.0 / lane_rate_per_h, service_cv, rng)
        lanes = plan["lanes"].to_numpy()[index].tolist()
        lane_wait_s = simulate_queue(arrive_s, lane_service_s, lanes)
        columns[index, 0:2] = _wait_stats(lane_wait_s, hour_of_item, hours)

        alarmed = rng.random(arrive_s.size) < alarm_fraction
        done_s = (arrive_s + lane_wait_s + lane_service_s)[alarmed]
        order = np.argsort(done_s, kind="stable")
        review_s = rng.exponential(review_s_per_item, size=order.size)
        review_wait_s = simulate_queue(
            done_s[order], review_s, plan["operators"].to_numpy()[index].tolist()
        )
        columns[index, 2:4] = _wait_stats(review_wait_s, hour_of_item[alarmed][order], hours)
    return plan.assign(
        arrived=arrived,
        lane_mean_wait_s=columns[:, 0],
        lane_p95_wait_s=columns[:, 1],
        review_mean_wait_s=columns[:, 2],
        review_p95_wait_s=columns[:, 3],
    )
