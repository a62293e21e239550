"""A site's arrival forecast and the lanes and operators it needs, on request.

A duty manager sends the site's hourly arrival history (or asks for a generated site) and gets,
for each checkpoint and each coming hour, the expected items, the screening lanes to open and
the operators to review alarms — plus, when the history is long enough to hold a week back,
how much better the forecast did on that week than repeating last week.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from yangcheng.platform.catalog import Capability, InvalidInput
from yangcheng.security.site.arrivals import generate_arrivals
from yangcheng.security.site.forecast import (
    MIN_HISTORY_H,
    WEEK_H,
    InvalidHistory,
    ModelName,
    backtest,
    forecast,
    validate_history,
)
from yangcheng.security.site.staffing import peak_15min_factor, staffing_plan

MAX_HORIZON_H = 24 * 14
MAX_RECORDS = 60_000
BACKTEST_MIN_H = MIN_HISTORY_H + WEEK_H
DEFAULT_PEAK_FACTOR = round(peak_15min_factor(0.3), 2)
DEFAULT_FORECAST_MARGIN = 0.15
_RECORD_FIELD = {"unique_id": "checkpoint", "ds": "hour", "y": "count"}


def _naive(hour: datetime) -> datetime:
    """Hours with a zone are read in UTC; the forecast's timestamps carry none."""
    return hour.astimezone(UTC).replace(tzinfo=None) if hour.tzinfo else hour


class ArrivalRecord(BaseModel):
    """Items presented at one checkpoint in one hour."""

    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(min_length=1, max_length=64, examples=["T1-A"])
    hour: datetime = Field(
        description="Start of the hour, on the hour. Local time without a zone, or all records "
        "with a zone (they are then read in UTC)."
    )
    count: int = Field(description="Items (passengers and bags) presented that hour, >= 0.")

    @field_validator("hour")
    @classmethod
    def _within_the_forecasts_calendar(cls, hour: datetime) -> datetime:
        """The forecast holds hours as nanosecond timestamps, which end in 2262."""
        if not pd.Timestamp.min < pd.Timestamp(_naive(hour)) < pd.Timestamp.max:
            raise ValueError(
                f"is outside {pd.Timestamp.min:%Y-%m-%d} to {pd.Timestamp.max:%Y-%m-%d}, "
                "the hours a forecast can hold"
            )
        return hour


class GeneratedSite(BaseModel):
    """A generated history instead of a real one (``yangcheng.security.site.generate_arrivals``)."""

    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=35, ge=14, le=91, description="Days of history, 14 to 91.")
    daily_items: float = Field(
        default=1_000_000, ge=1000, le=1e8, description="A site screens at least 1,000 a day."
    )
    checkpoints: int = Field(default=4, ge=1, le=12)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)


class SiteForecastRequest(BaseModel):
    """A history (or a generated one), how far ahead, and the screening parameters."""

    model_config = ConfigDict(extra="forbid")

    history: list[ArrivalRecord] | None = Field(
        default=None,
        max_length=MAX_RECORDS,
        description="Every checkpoint's hourly counts, at least 14 days each with no gaps and "
        "all ending at the same hour; 21 days or more also gives a backtest.",
    )
    generated: GeneratedSite | None = Field(
        default=None, description="Use a generated site instead of history."
    )
    horizon_hours: int = Field(default=24, ge=1, le=MAX_HORIZON_H)
    model: Literal["mstl", "seasonal_naive"] = "mstl"
    lane_rate_per_h: float = Field(
        default=7200.0, ge=1, le=1e6, description="Items one lane screens an hour."
    )
    target_wait_s: float = Field(
        default=60.0, ge=1, le=3600, description="95 % of items wait at most this long."
    )
    alarm_fraction: float = Field(default=0.15, ge=0, le=1)
    review_s_per_item: float = Field(
        default=20.0, ge=1, le=3600, description="An operator's seconds per alarmed item."
    )
    peak_factor: float = Field(
        default=DEFAULT_PEAK_FACTOR,
        ge=1,
        le=3,
        description="Busiest quarter-hour's rate over the hour's mean; 1 sizes for the hourly "
        "average as plain Erlang C does.",
    )
    forecast_margin: float | None = Field(
        default=None,
        ge=0,
        le=2,
        description="Plan for forecast x (1 + margin). Unset: the backtest's 90th-percentile "
        f"undershoot when a backtest runs, else {DEFAULT_FORECAST_MARGIN}.",
    )


_CLOCK = (
    "Hour start as YYYY-MM-DDTHH:MM on the history's own clock: local time when the history "
    "had no zones, UTC when it had."
)


def _hour(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M")


class CheckpointPlanOut(BaseModel):
    """One checkpoint's coming hours, aligned with the response's ``hours``."""

    checkpoint: str
    forecast_count: list[float] = Field(description="Expected items each hour.")
    lanes: list[int]
    operators: list[int]
    peak_hour: str = Field(description=_CLOCK)
    peak_forecast_count: float
    peak_lanes: int
    peak_operators: int
    lane_hours: int
    operator_hours: int


class BacktestOut(BaseModel):
    """The last week of history forecast from the weeks before it."""

    held_back_hours: int
    hours_counted: int = Field(
        description="Held-back checkpoint-hours whose actual count was at least 5 % of the "
        "checkpoint's mean; MAPE and sMAPE count only these (night hours near zero would "
        "swamp them). WAPE counts every hour."
    )
    hours_total: int
    model_mape_pct: float
    seasonal_naive_mape_pct: float
    model_wape_pct: float
    seasonal_naive_wape_pct: float
    model_smape_pct: float
    seasonal_naive_smape_pct: float
    undershoot_margin_p90: float = Field(
        description="In 90 % of counted hours the actual count was at most forecast x (1 + this)."
    )


class SiteForecastResponse(BaseModel):
    model: str
    history_start: str = Field(description=_CLOCK)
    history_end: str = Field(description=_CLOCK)
    hours: list[str] = Field(description="The forecast hours, shared by all checkpoints. " + _CLOCK)
    checkpoints: list[CheckpointPlanOut]
    site_forecast_count: list[float]
    site_lanes: list[int]
    site_operators: list[int]
    peak_factor: float
    forecast_margin: float
    forecast_margin_source: Literal["request", "backtest", "default"]
    backtest: BacktestOut | None
    notes: list[str]


def _history_frame(records: list[ArrivalRecord]) -> pd.DataFrame:
    if not records:
        raise InvalidInput("history", "is empty; give at least 14 days of hourly counts")
    aware = [r.hour.tzinfo is not None for r in records]
    if any(aware) and not all(aware):
        row = aware.index(not aware[0])
        raise InvalidInput(
            f"history[{row}].hour", "mixes hours with and without a time zone; use one kind"
        )
    return pd.DataFrame(
        {
            "unique_id": [r.checkpoint for r in records],
            "ds": pd.to_datetime([_naive(r.hour) for r in records]),
            "y": np.array([r.count for r in records], dtype=float),
        }
    )


def _invalid(exc: InvalidHistory) -> InvalidInput:
    name = _RECORD_FIELD.get(exc.field, exc.field)
    field = "history" if exc.row is None else f"history[{exc.row}].{name}"
    return InvalidInput(field, exc.reason)


def _load(req: SiteForecastRequest) -> pd.DataFrame:
    if (req.history is None) == (req.generated is None):
        raise InvalidInput("history", "give either history or generated, not both or neither")
    if req.generated is not None:
        g = req.generated
        return generate_arrivals(g.days, g.daily_items, g.checkpoints, seed=g.seed)
    assert req.history is not None
    try:
        history = validate_history(_history_frame(req.history))
    except InvalidHistory as exc:
        raise _invalid(exc) from None
    ends = history.groupby("unique_id")["ds"].max()
    if ends.nunique() > 1:
        raise InvalidInput(
            "history",
            f"checkpoints end at different hours ({ends.idxmin()} at {ends.min()}, "
            f"{ends.idxmax()} at {ends.max()}); give every checkpoint up to the same hour",
        )
    return history


def _backtest_out(history: pd.DataFrame, model: ModelName) -> BacktestOut | None:
    result = backtest(history, horizon_days=7, models=("seasonal_naive", "mstl"))
    if result.hours_counted == 0:
        return None
    row = result.overall
    return BacktestOut(
        held_back_hours=result.horizon_h,
        hours_counted=result.hours_counted,
        hours_total=result.hours_total,
        model_mape_pct=float(row.loc[model, "mape_pct"]),
        seasonal_naive_mape_pct=float(row.loc["seasonal_naive", "mape_pct"]),
        model_wape_pct=float(row.loc[model, "wape_pct"]),
        seasonal_naive_wape_pct=float(row.loc["seasonal_naive", "wape_pct"]),
        model_smape_pct=float(row.loc[model, "smape_pct"]),
        seasonal_naive_smape_pct=float(row.loc["seasonal_naive", "smape_pct"]),
        undershoot_margin_p90=result.undershoot_margin(model, 0.9),
    )


def _checkpoint_out(checkpoint: str, plan: pd.DataFrame) -> CheckpointPlanOut:
    peak = int(plan["forecast"].to_numpy().argmax())
    return CheckpointPlanOut(
        checkpoint=checkpoint,
        forecast_count=[round(float(v), 1) for v in plan["forecast"]],
        lanes=[int(v) for v in plan["lanes"]],
        operators=[int(v) for v in plan["operators"]],
        peak_hour=_hour(plan["ds"].iloc[peak]),
        peak_forecast_count=round(float(plan["forecast"].iloc[peak]), 1),
        peak_lanes=int(plan["lanes"].iloc[peak]),
        peak_operators=int(plan["operators"].iloc[peak]),
        lane_hours=int(plan["lanes"].sum()),
        operator_hours=int(plan["operators"].sum()),
    )


def site_forecast(req: SiteForecastRequest) -> SiteForecastResponse:
    history = _load(req)
    notes: list[str] = []
    span_h = int(history.groupby("unique_id").size().min())
    backtest_out: BacktestOut | None = None
    if span_h >= BACKTEST_MIN_H:
        backtest_out = _backtest_out(history, req.model)
        if backtest_out is None:
            notes.append(
                "No backtest: the held-back week has no hour busy enough to measure "
                "(every count below 5 % of its checkpoint's mean)."
            )
    else:
        notes.append(
            f"No backtest: it holds back the last 7 days and needs 14 before them, "
            f"{BACKTEST_MIN_H} hours per checkpoint; the shortest history has {span_h}."
        )
    if req.forecast_margin is not None:
        margin, source = req.forecast_margin, "request"
    elif backtest_out is not None:
        margin, source = backtest_out.undershoot_margin_p90, "backtest"
    else:
        margin, source = DEFAULT_FORECAST_MARGIN, "default"

    predicted = forecast(history, req.horizon_hours, model=req.model)
    plan = staffing_plan(
        predicted,
        req.lane_rate_per_h,
        req.target_wait_s,
        req.alarm_fraction,
        req.review_s_per_item,
        peak_factor=req.peak_factor,
        forecast_margin=margin,
    ).assign(forecast=predicted["forecast"].to_numpy())
    site = plan.groupby("ds")[["forecast", "lanes", "operators"]].sum()
    return SiteForecastResponse(
        model=req.model,
        history_start=_hour(history["ds"].min()),
        history_end=_hour(history["ds"].max()),
        hours=[_hour(ts) for ts in site.index],
        checkpoints=[
            _checkpoint_out(str(checkpoint), group)
            for checkpoint, group in plan.groupby("unique_id", sort=True)
        ],
        site_forecast_count=[round(float(v), 1) for v in site["forecast"]],
        site_lanes=[int(v) for v in site["lanes"]],
        site_operators=[int(v) for v in site["operators"]],
        peak_factor=req.peak_factor,
        forecast_margin=margin,
        forecast_margin_source=source,
        backtest=backtest_out,
        notes=notes,
    )


_EXAMPLE: dict[str, Any] = {
    "generated": {"days": 35, "daily_items": 1_000_000, "checkpoints": 4, "seed": 0},
    "horizon_hours": 24,
}

SITE_FORECAST = Capability(
    name="security.site.forecast",
    version="1.0.0",
    group="security",
    summary="Hourly arrival forecast per checkpoint, with the lanes and operators it needs",
    description=(
        "Forecasts each checkpoint's items per hour for up to 14 days from its hourly history "
        "(statsforecast MSTL on the weekly season, or seasonal naive), then sizes each hour "
        "with Erlang C: screening lanes so that 95 % of items wait at most target_wait_s, and "
        "operators to review the alarmed items (alarm_fraction x items x review_s_per_item) "
        "to the same wait. Load is sized at forecast x peak_factor x (1 + forecast_margin), "
        "for surges within the hour and hours busier than forecast. With 21 days of history "
        "or more, the last week is also held back and forecast, and the model's MAPE is "
        "reported next to repeating last week's counts (seasonal naive). Send history as "
        "{checkpoint, hour, count} records, or generated: {days, daily_items, checkpoints, "
        "seed} for a generated site."
    ),
    request_model=SiteForecastRequest,
    response_model=SiteForecastResponse,
    handler=site_forecast,
    card={
        "models": "seasonal_naive: statsforecast SeasonalNaive(168); mstl: statsforecast "
        "MSTL(season_length=168, trend_forecaster=WindowAverage(168)) on log1p(count)",
        "metrics": "MAPE and sMAPE over held-back hours with actual >= 5 % of the "
        "checkpoint's mean; WAPE over all held-back hours",
        "benchmark": "yangcheng.security.site.run_site_benchmark: 1,000,000 items/day, 4 "
        "checkpoints, 8 weeks generated, last 7 days held back",
        "limitations": "Erlang C assumes Poisson arrivals, exponential service and a steady "
        "rate within the hour; the peak factor and margin cover the difference only roughly "
        "(check_plan simulates it). No holidays or schedule changes are modelled: the "
        "forecast repeats the recent weeks' pattern at the recent level.",
    },
    examples=(_EXAMPLE,),
)

CAPABILITIES = (SITE_FORECAST,)
