"""Timelines in results: any capability whose response carries a ``timeline`` gets it drawn.

Some results are about time — when the face left the frame, who spoke when, when the customer
blinked — and a reviewer reads those faster as lanes on a time axis than as JSON. The console
knows nothing about what a lane means; a response opts in by including::

    "timeline": {
      "duration_s": 17.0,
      "lanes": [
        {"label": "face", "spans": [{"start_s": 0.0, "end_s": 16.9, "label": "face", "ok": true}],
         "marks": [{"t_s": 2.0, "label": "blink", "ok": true}]}
      ]
    }

Anything that does not have that shape is simply not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["TimelineChart", "timeline_chart"]

WIDTH = 760
LABEL_W = 110
LANE_H = 26
AXIS_H = 22


@dataclass(frozen=True)
class SpanBox:
    x: float
    width: float
    label: str
    ok: bool
    tooltip: str


@dataclass(frozen=True)
class MarkPin:
    x: float
    label: str
    ok: bool
    tooltip: str
    label_left: bool
    """Near the right edge the label goes to the pin's left, so it is not cut off."""


@dataclass(frozen=True)
class Lane:
    label: str
    y: float
    spans: tuple[SpanBox, ...]
    marks: tuple[MarkPin, ...]


@dataclass(frozen=True)
class AxisTick:
    x: float
    label: str


@dataclass(frozen=True)
class TimelineChart:
    width: int
    height: int
    left: int
    lane_height: int
    lanes: tuple[Lane, ...]
    ticks: tuple[AxisTick, ...]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _tick_step(duration_s: float) -> float:
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600):
        if duration_s / step <= 10:
            return float(step)
    return 7200.0


def _clock(t_s: float) -> str:
    minutes, seconds = divmod(round(t_s), 60)
    return f"{minutes}:{seconds:02d}"


def timeline_chart(result: Any) -> TimelineChart | None:
    """Lane geometry for ``result["timeline"]``, or None when there is none to draw."""
    if not isinstance(result, Mapping) or not isinstance(result.get("timeline"), Mapping):
        return None
    data = result["timeline"]
    duration = _number(data.get("duration_s"))
    lanes_in = data.get("lanes")
    if duration is None or duration <= 0 or not isinstance(lanes_in, list) or not lanes_in:
        return None
    plot_w = WIDTH - LABEL_W - 10

    def x_of(t: float) -> float:
        return round(LABEL_W + plot_w * min(1.0, max(0.0, t / duration)), 1)

    lanes: list[Lane] = []
    for i, lane in enumerate(lanes_in[:20]):
        if not isinstance(lane, Mapping):
            return None
        y = AXIS_H + i * LANE_H
        spans: list[SpanBox] = []
        for span in lane.get("spans") or []:
            start, end = _number(span.get("start_s")), _number(span.get("end_s"))
            if start is None or end is None or end < start:
                continue
            label = str(span.get("label", ""))
            spans.append(
                SpanBox(
                    x_of(start),
                    max(1.5, x_of(end) - x_of(start)),
                    label,
                    bool(span.get("ok", True)),
                    f"{label} {start:.1f}-{end:.1f} s",
                )
            )
        marks: list[MarkPin] = []
        for mark in lane.get("marks") or []:
            t = _number(mark.get("t_s"))
            if t is None:
                continue
            label = str(mark.get("label", ""))
            ok = bool(mark.get("ok", True))
            x = x_of(t)
            marks.append(MarkPin(x, label, ok, f"{label} at {t:.1f} s", x > WIDTH - 150))
        lanes.append(Lane(str(lane.get("label", "")), y, tuple(spans), tuple(marks)))
    step = _tick_step(duration)
    ticks = tuple(
        AxisTick(x_of(k * step), _clock(k * step)) for k in range(int(duration // step) + 1)
    )
    height = AXIS_H + len(lanes) * LANE_H + 6
    return TimelineChart(WIDTH, height, LABEL_W, LANE_H, tuple(lanes), ticks)
