"""Geometry for the usage charts, drawn as inline SVG by the templates.

Server-side SVG needs no chart library, no script and nothing fetched, and it
prints and screenshots exactly as served. Numbers here are in viewBox units;
the SVG scales to the page width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from yangcheng.platform.metering import DailyUsage


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class DayBar:
    x: float
    width: float
    ok_y: float
    ok_height: float
    err_y: float
    err_height: float
    label: str
    tooltip: str
    show_label: bool


@dataclass(frozen=True)
class DailyChart:
    width: int
    height: int
    left: int
    plot_bottom: float
    plot_right: float
    bars: tuple[DayBar, ...]
    ticks: tuple[Tick, ...]
    total_calls: int
    total_errors: int


@dataclass(frozen=True)
class CapBar:
    name: str
    y: float
    width: float
    calls: int
    mean_latency_ms: float


@dataclass(frozen=True)
class CapabilityChart:
    width: int
    height: int
    label_width: int
    row_height: int
    bar_height: int
    bars: tuple[CapBar, ...]


def nice_step(peak: int, ticks: int = 4) -> int:
    """A 1-2-5 step so that the gridlines read as round numbers."""
    if peak <= ticks:
        return 1
    raw = peak / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)


def daily_chart(days: Sequence[DailyUsage], width: int = 760, height: int = 240) -> DailyChart:
    left, right, top, bottom = 44, 8, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((d.calls for d in days), default=0)
    step = nice_step(peak)
    ceiling = max(step, step * math.ceil(peak / step))
    scale = plot_h / ceiling
    slot = plot_w / max(len(days), 1)
    bar_w = slot * 0.72
    base = top + plot_h
    bars = []
    for i, d in enumerate(days):
        errors = min(d.errors, d.calls)
        ok_h = (d.calls - errors) * scale
        err_h = errors * scale
        bars.append(
            DayBar(
                x=round(left + i * slot + (slot - bar_w) / 2, 2),
                width=round(bar_w, 2),
                ok_y=round(base - ok_h, 2),
                ok_height=round(ok_h, 2),
                err_y=round(base - ok_h - err_h, 2),
                err_height=round(err_h, 2),
                label=d.day.strftime("%m-%d"),
                tooltip=(
                    f"{d.day.isoformat()}: {d.calls} call{'s' if d.calls != 1 else ''}, "
                    f"{d.errors} error{'s' if d.errors != 1 else ''}"
                    + (f", mean {d.mean_latency_ms:.0f} ms" if d.calls else "")
                ),
                # Every fifth day and the last, so labels never collide.
                show_label=(len(days) - 1 - i) % 5 == 0,
            )
        )
    ticks = tuple(
        Tick(y=round(base - v * scale, 2), label=f"{v:,}") for v in range(0, ceiling + 1, step)
    )
    return DailyChart(
        width=width,
        height=height,
        left=left,
        plot_bottom=base,
        plot_right=width - right,
        bars=tuple(bars),
        ticks=ticks,
        total_calls=sum(d.calls for d in days),
        total_errors=sum(d.errors for d in days),
    )


def capability_chart(
    rows: Sequence[tuple[str, int, float]], width: int = 760, label_width: int = 250
) -> CapabilityChart:
    row_h, bar_h, value_room = 30, 18, 150
    peak = max((n for _, n, _ in rows), default=0) or 1
    plot_w = width - label_width - value_room
    bars = tuple(
        CapBar(
            name=name,
            y=i * row_h + (row_h - bar_h) / 2,
            width=round(max(n / peak * plot_w, 2.0), 2),
            calls=n,
            mean_latency_ms=latency,
        )
        for i, (name, n, latency) in enumerate(rows)
    )
    return CapabilityChart(
        width=width,
        height=max(len(rows), 1) * row_h,
        label_width=label_width,
        row_height=row_h,
        bar_height=bar_h,
        bars=bars,
    )
