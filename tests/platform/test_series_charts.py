"""Dashboard charts: where lines, bars, ticks and labels go (``web/series_charts.py``)."""

from __future__ import annotations

import itertools
import math

import pytest

from yangcheng.platform.panels import Chart, Series
from yangcheng.platform.web.render import ENV
from yangcheng.platform.web.series_charts import (
    MARKER_POINTS,
    MAX_SERIES,
    format_value,
    nice_step,
    series_chart,
)

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC


def _points(text: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in text.split())]


def test_a_line_spans_the_plot_and_maps_values_linearly() -> None:
    chart = series_chart(
        Chart(
            title="t", series=[Series(name="a", points=[(T0 + 60 * i, 10 * i) for i in range(7)])]
        )
    )
    (line,) = chart.series
    pts = _points(line.points)
    assert len(pts) == 7
    assert pts[0][0] == chart.left and pts[-1][0] == chart.plot_right
    # Equal steps in x and y give equal steps on the page.
    dx = {round(b[0] - a[0], 1) for a, b in itertools.pairwise(pts)}
    dy = {round(b[1] - a[1], 1) for a, b in itertools.pairwise(pts)}
    assert len(dx) == 1 and len(dy) == 1 and dy.pop() < 0  # rising values go up the page
    # y from 0 to a round number at or above the peak; the 0 tick sits on the baseline.
    assert chart.y_ticks[0].label == "0" and chart.y_ticks[0].y == chart.plot_bottom
    assert [t.label for t in chart.y_ticks] == ["0", "20", "40", "60"]
    assert pts[-1][1] == chart.top  # 60 is the top tick
    assert line.latest == "60"


def test_time_ticks_are_round_utc_clock_times() -> None:
    points = [(T0 + 95 + 30 * i, 1.0) for i in range(60)]  # 00:01:35 to 00:31:05
    chart = series_chart(Chart(title="t", series=[Series(name="a", points=points)]))
    labels = [t.label for t in chart.x_ticks]
    assert labels == ["00:05", "00:10", "00:15", "00:20", "00:25", "00:30"]
    assert all(chart.left <= t.x <= chart.plot_right for t in chart.x_ticks)
    assert chart.x_caption == "UTC, 2026-01-01"
    # Hours apart, the ticks are hours; days apart, dates.
    hours = series_chart(
        Chart(title="t", series=[Series(name="a", points=[(T0, 1), (T0 + 6 * 3600, 2)])])
    )
    assert [t.label for t in hours.x_ticks] == [
        "00:00",
        "01:00",
        "02:00",
        "03:00",
        "04:00",
        "05:00",
        "06:00",
    ]
    days = series_chart(
        Chart(title="t", series=[Series(name="a", points=[(T0, 1), (T0 + 6 * 86400, 2)])])
    )
    assert days.x_ticks[0].label == "01-01" and days.x_caption == "UTC, 2026-01-01 to 2026-01-07"


def test_several_series_share_the_axes_and_get_their_own_colours() -> None:
    chart = series_chart(
        Chart(
            title="t",
            y_unit="ms",
            series=[
                Series(name="a", points=[(0, 1), (10, 2)]),
                Series(name="b", points=[(5, 50), (10, 40)]),
            ],
            x_kind="number",
        )
    )
    a, b = chart.series
    assert (a.colour, b.colour) == (0, 1)
    assert _points(b.points)[0][0] == pytest.approx((chart.left + chart.plot_right) / 2, abs=0.01)
    assert b.latest == "40 ms"
    assert chart.x_caption == ""  # numbers, not times
    assert [t.label for t in chart.y_ticks][-1] == "60"


def test_bars_stand_side_by_side_on_the_zero_line_and_go_down_when_negative() -> None:
    chart = series_chart(
        Chart(
            title="t",
            kind="bar",
            x_kind="number",
            series=[
                Series(name="a", points=[(1, 3), (2, -2)]),
                Series(name="b", points=[(1, 1), (2, 4)]),
            ],
        )
    )
    a, b = chart.series
    assert a.points == "" and len(a.bars) == 2 and len(b.bars) == 2
    zero = chart.zero_y
    assert zero is not None
    up, down = a.bars
    assert up.y + up.height == pytest.approx(zero, abs=0.01)  # stands on zero
    assert down.y == pytest.approx(zero, abs=0.01) and down.height > 0  # hangs below it
    # The group at x=1: a then b, touching, not overlapping, centred on the tick.
    assert a.bars[0].x + a.bars[0].width == pytest.approx(b.bars[0].x, abs=0.01)
    tick = next(t for t in chart.x_ticks if t.label == "1")
    assert (a.bars[0].x + b.bars[0].x + b.bars[0].width) / 2 == pytest.approx(tick.x, abs=0.01)
    assert [t.label for t in chart.x_ticks] == ["1", "2"]  # one tick under each group
    assert all(
        chart.left <= bar.x and bar.x + bar.width <= chart.plot_right for bar in a.bars + b.bars
    )


def test_empty_series_and_non_finite_points_are_not_drawn() -> None:
    chart = series_chart(Chart(title="t", series=[Series(name="a", points=[])]))
    assert chart.empty and chart.series[0].latest == "—" and chart.x_ticks == ()
    chart = series_chart(
        Chart(title="t", series=[Series(name="a", points=[(0, math.nan), (1, 2), (2, math.inf)])])
    )
    assert not chart.empty and len(_points(chart.series[0].points)) == 1


def test_many_series_and_many_points_are_capped() -> None:
    series = [Series(name=f"s{i}", points=[(i, i)]) for i in range(MAX_SERIES + 3)]
    chart = series_chart(Chart(title="t", series=series, x_kind="number"))
    assert len(chart.series) == MAX_SERIES and chart.hidden_series == 3
    long = series_chart(
        Chart(
            title="t", series=[Series(name="a", points=[(i, i) for i in range(MARKER_POINTS + 1)])]
        )
    )
    assert len(long.series[0].markers) == 1  # only the last point gets a dot


def test_the_template_draws_axes_legend_and_says_when_empty() -> None:
    macro = ENV.from_string(
        '{% import "_series_chart.html" as sc %}{{ sc.series_chart(c|series_chart, "c1") }}'
    )
    page = macro.render(
        c=Chart(title="Load <1>", series=[Series(name="x & y", points=[(T0, 1), (T0 + 600, 3)])])
    )
    assert "Load &lt;1&gt;" in page and "x &amp; y" in page
    assert page.count("<polyline") == 1 and ">00:00<" in page and ">00:10<" in page
    empty = macro.render(c=Chart(title="None", series=[Series(name="x", points=[])]))
    assert "No data yet." in empty and "<svg" not in empty


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (1234, "1,234"),
        (38400, "38.4k"),
        (2_500_000, "2.5M"),
        (0.031, "0.031"),
        (2.5, "2.5"),
    ],
)
def test_values_read_short(value: float, text: str) -> None:
    assert format_value(value) == text


def test_nice_steps_are_one_two_five() -> None:
    assert [nice_step(s) for s in (4, 10, 35, 0.9, 7000)] == [1, 5, 10, 0.5, 2000]
