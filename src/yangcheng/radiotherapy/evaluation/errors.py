"""Evaluation errors: each names the structure, metric or array at fault."""

from __future__ import annotations


class EvaluationError(ValueError):
    """Base class of every plan-evaluation error."""


class ShapeMismatchError(EvaluationError):
    """A dose grid and a mask that do not have the same shape."""


class EmptyStructureError(EvaluationError):
    """A mask with no voxels: every volume metric of it is undefined."""


class InvalidMetricError(EvaluationError):
    """A metric name, volume percentage or goal that cannot be evaluated."""
