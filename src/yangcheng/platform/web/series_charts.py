"""Geometry for a dashboard's time-series charts, drawn as inline SVG by the templates.

A scenario's status capability answers with ``Chart``s (``yangcheng.platform.panels``):
several named series of (x, y) points, as lines or as grouped bars, x either seconds
since the epoch or a plain number. Like ``charts.py`` this module only computes where
things go, in viewBox units; the template draws them and the SVG scales to the page.
Times are labelled in UTC, as everywhere in the console.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from yangcheng.platform.panels import Chart

__all__ = ["MAX_POINTS", "MAX_SERIES", "SeriesChart", "nice_step", "series_chart"]

WIDTH = 560
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 14, 28
MAX_SERIES = 8
"""Series drawn at most; a chart with more draws the first eight and says so."""
MAX_POINTS = 2000
"""Points per series at most (the latest are kept)."""
PALETTE_SIZE = 6
"""Series colours cycle through ``.s0`` … ``.s5`` in console.css."""
MAX_BAR_TICKS = 12
"""Bar charts with at most this many x values get one tick under each group of bars."""
MARKER_POINTS = 40
"""Lines with at most this many points get a dot (with a tooltip) on each point."""

_TIME_STEPS_S = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800,
)  # fmt: skip


@dataclass(frozen=True)
class XTick:
    x: float
    label: str


@dataclass(frozen=True)
class YTick:
    y: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    tooltip: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    tooltip: str


@dataclass(frozen=True)
class SeriesShape:
    """One series: its polyline (lines) or its bars, and its legend entry."""

    name: str
    colour: int
    points: str
    """``"x,y x,y …"`` for a ``<polyline>``; empty for bars or an empty series."""
    markers: tuple[Marker, ...]
    bars: tuple[Bar, ...]
    latest: str
    """The last value with its unit, for the legend ('—' when the series is empty)."""


@dataclass(frozen=True)
class SeriesChart:
    title: str
    kind: str
    width: int
    height: int
    left: int
    top: int
    plot_right: float
    plot_bottom: float
    zero_y: float | None
    """The y = 0 line, when it lies inside the plot and is not its bottom edge."""
    x_ticks: tuple[XTick, ...]
    y_ticks: tuple[YTick, ...]
    series: tuple[SeriesShape, ...]
    y_unit: str
    x_caption: str
    empty: bool
    """No series has a finite point: the template says so instead of drawing axes."""
    hidden_series: int
    """Series beyond ``MAX_SERIES``, not drawn."""


def nice_step(span: float, ticks: int = 4) -> float:
    """A 1-2-5 step so that about ``ticks`` gridlines cover ``span`` at round numbers."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw * (1 - 1e-9):
            return float(factor * magnitude)
    return float(10 * magnitude)


def _decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0


def format_value(value: float, step: float | None = None) -> str:
    """Axis and legend numbers: thousands separators, k/M beyond 10,000, decimals by step."""
    size = abs(value)
    if size >= 1e9:
        return f"{value / 1e9:,.3g}G"
    if size >= 1e6:
        return f"{value / 1e6:,.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:,.3g}k"
    if step is not None:
        return f"{value:,.{_decimals(step)}f}"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.3g}" if size < 1 else f"{value:,.1f}"


def _finite(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    clean = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    clean.sort(key=lambda p: p[0])
    return clean[-MAX_POINTS:]


def _time_step(span_s: float, ticks: int = 6) -> float:
    for step in _TIME_STEPS_S:
        if span_s / step <= ticks:
            return float(step)
    return float(_TIME_STEPS_S[-1] * math.ceil(span_s / ticks / _TIME_STEPS_S[-1]))


def _clock(t_s: float, step_s: float) -> str:
    moment = datetime.fromtimestamp(t_s, UTC)
    if step_s >= 86400:
        return moment.strftime("%m-%d")
    if step_s < 60:
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%H:%M")


def _x_caption(chart: Chart, lo: float, hi: float) -> str:
    if chart.x_kind != "time":
        return ""
    first = datetime.fromtimestamp(lo, UTC).date()
    last = datetime.fromtimestamp(hi, UTC).date()
    days = first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"
    return f"UTC, {days}"


def _ticks_between(lo: float, hi: float, step: float) -> list[float]:
    first = math.ceil(lo / step - 1e-9) * step
    out = []
    k = 0
    while first + k * step <= hi + step * 1e-9 and k < 50:
        out.append(first + k * step)
        k += 1
    return out


def _slot(xs: Sequence[float]) -> float:
    """The smallest gap between neighbouring x values: one group of bars fits in it."""
    gaps = [b - a for a, b in itertools.pairwise(xs) if b > a]
    return min(gaps) if gaps else 0.0


def series_chart(chart: Chart, width: int = WIDTH, height: int = HEIGHT) -> SeriesChart:
    """Where every line, bar, tick and label of ``chart`` goes, in viewBox units."""
    drawn = chart.series[:MAX_SERIES]
    cleaned = [_finite(s.points) for s in drawn]
    every = [p for pts in cleaned for p in pts]
    plot_right = float(width - RIGHT)
    plot_bottom = float(height - BOTTOM)
    blank = SeriesChart(
        title=chart.title,
        kind=chart.kind,
        width=width,
        height=height,
        left=LEFT,
        top=TOP,
        plot_right=plot_right,
        plot_bottom=plot_bottom,
        zero_y=None,
        x_ticks=(),
        y_ticks=(),
        series=tuple(
            SeriesShape(s.name, i % PALETTE_SIZE, "", (), (), "—") for i, s in enumerate(drawn)
        ),
        y_unit=chart.y_unit,
        x_caption="",
        empty=True,
        hidden_series=max(0, len(chart.series) - MAX_SERIES),
    )
    if not every:
        return blank

    # x: the data's range; bars get half a slot of room on each side.
    xs = sorted({x for x, _ in every})
    x_lo, x_hi = xs[0], xs[-1]
    slot = _slot(xs)
    if chart.kind == "bar":
        half = (slot or (60.0 if chart.x_kind == "time" else 1.0)) / 2
        x_lo, x_hi = x_lo - half, x_hi + half
    elif x_lo == x_hi:
        pad = 60.0 if chart.x_kind == "time" else 1.0
        x_lo, x_hi = x_lo - pad, x_hi + pad
    # y: from zero (or below it) to a round number above the peak.
    ys = [y for _, y in every]
    y_min, y_max = min(0.0, min(ys)), max(0.0, max(ys))
    if y_min == y_max:
        y_max = 1.0
    y_step = nice_step(y_max - y_min)
    y_lo = math.floor(y_min / y_step + 1e-9) * y_step
    y_hi = math.ceil(y_max / y_step - 1e-9) * y_step
    if y_hi <= y_lo:
        y_hi = y_lo + y_step

    plot_w = plot_right - LEFT
    plot_h = plot_bottom - TOP

    def x_of(x: float) -> float:
        return round(LEFT + (x - x_lo) / (x_hi - x_lo) * plot_w, 2)

    def y_of(y: float) -> float:
        return round(plot_bottom - (y - y_lo) / (y_hi - y_lo) * plot_h, 2)

    if chart.x_kind == "time":
        x_step = _time_step(x_hi - x_lo)
        at = xs if chart.kind == "bar" and len(xs) <= MAX_BAR_TICKS else None
        label_step = (slot or x_step) if at else x_step
        x_ticks = tuple(
            XTick(x_of(t), _clock(t, label_step)) for t in at or _ticks_between(x_lo, x_hi, x_step)
        )
    else:
        x_step = nice_step(x_hi - x_lo, 6)
        at = xs if chart.kind == "bar" and len(xs) <= MAX_BAR_TICKS else None
        x_ticks = tuple(
            XTick(x_of(t), format_value(t, None if at else x_step))
            for t in at or _ticks_between(x_lo, x_hi, x_step)
        )
    y_ticks = tuple(
        YTick(y_of(v), format_value(v, y_step)) for v in _ticks_between(y_lo, y_hi, y_step)
    )
    unit = f" {chart.y_unit}" if chart.y_unit else ""

    def where(x: float) -> str:
        return _clock(x, 1) + " UTC" if chart.x_kind == "time" else format_value(x)

    zero = y_of(0.0)
    groups = len(drawn)
    bar_room = (x_of(x_lo + slot) - x_of(x_lo)) if slot else plot_w
    bar_w = max(1.0, min(bar_room * 0.8, 60.0) / groups) if chart.kind == "bar" else 0.0
    shapes = []
    for i, (series, pts) in enumerate(zip(drawn, cleaned, strict=True)):
        latest = format_value(pts[-1][1]) + unit if pts else "—"
        if chart.kind == "bar":
            bars = tuple(
                Bar(
                    x=round(x_of(x) - groups * bar_w / 2 + i * bar_w, 2),
                    y=min(y_of(y), zero),
                    width=round(bar_w, 2),
                    height=round(abs(zero - y_of(y)), 2),
                    tooltip=f"{series.name}, {where(x)}: {format_value(y)}{unit}",
                )
                for x, y in pts
            )
            shapes.append(SeriesShape(series.name, i % PALETTE_SIZE, "", (), bars, latest))
            continue
        markers = tuple(
            Marker(x_of(x), y_of(y), f"{series.name}, {where(x)}: {format_value(y)}{unit}")
            for x, y in pts
        )
        shapes.append(
            SeriesShape(
                name=series.name,
                colour=i % PALETTE_SIZE,
                points=" ".join(f"{m.x:g},{m.y:g}" for m in markers),
                # Every point when few, else the last one only (where the eye goes).
                markers=markers if len(markers) <= MARKER_POINTS else markers[-1:],
                bars=(),
                latest=latest,
            )
        )
    return replace(
        blank,
        zero_y=zero if TOP < zero < plot_bottom else None,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        series=tuple(shapes),
        x_caption=_x_caption(chart, xs[0], xs[-1]),
        empty=False,
    )
