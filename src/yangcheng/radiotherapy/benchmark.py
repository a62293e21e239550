"""`yangcheng bench radiotherapy`: TG-119 plans, the robot (reachability, collisions, node
tour, treatment time), the cone ray-tracing engine against the pencil beam, the dose engine's
cost and accuracy, and respiratory motion prediction.

The plan part runs the hard TG-119 C-shape case (core D10 <= 10 Gy) twice on the real
phantom when pyradplan's wheel is on this machine (``tg119()`` says how to get it), else on
the synthetic C-shape: robotic non-coplanar beams (30 nodes) and 9-field coplanar IMRT, each
timed (influence matrix, optimisation, final dose) with the process's peak memory; the goals
are scored on the final dose (the complete model in PTV and core) and, for comparison, on the
dose the optimiser saw.
"""

from __future__ import annotations

import gc
from typing import Any

from yangcheng.radiotherapy.evaluation import goals_table_text
from yangcheng.radiotherapy.phantoms import PhantomNotAvailableError, c_shape_phantom, tg119
from yangcheng.radiotherapy.plan import Arrangement, plan_c_shape

__all__ = ["flat_metrics", "plan_metrics"]

ARRANGEMENTS: tuple[tuple[Arrangement, int], ...] = (("robotic", 30), ("imrt", 9))


def plan_metrics(quick: bool) -> dict[str, Any]:
    try:
        phantom = c_shape_phantom(spacing_mm=(5.0, 5.0, 5.0)) if quick else tg119()
        name = "c-shape-5mm" if quick else "tg119"
    except PhantomNotAvailableError as exc:
        print(f"TG-119 not on this machine ({exc}); planning the synthetic C-shape")
        phantom, name = c_shape_phantom(), "c-shape"
    flat: dict[str, Any] = {"plan.phantom": name}
    for arrangement, n_beams in ARRANGEMENTS:
        result = plan_c_shape(
            phantom,
            arrangement,
            n_beams=n_beams,
            margin_mm=20.0,
            max_iter=100 if quick else 120,
            final_dose=True,
        )
        print(f"\n{name}, {arrangement}, {result.beams} beams, {result.beamlets} beamlets")
        print(goals_table_text(result.goals))
        key = f"plan.{arrangement}"
        flat[f"{key}.beams"] = result.beams
        flat[f"{key}.beamlets"] = result.beamlets
        flat[f"{key}.nnz"] = result.nnz
        for step, seconds in result.seconds.items():
            flat[f"{key}.{step}"] = round(seconds, 2)
        flat[f"{key}.peak_rss_mb"] = round(result.peak_rss_mb)
        flat[f"{key}.goals_met"] = f"{sum(g.passed for g in result.goals)}/{len(result.goals)}"
        for g in result.goals:
            flat[f"{key}.{g.structure}.{g.metric}_gy"] = round(g.value, 2)
        for g in result.optimised_goals:
            flat[f"{key}.optimisation_dose.{g.structure}.{g.metric}_gy"] = round(g.value, 2)
        del result
        gc.collect()
    return flat


def cone_metrics(quick: bool) -> dict[str, Any]:
    """The cone ray-tracing engine against the pencil-beam engine on the same cones."""
    from yangcheng.radiotherapy.dose.cone_benchmark import benchmark_cone_engine

    result = benchmark_cone_engine(n=60, n_beams=20) if quick else benchmark_cone_engine(80, 50)
    return {k: v for k, v in result.items() if isinstance(v, int | float | str)}


def reference_metrics() -> dict[str, Any]:
    """pyRadPlan's TG-119 plan (when its reference file is here) recomputed by our engine."""
    from yangcheng.radiotherapy.dose.reference import compare_with_reference, load_reference

    try:
        reference = load_reference()
        phantom = tg119()
    except (FileNotFoundError, PhantomNotAvailableError) as exc:
        print(f"no pyRadPlan comparison: {exc}")
        return {}
    flat: dict[str, Any] = {f"run.{k}": v for k, v in reference.figures.items()}
    flat.update(compare_with_reference(phantom, reference))
    print("\npyRadPlan's 9-field TG-119 plan, its fluence through our engine:")
    for key, value in flat.items():
        print(f"  {key}: {value}")
    return flat


def flat_metrics(quick: bool) -> dict[str, Any]:
    from yangcheng.radiotherapy.dose.benchmark import flat_metrics as dose_metrics
    from yangcheng.radiotherapy.motion.benchmark import flat_metrics as motion_metrics
    from yangcheng.radiotherapy.robot.benchmark import flat_metrics as robot_metrics

    flat = plan_metrics(quick)
    if not quick:
        flat.update({f"pyradplan.{k}": v for k, v in reference_metrics().items()})
    flat.update({f"robot.{k}": v for k, v in robot_metrics(quick).items()})
    flat.update({f"cones.{k}": v for k, v in cone_metrics(quick).items()})
    flat.update({f"dose.{k}": v for k, v in dose_metrics(quick).items()})
    flat.update({f"motion.{k}": v for k, v in motion_metrics(quick).items()})
    return flat
