"""The TG-119 C-shape planned by stepwise LP next to L-BFGS-B: goals met, time, memory.

Both run through ``plan.plan_c_shape`` (``optimiser="lp"`` or the default L-BFGS-B): same
phantom set-up, same beams, same influence matrix and the same goal evaluation, so the two
optimisers compare like for like; the LP's prescription is ``plan.tg119_lp_prescription``.
Not part of ``yangcheng bench``: on TG-119 the LP takes many minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from yangcheng.bench import git_revision, machine_info
from yangcheng.radiotherapy.optimise.linear import LPFluenceResult
from yangcheng.radiotherapy.phantoms import Phantom, PhantomNotAvailableError, c_shape_phantom
from yangcheng.radiotherapy.phantoms import tg119 as load_tg119
from yangcheng.radiotherapy.plan import PlanResult, plan_c_shape

__all__ = ["lp_benchmark"]


def _row(name: str, plan: PlanResult) -> dict[str, Any]:
    row: dict[str, Any] = {
        "optimiser": name,
        "beamlets": plan.beamlets,
        "nnz": plan.nnz,
        "goals_met": f"{sum(g.passed for g in plan.goals)}/{len(plan.goals)}",
        "influence_s": round(plan.seconds["influence_s"], 1),
        "optimise_s": round(plan.seconds["optimise_s"], 1),
        "total_s": round(plan.seconds["total_s"], 1),
        "peak_rss_mb": round(plan.peak_rss_mb),
        "total_weight": round(float(plan.fluence.weights.sum()), 1),
    }
    for g in plan.goals:
        row[f"{g.structure}.{g.metric}_gy"] = round(g.value, 2)
    return row


def _plan_in_child(
    optimiser: str, phantom: Phantom, n_beams: int, margin_mm: float, max_iter: int
) -> tuple[dict[str, Any], list[str]]:
    """One plan in a fresh process, so its peak memory is its own (``ru_maxrss`` only grows)."""
    if optimiser == "lp":
        plan = plan_c_shape(
            phantom, "robotic", n_beams=n_beams, margin_mm=margin_mm, optimiser="lp"
        )
        assert isinstance(plan.fluence, LPFluenceResult)
        relaxed = [f"{c.constraint} by {c.relaxed_by_gy:.2f} Gy" for c in plan.fluence.relaxed]
        return _row("lp (HiGHS, stepwise)", plan), relaxed
    plan = plan_c_shape(phantom, "robotic", n_beams=n_beams, margin_mm=margin_mm, max_iter=max_iter)
    return _row("lbfgs (L-BFGS-B)", plan), []


def lp_benchmark(
    quick: bool = False,
    n_beams: int = 30,
    margin_mm: float = 20.0,
    results_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Plan the TG-119 C-shape (robotic, ``n_beams`` nodes) with LP, then with L-BFGS-B, and
    return both rows; ``quick`` uses the 5 mm synthetic C-shape. The TG-119 phantom needs
    pyradplan's wheel on this machine; without it the synthetic C-shape is planned and the
    dict says so. Prints a table; writes JSON to ``results_dir`` when given."""
    note = ""
    if quick:
        phantom, name = c_shape_phantom(spacing_mm=(5.0, 5.0, 5.0)), "c-shape-5mm"
    else:
        try:
            phantom, name = load_tg119(), "tg119"
        except PhantomNotAvailableError as exc:
            note = f"TG-119 not on this machine ({exc}); planned the synthetic C-shape"
            print(note)
            phantom, name = c_shape_phantom(), "c-shape"
    rows, relaxed = [], []
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        for optimiser in ("lp", "lbfgs"):
            future = pool.submit(
                _plan_in_child, optimiser, phantom, n_beams, margin_mm, 100 if quick else 300
            )
            row, notes = future.result()
            rows.append(row)
            relaxed.extend(notes)
    keys = list(rows[0])
    print(f"\n{name}, robotic, {n_beams} beams")
    print("  ".join(f"{k:>16}" for k in keys))
    for row in rows:
        print("  ".join(f"{row[k]!s:>16}" for k in keys))
    if relaxed:
        print("LP relaxed: " + "; ".join(relaxed))
    out: dict[str, Any] = {
        "phantom": name,
        "note": note,
        "rows": rows,
        "lp_relaxed": relaxed,
        "machine": machine_info(),
        "revision": git_revision(),
    }
    if results_dir is not None:
        path = Path(results_dir) / f"lp_{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=2))
    return out
