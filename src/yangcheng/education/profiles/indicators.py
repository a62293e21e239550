"""The evaluation system's indicators, defined in one place.

Profiles, alerts and the evaluation-system document all read this registry, so a threshold
changed here changes the level a profile shows and the sentence the document prints: there
is no second copy to drift. Each indicator says what it measures, how it is computed (in
words), its unit, which direction is good, and the thresholds between ``ok``, ``warn`` and
``alert``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = [
    "INDICATORS",
    "Indicator",
    "IndicatorValue",
    "Level",
    "Scope",
    "UnknownIndicator",
    "evaluate_indicator",
    "get_indicator",
    "indicators_for",
]

Scope = Literal["student", "teacher", "course"]
Level = Literal["ok", "warn", "alert", "unknown"]


class UnknownIndicator(ValueError):
    """An indicator name that is not in the registry."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown indicator {name!r}; known: {', '.join(sorted(INDICATORS))}")
        self.name = name


@dataclass(frozen=True)
class Indicator:
    """One indicator: what it means, how it is computed, and when it is a concern.

    ``ok`` and ``warn`` are thresholds on the value. When higher is better, a value at or
    above ``ok`` is ok, at or above ``warn`` is warn, and below is alert; when lower is
    better the comparisons flip (at or below ``ok`` is ok...).
    """

    name: str
    scope: Scope
    title: str
    definition: str
    formula: str
    unit: str
    higher_is_better: bool
    ok: float
    warn: float
    source: str

    def __post_init__(self) -> None:
        ordered = self.ok >= self.warn if self.higher_is_better else self.ok <= self.warn
        if not ordered:
            raise ValueError(
                f"indicator {self.name!r}: thresholds out of order (ok={self.ok}, "
                f"warn={self.warn}, higher_is_better={self.higher_is_better})"
            )

    def level_of(self, value: float | None) -> Level:
        """The level a value falls in (``unknown`` for a missing or NaN value)."""
        if value is None or value != value:
            return "unknown"
        if self.higher_is_better:
            return "ok" if value >= self.ok else "warn" if value >= self.warn else "alert"
        return "ok" if value <= self.ok else "warn" if value <= self.warn else "alert"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IndicatorValue:
    """An indicator measured for one subject, with its level."""

    name: str
    value: float | None
    unit: str
    level: Level

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_LOG = "learning log (responses with times)"
_KT = "knowledge-tracing model fitted on the log (BKT by default)"
_ASSIGN = "teacher-course-student assignment table and authored resources"

_ALL = [
    # --- student ---------------------------------------------------------------------------
    Indicator(
        "mastery",
        "student",
        "Mastery",
        "How well the student knows the skills practised so far.",
        "mean over the skills the student practised of the tracer's P(mastered) after the "
        "whole history",
        "probability",
        True,
        0.7,
        0.5,
        f"{_LOG}; {_KT}",
    ),
    Indicator(
        "coverage",
        "student",
        "Curriculum coverage",
        "How much of the curriculum the student has practised at all.",
        "skills with at least one response / skills of the curriculum x 100",
        "%",
        True,
        60.0,
        30.0,
        _LOG,
    ),
    Indicator(
        "accuracy",
        "student",
        "Accuracy",
        "Share of first attempts answered right.",
        "correct first attempts / responses x 100",
        "%",
        True,
        65.0,
        50.0,
        _LOG,
    ),
    Indicator(
        "active_days_per_week",
        "student",
        "Active days per week",
        "How often the student comes to study.",
        "distinct calendar days with a response / weeks between first response and now",
        "days/week",
        True,
        2.0,
        1.0,
        _LOG,
    ),
    Indicator(
        "sessions",
        "student",
        "Sessions",
        "Study sessions; a session ends after 30 minutes without a response.",
        "1 + number of gaps of more than 30 minutes between consecutive responses",
        "sessions",
        True,
        8.0,
        3.0,
        _LOG,
    ),
    Indicator(
        "time_on_task_h",
        "student",
        "Time on task",
        "Time spent answering.",
        "sum of response times (s) / 3600; responses without a time count the median time",
        "h",
        True,
        2.0,
        0.5,
        _LOG,
    ),
    Indicator(
        "regularity",
        "student",
        "Regularity",
        "Whether study is spread over the weeks rather than crammed.",
        "weeks with at least one response / weeks between first response and now x 100",
        "%",
        True,
        70.0,
        40.0,
        _LOG,
    ),
    Indicator(
        "progress_rate",
        "student",
        "Progress rate",
        "How fast skills are being mastered.",
        "skills with tracer P(mastered) >= 0.8 / weeks between first response and now",
        "skills/week",
        True,
        1.0,
        0.3,
        f"{_LOG}; {_KT}",
    ),
    Indicator(
        "dropout_risk",
        "student",
        "Dropout risk",
        "Predicted chance the student becomes inactive in the coming weeks.",
        "probability from the dropout model (gradient boosting on the first weeks' activity, "
        "accuracy, gaps, streaks and BKT mastery)",
        "probability",
        False,
        0.3,
        0.6,
        f"{_LOG}; dropout model",
    ),
    # --- teacher ---------------------------------------------------------------------------
    Indicator(
        "courses",
        "teacher",
        "Courses taught",
        "Teaching load: courses the teacher is assigned to.",
        "distinct courses of the teacher in the assignment table",
        "courses",
        False,
        3.0,
        5.0,
        _ASSIGN,
    ),
    Indicator(
        "students",
        "teacher",
        "Students taught",
        "Teaching load: students enrolled in the teacher's courses.",
        "distinct students enrolled in any of the teacher's courses",
        "students",
        False,
        150.0,
        300.0,
        _ASSIGN,
    ),
    Indicator(
        "resources_authored",
        "teacher",
        "Resources authored",
        "Exercises and materials the teacher wrote.",
        "distinct resources whose author is the teacher",
        "resources",
        True,
        10.0,
        3.0,
        _ASSIGN,
    ),
    Indicator(
        "resource_usage",
        "teacher",
        "Resource usage",
        "How much students use the teacher's resources.",
        "responses on the teacher's resources / resources authored",
        "responses/resource",
        True,
        20.0,
        5.0,
        f"{_LOG}; {_ASSIGN}",
    ),
    Indicator(
        "resource_completion",
        "teacher",
        "Resource completion",
        "Whether students who start a resource get it right in the end.",
        "(student, resource) pairs with at least one correct response / pairs with a "
        "response x 100",
        "%",
        True,
        70.0,
        50.0,
        f"{_LOG}; {_ASSIGN}",
    ),
    Indicator(
        "resource_learning_gain",
        "teacher",
        "Learning gain after resources",
        "Whether students improve on a skill after using the teacher's resource on it.",
        "mean over (student, resource) of accuracy on the resource's skill in the responses "
        "after the first use minus accuracy up to and including it, in points",
        "points",
        True,
        5.0,
        0.0,
        f"{_LOG}; {_ASSIGN}",
    ),
    Indicator(
        "student_mastery_gain",
        "teacher",
        "Student mastery gain",
        "What the teacher's students learned.",
        "mean over the teacher's students of (mastery - the tracer's prior P(known) of the "
        "same skills)",
        "probability",
        True,
        0.2,
        0.05,
        f"{_LOG}; {_KT}; {_ASSIGN}",
    ),
    Indicator(
        "pass_rate",
        "teacher",
        "Pass rate",
        "Share of the teacher's students whose mastery reaches the pass mark (0.6).",
        "students with mastery >= 0.6 / students with a response x 100",
        "%",
        True,
        70.0,
        50.0,
        f"{_LOG}; {_KT}; {_ASSIGN}",
    ),
    Indicator(
        "dropout_rate",
        "teacher",
        "Dropout rate",
        "Share of the teacher's students who stopped coming.",
        "students without a response in the last 14 days before now / students with a "
        "response x 100",
        "%",
        False,
        20.0,
        35.0,
        f"{_LOG}; {_ASSIGN}",
    ),
    # --- course ----------------------------------------------------------------------------
    Indicator(
        "course_mean_mastery",
        "course",
        "Course mean mastery",
        "How well the course's students know what they practised.",
        "mean of the student mastery indicator over the course's students",
        "probability",
        True,
        0.7,
        0.5,
        f"{_LOG}; {_KT}; {_ASSIGN}",
    ),
    Indicator(
        "course_active_share",
        "course",
        "Active students",
        "Share of enrolled students still coming.",
        "enrolled students with a response in the last 14 days before now / enrolled "
        "students x 100",
        "%",
        True,
        80.0,
        60.0,
        f"{_LOG}; {_ASSIGN}",
    ),
]

INDICATORS: dict[str, Indicator] = {i.name: i for i in _ALL}
"""Every indicator by name, in document order (student, teacher, course)."""


def get_indicator(name: str) -> Indicator:
    try:
        return INDICATORS[name]
    except KeyError:
        raise UnknownIndicator(name) from None


def indicators_for(scope: Scope) -> list[Indicator]:
    return [i for i in INDICATORS.values() if i.scope == scope]


def evaluate_indicator(name: str, value: float | None) -> IndicatorValue:
    """The value with its unit and level, as profiles carry it."""
    indicator = get_indicator(name)
    clean = None if value is None or value != value else float(value)
    return IndicatorValue(name, clean, indicator.unit, indicator.level_of(clean))
