"""Fluence optimisation as linear programs, solved stepwise by HiGHS.

CyberKnife's planner states planning as linear programs (Schlaefer & Schweikard 2008,
"Stepwise multi-criteria optimization for robotic radiosurgery"): hard bounds on the dose,
then one criterion at a time, each stage fixing what the previous achieved (within a small
relaxation) before minimising the next. That replaces the weights of a penalty sum, which a
planner must tune by trial, with priorities, and an LP optimum is global and reproducible.

Here the stages are: (1) if some constraint is elastic, the least relaxation that makes the
prescription feasible (zero when it is); (2) the ``objective``; (3) each of ``then`` (e.g.
the total weight, a monitor-unit proxy). Solved with ``scipy.optimize.linprog``'s HiGHS
interface: SciPy already wraps HiGHS, takes sparse matrices and returns the status we need,
so the ``highspy`` model API would add a dependency without adding a capability we use.

Size: dose variables ``d = D_R w`` stand for the rows ``R`` some per-voxel constraint looks
at, so a structure with several constraints costs its rows of ``D`` once. A structure larger
than ``max_voxels`` is subsampled (seeded, so deterministic); means (``MeanDose``,
``MaxMeanDose``) use all voxels through one column sum; every reported figure is evaluated on
all voxels, so a subsampling miss shows up as ``met=False`` rather than being hidden.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from yangcheng.radiotherapy.optimise.fluence import FluenceResult, PlanningError
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

__all__ = ["ConstraintReport", "LPFluenceResult", "optimise_fluence_lp"]

LPMethod = Literal["highs", "highs-ds", "highs-ipm"]
_SLACK_TOL_GY = 1e-6


@dataclass
class ConstraintReport:
    """How one constraint came out, evaluated on every voxel of its structure."""

    constraint: str
    limit_gy: float
    achieved_gy: float
    """The constrained quantity on all voxels (minimum, maximum, mean or tail mean)."""
    relaxed_by_gy: float
    """The largest slack the LP needed (0: met as stated on the LP's voxels)."""
    voxels_relaxed: int
    """For per-voxel bounds, how many of the LP's voxels needed a slack."""
    lp_voxels: int
    """Voxels the LP constrained: all of the structure's, or a subsample of a large one."""
    structure_voxels: int
    met: bool
    """``achieved_gy`` within ``tolerance_gy`` of the limit on all voxels."""


@dataclass
class LPFluenceResult(FluenceResult):
    """A ``FluenceResult`` plus what an LP can say: each constraint's outcome and the stages.

    ``history`` holds each stage's optimum, in the order of ``stages``."""

    constraints: list[ConstraintReport] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    lp_rows: int = 0
    lp_columns: int = 0
    lp_nnz: int = 0
    rounds: int = 1
    """LP solves of constraint generation (``rounds`` at most)."""

    @property
    def relaxed(self) -> list[ConstraintReport]:
        """The constraints the LP had to relax to find a plan."""
        return [c for c in self.constraints if c.relaxed_by_gy > _SLACK_TOL_GY]


class _Program:
    """Variables ``[w, d, extra...]``, equality rows ``D_R w - d = 0`` and ``<=`` rows kept as
    triplets; stages add rows that fix earlier optima."""

    def __init__(self, dose_rows: sp.csr_matrix, max_beamlet_weight: float | None) -> None:
        self.dose_rows = dose_rows
        self.n_w = dose_rows.shape[1]
        upper_w = np.inf if max_beamlet_weight is None else max_beamlet_weight
        self.lower = [np.zeros(self.n_w), np.zeros(dose_rows.shape[0])]
        self.upper = [np.full(self.n_w, upper_w), np.full(dose_rows.shape[0], np.inf)]
        self.n = self.n_w + dose_rows.shape[0]
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rhs: list[float] = []

    def dose_var(self, local_rows: np.ndarray) -> np.ndarray:
        return self.n_w + local_rows

    def add_vars(self, count: int, lower: float = 0.0, upper: float = np.inf) -> np.ndarray:
        self.lower.append(np.full(count, lower))
        self.upper.append(np.full(count, upper))
        first, self.n = self.n, self.n + count
        return np.arange(first, self.n)

    def bound(
        self, idx: np.ndarray, lower: float | None = None, upper: float | None = None
    ) -> None:
        lo, up = np.concatenate(self.lower), np.concatenate(self.upper)
        if lower is not None:
            lo[idx] = np.maximum(lo[idx], lower)
        if upper is not None:
            up[idx] = np.minimum(up[idx], upper)
        self.lower, self.upper = [lo], [up]

    def add_rows(self, terms: Sequence[tuple[np.ndarray, float | np.ndarray]], rhs: float) -> None:
        """One ``<=`` row per element: ``sum(coef * x[idx]) <= rhs``; ``idx`` arrays of one
        length (one row each) or scalars broadcast."""
        length = max(np.size(idx) for idx, _ in terms)
        first = len(self.rhs)
        for idx, coef in terms:
            idx_arr = np.broadcast_to(np.asarray(idx), (length,))
            self.rows.append(np.arange(first, first + length))
            self.cols.append(idx_arr)
            self.vals.append(np.broadcast_to(np.asarray(coef, dtype=np.float64), (length,)))
        self.rhs.extend([rhs] * length)

    def add_dense_row(self, cost: np.ndarray, rhs: float) -> None:
        nz = np.flatnonzero(cost)
        self.rows.append(np.full(nz.size, len(self.rhs)))
        self.cols.append(nz)
        self.vals.append(cost[nz])
        self.rhs.append(rhs)

    def matrices(self) -> tuple[sp.csr_matrix | None, sp.csr_matrix]:
        a_ub = None
        if self.rhs:
            a_ub = sp.csr_matrix(
                (
                    np.concatenate(self.vals),
                    (np.concatenate(self.rows), np.concatenate(self.cols)),
                ),
                shape=(len(self.rhs), self.n),
            )
        m = self.dose_rows.shape[0]
        a_eq = sp.hstack(
            [
                self.dose_rows.astype(np.float64),
                -sp.identity(m, format="csr"),
                sp.csr_matrix((m, self.n - self.n_w - m)),
            ],
            format="csr",
        )
        return a_ub, a_eq


def _structure_rows(
    influence: sp.spmatrix, structures: Mapping[str, np.ndarray], name: str, what: str
) -> np.ndarray:
    if name not in structures:
        raise PlanningError(
            f"{what}: no structure {name!r}; known: " + ", ".join(sorted(structures))
        )
    mask = np.asarray(structures[name]).reshape(-1)
    if mask.shape[0] != influence.shape[0]:
        raise PlanningError(
            f"structure {name!r} has {mask.shape[0]} voxels, the influence matrix "
            f"{influence.shape[0]} rows"
        )
    found = np.flatnonzero(mask)
    if found.size == 0:
        raise PlanningError(f"{what}: structure {name!r} is empty")
    return found


def _mean_row(influence: sp.spmatrix, rows: np.ndarray) -> np.ndarray:
    """The mean of ``influence``'s ``rows``, as a product so no row block is copied."""
    pick = np.zeros(influence.shape[0], dtype=influence.dtype)
    pick[rows] = 1.0 / rows.size
    return np.asarray(influence.T @ pick, dtype=np.float64).reshape(-1)


@dataclass
class _Round:
    x: np.ndarray
    n_w: int
    slacks: list[np.ndarray | None]
    history: list[float]
    stages: list[str]
    iterations: int
    converged: bool
    message: str
    rows: int
    columns: int
    nnz: int


def _term_cost(
    term: LinearTerm, influence: sp.csr_matrix, all_rows: Mapping[str, np.ndarray]
) -> np.ndarray:
    """An objective term as costs over the beamlet weights."""
    if isinstance(term, MeanDose):
        return term.weight * _mean_row(influence, all_rows[term.structure])
    if isinstance(term, TotalWeight):
        return np.full(influence.shape[1], term.weight)
    raise PlanningError(f"{term!r}: not a linear objective term this LP knows")


def _subsample(
    mask: np.ndarray, rows: np.ndarray, max_voxels: int, rng: np.random.Generator
) -> np.ndarray:
    """At most ``max_voxels`` of ``rows``: a regular lattice through a 3-D mask (every k-th
    voxel along each axis, the offset drawn from ``rng``), so no gap is wider than k voxels
    for the LP to carve a cold or hot spot into; a random draw for flat masks."""
    if mask.ndim == 3:
        step = int(np.ceil((rows.size / max_voxels) ** (1.0 / 3.0)))
        offsets = rng.integers(0, step, size=3)
        coords = np.unravel_index(rows, mask.shape)
        keep = np.ones(rows.size, bool)
        for axis, offset in zip(coords, offsets, strict=True):
            keep &= axis % step == offset
        picked = rows[keep]
        if 0 < picked.size <= max_voxels:
            return picked
        if picked.size > max_voxels:
            rows = picked
    return np.sort(rng.choice(rows, size=min(max_voxels, rows.size), replace=False))


def _add_violated(
    constraints: Sequence[LinearConstraint],
    dose_gy: np.ndarray,
    all_rows: Mapping[str, np.ndarray],
    lp_rows: Mapping[str, np.ndarray],
    tolerance_gy: float,
    max_voxels: int | None,
) -> dict[str, np.ndarray] | None:
    """Constraint generation: the LP's voxels plus, per structure, the worst voxels outside
    them that break a constraint on the full structure (at most ``max_voxels`` more); None
    when nothing outside the LP is broken."""
    grown = {name: rows for name, rows in lp_rows.items()}
    added = False
    for c in constraints:
        if isinstance(c, MaxMeanDose):
            continue  # exact already: uses every voxel
        rows = all_rows[c.structure]
        doses = dose_gy[rows]
        if isinstance(c, MinDose | MaxDose):
            excess = c.dose_gy - doses if c.is_lower else doses - c.dose_gy
            broken = excess > tolerance_gy
        else:
            shortfall = (
                c.dose_gy - c.achieved(doses) if c.is_lower else c.achieved(doses) - c.dose_gy
            )
            if shortfall <= tolerance_gy:
                continue
            assert isinstance(c, MaxTailMean | MinTailMean)
            # the voxels of the broken tail: the coldest (or hottest) volume_pct
            excess = -doses if c.is_lower else doses
            tail = max(int(np.ceil(c.volume_pct / 100.0 * rows.size)), 1)
            broken = np.zeros(rows.size, bool)
            broken[np.argsort(-excess, kind="stable")[:tail]] = True
        broken &= ~np.isin(rows, grown[c.structure])
        if not broken.any():
            continue
        candidates = np.flatnonzero(broken)
        candidates = candidates[np.argsort(-excess[candidates], kind="stable")]
        if max_voxels is not None:
            candidates = candidates[:max_voxels]
        grown[c.structure] = np.union1d(grown[c.structure], rows[candidates])
        added = True
    return grown if added else None


def optimise_fluence_lp(
    influence: sp.spmatrix,
    structures: Mapping[str, np.ndarray],
    constraints: Sequence[LinearConstraint],
    objective: Sequence[LinearTerm],
    *,
    then: Sequence[Sequence[LinearTerm]] = (),
    max_beamlet_weight: float | None = None,
    max_total_weight: float | None = None,
    slack_penalty: float | None = None,
    relaxation: float = 0.01,
    max_voxels: int | None = 4000,
    rounds: int = 1,
    seed: int = 0,
    method: LPMethod = "highs",
    time_limit_s: float | None = None,
    tolerance_gy: float = 1e-3,
    verbose: bool = False,
) -> LPFluenceResult:
    """Beamlet weights that meet ``constraints`` and minimise ``objective``, then ``then``.

    ``structures`` maps names to boolean masks with as many elements as ``influence`` has
    rows. Elastic constraints get l1 slacks; with ``slack_penalty=None`` their total relative
    relaxation is minimised first (a stage of its own, so feasibility always wins), else it
    is added to the objective times ``slack_penalty``. Each later stage keeps the previous
    optimum within ``relaxation`` (a fraction) plus 1e-6. ``max_beamlet_weight`` bounds each
    weight and ``max_total_weight`` their sum (the monitor units, in the matrix's units).
    Structures above ``max_voxels`` voxels are subsampled (seeded by ``seed``) for per-voxel
    and tail constraints. Raises ``PlanningError`` naming the bad input, or the hard
    constraints when they cannot all hold.
    """
    started = time.perf_counter()
    if influence.ndim != 2 or influence.shape[1] == 0:
        raise PlanningError(f"influence matrix has shape {influence.shape}; need voxels x beamlets")
    if not objective:
        raise PlanningError("no objective terms: an LP needs something to minimise")
    if rounds < 1:
        raise PlanningError(f"rounds must be >= 1, got {rounds}")
    if max_voxels is not None and max_voxels < 1:
        raise PlanningError(f"max_voxels must be >= 1, got {max_voxels}")
    for name, value in (
        ("max_beamlet_weight", max_beamlet_weight),
        ("max_total_weight", max_total_weight),
        ("slack_penalty", slack_penalty),
    ):
        if value is not None and not value > 0:
            raise PlanningError(f"{name} must be positive, got {value}")
    if not 0.0 <= relaxation < 1.0:
        raise PlanningError(f"relaxation must be in [0, 1), got {relaxation}")
    influence = influence.tocsr()

    # rows: every voxel of each constrained structure, or a seeded subsample of a big one
    all_rows: dict[str, np.ndarray] = {}
    for c in constraints:
        all_rows.setdefault(
            c.structure, _structure_rows(influence, structures, c.structure, c.describe())
        )
    for stage in (objective, *then):
        for term in stage:
            if isinstance(term, MeanDose):
                all_rows.setdefault(
                    term.structure,
                    _structure_rows(influence, structures, term.structure, term.describe()),
                )
    per_voxel = sorted({c.structure for c in constraints if not isinstance(c, MaxMeanDose)})
    lp_rows: dict[str, np.ndarray] = {}
    for i, name in enumerate(per_voxel):
        rows = all_rows[name]
        if max_voxels is not None and rows.size > max_voxels:
            mask = np.asarray(structures[name])
            rows = _subsample(mask, rows, max_voxels, np.random.default_rng([seed, i]))
        lp_rows[name] = rows

    def solve(lp_rows: dict[str, np.ndarray]) -> _Round:
        """Build and solve the stepwise LP constraining ``lp_rows`` of each structure."""
        used = (
            np.unique(np.concatenate(list(lp_rows.values())))
            if lp_rows
            else np.zeros(0, dtype=np.int64)
        )
        program = _Program(influence[used], max_beamlet_weight)
        local = {name: np.searchsorted(used, rows) for name, rows in lp_rows.items()}

        slacks: list[np.ndarray | None] = []
        slack_weights: list[tuple[np.ndarray, float]] = []
        for c in constraints:
            slack: np.ndarray | None = None
            if isinstance(c, MaxMeanDose):
                if c.elastic:
                    slack = program.add_vars(1)
                    slack_weights.append((slack, 1.0))
                row = np.zeros(program.n)
                row[: program.n_w] = _mean_row(influence, all_rows[c.structure])
                if slack is not None:
                    row[slack] = -1.0
                program.add_dense_row(row, c.dose_gy)
            elif isinstance(c, MinDose | MaxDose):
                d = program.dose_var(local[c.structure])
                if not c.elastic and c.is_lower:
                    program.bound(d, lower=c.dose_gy)
                elif not c.elastic:
                    program.bound(d, upper=c.dose_gy)
                else:
                    slack = program.add_vars(d.size)
                    sign = -1.0 if c.is_lower else 1.0
                    program.add_rows([(d, sign), (slack, -1.0)], sign * c.dose_gy)
                    slack_weights.append((slack, 1.0 / d.size))
            elif isinstance(c, MaxTailMean | MinTailMean):
                # upper: d_i - zeta <= u_i, zeta + sum(u) / (share * n) <= U; lower mirrored
                d = program.dose_var(local[c.structure])
                zeta = program.add_vars(1, lower=-np.inf)
                excess = program.add_vars(d.size)
                sign = -1.0 if c.is_lower else 1.0
                program.add_rows([(d, sign), (zeta, -sign), (excess, -1.0)], 0.0)
                if c.elastic:
                    slack = program.add_vars(1)
                    slack_weights.append((slack, 1.0))
                row = np.zeros(program.n)
                row[zeta] = sign
                row[excess] = 1.0 / (c.volume_pct / 100.0 * d.size)
                if slack is not None:
                    row[slack] = -1.0
                program.add_dense_row(row, sign * c.dose_gy)
            else:
                raise PlanningError(f"{c.describe()}: not a linear constraint this LP knows")
            slacks.append(slack)
        if max_total_weight is not None:
            program.add_dense_row(np.ones(program.n_w), max_total_weight)

        def stage_cost(terms: Sequence[LinearTerm]) -> np.ndarray:
            cost = np.zeros(program.n)
            for term in terms:
                cost[: program.n_w] += _term_cost(term, influence, all_rows)
            return cost

        slack_cost = np.zeros(program.n)
        for idx, weight in slack_weights:
            slack_cost[idx] = weight
        stages: list[tuple[str, np.ndarray]] = []
        has_slack_stage = bool(slack_weights) and slack_penalty is None
        if has_slack_stage:
            stages.append(("least relaxation of elastic constraints", slack_cost))
        main = stage_cost(objective)
        if slack_weights and slack_penalty is not None:
            main = main + slack_penalty * slack_cost
        stages.append((" + ".join(t.describe() for t in objective), main))
        stages.extend((" + ".join(t.describe() for t in s), stage_cost(s)) for s in then)

        bounds = np.column_stack([np.concatenate(program.lower), np.concatenate(program.upper)])
        options: dict[str, object] = {"presolve": True, "disp": verbose}
        if time_limit_s is not None:
            options["time_limit"] = time_limit_s
        history: list[float] = []
        iterations, converged, message = 0, True, "optimal"
        x: np.ndarray | None = None
        names: list[str] = []
        a_ub, a_eq = program.matrices()
        for k, (name, cost) in enumerate(stages):
            if k > 0:
                previous_cost, previous = stages[k - 1][1], history[-1]
                if k == 1 and has_slack_stage and previous <= _SLACK_TOL_GY**2:
                    # feasible as stated: later stages keep every elastic bound exactly
                    bounds[np.flatnonzero(previous_cost), 1] = 0.0
                else:
                    program.add_dense_row(
                        previous_cost, previous + relaxation * abs(previous) + _SLACK_TOL_GY
                    )
                    a_ub, a_eq = program.matrices()
            result = linprog(
                cost,
                A_ub=a_ub,
                b_ub=np.asarray(program.rhs) if a_ub is not None else None,
                A_eq=a_eq,
                b_eq=np.zeros(a_eq.shape[0]),
                bounds=bounds,
                method=method,
                options=options,
            )
            iterations += int(getattr(result, "nit", 0) or 0)
            if result.status == 2 and k == 0:
                hard = [c.describe() for c in constraints if not c.elastic]
                raise PlanningError(
                    "the hard constraints cannot all hold: "
                    + (", ".join(hard) or "(none)")
                    + "; make the lower bounds elastic to get the closest plan"
                )
            if result.x is None:
                if x is None:
                    raise PlanningError(f"LP stage {name!r} failed: {result.message}")
                converged, message = False, f"stage {name!r}: {result.message}"
                break
            x = np.asarray(result.x, dtype=np.float64)
            history.append(float(cost @ x))
            names.append(name)
            if result.status != 0:
                converged, message = False, f"stage {name!r}: {result.message}"
                break
        assert x is not None
        return _Round(
            x=x,
            n_w=program.n_w,
            slacks=slacks,
            history=history,
            stages=names,
            iterations=iterations,
            converged=converged,
            message=message,
            rows=(a_ub.shape[0] if a_ub is not None else 0) + a_eq.shape[0],
            columns=program.n,
            nnz=(a_ub.nnz if a_ub is not None else 0) + a_eq.nnz,
        )

    iterations = 0
    for round_number in range(1, rounds + 1):
        solved = solve(lp_rows)
        iterations += solved.iterations
        weights = np.maximum(solved.x[: solved.n_w], 0.0)
        dose = np.asarray(influence @ weights.astype(influence.dtype), dtype=np.float64)
        if round_number == rounds:
            break
        grown = _add_violated(constraints, dose, all_rows, lp_rows, tolerance_gy, max_voxels)
        if grown is None:
            break
        lp_rows = grown
    reports = []
    for c, slack in zip(constraints, solved.slacks, strict=True):
        voxels = dose[all_rows[c.structure]]
        achieved = c.achieved(voxels)
        shortfall = c.dose_gy - achieved if c.is_lower else achieved - c.dose_gy
        slack_values = solved.x[slack] if slack is not None else np.zeros(1)
        reports.append(
            ConstraintReport(
                constraint=c.describe(),
                limit_gy=c.dose_gy,
                achieved_gy=achieved,
                relaxed_by_gy=float(max(slack_values.max(), 0.0)),
                voxels_relaxed=int((slack_values > _SLACK_TOL_GY).sum())
                if isinstance(c, MinDose | MaxDose)
                else 0,
                lp_voxels=int(lp_rows.get(c.structure, all_rows[c.structure]).size),
                structure_voxels=int(all_rows[c.structure].size),
                met=bool(shortfall <= tolerance_gy),
            )
        )
    per = {}
    for stage in (objective, *then):
        for term in stage:
            per[term.describe()] = float(_term_cost(term, influence, all_rows) @ weights)
    return LPFluenceResult(
        weights=weights,
        dose_gy=dose,
        objective=solved.history[-1],
        iterations=iterations,
        seconds=time.perf_counter() - started,
        converged=solved.converged,
        message=solved.message,
        history=solved.history,
        per_objective=per,
        constraints=reports,
        stages=solved.stages,
        lp_rows=solved.rows,
        lp_columns=solved.columns,
        lp_nnz=solved.nnz,
        rounds=round_number,
    )
