"""Points-based scorecards, the form credit and fraud teams validate, file and explain.

Every value must land in exactly one bin: a gap would silently score zero and an overlap would
score twice, and both are findings in a model validation review. So bins are checked for full
coverage of the real line at construction, not discovered on a live application.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from .schema import FieldType, MissingField, TransactionSchema, WrongType

__all__ = ["Attribute", "Bin", "Contribution", "ScoreResult", "Scorecard", "ScorecardError"]


class ScorecardError(ValueError):
    """A scorecard definition that would mis-score some applicant; names the attribute."""


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Bin:
    """Points for values in [lower, upper); None is an open end (minus or plus infinity)."""

    lower: float | None
    upper: float | None
    points: float

    @property
    def label(self) -> str:
        low = "-inf" if self.lower is None else _number(self.lower)
        high = "+inf" if self.upper is None else _number(self.upper)
        return f"[{low}, {high})"

    def contains(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value < self.upper
        )

    def to_dict(self) -> dict[str, Any]:
        return {"lower": self.lower, "upper": self.upper, "points": self.points}


@dataclass(frozen=True)
class Attribute:
    """One scored characteristic: numeric `bins`, or string `categories` plus `other_points`."""

    field: str
    bins: tuple[Bin, ...] = ()
    categories: Mapping[str, float] | None = None
    other_points: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "bins", tuple(self.bins))
        if self.categories is not None:
            object.__setattr__(self, "categories", dict(self.categories))
        _check_attribute(self)

    @property
    def is_numeric(self) -> bool:
        return bool(self.bins)

    def to_dict(self) -> dict[str, Any]:
        if self.is_numeric:
            return {"field": self.field, "bins": [b.to_dict() for b in self.bins]}
        return {
            "field": self.field,
            "categories": dict(self.categories or {}),
            "other_points": self.other_points,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attribute:
        _require(data, ("field",), "attribute")
        for b in data.get("bins", ()):
            _require(b, ("points",), f"attribute {data['field']!r}: bin")
        bins = tuple(Bin(b.get("lower"), b.get("upper"), b["points"]) for b in data.get("bins", ()))
        return cls(data["field"], bins, data.get("categories"), data.get("other_points"))


def _require(data: Mapping[str, Any], keys: tuple[str, ...], what: str) -> None:
    if not isinstance(data, Mapping):
        raise ScorecardError(f"{what} must be a mapping, got {type(data).__name__}")
    missing = [key for key in keys if key not in data]
    if missing:
        raise ScorecardError(f"{what} document is missing {', '.join(map(repr, missing))}")


def _check_points(name: str, what: str, points: Any) -> None:
    if isinstance(points, bool) or not isinstance(points, int | float) or not math.isfinite(points):
        raise ScorecardError(f"attribute {name!r}: {what} points must be a finite number")


def _check_attribute(attribute: Attribute) -> None:
    name = attribute.field
    if bool(attribute.bins) == (attribute.categories is not None):
        raise ScorecardError(
            f"attribute {name!r}: give either bins or categories, not both/neither"
        )
    if attribute.categories is not None:
        if attribute.other_points is None:
            raise ScorecardError(
                f"attribute {name!r}: categories need other_points for values not listed"
            )
        _check_points(name, "other", attribute.other_points)
        for category, points in attribute.categories.items():
            if not isinstance(category, str):
                raise ScorecardError(f"attribute {name!r}: category {category!r} is not a string")
            _check_points(name, f"category {category!r}", points)
        return
    bins = attribute.bins
    for b in bins:
        _check_points(name, f"bin {b.label}", b.points)
        for bound in (b.lower, b.upper):
            if bound is not None and (
                isinstance(bound, bool)
                or not isinstance(bound, int | float)
                or not math.isfinite(bound)
            ):
                raise ScorecardError(
                    f"attribute {name!r}: bin {b.label} bound {bound!r} is invalid"
                )
        if b.lower is not None and b.upper is not None and b.lower >= b.upper:
            raise ScorecardError(f"attribute {name!r}: bin {b.label} is empty (lower >= upper)")
    if bins[0].lower is not None:
        raise ScorecardError(
            f"attribute {name!r}: values below {_number(bins[0].lower)} fall in no bin "
            "(the first bin's lower bound must be None)"
        )
    if bins[-1].upper is not None:
        raise ScorecardError(
            f"attribute {name!r}: values from {_number(bins[-1].upper)} up fall in no bin "
            "(the last bin's upper bound must be None)"
        )
    for before, after in itertools.pairwise(bins):
        if before.upper is None or after.lower is None or before.upper > after.lower:
            raise ScorecardError(
                f"attribute {name!r}: bins {before.label} and {after.label} overlap "
                "(list bins in ascending order, each starting where the last ends)"
            )
        if before.upper < after.lower:
            raise ScorecardError(
                f"attribute {name!r}: values in [{_number(before.upper)}, {_number(after.lower)}) "
                f"fall in no bin (gap between {before.label} and {after.label})"
            )


class Contribution(NamedTuple):
    field: str
    bin_label: str
    points: float


@dataclass(frozen=True)
class ScoreResult:
    """Total points and, per attribute, which bin was hit: the reason codes behind a score."""

    points: float
    contributions: tuple[Contribution, ...]


class Scorecard:
    """base_points plus one bin's points per attribute; validated completely at construction."""

    def __init__(
        self,
        name: str,
        version: str,
        base_points: float,
        attributes: Iterable[Attribute],
        schema: TransactionSchema | None = None,
    ) -> None:
        self.name, self.version, self.schema = name, str(version), schema
        _check_points("(base)", "base", base_points)
        self.base_points = float(base_points)
        self.attributes: tuple[Attribute, ...] = tuple(attributes)
        fields = [a.field for a in self.attributes]
        for duplicate in {f for f in fields if fields.count(f) > 1}:
            raise ScorecardError(f"attribute {duplicate!r} appears more than once")
        if schema is not None:
            for attribute in self.attributes:
                kind = schema.fields.get(attribute.field)
                wanted = (
                    (FieldType.FLOAT, FieldType.INT) if attribute.is_numeric else (FieldType.STR,)
                )
                if kind not in wanted:
                    need = "bins need a number" if attribute.is_numeric else "categories need a str"
                    raise ScorecardError(
                        f"attribute {attribute.field!r}: schema type is {kind and kind.value}, "
                        f"but {need}"
                    )

    def __repr__(self) -> str:
        return (
            f"Scorecard({self.name!r}, version={self.version!r}, attributes={len(self.attributes)})"
        )

    def _value(self, attribute: Attribute, row: Mapping[str, Any]) -> Any:
        if self.schema is not None:
            return self.schema.validate_row(row, (attribute.field,))[attribute.field]
        value = row.get(attribute.field)
        if value is None:
            raise MissingField(attribute.field)
        if attribute.is_numeric:
            ok = (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
            )
            if not ok:
                raise WrongType(
                    attribute.field, "a finite number", f"{type(value).__name__} {value!r}"
                )
        elif not isinstance(value, str):
            raise WrongType(attribute.field, "a string", f"{type(value).__name__} {value!r}")
        return value

    def score(self, row: Mapping[str, Any]) -> ScoreResult:
        """Points for `row`; a missing or mistyped attribute raises RowError, never scores 0."""
        contributions = []
        for attribute in self.attributes:
            value = self._value(attribute, row)
            if attribute.is_numeric:
                hit = next(b for b in attribute.bins if b.contains(value))
                contributions.append(Contribution(attribute.field, hit.label, float(hit.points)))
            else:
                categories = attribute.categories or {}
                if value in categories:
                    contributions.append(
                        Contribution(attribute.field, value, float(categories[value]))
                    )
                else:
                    other = float(attribute.other_points or 0.0)
                    contributions.append(Contribution(attribute.field, "other", other))
        total = self.base_points + math.fsum(c.points for c in contributions)
        return ScoreResult(total, tuple(contributions))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "base_points": self.base_points,
            "attributes": [a.to_dict() for a in self.attributes],
        }
        if self.schema is not None:
            data["schema"] = self.schema.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scorecard:
        _require(data, ("name", "version", "base_points", "attributes"), "scorecard")
        schema = TransactionSchema.from_dict(data["schema"]) if "schema" in data else None
        attributes = [Attribute.from_dict(a) for a in data["attributes"]]
        return cls(data["name"], data["version"], data["base_points"], attributes, schema)
