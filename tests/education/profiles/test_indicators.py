from __future__ import annotations

import math

import pytest

from yangcheng.education.profiles import (
    INDICATORS,
    Indicator,
    UnknownIndicator,
    evaluate_indicator,
    evaluation_system_markdown,
    get_indicator,
    indicators_for,
)
from yangcheng.education.profiles.behaviour import DropoutEvaluation, ModelScore
from yangcheng.education.profiles.indicators import Scope

REQUIRED: dict[Scope, set[str]] = {
    "student": {
        "mastery",
        "coverage",
        "accuracy",
        "active_days_per_week",
        "sessions",
        "time_on_task_h",
        "regularity",
        "progress_rate",
        "dropout_risk",
    },
    "teacher": {
        "courses",
        "students",
        "resources_authored",
        "resource_usage",
        "resource_completion",
        "resource_learning_gain",
        "student_mastery_gain",
        "pass_rate",
        "dropout_rate",
    },
}


def test_registry_has_the_required_indicators_with_complete_fields() -> None:
    for scope, names in REQUIRED.items():
        assert names <= {i.name for i in indicators_for(scope)}
    for indicator in INDICATORS.values():
        assert indicator.definition and indicator.formula and indicator.unit and indicator.source


@pytest.mark.parametrize("indicator", list(INDICATORS.values()), ids=list(INDICATORS))
def test_levels_follow_thresholds(indicator: Indicator) -> None:
    sign = 1.0 if indicator.higher_is_better else -1.0
    assert indicator.level_of(indicator.ok) == "ok"
    assert indicator.level_of(indicator.ok + sign * 1.0) == "ok"
    if indicator.ok != indicator.warn:
        assert indicator.level_of(indicator.ok - sign * 1e-6) == "warn"
    assert indicator.level_of(indicator.warn) in ("warn", "ok")
    assert indicator.level_of(indicator.warn - sign * 1e-6) == "alert"
    assert indicator.level_of(None) == "unknown"
    assert indicator.level_of(math.nan) == "unknown"


def test_direction_matters() -> None:
    assert evaluate_indicator("accuracy", 40.0).level == "alert"  # higher is better
    assert evaluate_indicator("dropout_risk", 0.9).level == "alert"  # lower is better
    assert evaluate_indicator("dropout_risk", 0.1).level == "ok"


def test_bad_thresholds_and_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError, match="out of order"):
        Indicator("x", "student", "X", "d", "f", "u", True, ok=1.0, warn=2.0, source="s")
    with pytest.raises(UnknownIndicator, match="nope"):
        get_indicator("nope")


def test_report_contains_every_indicator_and_the_auc() -> None:
    evaluation = DropoutEvaluation(
        {"boosting": ModelScore(0.812, 0.75, 0.86), "logistic": ModelScore(0.79, 0.7, 0.84)},
        n_train=100,
        n_test=40,
        positive_rate=0.4,
    )
    text = evaluation_system_markdown(evaluation)
    for indicator in INDICATORS.values():
        assert f"(`{indicator.name}`)" in text
        assert indicator.formula in text
    assert "## Student indicators" in text and "## Teacher indicators" in text
    assert "0.812" in text
    assert "not measured" in evaluation_system_markdown(None)
