"""Inverse planning: dose objectives and fluence optimisation over an influence matrix."""

from yangcheng.radiotherapy.optimise.fluence import FluenceResult, PlanningError, optimise_fluence
from yangcheng.radiotherapy.optimise.objectives import (
    MaxDVH,
    MinDVH,
    Objective,
    SquaredDeviation,
    SquaredOverdose,
    SquaredUnderdose,
)

__all__ = [
    "FluenceResult",
    "MaxDVH",
    "MinDVH",
    "Objective",
    "PlanningError",
    "SquaredDeviation",
    "SquaredOverdose",
    "SquaredUnderdose",
    "optimise_fluence",
]
