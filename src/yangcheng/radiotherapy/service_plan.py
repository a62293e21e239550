"""Radiotherapy planning on the platform: a TG-119 plan as a job, and the plan viewer.

``radiotherapy.plan`` runs a whole plan (beams, influence matrix, fluence optimisation,
goals) as a platform job, reporting its stage as it goes, because a TG-119 plan takes most of
a minute and 1.6 GB: never inside an HTTP request. Each plan is kept under the platform's data
folder (``radiotherapy/plans/<name>/``: the response as JSON, the dose cube as ``.npy``, and
the plan as DICOM-RT in ``dicom/``: CT series, RTSTRUCT, RTPLAN, RTDOSE), so
``radiotherapy.plan.overview`` — the console's Treatment plans page — can show any of them with
its DVH, a dose slice and the goals table. With no plan yet, the page plans the small
synthetic C-shape itself (a few seconds, once per process).
"""

from __future__ import annotations

import base64
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from yangcheng.config import Settings
from yangcheng.platform.catalog import Capability, DashboardPage, InvalidInput
from yangcheng.platform.panels import Chart, Dashboard, Picture, Series, Table, Tile
from yangcheng.platform.progress import report_progress
from yangcheng.radiotherapy.delivery import Delivery, RobotSetup, plan_delivery, robot_nodes
from yangcheng.radiotherapy.dicom import StudyIdentity, export_study
from yangcheng.radiotherapy.dose import Beam, Beamlets
from yangcheng.radiotherapy.evaluation import (
    TG119_C_SHAPE_EASY,
    TG119_C_SHAPE_HARD,
    d_max,
    d_mean,
    dose_at_volume,
    dose_slice_png,
    dvh,
    homogeneity_index,
    paddick_ci,
)
from yangcheng.radiotherapy.phantoms import Phantom, c_shape_phantom
from yangcheng.radiotherapy.phantoms.errors import PhantomNotAvailableError
from yangcheng.radiotherapy.phantoms.tg119 import tg119
from yangcheng.radiotherapy.plan import PlanResult, plan_c_shape, tg119_objectives
from yangcheng.radiotherapy.robot import Node

__all__ = [
    "CAPABILITIES",
    "DASHBOARD",
    "PlanRequest",
    "PlanResponse",
    "configure",
    "overview",
    "plans_folder",
    "run_plan",
]

PLAN_NAME = r"^[a-z0-9][a-z0-9-]{0,31}$"
PRESCRIPTION_GY = 50.0
DVH_POINTS = 120
DEMO_NAME = "demo-c-shape"
PLAN_MARGIN_MM = 20.0
"""Voxels this close to PTV or core enter the influence matrix (as in the benchmark)."""
MIN_CANDIDATES = 40
"""Directions of the node set offered to the robot at least (about half survive the couch and
elevation limits, and 80 % of those the arm's kinematics and collisions)."""
CONE_MIN_SHARE = 1e-4
"""Cone beams below this share of the largest weight deliver nothing and are not listed."""

_home: Path | None = None
_lock = threading.Lock()


def configure(home: Path) -> None:
    global _home
    with _lock:
        _home = Path(home)


def plans_folder() -> Path:
    return (_home or Settings().home) / "radiotherapy" / "plans"


class PlanRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        default="plan",
        pattern=PLAN_NAME,
        description="Kept under this name (a later plan of the same name replaces it).",
    )
    phantom: Literal["c_shape", "tg119"] = Field(
        default="c_shape",
        description="c_shape: the synthetic TG-119-like C-shape (always available); tg119: "
        "AAPM TG-119's C-shape from matRad's phantom (needs the pyradplan wheel in the "
        "cache, see yangcheng.radiotherapy.phantoms.tg119).",
    )
    arrangement: Literal["robotic", "imrt"] = Field(
        default="robotic",
        description="robotic: non-coplanar beams from the robot's node set at 800 mm; imrt: "
        "coplanar fields at 1,000 mm, equally spaced gantry angles.",
    )
    n_beams: int = Field(default=30, ge=3, le=60, description="Beams, or nodes with cones.")
    collimator: Literal["mlc", "cones"] = Field(
        default="mlc",
        description="mlc: a grid of square beamlets per beam (pencil-beam engine); cones "
        "(robotic only): from each node, beams aimed at points spread through the PTV with "
        "10, 15 and 20 mm cones (cone ray-tracing engine), as a CyberKnife with fixed cones.",
    )
    aims_per_node: int = Field(default=12, ge=1, le=40, description="For cones.")
    robot: bool = Field(
        default=True,
        description="Robotic only: plan from the nodes the KUKA arm reaches without "
        "collision (inverse kinematics, pybullet), then order the used nodes into the "
        "shortest checked tour and estimate the time of one fraction.",
    )
    n_fractions: int = Field(default=25, ge=1, le=40)
    final_dose: bool = Field(
        default=True,
        description="MLC plans: recompute PTV and core with the complete dose model (all the "
        "scatter) after optimising, and score the goals on that dose.",
    )
    goals: Literal["hard", "easy"] = Field(
        default="hard", description="TG-119 C-shape goals: core D10 <= 10 Gy (hard) or 25 Gy."
    )
    bixel_mm: float = Field(default=5.0, ge=3.0, le=10.0)
    max_iter: int = Field(
        default=120,
        ge=10,
        le=1000,
        description="L-BFGS-B iterations (TG-119, robotic and IMRT: the goals at 120 are "
        "within 0.05 Gy of those at 200).",
    )
    spacing_mm: float = Field(
        default=2.5, ge=2.0, le=6.0, description="Voxel size of the synthetic C-shape."
    )
    dicom: bool = Field(
        default=True,
        description="Also write the plan as DICOM-RT (CT series, RTSTRUCT, RTPLAN, RTDOSE) "
        "into the plan's folder, for a clinical viewer or planning system.",
    )


class GoalRow(BaseModel):
    structure: str
    metric: str
    comparator: str
    limit_gy: float
    value_gy: float
    passed: bool


class DvhCurve(BaseModel):
    structure: str
    dose_gy: list[float]
    volume_pct: list[float]


class DeliverySummary(BaseModel):
    candidate_nodes: int
    reachable_nodes: int
    collision_free_nodes: int
    usable_nodes: int = Field(description="Also joined to the home pose by a free move.")
    nodes_used: int = Field(description="Nodes delivering at least 1 MU per fraction.")
    order: list[int] = Field(description="Node indices in visiting order.")
    mu_per_fraction: float = Field(description="Nominal: 1 MU = 0.01 Gy at dmax (no OFs).")
    travel_s: float
    nearest_neighbour_travel_s: float
    beam_on_s: float = Field(description="At 1,000 MU/min.")
    imaging_s: float
    total_min: float = Field(description="One fraction: travel + beam-on + imaging.")
    robot_s: float = Field(description="Time spent on kinematics, collisions and the tour.")


class PlanResponse(BaseModel):
    name: str
    phantom: str
    grid: list[int] = Field(description="Dose grid (nz, ny, nx).")
    spacing_mm: list[float]
    arrangement: str
    beams: int
    beamlets: int
    voxels: int = Field(description="Voxels in the influence matrix.")
    nnz: int = Field(description="Non-zeros of the influence matrix.")
    passed: bool
    goals: list[GoalRow]
    metrics: dict[str, float] = Field(
        description="PTV D95/D2/D98/Dmean, Paddick CI and ICRU 83 HI at 50 Gy; Core D10/Dmax."
    )
    iterations: int
    converged: bool
    seconds: dict[str, float]
    peak_rss_mb: float
    dvh: list[DvhCurve]
    dose_slice_png_base64: str = Field(description="Axial dose slice through the target.")
    created_at: float = Field(description="Seconds since the epoch.")
    dicom_files: dict[str, int] = Field(
        default_factory=dict,
        description="DICOM-RT files written per modality, in dicom/ of the plan's folder.",
    )
    folder: str = Field(default="", description="Where the plan is kept on the server.")
    delivery: DeliverySummary | None = Field(
        default=None, description="Robotic plans planned with the robot: the treatment."
    )


def _phantom(req: PlanRequest) -> Phantom:
    if req.phantom == "tg119":
        try:
            return tg119()
        except PhantomNotAvailableError as exc:
            raise InvalidInput("phantom", str(exc)) from None
    s = req.spacing_mm
    return c_shape_phantom(spacing_mm=(s, s, s))


def _metrics(dose: np.ndarray, phantom: Phantom) -> dict[str, float]:
    ptv, core = phantom.mask_of("PTV"), phantom.mask_of("Core")
    return {
        "ptv_d95_gy": dose_at_volume(dose, ptv, 95.0),
        "ptv_d98_gy": dose_at_volume(dose, ptv, 98.0),
        "ptv_d2_gy": dose_at_volume(dose, ptv, 2.0),
        "ptv_dmean_gy": d_mean(dose, ptv),
        "ptv_paddick_ci": paddick_ci(dose, ptv, PRESCRIPTION_GY),
        "ptv_hi": homogeneity_index(dose, ptv),
        "core_d10_gy": dose_at_volume(dose, core, 10.0),
        "core_dmax_gy": d_max(dose, core),
    }


def _curves(dose: np.ndarray, phantom: Phantom) -> list[DvhCurve]:
    curves = []
    for name in ("PTV", "Core", "Body"):
        if name not in phantom.structures:
            continue
        curve = dvh(dose, phantom.mask_of(name), name=name)
        pick = np.linspace(0, len(curve.dose_gy) - 1, min(DVH_POINTS, len(curve.dose_gy)))
        idx = np.unique(pick.round().astype(int))
        curves.append(
            DvhCurve(
                structure=name,
                dose_gy=[round(float(v), 3) for v in curve.dose_gy[idx]],
                volume_pct=[round(float(v), 3) for v in curve.volume_pct[idx]],
            )
        )
    return curves


def _response(name: str, phantom: Phantom, result: PlanResult) -> PlanResponse:
    dose = result.dose_gy
    z_mid = int(np.round(np.nonzero(phantom.mask_of("PTV"))[0].mean()))
    png = dose_slice_png(dose, phantom, z_mid, structures=["PTV", "Core"], dpi=80)
    return PlanResponse(
        name=name,
        phantom=phantom.name,
        grid=list(phantom.shape),
        spacing_mm=[float(v) for v in phantom.spacing_mm],
        arrangement=result.arrangement,
        beams=result.beams,
        beamlets=result.beamlets,
        voxels=result.voxels,
        nnz=result.nnz,
        passed=result.passed,
        goals=[
            GoalRow(
                structure=g.structure,
                metric=g.metric,
                comparator=g.comparator,
                limit_gy=g.limit,
                value_gy=round(g.value, 3),
                passed=g.passed,
            )
            for g in result.goals
        ],
        metrics={k: round(v, 4) for k, v in _metrics(dose, phantom).items()},
        iterations=result.fluence.iterations,
        converged=result.fluence.converged,
        seconds={k: round(v, 3) for k, v in result.seconds.items()},
        peak_rss_mb=round(result.peak_rss_mb, 1),
        dvh=_curves(dose, phantom),
        dose_slice_png_base64=base64.b64encode(png).decode("ascii"),
        created_at=time.time(),
    )


def _delivered(
    beams: list[Beam], beamlets: Beamlets, result: PlanResult
) -> tuple[list[Beam], Beamlets, np.ndarray]:
    """What the RTPLAN lists: MLC beams as planned; with cones, one beam per (node, aim point,
    cone) that delivers any dose, as a robotic linac's plan lists them."""
    weights = result.fluence.weights
    if beamlets.shape != "cone":
        return beams, beamlets, weights
    used = np.flatnonzero(weights > CONE_MIN_SHARE * float(weights.max(initial=0.0)))
    return (
        [beams[int(b)] for b in beamlets.beam_index[used]],
        Beamlets(
            np.arange(len(used), dtype=np.intp),
            beamlets.u_mm[used],
            beamlets.v_mm[used],
            beamlets.size_mm[used],
            "cone",
        ),
        weights[used],
    )


def _save(
    response: PlanResponse, phantom: Phantom, result: PlanResult, dicom: bool
) -> PlanResponse:
    """Write the plan aside and rename it into place, so a reader never sees half of it."""
    folder = plans_folder()
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / response.name
    scratch = folder / f".{response.name}-{os.getpid()}-{threading.get_ident()}"
    scratch.mkdir(parents=True, exist_ok=True)
    np.save(scratch / "dose_gy.npy", result.dose_gy.astype(np.float32))
    if dicom and result.beamlet_set is not None:
        beams, beamlets, weights = _delivered(result.beam_set, result.beamlet_set, result)
        files = export_study(
            scratch / "dicom",
            phantom,
            result.dose_gy,
            beams,
            beamlets,
            weights,
            identity=StudyIdentity(plan_id=response.name),
            prescription_gy=PRESCRIPTION_GY,
        )
        response.dicom_files = {modality: len(paths) for modality, paths in files.items()}
    response.folder = str(final)
    (scratch / "plan.json").write_text(response.model_dump_json())
    with _lock:
        if final.exists():
            retired = folder / f".old-{response.name}-{time.time_ns()}"
            final.rename(retired)
            shutil.rmtree(retired, ignore_errors=True)
        scratch.rename(final)
    return response


def run_plan(req: PlanRequest) -> PlanResponse:
    phantom = _phantom(req)
    if req.collimator == "cones" and req.arrangement != "robotic":
        raise InvalidInput("collimator", "cones are for the robotic arrangement only")
    if req.arrangement == "robotic" and req.robot:
        report_progress(0.0, "robot: kinematics and collisions of the node set")
        with robot_nodes(max(3 * req.n_beams, MIN_CANDIDATES)) as setup:
            if len(setup.usable) < req.n_beams:
                raise InvalidInput(
                    "n_beams",
                    f"the arm can use {len(setup.usable)} of {len(setup.candidates)} nodes; "
                    f"ask for at most that many beams",
                )
            result = _plan(req, phantom, setup.usable)
            report_progress(0.95, "robot: ordering the nodes and checking the moves")
            delivered = plan_delivery(result, setup, n_fractions=req.n_fractions)
            summary = _delivery_summary(setup, delivered)
    else:
        result, summary = _plan(req, phantom, None), None
    report_progress(0.97, "saving the plan and drawing its pictures")
    response = _response(req.name, phantom, result)
    response.delivery = summary
    return _save(response, phantom, result, req.dicom)


def _delivery_summary(setup: RobotSetup, delivered: Delivery) -> DeliverySummary:
    sel, tr = setup.selection, delivered.traversal
    return DeliverySummary(
        candidate_nodes=sel.n_nodes,
        reachable_nodes=sel.n_reachable,
        collision_free_nodes=sel.n_collision_free,
        usable_nodes=len(sel.solutions),
        nodes_used=delivered.nodes_used,
        order=list(tr.order),
        mu_per_fraction=round(delivered.mu_per_fraction, 1),
        travel_s=round(tr.travel_s, 1),
        nearest_neighbour_travel_s=round(tr.nearest_neighbour_travel_s, 1),
        beam_on_s=round(tr.beam_on_s, 1),
        imaging_s=round(tr.imaging_s, 1),
        total_min=round(tr.total_s / 60.0, 2),
        robot_s=round(setup.seconds + delivered.seconds, 2),
    )


def _plan(req: PlanRequest, phantom: Phantom, nodes: list[Node] | None) -> PlanResult:
    goals = TG119_C_SHAPE_HARD if req.goals == "hard" else TG119_C_SHAPE_EASY
    core_limit = 10.0 if req.goals == "hard" else 25.0
    return plan_c_shape(
        phantom,
        req.arrangement,
        nodes=nodes,
        collimator=req.collimator,
        aims_per_node=req.aims_per_node,
        n_beams=req.n_beams,
        bixel_mm=req.bixel_mm,
        goals=goals,
        objectives=tg119_objectives(core_d10_gy=core_limit),
        max_iter=req.max_iter,
        margin_mm=PLAN_MARGIN_MM,
        final_dose=req.final_dose,
        progress=report_progress,
    )


# -- the viewer -------------------------------------------------------------------------


class OverviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(
        default=None, pattern=PLAN_NAME, description="A kept plan; the latest when left out."
    )


class OverviewResponse(BaseModel):
    dashboard: Dashboard


_demo: PlanResponse | None = None
_demo_error: str = ""
_demo_thread: threading.Thread | None = None
_demo_lock = threading.Lock()


def _kept() -> list[PlanResponse]:
    folder = plans_folder()
    if not folder.is_dir():
        return []
    plans = []
    for path in folder.glob("*/plan.json"):
        if path.parent.name.startswith("."):
            continue
        try:
            plans.append(PlanResponse.model_validate_json(path.read_text()))
        except (OSError, ValueError):
            continue  # being replaced, or written by another version: not shown
    return sorted(plans, key=lambda p: p.created_at, reverse=True)


def _compute_demo() -> None:
    global _demo, _demo_error
    req = PlanRequest(
        name=DEMO_NAME, n_beams=12, max_iter=100, spacing_mm=5.0, bixel_mm=6.0, dicom=False
    )
    try:
        demo = run_plan(req)
    except Exception as exc:  # shown on the page, not a silent blank
        with _demo_lock:
            _demo_error = f"{type(exc).__name__}: {exc}"
        return
    with _demo_lock:
        _demo = demo


def _demo_plan() -> PlanResponse | None:
    """The synthetic C-shape on 5 mm voxels, 12 robotic beams with the robot: what the page
    shows before any plan ran. It takes 10-20 s on 2 cores, so it runs in a thread started by
    the first request (once per process) and the page shows that it is coming: a request
    must not hold the server for a plan."""
    global _demo_thread
    with _demo_lock:
        if _demo is None and _demo_thread is None:
            _demo_thread = threading.Thread(target=_compute_demo, name="demo-plan", daemon=True)
            _demo_thread.start()
        return _demo


def _waiting_for_demo() -> Dashboard:
    with _demo_lock:
        error = _demo_error
    if error:
        note = f"No plan kept yet, and the demo plan failed: {error}"
    else:
        note = (
            "No plan kept yet. A demo plan of the synthetic C-shape (12 robotic beams, 5 mm "
            "voxels) is being computed, about 15 s; this page refreshes by itself. Plan your "
            "own with a radiotherapy.plan job."
        )
    return Dashboard(
        title="Treatment plans: computing a demo plan",
        generated_at=time.time(),
        tiles=[Tile(label="Plans kept", value=0)],
        note=note,
    )


def _dashboard(shown: PlanResponse, kept: list[PlanResponse]) -> Dashboard:
    m = shown.metrics
    met = sum(g.passed for g in shown.goals)
    return Dashboard(
        title=f"Plan {shown.name}: {shown.phantom}, {shown.beams} {shown.arrangement} beams",
        generated_at=shown.created_at,
        tiles=[
            Tile(
                label="TG-119 goals met",
                value=f"{met}/{len(shown.goals)}",
                level="ok" if shown.passed else "alarm",
            ),
            Tile(label="PTV D95", value=round(m["ptv_d95_gy"], 1), unit="Gy", hint=">= 50 Gy"),
            Tile(label="Core D10", value=round(m["core_d10_gy"], 1), unit="Gy"),
            Tile(
                label="Paddick CI",
                value=round(m["ptv_paddick_ci"], 2),
                hint="(TV in PIV)^2 / (TV x PIV) at 50 Gy; 1 is ideal",
            ),
            Tile(label="HI", value=round(m["ptv_hi"], 3), hint="ICRU 83: (D2 - D98) / D50"),
            Tile(label="Beamlets", value=shown.beamlets, hint=f"{shown.nnz:,} non-zeros"),
            Tile(
                label="Planning time", value=round(shown.seconds.get("total_s", 0.0), 1), unit="s"
            ),
            Tile(label="Peak memory", value=round(shown.peak_rss_mb), unit="MB"),
            *_delivery_tiles(shown.delivery),
        ],
        charts=[
            Chart(
                title="Cumulative DVH (dose in Gy)",
                y_unit="% volume",
                x_kind="number",
                series=[
                    Series(
                        name=c.structure,
                        points=list(zip(c.dose_gy, c.volume_pct, strict=True)),
                    )
                    for c in shown.dvh
                ],
            )
        ],
        pictures=[
            Picture(
                title="Dose through the target",
                png_base64=shown.dose_slice_png_base64,
                caption="Axial slice at the PTV's centre: dose wash over CT, PTV and core "
                "contours.",
            )
        ],
        tables=[
            Table(
                title="Goals",
                columns=["structure", "metric", "goal (Gy)", "plan (Gy)", "met"],
                rows=[
                    [
                        g.structure,
                        g.metric,
                        f"{g.comparator} {g.limit_gy:g}",
                        round(g.value_gy, 2),
                        "yes" if g.passed else "NO",
                    ]
                    for g in shown.goals
                ],
            ),
            Table(
                title="Where the time went",
                columns=["stage", "seconds"],
                rows=[[k.removesuffix("_s"), round(v, 2)] for k, v in shown.seconds.items()],
            ),
            *_delivery_tables(shown.delivery),
            Table(
                title="Kept plans",
                columns=["name", "phantom", "arrangement", "beams", "goals met", "seconds"],
                rows=[
                    [
                        p.name,
                        p.phantom,
                        p.arrangement,
                        p.beams,
                        f"{sum(g.passed for g in p.goals)}/{len(p.goals)}",
                        round(p.seconds.get("total_s", 0.0), 1),
                    ]
                    for p in kept
                ],
            ),
        ],
        note="Plan with radiotherapy.plan (a job: TG-119 with 30 robotic beams meets the hard "
        "goals in about 45 s); this page shows the latest kept plan, or the one named.",
    )


def _delivery_tiles(d: DeliverySummary | None) -> list[Tile]:
    if d is None:
        return []
    return [
        Tile(
            label="Treatment time",
            value=round(d.total_min, 1),
            unit="min/fraction",
            hint=f"travel {d.travel_s:.0f} s, beam on {d.beam_on_s:.0f} s, imaging "
            f"{d.imaging_s:.0f} s",
        ),
        Tile(label="Nodes used", value=d.nodes_used, hint=f"of {d.usable_nodes} usable"),
    ]


def _delivery_tables(d: DeliverySummary | None) -> list[Table]:
    if d is None:
        return []
    return [
        Table(
            title="Robot: nodes and one fraction",
            columns=["step", "value"],
            rows=[
                ["candidate nodes", d.candidate_nodes],
                ["reachable (KUKA KR 300 inverse kinematics)", d.reachable_nodes],
                ["collision free (couch, patient, floor)", d.collision_free_nodes],
                ["usable (free move from home)", d.usable_nodes],
                ["used by the plan", d.nodes_used],
                ["MU per fraction (nominal)", d.mu_per_fraction],
                [
                    "travel, s (nearest neighbour alone)",
                    f"{d.travel_s} ({d.nearest_neighbour_travel_s})",
                ],
                ["beam on, s", d.beam_on_s],
                ["imaging, s", d.imaging_s],
                ["total, min", d.total_min],
            ],
        )
    ]


def overview(req: OverviewRequest) -> OverviewResponse:
    kept = _kept()
    if req.name is not None:
        chosen = [p for p in kept if p.name == req.name]
        if not chosen:
            names = ", ".join(p.name for p in kept[:20]) or "none yet"
            raise InvalidInput("name", f"no kept plan {req.name!r}; kept: {names}")
        shown = chosen[0]
    else:
        if not kept:
            demo = _demo_plan()
            if demo is None:
                return OverviewResponse(dashboard=_waiting_for_demo())
            kept = [demo]
        shown = kept[0]
    return OverviewResponse(dashboard=_dashboard(shown, kept))


def _example_plan() -> dict[str, Any]:
    return {"name": "tg119-robotic", "phantom": "tg119", "arrangement": "robotic", "n_beams": 30}


CAPABILITIES = (
    Capability(
        name="radiotherapy.plan",
        version="1.0.0",
        group="radiotherapy",
        summary="Plan a TG-119 C-shape: beams, influence matrix, fluence optimisation, goals "
        "(a job, with progress)",
        description="Robotic non-coplanar beams from the node set at 800 mm, or coplanar "
        "IMRT, on the synthetic C-shape or TG-119's; a two-component 6 MV pencil-beam "
        "influence matrix on the voxels near PTV and core, L-BFGS-B fluence optimisation "
        "against dose-volume objectives, and the TG-119 goals with DVH, conformity and "
        "homogeneity. TG-119 with 30 robotic beams meets the hard goals (core D10 <= 10 Gy) in "
        "about 60 s and 1.9 GB on 2 cores with the final dose (yangcheng bench radiotherapy). "
        "The plan is kept under its name for the Treatment plans page.",
        request_model=PlanRequest,
        response_model=PlanResponse,
        handler=run_plan,
        jobs_only=True,
        examples=(_example_plan(), {"name": "c-shape-imrt", "arrangement": "imrt", "n_beams": 9}),
    ),
    Capability(
        name="radiotherapy.plan.overview",
        version="1.0.0",
        group="radiotherapy",
        summary="A kept plan as a dashboard: goals, DVH, dose slice, time and memory",
        description="The latest plan kept by radiotherapy.plan, or the one named; before any, "
        "a demo plan of the synthetic C-shape (the console's Treatment plans page).",
        request_model=OverviewRequest,
        response_model=OverviewResponse,
        handler=overview,
        examples=({},),
    ),
)

DASHBOARD = DashboardPage(
    slug="radiotherapy-plans",
    title="Treatment plans",
    group="radiotherapy",
    description="A plan's TG-119 goals, DVH and dose slice.",
    status_capability="radiotherapy.plan.overview",
    refresh_s=15,
)
