"""Queueing: Erlang C against textbook values and a simulation, and plans that meet targets."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from yangcheng.security.site import (
    check_plan,
    erlang_b,
    erlang_c,
    mean_wait_s,
    peak_15min_factor,
    run_site_benchmark,
    servers_needed,
    simulate_queue,
    staffing_plan,
    wait_probability,
    wait_quantile_s,
    within_hour_arrivals,
)


def _erlang_c_closed_form(load: Fraction, servers: int) -> Fraction:
    """The textbook ratio of sums, in exact arithmetic."""
    top = load**servers / math.factorial(servers) * Fraction(servers) / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def test_erlang_c_textbook_value() -> None:
    """Offered load 2 erlangs on 3 servers: P(wait) = 4/9 (e.g. Gross & Harris, M/M/c)."""
    assert erlang_c(2.0, 1.0, 3) == pytest.approx(4 / 9, rel=1e-12)
    assert erlang_c(7200.0, 3600.0, 3) == pytest.approx(4 / 9, rel=1e-12)  # units cancel
    assert erlang_b(2.0, 3) == pytest.approx(4 / 19, rel=1e-12)


@pytest.mark.parametrize(
    ("load", "servers"), [(Fraction(1, 2), 1), (Fraction(9, 2), 6), (Fraction(37, 2), 22)]
)
def test_erlang_c_recursion_matches_closed_form(load: Fraction, servers: int) -> None:
    expected = float(_erlang_c_closed_form(load, servers))
    assert erlang_c(float(load) * 3600, 3600.0, servers) == pytest.approx(expected, rel=1e-10)


def test_erlang_c_is_stable_for_thousands_of_servers() -> None:
    p = erlang_c(1950.0 * 60, 60.0, 2000)  # a**c / c! overflows a float long before this
    assert 0.0 < p < 1.0 and math.isfinite(p)
    assert erlang_c(3.0, 1.0, 3) == 1.0, "at or above capacity every item waits"


def test_mm1_wait_is_rho_over_mu_minus_lambda() -> None:
    # lambda = 0.5/s, mu = 1/s: P(wait) = rho = 0.5, mean wait = rho / (mu - lambda) = 1 s.
    assert erlang_c(1800.0, 3600.0, 1) == pytest.approx(0.5)
    assert mean_wait_s(1800.0, 3600.0, 1) == pytest.approx(1.0)
    assert wait_probability(1800.0, 3600.0, 1, 2.0) == pytest.approx(0.5 * math.exp(-1.0))
    assert mean_wait_s(3600.0, 3600.0, 1) == math.inf


def test_wait_quantile_inverts_wait_probability() -> None:
    t = wait_quantile_s(600.0, 240.0, 3, 0.95)
    assert t > 0
    assert wait_probability(600.0, 240.0, 3, t) == pytest.approx(0.05)
    assert wait_quantile_s(10.0, 240.0, 3, 0.95) == 0.0, "at light load 95 % do not wait"


@pytest.mark.parametrize(
    ("arrival_per_h", "service_per_h", "target_s", "quantile"),
    [
        (20_000.0, 7200.0, 60.0, 0.95),
        (600.0, 240.0, 60.0, 0.95),
        (600.0, 240.0, 5.0, "mean"),
        (3000.0, 180.0, 20.0, 0.95),
        (150_000.0, 7200.0, 1.0, 0.99),
    ],
)
def test_servers_needed_is_the_smallest_that_meets_the_target(
    arrival_per_h: float,
    service_per_h: float,
    target_s: float,
    quantile: float | Literal["mean"],
) -> None:
    c = servers_needed(arrival_per_h, service_per_h, target_s, quantile)

    def meets(servers: int) -> bool:
        if servers * service_per_h <= arrival_per_h:
            return False
        if quantile == "mean":
            return mean_wait_s(arrival_per_h, service_per_h, servers) <= target_s
        return wait_probability(arrival_per_h, service_per_h, servers, target_s) <= 1 - float(
            quantile
        )

    assert meets(c) and not meets(c - 1)
    assert c >= math.ceil(arrival_per_h / service_per_h)


def test_servers_needed_edges() -> None:
    assert servers_needed(0.0, 7200.0, 60.0) == 0
    assert servers_needed(7000.0, 7200.0, 60.0, max_utilization=0.8) == 2
    with pytest.raises(ValueError, match="service_rate_per_h"):
        servers_needed(100.0, 0.0, 60.0)
    with pytest.raises(ValueError, match="quantile"):
        servers_needed(100.0, 10.0, 60.0, quantile=1.5)


def test_simulated_mmc_queue_agrees_with_erlang_c() -> None:
    """200,000 Poisson arrivals on 3 exponential servers at 80 % load."""
    rng = np.random.default_rng(7)
    lam_per_s, mu_per_s, servers, n = 2.4, 1.0, 3, 200_000
    arrivals = np.cumsum(rng.exponential(1 / lam_per_s, n))
    waits = simulate_queue(arrivals, rng.exponential(1 / mu_per_s, n), servers)
    lam_h, mu_h = lam_per_s * 3600, mu_per_s * 3600
    assert waits.mean() == pytest.approx(mean_wait_s(lam_h, mu_h, servers), rel=0.08)
    assert (waits > 0).mean() == pytest.approx(erlang_c(lam_h, mu_h, servers), abs=0.01)
    assert np.quantile(waits, 0.95) == pytest.approx(
        wait_quantile_s(lam_h, mu_h, servers, 0.95), rel=0.08
    )


def test_simulation_by_hand_and_with_a_schedule() -> None:
    # One server, an item every 1 s taking 2 s: each waits 1 s longer than the one before.
    waits = simulate_queue(np.arange(5.0), np.full(5, 2.0), 1)
    np.testing.assert_allclose(waits, [0, 1, 2, 3, 4])
    # Closed for the first period of 10 s, then two servers: all wait for the opening.
    waits = simulate_queue(np.array([1.0, 2.0, 3.0]), np.full(3, 4.0), [0, 2], period_s=10.0)
    np.testing.assert_allclose(waits, [9, 8, 11])
    # A second server opening at 10 s takes the queue's next item there.
    waits = simulate_queue(np.array([0.0, 1.0, 2.0]), np.full(3, 20.0), [1, 2], period_s=10.0)
    np.testing.assert_allclose(waits, [0, 9, 18])
    with pytest.raises(ValueError, match="no server"):
        simulate_queue(np.array([1.0]), np.array([1.0]), [1, 0], period_s=0.5)


def test_within_hour_arrivals_keep_each_hours_count() -> None:
    counts = np.array([0, 50, 400, 120])
    times = within_hour_arrivals(counts, np.random.default_rng(0), surge=0.3)
    assert np.all(np.diff(times) >= 0)
    np.testing.assert_array_equal(np.bincount((times // 3600).astype(int), minlength=4), counts)
    assert peak_15min_factor(0.3) == pytest.approx(1.27, abs=0.01)


def _flat_forecast(items_per_h: float, hours: int = 24) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": "T1-A",
            "ds": pd.date_range("2026-01-05", periods=hours, freq="h"),
            "forecast": items_per_h,
        }
    )


def test_staffing_plan_sizes_lanes_and_operators_by_erlang_c() -> None:
    fc = pd.concat([_flat_forecast(20_000.0, 2), _flat_forecast(0.0, 1).assign(unique_id="T2-A")])
    plan = staffing_plan(fc, 7200.0, 60.0, alarm_fraction=0.15, review_s_per_item=20.0)
    busy = plan.iloc[0]
    assert busy["lanes"] == servers_needed(20_000.0, 7200.0, 60.0)
    assert busy["review_load_erl"] == pytest.approx(0.15 * 20_000 * 20 / 3600)
    assert busy["operators"] == servers_needed(3000.0, 180.0, 60.0)
    assert busy["operators"] > busy["review_load_erl"], "queueing margin above the bare workload"
    idle = plan.iloc[2]
    assert (idle["lanes"], idle["operators"]) == (1, 1), "an open checkpoint keeps one of each"
    padded = staffing_plan(fc, 7200.0, 60.0, peak_factor=1.27, forecast_margin=0.15)
    assert padded["design_items_per_h"].iloc[0] == pytest.approx(20_000 * 1.27 * 1.15)
    assert padded["lanes"].iloc[0] > busy["lanes"]


def test_check_plan_matches_erlang_when_arrivals_are_steady() -> None:
    """Steady Poisson arrivals, exponential service: the simulated waits are Erlang C's."""
    plan = staffing_plan(
        _flat_forecast(600.0), 240.0, 60.0, alarm_fraction=0.2, review_s_per_item=30.0
    )
    checked = check_plan(plan, 240.0, 0.2, 30.0, seed=1, surge=0.0)
    assert checked["arrived"].sum() == pytest.approx(24 * 600, rel=0.03)
    lanes = int(plan["lanes"].iloc[0])
    weights = checked["arrived"] / checked["arrived"].sum()
    simulated_mean_s = float((checked["lane_mean_wait_s"] * weights).sum())
    assert simulated_mean_s == pytest.approx(mean_wait_s(600.0, 240.0, lanes), rel=0.25)
    assert checked["lane_p95_wait_s"].median() <= 60.0


def test_check_plan_shows_that_surges_and_busier_hours_break_a_tight_plan() -> None:
    fc = _flat_forecast(600.0, 12)
    plan = staffing_plan(fc, 240.0, 60.0)
    steady = check_plan(plan, 240.0, seed=2, surge=0.0)
    surging = check_plan(plan, 240.0, seed=2, surge=0.6)
    assert surging["lane_mean_wait_s"].mean() > 1.5 * steady["lane_mean_wait_s"].mean()
    busier = fc.rename(columns={"forecast": "y"}).assign(y=1100)
    overrun = check_plan(plan, 240.0, actual=busier, seed=2, surge=0.0)
    assert (overrun["arrived"] == 1100).all()
    assert overrun["lane_p95_wait_s"].iloc[-1] > 600, "beyond capacity the queue keeps growing"


def test_site_benchmark_on_a_small_site_reports_units_and_the_padded_plan_holds() -> None:
    metrics = run_site_benchmark(
        quick=True, daily_items=20_000, checkpoints=2, lane_rate_per_h=300.0, review_s_per_item=60.0
    )
    assert all(isinstance(v, float | int | str) for v in metrics.values())
    value = {k: float(v) for k, v in metrics.items() if not isinstance(v, str)}
    assert value["mstl_mape_pct"] < value["seasonal_naive_mape_pct"]
    assert value["planned_peak_lanes"] >= value["textbook_peak_lanes"]
    assert (
        value["planned_day_lane_p95_wait_s_worst_hour"]
        <= value["textbook_day_lane_p95_wait_s_worst_hour"]
    )
    assert value["planned_checkpoint_hours_lane_over_target"] <= 2


def test_a_huge_load_gets_square_root_staffing_and_agrees_with_the_walk_from_one() -> None:
    load = 2.5e6
    c = servers_needed(load, 1.0, 1.0)
    assert load < c < load + 10 * math.sqrt(load)
    # Moderate loads: the direct Erlang B start gives what walking up from one server gives.
    for rate in (9.0, 480.0, 23_760.0):
        walk = next(
            n
            for n in range(1, 200)
            if n > rate / 300 and wait_probability(rate, 300, n, 60) <= 0.05
        )
        assert servers_needed(rate, 300, 60) == walk
