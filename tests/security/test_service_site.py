"""`security.site.forecast`: a site's forecast and staffing over the registry, and its refusals."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from yangcheng.platform.catalog import Capability, InvalidInput, Registry
from yangcheng.security import service_site
from yangcheng.security.site import forecast, generate_arrivals, servers_needed

NAME = "security.site.forecast"


@pytest.fixture(scope="module")
def capability() -> Capability:
    registry = Registry()
    for cap in service_site.CAPABILITIES:
        registry.add_capability(cap)
    return registry.get(NAME)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"checkpoint": uid, "hour": ds.isoformat(), "count": int(y)}
        for uid, ds, y in zip(df["unique_id"], df["ds"], df["y"], strict=True)
    ]


@pytest.fixture(scope="module")
def short_history() -> pd.DataFrame:
    """15 days, 2 checkpoints: enough to forecast, too short for a backtest."""
    return generate_arrivals(15, daily_items=50_000, checkpoints=2, seed=4)


def _invoke(capability: Capability, payload: dict[str, Any]) -> dict[str, Any]:
    return capability.invoke(payload).model_dump(mode="json")


def test_generated_site_gets_forecast_staffing_and_backtest(capability: Capability) -> None:
    out = _invoke(
        capability,
        {
            "generated": {"days": 28, "daily_items": 400_000, "checkpoints": 2, "seed": 1},
            "horizon_hours": 36,
        },
    )
    assert len(out["hours"]) == 36
    hours = [datetime.fromisoformat(h) for h in out["hours"]]
    assert hours[0] == datetime.fromisoformat(out["history_end"]) + timedelta(hours=1)
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(hours))
    assert [c["checkpoint"] for c in out["checkpoints"]] == ["T1-A", "T1-B"]
    for cp in out["checkpoints"]:
        assert len(cp["forecast_count"]) == len(cp["lanes"]) == len(cp["operators"]) == 36
        assert min(cp["lanes"]) >= 1 and cp["peak_lanes"] == max(
            lane
            for lane, n in zip(cp["lanes"], cp["forecast_count"], strict=True)
            if n == cp["peak_forecast_count"]
        )
    assert out["site_lanes"] == [
        sum(cp["lanes"][i] for cp in out["checkpoints"]) for i in range(36)
    ]
    bt = out["backtest"]
    assert bt is not None and bt["held_back_hours"] == 168
    assert bt["model_mape_pct"] < bt["seasonal_naive_mape_pct"]
    assert 0 < bt["hours_counted"] < bt["hours_total"] == 2 * 168
    assert out["forecast_margin_source"] == "backtest"
    assert out["forecast_margin"] == bt["undershoot_margin_p90"]


def test_history_records_give_the_librarys_forecast_and_erlang_lanes(
    capability: Capability, short_history: pd.DataFrame
) -> None:
    out = _invoke(
        capability,
        {
            "history": _records(short_history),
            "horizon_hours": 12,
            "lane_rate_per_h": 600,
            "peak_factor": 1.0,
            "forecast_margin": 0.0,
        },
    )
    assert out["backtest"] is None and "No backtest" in out["notes"][0]
    assert out["forecast_margin_source"] == "request"
    expected = forecast(short_history, 12)
    first = out["checkpoints"][0]
    reference = expected[expected["unique_id"] == "T1-A"]["forecast"].round(1).tolist()
    assert first["forecast_count"] == pytest.approx(reference, abs=0.051)
    peak = first["forecast_count"].index(first["peak_forecast_count"])
    assert first["lanes"][peak] == servers_needed(first["peak_forecast_count"], 600.0, 60.0)


def test_without_backtest_the_default_margin_is_used(
    capability: Capability, short_history: pd.DataFrame
) -> None:
    out = _invoke(capability, {"history": _records(short_history), "horizon_hours": 2})
    assert out["forecast_margin_source"] == "default"
    assert out["forecast_margin"] == service_site.DEFAULT_FORECAST_MARGIN


def _bad(capability: Capability, payload: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        capability.invoke(payload)
    return info.value


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda r: r.__setitem__(30, {**r[30], "count": -5}), "history[30].count", ">= 0"),
        (
            lambda r: r.__setitem__(31, {**r[31], "hour": r[30]["hour"]}),
            "history[31].hour",
            "twice",
        ),
        (lambda r: r.pop(32), "history[32].hour", "missing 1 hour"),
        (
            lambda r: r.__setitem__(33, {**r[33], "hour": r[33]["hour"][:14] + "30:00"}),
            "history[33].hour",
            "whole hour",
        ),
        (
            lambda r: r.__setitem__(34, {**r[34], "hour": r[34]["hour"] + "+00:00"}),
            "history[34].hour",
            "time zone",
        ),
    ],
)
def test_bad_records_are_refused_naming_the_record(
    capability: Capability,
    short_history: pd.DataFrame,
    change: Callable[[list[dict[str, Any]]], object],
    field: str,
    words: str,
) -> None:
    records = _records(short_history)
    change(records)
    error = _bad(capability, {"history": records})
    assert error.field == field
    assert words in error.reason


def test_short_or_ragged_history_is_refused(
    capability: Capability, short_history: pd.DataFrame
) -> None:
    short = short_history.groupby("unique_id").head(13 * 24)
    error = _bad(capability, {"history": _records(short)})
    assert error.field == "history" and "336" in error.reason
    ragged = short_history[
        ~(
            (short_history["unique_id"] == "T1-B")
            & (short_history["ds"] == short_history["ds"].max())
        )
    ]
    error = _bad(capability, {"history": _records(ragged)})
    assert error.field == "history" and "same hour" in error.reason
    assert _bad(capability, {"history": []}).field == "history"


def test_history_or_generated_but_not_both(
    capability: Capability, short_history: pd.DataFrame
) -> None:
    assert "either" in _bad(capability, {}).reason
    both = {"history": _records(short_history), "generated": {"days": 14}}
    assert "either" in _bad(capability, both).reason


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"generated": {"days": 14}, "horizon": 24}, ("horizon",)),
        ({"generated": {"days": 14, "weeks": 2}}, ("generated", "weeks")),
        (
            {"history": [{"checkpoint": "A", "hour": "2026-01-05T00:00", "count": 1, "x": 0}]},
            ("history", 0, "x"),
        ),
        ({"generated": {"days": 14}, "horizon_hours": 24 * 14 + 1}, ("horizon_hours",)),
        ({"generated": {"days": 13}}, ("generated", "days")),
        ({"generated": {"days": 14}, "alarm_fraction": 1.5}, ("alarm_fraction",)),
        (
            {"history": [{"checkpoint": "A", "hour": "2263-01-01T00:00:00Z", "count": 0}]},
            ("history", 0, "hour"),
        ),
        (
            {"history": [{"checkpoint": "A", "hour": "1601-01-01T00:00", "count": 0}]},
            ("history", 0, "hour"),
        ),
    ],
)
def test_malformed_requests_fail_validation_at_the_field(
    capability: Capability, payload: dict[str, Any], loc: tuple[Any, ...]
) -> None:
    with pytest.raises(ValidationError) as info:
        capability.invoke(payload)
    assert loc in [tuple(e["loc"]) for e in info.value.errors()]


def test_capability_is_in_the_security_group_with_a_runnable_example(
    capability: Capability,
) -> None:
    assert capability.group == "security"
    request = capability.request_model.model_validate(capability.examples[0])
    assert request.model_dump()["generated"]["days"] >= 14
