"""Student, teacher and course profiles, their indicators, dropout prediction, and the
evaluation-system document (`yangcheng.education.profiles`)."""

from yangcheng.education.profiles.behaviour import (
    DropoutData,
    DropoutDataError,
    DropoutEvaluation,
    DropoutModel,
    ModelScore,
    evaluate_dropout,
    from_log,
    generated_dropout_data,
)
from yangcheng.education.profiles.engagement import generate_engagement_log
from yangcheng.education.profiles.indicators import (
    INDICATORS,
    Indicator,
    IndicatorValue,
    UnknownIndicator,
    evaluate_indicator,
    get_indicator,
    indicators_for,
)
from yangcheng.education.profiles.report import evaluation_system_markdown
from yangcheng.education.profiles.student import StudentProfile, student_profiles
from yangcheng.education.profiles.teacher import (
    AssignmentError,
    Assignments,
    TeacherProfile,
    generate_assignments,
    teacher_profiles,
)

__all__ = [
    "INDICATORS",
    "AssignmentError",
    "Assignments",
    "DropoutData",
    "DropoutDataError",
    "DropoutEvaluation",
    "DropoutModel",
    "Indicator",
    "IndicatorValue",
    "ModelScore",
    "StudentProfile",
    "TeacherProfile",
    "UnknownIndicator",
    "evaluate_dropout",
    "evaluate_indicator",
    "evaluation_system_markdown",
    "from_log",
    "generate_assignments",
    "generate_engagement_log",
    "generated_dropout_data",
    "get_indicator",
    "indicators_for",
    "student_profiles",
    "teacher_profiles",
]
