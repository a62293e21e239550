"""A whole plan: beams, influence matrix, fluence optimisation and TG-119 evaluation.

Two beam arrangements on the same engine, so they can be compared on one phantom:

* ``imrt``: coplanar fields from equally spaced gantry angles at 1,000 mm (a C-arm linac);
* ``robotic``: non-coplanar beams from the robot's node set at 800 mm, each with an MLC
  beamlet grid over the target's projection (CyberKnife M6-like).

Only voxels within ``margin_mm`` of a target or an organ at risk, plus the body beyond as a
sparse dose-falloff ring, enter the influence matrix: the goals never look further, and it
keeps a TG-119 plan within memory and a minute on two cores.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import ndimage

from yangcheng.radiotherapy.dose import (
    CARM_SAD_MM,
    Beam,
    Beamlets,
    DoseGrid,
    cone_columns,
    cone_influence_matrix,
    influence_matrix,
    pencil_beamlets,
)
from yangcheng.radiotherapy.evaluation import (
    TG119_C_SHAPE_HARD,
    Goal,
    GoalResult,
    evaluate_goals,
)
from yangcheng.radiotherapy.optimise import (
    FluenceResult,
    LinearConstraint,
    LinearTerm,
    MaxDose,
    MaxDVH,
    MaxTailMean,
    MeanDose,
    MinDVH,
    MinTailMean,
    Objective,
    PlanningError,
    SquaredDeviation,
    SquaredOverdose,
    TotalWeight,
    optimise_fluence,
    optimise_fluence_lp,
)
from yangcheng.radiotherapy.phantoms import Phantom
from yangcheng.radiotherapy.robot.nodes import Node, beams_from_nodes, node_set

__all__ = [
    "Collimator",
    "PlanResult",
    "ProgressCallback",
    "aim_points",
    "pick_nodes",
    "plan_c_shape",
    "tg119_lp_prescription",
    "tg119_objectives",
]

Arrangement = Literal["imrt", "robotic"]
Collimator = Literal["mlc", "cones"]
Optimiser = Literal["lbfgs", "lp"]
ProgressCallback = Callable[[float, str], None]
"""Called with the share done (0..1) and the stage, e.g. ``(0.4, "influence: beam 12/30")``."""

# shares of the whole plan's time each stage takes (TG-119 robotic, 2 cores), for progress
_SETUP, _INFLUENCE, _OPTIMISE = 0.05, 0.35, 0.55
FINAL_CUTOFF_MM = 150.0
"""Far enough that no scatter worth a 1e-4 share is left out (the widest kernel's sigma is
about 40 mm at 25 cm depth)."""


@dataclass
class PlanResult:
    arrangement: str
    beams: int
    beamlets: int
    voxels: int
    nnz: int
    goals: list[GoalResult]
    dose_gy: np.ndarray
    """The dose cube, (nz, ny, nx)."""
    fluence: FluenceResult
    seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    beam_set: list[Beam] = field(default_factory=list)
    """The beams themselves (source and isocentre), in the order of ``beamlet_set``."""
    beamlet_set: Beamlets | None = None
    """Beamlet geometry, one per column of the influence matrix (``fluence.weights``)."""
    optimised_goals: list[GoalResult] = field(default_factory=list)
    """The goals on the dose the optimiser saw (``goals`` are on the final dose when one was
    computed)."""
    beam_node: list[int] = field(default_factory=list)
    """Robotic plans: the node (``Node.index``) each beam is shot from."""

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.goals)


def tg119_lp_prescription(
    core_d10_gy: float = 9.0,
) -> tuple[list[LinearConstraint], list[LinearTerm], list[list[LinearTerm]]]:
    """The hard TG-119 goals through linear stand-ins, for the LP optimiser: the coldest 5 % of
    the PTV at least 50.5 Gy on average (so D95 >= 50.5), the hottest 10 % at most 54.5 Gy (so
    D10 <= 54.5), the hottest 10 % of the core at most ``core_d10_gy``, no ring voxel above
    the PTV's ceiling; then the least mean core and ring dose; then the least total weight."""
    constraints: list[LinearConstraint] = [
        MinTailMean("PTV", 50.5, 5.0),
        MaxTailMean("PTV", 54.5, 10.0),
        MaxDose("PTV", 58.0),
        MaxTailMean("Core", core_d10_gy, 10.0),
        MaxDose("Ring", 54.5),
    ]
    objective: list[LinearTerm] = [MeanDose("Core", 1.0), MeanDose("Ring", 0.2)]
    return constraints, objective, [[TotalWeight(1.0)]]


def tg119_objectives(core_d10_gy: float = 10.0) -> list[Objective]:
    """Objectives aimed inside the TG-119 C-shape goals: the PTV at about 52 Gy with D95
    over 50, the core's D10 under ``core_d10_gy`` with room to spare, a ring kept low."""
    return [
        SquaredDeviation("PTV", 52.0, 20.0),
        MinDVH("PTV", 50.5, 100.0, volume_pct=96.0),
        SquaredOverdose("PTV", 54.0, 50.0),
        MaxDVH("Core", 0.8 * core_d10_gy, 100.0, volume_pct=8.0),
        SquaredOverdose("Core", 0.8 * core_d10_gy, 5.0),
        SquaredOverdose("Ring", 30.0, 2.0),
    ]


def aim_points(
    target_mask: np.ndarray, phantom: Phantom, n_points: int, inset_mm: float = 5.0
) -> np.ndarray:
    """``n_points`` spread over the target (farthest-point sampling of its voxel centres, at
    least ``inset_mm`` inside its edge where it is thick enough), (z, y, x) mm.

    A robotic linac with fixed cones does not shoot every beam through one isocentre: each
    node aims several beams at points spread through the target, which is how cones fill a
    shape like the C around the core (non-isocentric planning).
    """
    inside = ndimage.distance_transform_edt(target_mask, sampling=phantom.spacing_mm) > inset_mm
    voxels = np.argwhere(inside if inside.sum() >= n_points else target_mask)
    points = np.asarray(phantom.origin_mm) + voxels * np.asarray(phantom.spacing_mm)
    chosen = [int(np.argmin(np.linalg.norm(points - points.mean(axis=0), axis=1)))]
    distance = np.linalg.norm(points - points[chosen[0]], axis=1)
    for _ in range(1, min(n_points, len(points))):
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(points - points[chosen[-1]], axis=1))
    return np.asarray(points[chosen], dtype=np.float64)


def pick_nodes(nodes: Sequence[Node], n_beams: int) -> list[Node]:
    """``n_beams`` of ``nodes`` at evenly spaced places in their order (the node set runs from
    head to feet, so this keeps the picked ones spread over all of it)."""
    if n_beams >= len(nodes):
        return list(nodes)
    places = np.unique(np.round(np.linspace(0, len(nodes) - 1, n_beams)).astype(int))
    return [nodes[int(i)] for i in places]


def _beams(
    arrangement: Arrangement,
    target_mm: np.ndarray,
    n_beams: int,
    nodes: Sequence[Node] | None,
) -> tuple[list[Beam], list[int]]:
    """The beams, and for robotic beams the index of the node each comes from."""
    if arrangement == "imrt":
        angles = np.arange(n_beams) * 360.0 / n_beams
        return [Beam.from_angles(target_mm, float(g), sad_mm=CARM_SAD_MM) for g in angles], []
    picked = pick_nodes(nodes if nodes is not None else node_set(max(3 * n_beams, 3)), n_beams)
    if not picked:
        raise PlanningError("no node to plan from")
    return beams_from_nodes(picked, tuple(target_mm)), [n.index for n in picked]


def plan_c_shape(
    phantom: Phantom,
    arrangement: Arrangement = "robotic",
    n_beams: int = 30,
    bixel_mm: float = 5.0,
    margin_mm: float = 30.0,
    goals: tuple[Goal, ...] = TG119_C_SHAPE_HARD,
    objectives: list[Objective] | None = None,
    max_iter: int = 120,
    progress: ProgressCallback | None = None,
    collimator: Collimator = "mlc",
    cones_mm: tuple[float, ...] = (10.0, 15.0, 20.0),
    aims_per_node: int = 12,
    nodes: Sequence[Node] | None = None,
    optimiser: Optimiser = "lbfgs",
    lp_max_voxels: int = 1000,
    lp_rounds: int = 3,
    scatter_cutoff_mm: float = 60.0,
    final_dose: bool = False,
) -> PlanResult:
    """Plan ``phantom`` (its ``PTV`` and ``Core``) and score it against ``goals``.

    ``collimator="mlc"`` gives every beam a grid of square beamlets over the target's
    projection (pencil-beam engine); ``"cones"`` (robotic only) aims ``aims_per_node`` beams
    from each node at points spread through the PTV, each with every cone in ``cones_mm``,
    dosed by the cone ray-tracing engine, as a CyberKnife with fixed cones is planned.
    ``nodes`` (robotic only) are the nodes to choose from, e.g. those the arm can reach without
    collision (``yangcheng.radiotherapy.delivery``); by default the whole geometric node set.
    ``optimiser="lp"`` replaces L-BFGS-B on ``objectives`` by the stepwise LP of
    ``tg119_lp_prescription`` on at most ``lp_max_voxels`` voxels per structure, repaired
    over ``lp_rounds`` (slow on TG-119: minutes on 2 cores, see ``optimise.linear``).
    Beamlets reach ``scatter_cutoff_mm`` beyond their edge in the PTV and core (their phantom
    scatter: a 20 mm cutoff there misses 7 % of an 8 cm field's dose at 10 cm depth and 2 Gy
    of the core's D10) and 20 mm in the ring. ``final_dose`` recomputes the PTV and core
    with the complete model (no cutoff, no threshold) and scores the goals on that dose.
    ``max_iter`` 120: on TG-119 (robotic 30 beams and 9-field IMRT) the goals then lie within
    0.05 Gy of those after 200 iterations, in 60 % of the time.
    """
    if collimator == "cones" and arrangement != "robotic":
        raise PlanningError("collimator 'cones' is for the robotic arrangement only")

    def report(fraction: float, stage: str) -> None:
        if progress is not None:
            progress(fraction, stage)

    seconds: dict[str, float] = {}
    report(0.0, "setup: grid, structures and beams")
    tic = time.perf_counter()
    ptv, core = phantom.mask_of("PTV"), phantom.mask_of("Core")
    body = phantom.mask_of("Body") if "Body" in phantom.structures else np.ones_like(ptv)
    grid = DoseGrid(
        phantom.relative_electron_density().astype(np.float64),
        phantom.spacing_mm,
        phantom.origin_mm,
    )
    near = ndimage.distance_transform_edt(~(ptv | core), sampling=phantom.spacing_mm) <= margin_mm
    ring = near & body & ~ptv & ~core
    voxels = (near & body) | ptv | core
    z, y, x = np.nonzero(ptv)
    centre = np.array(phantom.origin_mm) + np.array(phantom.spacing_mm) * np.array(
        [z.mean(), y.mean(), x.mean()]
    )
    beams, beam_node = _beams(arrangement, centre, n_beams, nodes)
    if collimator == "cones":
        aims = aim_points(ptv, phantom, aims_per_node)
        beams = [Beam(b.source_mm, a) for b in beams for a in aims]
        beam_node = [n for n in beam_node for _ in aims]
        beamlets = cone_columns(len(beams), cones_mm)
    else:
        beamlets = pencil_beamlets(beams, grid, ptv, bixel_mm=bixel_mm)
    seconds["setup_s"] = time.perf_counter() - tic
    tic = time.perf_counter()
    report(_SETUP, f"influence: {len(beams)} beams, {len(beamlets)} beamlets")

    def on_beam(done: int, total: int) -> None:
        report(_SETUP + _INFLUENCE * done / total, f"influence: beam {done}/{total}")

    if collimator == "cones":
        matrix = cone_influence_matrix(grid, beams, cones_mm, voxel_mask=voxels, on_beam=on_beam)
    else:
        # the goals' structures get the whole phantom scatter; the ring, which only shapes the
        # fall-off, the 20 mm that keeps the matrix small (rows are disjoint: a sum stacks them)
        half = _INFLUENCE / 2

        def on_ring_beam(done: int, total: int) -> None:
            report(_SETUP + half * done / total, f"influence (ring): beam {done}/{total}")

        def on_goal_beam(done: int, total: int) -> None:
            report(_SETUP + half + half * done / total, f"influence: beam {done}/{total}")

        matrix = influence_matrix(grid, beams, beamlets, voxel_mask=ring, on_beam=on_ring_beam)
        matrix += influence_matrix(
            grid,
            beams,
            beamlets,
            voxel_mask=ptv | core,
            cutoff_mm=scatter_cutoff_mm,
            on_beam=on_goal_beam,
        )
    seconds["influence_s"] = time.perf_counter() - tic
    structures = {"PTV": ptv, "Core": core, "Ring": ring}
    report(_SETUP + _INFLUENCE, f"optimisation: {matrix.nnz:,} non-zeros")
    fluence: FluenceResult
    if optimiser == "lp":
        constraints, objective, then = tg119_lp_prescription()
        fluence = optimise_fluence_lp(
            matrix,
            structures,
            constraints,
            objective,
            then=then,
            max_voxels=lp_max_voxels,
            rounds=lp_rounds,
        )
    else:
        fluence = optimise_fluence(
            matrix,
            structures,
            objectives or tg119_objectives(),
            max_iter=max_iter,
            on_iteration=lambda it, most, value: report(
                _SETUP + _INFLUENCE + _OPTIMISE * it / most,
                f"optimisation: iteration {it} (at most {most}), objective {value:.4g}",
            ),
        )
    report(_SETUP + _INFLUENCE + _OPTIMISE, "evaluation: goals")
    seconds["optimise_s"] = fluence.seconds
    dose = fluence.dose_gy.reshape(phantom.shape)
    optimised = evaluate_goals(dose, {"PTV": ptv, "Core": core}, list(goals))
    results = optimised
    nnz = int(matrix.nnz)
    del matrix  # ~0.5 GB on TG-119: freed before the final dose builds its own
    if final_dose and collimator == "mlc":
        # the final dose calculation: the complete model (no cutoff, no threshold) where the
        # goals look, as a planning system recomputes the dose after optimising on a lighter one
        report(0.96, "final dose: the whole scatter in PTV and core")
        tic = time.perf_counter()
        full = influence_matrix(
            grid,
            beams,
            beamlets,
            voxel_mask=ptv | core,
            cutoff_mm=FINAL_CUTOFF_MM,
            relative_threshold=0.0,
        )
        goal_voxels = ptv | core
        dose = dose.copy()
        dose[goal_voxels] = np.asarray(full @ fluence.weights.astype(full.dtype))[
            np.flatnonzero(goal_voxels)
        ]
        del full
        results = evaluate_goals(dose, {"PTV": ptv, "Core": core}, list(goals))
        seconds["final_dose_s"] = time.perf_counter() - tic
    seconds["total_s"] = sum(seconds.values())
    return PlanResult(
        arrangement=arrangement,
        beams=len(beams),
        beamlets=len(beamlets),
        voxels=int(voxels.sum()),
        nnz=nnz,
        goals=results,
        optimised_goals=optimised,
        dose_gy=dose,
        fluence=fluence,
        seconds=seconds,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        beam_set=beams,
        beamlet_set=beamlets,
        beam_node=beam_node,
    )
