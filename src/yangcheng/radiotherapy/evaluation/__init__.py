"""Plan evaluation: DVHs, dose/volume metrics, conformity and homogeneity indices, clinical
goals (TG-119) with a pass/fail table, the gamma index against another dose, and PNG plots."""

from __future__ import annotations

from yangcheng.radiotherapy.evaluation.dvh import (
    DVH,
    d_max,
    d_mean,
    d_min,
    dose_at_volume,
    dvh,
    structure_doses,
    v_x,
)
from yangcheng.radiotherapy.evaluation.errors import (
    EmptyStructureError,
    EvaluationError,
    InvalidMetricError,
    ShapeMismatchError,
)
from yangcheng.radiotherapy.evaluation.gamma import GammaResult, gamma_index
from yangcheng.radiotherapy.evaluation.goals import (
    TG119_C_SHAPE_EASY,
    TG119_C_SHAPE_HARD,
    Goal,
    GoalResult,
    evaluate_goals,
    evaluate_metric,
    goals_table_markdown,
    goals_table_text,
    metric_unit,
)
from yangcheng.radiotherapy.evaluation.indices import homogeneity_index, paddick_ci, rtog_ci
from yangcheng.radiotherapy.evaluation.plots import dose_slice_png, dvh_plot_png

__all__ = [
    "DVH",
    "TG119_C_SHAPE_EASY",
    "TG119_C_SHAPE_HARD",
    "EmptyStructureError",
    "EvaluationError",
    "GammaResult",
    "Goal",
    "GoalResult",
    "InvalidMetricError",
    "ShapeMismatchError",
    "d_max",
    "d_mean",
    "d_min",
    "dose_at_volume",
    "dose_slice_png",
    "dvh",
    "dvh_plot_png",
    "evaluate_goals",
    "evaluate_metric",
    "gamma_index",
    "goals_table_markdown",
    "goals_table_text",
    "homogeneity_index",
    "metric_unit",
    "paddick_ci",
    "rtog_ci",
    "structure_doses",
    "v_x",
]
