"""Robot benchmark: reachability, collision checks and treatment time on the default node set.

Protocol: the default room (``room.default_room``: target 1.0 m above the floor, KR 300
R2700-2 beside the couch at the head end) and the default node set (``node_set(200)``: the
directions of 200 Fibonacci-sphere candidates kept by the elevation and cranial limits) at
800 mm from a TG-119-like target at the room's target point. Per node: IK (rtb ``ik_LM``,
six collimator rolls, FK-verified), the IK solutions checked for collision (pybullet, 40 mm
margin), the chosen one joined to home by a checked straight move. Tours: evenly spread subsets
of the usable nodes (30 and 100, or all usable if fewer), ``mu_per_node`` MU each (default 100),
1,000 MU/min, an image pair every 3 nodes (10 s each), data-sheet joint speeds and 1 rad/s^2.
Travel is reported for the nearest-neighbour tour and after 2-opt + Or-opt (exact DP for
<= 12 nodes), both priced on collision-checked legs.

Run: ``python -m yangcheng.radiotherapy.robot.benchmark [--quick] [--out FILE]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.radiotherapy.robot.collisions import CollisionChecker
from yangcheng.radiotherapy.robot.kinematics import Arm, home_configuration
from yangcheng.radiotherapy.robot.nodes import node_set
from yangcheng.radiotherapy.robot.room import default_room
from yangcheng.radiotherapy.robot.traversal import (
    Imaging,
    MotionModel,
    plan_traversal,
    select_configurations,
)

__all__ = ["flat_metrics", "main", "print_table", "run"]


def run(
    n_candidates: int = 200,
    tour_sizes: Sequence[int] = (30, 100),
    mu_per_node: float = 100.0,
) -> dict[str, Any]:
    """Reachability and timing figures, and one treatment per tour size."""
    room = default_room()
    arm = Arm(room)
    nodes = node_set(n_candidates)
    with CollisionChecker(arm) as checker:
        home = home_configuration(arm, accept=checker.is_free)
        t0 = time.perf_counter()
        selection = select_configurations(arm, checker, nodes, home)
        select_s = time.perf_counter() - t0
        motion = MotionModel.for_arm(arm)
        usable = selection.solutions
        tours = []
        for size in tour_sizes:
            k = min(size, len(usable))
            if k == 0:
                continue
            picks = np.unique(np.linspace(0, len(usable) - 1, k).round().astype(int))
            t0 = time.perf_counter()
            trav = plan_traversal(
                [usable[i] for i in picks],
                home,
                motion,
                checker,
                mu_per_node=mu_per_node,
                imaging=Imaging(),
            )
            tours.append(
                {
                    "requested_nodes": size,
                    "nodes": len(picks),
                    "method": trav.method,
                    "travel_nn_s": trav.nearest_neighbour_travel_s,
                    "travel_s": trav.travel_s,
                    "legs_via_home": int(sum(trav.leg_via_home)),
                    "beam_on_s": trav.beam_on_s,
                    "imaging_s": trav.imaging_s,
                    "total_s": trav.total_s,
                    "total_min": trav.total_s / 60.0,
                    "segments_checked": trav.segments_checked,
                    "plan_s": time.perf_counter() - t0,
                }
            )
    n = selection.n_nodes
    return {
        "protocol": __doc__.split("\n\n")[1] if __doc__ else "",
        "nodes": n,
        "reachable_fraction": selection.n_reachable / n,
        "collision_free_fraction": selection.n_collision_free / n,
        "usable_fraction": len(usable) / n,
        "dropped": {str(k): v for k, v in selection.dropped.items()},
        "ik_ms_per_node": selection.ik_s / n * 1000.0,
        "check_ms_per_configuration": selection.check_s
        / max(1, selection.n_configurations_checked)
        * 1000.0,
        "select_s": select_s,
        "mu_per_node": mu_per_node,
        "tours": tours,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"nodes {result['nodes']}: reachable {result['reachable_fraction']:.1%}, "
        f"collision free {result['collision_free_fraction']:.1%}, "
        f"usable {result['usable_fraction']:.1%}; IK {result['ik_ms_per_node']:.1f} ms/node, "
        f"collision check {result['check_ms_per_configuration']:.2f} ms/configuration"
    )
    print(
        f"{'nodes':>6}{'method':>10}{'NN_s':>9}{'opt_s':>9}{'detours':>8}"
        f"{'beam_s':>8}{'image_s':>8}{'total_min':>10}{'plan_s':>8}"
    )
    for t in result["tours"]:
        print(
            f"{t['nodes']:>6}{t['method']:>10}{t['travel_nn_s']:>9.1f}{t['travel_s']:>9.1f}"
            f"{t['legs_via_home']:>8}{t['beam_on_s']:>8.0f}{t['imaging_s']:>8.0f}"
            f"{t['total_min']:>10.1f}{t['plan_s']:>8.1f}"
        )


def flat_metrics(quick: bool) -> dict[str, Any]:
    """`yangcheng bench`: flat figures (quick: 60 candidates, tours of 10 and 30 nodes)."""
    result = run(60, (10, 30)) if quick else run()
    print_table(result)
    flat: dict[str, Any] = {
        k: result[k]
        for k in (
            "reachable_fraction",
            "collision_free_fraction",
            "usable_fraction",
            "ik_ms_per_node",
            "check_ms_per_configuration",
        )
    }
    for t in result["tours"]:
        for metric in ("travel_nn_s", "travel_s", "total_s"):
            flat[f"tour{t['requested_nodes']}.{metric}"] = t[metric]
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="robot reachability / traversal benchmark")
    parser.add_argument("--quick", action="store_true", help="60 candidates, tours of 10, 30")
    parser.add_argument("--mu-per-node", type=float, default=100.0)
    parser.add_argument("--out", type=Path, default=None, help="write the result as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        result = run(60, (10, 30), args.mu_per_node)
    else:
        result = run(mu_per_node=args.mu_per_node)
    print_table(result)
    if args.out:
        from yangcheng.bench import git_revision, machine_info

        result["machine"] = machine_info()
        result["git_revision"] = git_revision()
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
