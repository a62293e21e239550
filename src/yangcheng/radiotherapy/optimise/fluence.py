"""Fluence optimisation: beamlet weights that best meet the dose objectives (L-BFGS-B).

The dose is linear in the weights, ``d = D w``, with ``D`` the sparse influence matrix
(voxels x beamlets), so every objective's gradient over voxel doses maps back to the
weights as ``D^T g``. Only the rows of voxels some objective looks at are kept (a TG-119
body has ten times more voxels than its structures of interest), and weights are bounded
below by zero: a linac cannot emit negative fluence. The same code plans coplanar IMRT
and a robot's non-coplanar node set: both are just columns of ``D``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import OptimizeResult, minimize

from yangcheng.radiotherapy.optimise.objectives import Objective

__all__ = ["FluenceResult", "PlanningError", "optimise_fluence"]


class PlanningError(ValueError):
    """An optimisation problem that cannot be set up (the structure or shape is named)."""


@dataclass
class FluenceResult:
    weights: np.ndarray
    """Beamlet weights (>= 0), scaled so the dose is in Gy."""
    dose_gy: np.ndarray
    """Dose on every voxel of the grid, flat (reshape to the grid's shape)."""
    objective: float
    iterations: int
    seconds: float
    converged: bool
    message: str
    history: list[float] = field(default_factory=list)
    """Objective value after each iteration."""
    per_objective: dict[str, float] = field(default_factory=dict)


def optimise_fluence(
    influence: sp.csr_matrix,
    structures: Mapping[str, np.ndarray],
    objectives: Sequence[Objective],
    *,
    initial: np.ndarray | None = None,
    max_iter: int = 200,
    tolerance: float = 1e-7,
    on_iteration: Callable[[int, int, float], None] | None = None,
) -> FluenceResult:
    """Minimise the weighted sum of ``objectives`` over non-negative beamlet weights.

    ``structures`` maps names to boolean masks over the grid (any shape with as many
    elements as ``influence`` has rows, flattened in C order). ``initial`` defaults to the
    uniform weights that give the first objective's structure its reference dose on average.
    ``on_iteration(iteration, max_iter, objective)`` is called after each iteration.
    """
    n_voxels, n_beamlets = influence.shape
    if not objectives:
        raise PlanningError("no objectives: nothing to optimise")
    rows: dict[str, np.ndarray] = {}
    for obj in objectives:
        if obj.structure not in structures:
            raise PlanningError(
                f"{obj.describe()}: no structure {obj.structure!r}; known: "
                + ", ".join(sorted(structures))
            )
        mask = np.asarray(structures[obj.structure]).reshape(-1)
        if mask.shape[0] != n_voxels:
            raise PlanningError(
                f"structure {obj.structure!r} has {mask.shape[0]} voxels, the influence "
                f"matrix {n_voxels} rows"
            )
        if obj.structure not in rows:
            found = np.flatnonzero(mask)
            if found.size == 0:
                raise PlanningError(f"structure {obj.structure!r} is empty")
            rows[obj.structure] = found
    used = np.unique(np.concatenate(list(rows.values())))
    sub = influence.tocsr()[used]
    local = {name: np.searchsorted(used, r) for name, r in rows.items()}
    # products in the matrix's own precision: a float32 matrix times a float64 vector makes
    # SciPy copy the matrix to float64 on every product (ten times slower)
    work = sub.dtype

    def evaluate(w: np.ndarray) -> tuple[float, np.ndarray]:
        dose = np.asarray(sub @ w.astype(work), dtype=np.float64)
        total, grad_dose = 0.0, np.zeros_like(dose)
        for obj in objectives:
            idx = local[obj.structure]
            value, grad = obj.value_and_gradient(dose[idx])
            total += value
            np.add.at(grad_dose, idx, grad)
        return total, np.asarray(sub.T @ grad_dose.astype(work), dtype=np.float64)

    if initial is None:
        first = objectives[0]
        mean_dose = float(np.asarray(sub[local[first.structure]].sum(axis=1)).mean())
        scale = first.dose_gy / mean_dose if mean_dose > 0 else 1.0
        w0 = np.full(n_beamlets, scale if scale > 0 else 1.0)
    else:
        w0 = np.asarray(initial, dtype=np.float64)
        if w0.shape != (n_beamlets,):
            raise PlanningError(f"initial has shape {w0.shape}, expected ({n_beamlets},)")
    history: list[float] = []

    def record(intermediate_result: OptimizeResult) -> None:  # SciPy passes it by this name
        history.append(float(intermediate_result.fun))
        if on_iteration is not None:
            on_iteration(len(history), max_iter, history[-1])

    started = time.perf_counter()
    result = minimize(
        evaluate,
        w0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * n_beamlets,
        callback=record,
        options={"maxiter": max_iter, "ftol": tolerance, "gtol": 1e-10, "maxcor": 20},
    )
    seconds = time.perf_counter() - started
    weights = np.asarray(result.x, dtype=np.float64)
    dose_sub = np.asarray(sub @ weights.astype(work), dtype=np.float64)
    per = {
        f"{i}:{obj.describe()}": obj.value_and_gradient(dose_sub[local[obj.structure]])[0]
        for i, obj in enumerate(objectives)
    }
    return FluenceResult(
        weights=weights,
        dose_gy=np.asarray(influence @ weights.astype(influence.dtype), dtype=np.float64),
        objective=float(result.fun),
        iterations=int(result.nit),
        seconds=seconds,
        converged=bool(result.success),
        message=str(result.message),
        history=history,
        per_objective=per,
    )
