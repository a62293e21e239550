"""Shapes a scenario returns so the console can draw a live dashboard or a review queue.

A scenario's status capability answers with a ``Dashboard`` (tiles, time-series charts,
tables) and its review capabilities with ``ReviewQueue`` / ``ReviewItem``; the console draws
them without knowing what a conveyor or an alarm is. Scenarios import these models from
here (as they import ``Capability``), never the web layer.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Level = Literal["ok", "warn", "alarm", "info"]


class Tile(BaseModel):
    """One headline figure: 'Throughput 38,400 items/h'."""

    label: str
    value: float | int | str
    unit: str = ""
    level: Level = "info"
    hint: str = Field(default="", description="What the figure means, shown on hover.")


class Series(BaseModel):
    name: str
    points: list[tuple[float, float]] = Field(
        description="(x, y) pairs; x is seconds since the epoch when the chart's x_kind is time."
    )


class Chart(BaseModel):
    title: str
    y_unit: str = ""
    x_kind: Literal["time", "number"] = "time"
    kind: Literal["line", "bar"] = "line"
    series: list[Series]


class Table(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[float | int | str | None]]


class Picture(BaseModel):
    """A figure the scenario drew itself (a dose slice, a DVH), shown as it is."""

    title: str
    png_base64: str = Field(description="Base64 of a PNG image.")
    caption: str = ""


class Dashboard(BaseModel):
    title: str
    generated_at: float = Field(description="Seconds since the epoch.")
    tiles: list[Tile] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)
    pictures: list[Picture] = Field(default_factory=list)
    tables: list[Table] = Field(default_factory=list)
    note: str = ""


class ReviewSummary(BaseModel):
    """A row of the operator's queue."""

    id: str
    title: str
    level: Level = "warn"
    facts: dict[str, float | int | str] = Field(default_factory=dict)
    created_at: float


class ReviewQueue(BaseModel):
    pending: int = Field(description="All items waiting for a verdict, not only those listed.")
    items: list[ReviewSummary]


class ReviewItem(BaseModel):
    """One item as the operator judges it: the picture with boxes and the facts."""

    id: str
    title: str
    level: Level = "warn"
    facts: dict[str, float | int | str] = Field(default_factory=dict)
    annotated_image: dict[str, Any] | None = Field(
        default=None,
        description="{png_base64, width, height, boxes: [{x, y, w, h, label, alarm, score}]}, "
        "drawn as the console draws any result's annotated_image.",
    )
    verdict: str | None = Field(default=None, description="Set once an operator has judged it.")
    verdict_reason: str | None = None
    verdict_by: str | None = None
    notice: str | None = Field(
        default=None,
        description="What the operator must read once they have judged it (that it was a "
        "test, say); the console shows it before the next item.",
    )
