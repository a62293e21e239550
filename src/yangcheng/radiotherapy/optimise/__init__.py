"""Inverse planning: dose objectives and fluence optimisation over an influence matrix, by
L-BFGS-B (the default) or by stepwise linear programming (HiGHS)."""

from yangcheng.radiotherapy.optimise.fluence import FluenceResult, PlanningError, optimise_fluence
from yangcheng.radiotherapy.optimise.linear import (
    ConstraintReport,
    LPFluenceResult,
    optimise_fluence_lp,
)
from yangcheng.radiotherapy.optimise.linear_terms import (
    LinearConstraint,
    LinearTerm,
    MaxDose,
    MaxMeanDose,
    MaxTailMean,
    MeanDose,
    MinDose,
    MinTailMean,
    TotalWeight,
)
from yangcheng.radiotherapy.optimise.objectives import (
    MaxDVH,
    MinDVH,
    Objective,
    SquaredDeviation,
    SquaredOverdose,
    SquaredUnderdose,
)

__all__ = [
    "ConstraintReport",
    "FluenceResult",
    "LPFluenceResult",
    "LinearConstraint",
    "LinearTerm",
    "MaxDVH",
    "MaxDose",
    "MaxMeanDose",
    "MaxTailMean",
    "MeanDose",
    "MinDVH",
    "MinDose",
    "MinTailMean",
    "Objective",
    "PlanningError",
    "SquaredDeviation",
    "SquaredOverdose",
    "SquaredUnderdose",
    "TotalWeight",
    "optimise_fluence",
    "optimise_fluence_lp",
]
