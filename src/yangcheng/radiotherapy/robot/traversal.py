"""The node traversal: in what order the arm visits the nodes, and how long a treatment takes.

Travel time of a leg is the joint-space move time: every joint runs a trapezoidal velocity
profile (data-sheet speed, stated acceleration), they start and stop together, so the slowest
joint sets the time. A leg is usable straight only if its joint-space segment is collision
free; otherwise the arm goes through the safe ``home`` configuration (retracted above the
patient) and pays for the detour; if that is blocked too, the leg is forbidden.

Legs are checked lazily: a leg's straight-line time is a lower bound of its true cost (move
time obeys the triangle inequality, so any detour is longer), so the tour is optimised on the
bounds, the legs it uses are checked and re-priced, and this repeats until the tour uses only
checked legs. With the exact solver the result is then optimal for the true costs.

Order: exact Held-Karp dynamic programming up to ``EXACT_MAX_NODES`` nodes, else nearest
neighbour improved by 2-opt and Or-opt. The tour starts and ends at home.

Treatment time = travel + beam-on (MU / dose rate; 1,000 MU/min, a CyberKnife's) + imaging:
a pair of X-ray images before the first beam and then every ``imaging_every_nodes`` nodes
(default 3), each pair a pause of ``imaging_pause_s`` (default 10 s: exposure, readout and
automatic registration; our assumption, of the order CyberKnife users report).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.robot.collisions import CollisionChecker
from yangcheng.radiotherapy.robot.kinematics import Arm, NodeSolution, solve_node_candidates
from yangcheng.radiotherapy.robot.nodes import Node

__all__ = [
    "CYBERKNIFE_DOSE_RATE_MU_PER_MIN",
    "EXACT_MAX_NODES",
    "FORBIDDEN_S",
    "Imaging",
    "LegPlanner",
    "MotionModel",
    "NodeSelection",
    "Traversal",
    "TraversalError",
    "held_karp_tour",
    "nearest_neighbour_tour",
    "or_opt",
    "plan_traversal",
    "select_configurations",
    "solve_tour",
    "tour_cost",
    "two_opt",
]

FloatArray = NDArray[np.float64]
CYBERKNIFE_DOSE_RATE_MU_PER_MIN = 1000.0
EXACT_MAX_NODES = 12
FORBIDDEN_S = 1.0e6
"""Cost of a leg that is blocked straight and via home (finite, so tour arithmetic holds)."""


class TraversalError(ValueError):
    """Bad input to the traversal (the input is named), or no feasible tour."""


@dataclass(frozen=True)
class MotionModel:
    """Joint-space move timing: trapezoidal profile per joint, synchronised on the slowest."""

    speeds_rad_s: tuple[float, ...]
    accel_rad_s2: float = 1.0
    """Stated, not from the data sheet (KUKA gives no acceleration): 1 rad/s^2 (57 deg/s^2),
    gentle for a 300 kg payload next to a patient."""
    speed_fraction: float = 1.0
    """Fraction of the data-sheet speed allowed (a medical arm may be slowed down)."""

    def __post_init__(self) -> None:
        if not self.speeds_rad_s or min(self.speeds_rad_s) <= 0:
            raise TraversalError(f"speeds_rad_s must all be positive, got {self.speeds_rad_s}")
        if self.accel_rad_s2 <= 0:
            raise TraversalError(f"accel_rad_s2 must be positive, got {self.accel_rad_s2}")
        if not 0 < self.speed_fraction <= 1:
            raise TraversalError(f"speed_fraction must be in (0, 1], got {self.speed_fraction}")

    @classmethod
    def for_arm(
        cls, arm: Arm, accel_rad_s2: float = 1.0, speed_fraction: float = 1.0
    ) -> MotionModel:
        return cls(tuple(float(v) for v in arm.speeds_rad_s), accel_rad_s2, speed_fraction)

    def move_time_s(self, q_from: FloatArray, q_to: FloatArray) -> float:
        """Time of the slowest joint: accelerate, cruise at top speed if reached, decelerate."""
        d = np.abs(np.asarray(q_to, dtype=np.float64) - np.asarray(q_from, dtype=np.float64))
        if d.shape != (len(self.speeds_rad_s),):
            raise TraversalError(f"configurations must have {len(self.speeds_rad_s)} joints")
        v = np.asarray(self.speeds_rad_s) * self.speed_fraction
        a = self.accel_rad_s2
        cruise = d >= v**2 / a
        t = np.where(cruise, d / v + v / a, 2.0 * np.sqrt(d / a))
        return float(t.max())


@dataclass(frozen=True)
class Imaging:
    every_nodes: int = 3
    pause_s: float = 10.0

    def __post_init__(self) -> None:
        if self.every_nodes < 1:
            raise TraversalError(f"imaging every_nodes must be >= 1, got {self.every_nodes}")
        if self.pause_s < 0:
            raise TraversalError(f"imaging pause_s must be >= 0, got {self.pause_s}")

    def pairs(self, n_nodes: int) -> int:
        """Image pairs taken: before node 1, 1 + every_nodes, 1 + 2 every_nodes, ..."""
        return math.ceil(n_nodes / self.every_nodes)


@dataclass(frozen=True)
class Leg:
    time_s: float
    via_home: bool
    feasible: bool


class LegPlanner:
    """Prices legs between home (vertex 0) and the node configurations (vertices 1..n)."""

    def __init__(
        self,
        checker: CollisionChecker | None,
        motion: MotionModel,
        configurations: Sequence[FloatArray],
        home_q: FloatArray,
        max_step_mm: float = 40.0,
    ) -> None:
        self.checker = checker
        self.motion = motion
        self.q = [np.asarray(home_q, dtype=np.float64)] + [
            np.asarray(c, dtype=np.float64) for c in configurations
        ]
        self.max_step_mm = max_step_mm
        n = len(self.q)
        self.bounds = np.array(
            [[motion.move_time_s(self.q[i], self.q[j]) for j in range(n)] for i in range(n)]
        )
        self._legs: dict[tuple[int, int], Leg] = {}
        self._free: dict[tuple[int, int], bool] = {}
        self.segments_checked = 0

    def _segment_free(self, i: int, j: int) -> bool:
        key = (min(i, j), max(i, j))
        if key not in self._free:
            if self.checker is None:
                self._free[key] = True
            else:
                self.segments_checked += 1
                self._free[key] = self.checker.segment(self.q[i], self.q[j], self.max_step_mm).free
        return self._free[key]

    def leg(self, i: int, j: int) -> Leg:
        key = (min(i, j), max(i, j))
        if key not in self._legs:
            if self._segment_free(i, j):
                leg = Leg(float(self.bounds[i, j]), False, True)
            elif i != 0 and j != 0 and self._segment_free(0, i) and self._segment_free(0, j):
                leg = Leg(float(self.bounds[0, i] + self.bounds[0, j]), True, True)
            else:
                leg = Leg(FORBIDDEN_S, False, False)
            self._legs[key] = leg
        return self._legs[key]

    def is_checked(self, i: int, j: int) -> bool:
        return (min(i, j), max(i, j)) in self._legs

    def costs(self) -> FloatArray:
        """Checked legs at their true cost, the rest at their lower bound."""
        c = self.bounds.copy()
        for (i, j), leg in self._legs.items():
            c[i, j] = c[j, i] = leg.time_s
        return c


# -- tour solvers (cycles through vertex 0, written without repeating 0 at the end) ---------
def tour_cost(tour: Sequence[int], cost: FloatArray) -> float:
    return float(sum(cost[a, b] for a, b in itertools.pairwise([*tour, tour[0]])))


def _check_cost(cost: FloatArray) -> FloatArray:
    c = np.asarray(cost, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 1:
        raise TraversalError(f"cost must be a square matrix, got shape {c.shape}")
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise TraversalError("cost must be finite and non-negative")
    return c


def nearest_neighbour_tour(cost: FloatArray) -> list[int]:
    c = _check_cost(cost)
    tour, left = [0], set(range(1, c.shape[0]))
    while left:
        nxt = min(left, key=lambda j: (c[tour[-1], j], j))
        tour.append(nxt)
        left.remove(nxt)
    return tour


def two_opt(tour: Sequence[int], cost: FloatArray) -> list[int]:
    """Reverse sub-paths while that shortens the (symmetric) tour; vertex 0 stays first."""
    c = _check_cost(cost)
    t = list(tour)
    n = len(t)
    improved = True
    while improved:
        improved = False
        for i in range(1, n - 1):
            for j in range(i + 1, n):
                a, b, d = t[i - 1], t[i], t[j]
                e = t[(j + 1) % n]
                delta = c[a, d] + c[b, e] - c[a, b] - c[d, e]
                if delta < -1e-9:
                    t[i : j + 1] = t[i : j + 1][::-1]
                    improved = True
    return t


def or_opt(tour: Sequence[int], cost: FloatArray, max_len: int = 3) -> list[int]:
    """Move chains of 1..``max_len`` vertices (either way round) elsewhere while it helps."""
    c = _check_cost(cost)
    t = list(tour)
    improved = True
    while improved:
        improved = False
        n = len(t)
        for length in range(1, max_len + 1):
            for i in range(1, n - length + 1):
                seg = t[i : i + length]
                prev, nxt = t[i - 1], t[(i + length) % n]
                removed = c[prev, seg[0]] + c[seg[-1], nxt] - c[prev, nxt]
                rest = t[:i] + t[i + length :]
                best: tuple[float, int, bool] | None = None
                for k in range(len(rest)):
                    a, b = rest[k], rest[(k + 1) % len(rest)]
                    for rev in (False, True):
                        s0, s1 = (seg[-1], seg[0]) if rev else (seg[0], seg[-1])
                        gain = removed - (c[a, s0] + c[s1, b] - c[a, b])
                        if gain > 1e-9 and (best is None or gain > best[0]):
                            best = (gain, k, rev)
                if best is not None:
                    _, k, rev = best
                    t = rest[: k + 1] + (seg[::-1] if rev else seg) + rest[k + 1 :]
                    improved = True
                    break
            if improved:
                break
    return t


def held_karp_tour(cost: FloatArray) -> list[int]:
    """The optimal tour by dynamic programming over subsets (O(2^n n^2), n <= 1 + 12)."""
    c = _check_cost(cost)
    n = c.shape[0]
    if n - 1 > EXACT_MAX_NODES:
        raise TraversalError(f"held_karp_tour: {n - 1} nodes > EXACT_MAX_NODES={EXACT_MAX_NODES}")
    if n <= 2:
        return list(range(n))
    m = n - 1  # vertices 1..n-1 are bits 0..m-1
    full = 1 << m
    best = np.full((full, m), np.inf)
    parent = np.full((full, m), -1, dtype=np.int64)
    for k in range(m):
        best[1 << k, k] = c[0, k + 1]
    for subset in range(1, full):
        for k in range(m):
            if not subset >> k & 1 or not np.isfinite(best[subset, k]):
                continue
            here = best[subset, k]
            for j in range(m):
                if subset >> j & 1:
                    continue
                nxt = subset | 1 << j
                value = here + c[k + 1, j + 1]
                if value < best[nxt, j]:
                    best[nxt, j] = value
                    parent[nxt, j] = k
    last = int(np.argmin(best[full - 1] + c[1:, 0]))
    order, subset = [], full - 1
    while last >= 0:
        order.append(last + 1)
        last, subset = int(parent[subset, last]), subset & ~(1 << last)
    return [0, *order[::-1]]


def solve_tour(
    cost: FloatArray, method: Literal["auto", "exact", "heuristic"] = "auto"
) -> list[int]:
    c = _check_cost(cost)
    if method not in ("auto", "exact", "heuristic"):
        raise TraversalError(f"method must be 'auto', 'exact' or 'heuristic', got {method!r}")
    if method == "exact" or (method == "auto" and c.shape[0] - 1 <= EXACT_MAX_NODES):
        return held_karp_tour(c)
    return or_opt(two_opt(nearest_neighbour_tour(c), c), c)


# -- choosing one configuration per node ------------------------------------------------------
@dataclass(frozen=True)
class NodeSelection:
    """One configuration per usable node, and why the others were dropped."""

    solutions: list[NodeSolution]
    """Reachable, collision free and joined to home by a collision-free straight move."""
    n_nodes: int
    n_reachable: int
    n_collision_free: int
    dropped: dict[int, str]
    """Node index -> 'unreachable', 'colliding' or 'cut off from home'."""
    ik_s: float
    """Time spent in IK (with its forward-kinematics check) over all nodes."""
    n_configurations_checked: int
    check_s: float
    """Time spent checking configurations for collision (not segments)."""


def select_configurations(
    arm: Arm,
    checker: CollisionChecker,
    nodes: Sequence[Node],
    home_q: FloatArray,
    max_step_mm: float = 40.0,
) -> NodeSelection:
    """Per node, the verified IK solution closest to ``home_q`` that is collision free and can
    move straight to and from home (so a blocked leg always has the detour via home)."""
    home = arm.check_q(home_q, "home_q")
    chosen: list[NodeSolution] = []
    dropped: dict[int, str] = {}
    ik_s = check_s = 0.0
    n_checked = n_reachable = n_free = 0
    for node in nodes:
        t0 = time.perf_counter()
        candidates = solve_node_candidates(arm, node, q_prev=home)
        ik_s += time.perf_counter() - t0
        if not candidates:
            dropped[node.index] = "unreachable"
            continue
        n_reachable += 1
        t0 = time.perf_counter()
        free = [c for c in candidates if checker.is_free(c.q)]
        check_s += time.perf_counter() - t0
        n_checked += len(candidates)
        if not free:
            dropped[node.index] = "colliding"
            continue
        n_free += 1
        joined = next((c for c in free if checker.segment(home, c.q, max_step_mm).free), None)
        if joined is None:
            dropped[node.index] = "cut off from home"
            continue
        chosen.append(joined)
    return NodeSelection(chosen, len(nodes), n_reachable, n_free, dropped, ik_s, n_checked, check_s)


# -- the treatment ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Traversal:
    """The visiting order and what the treatment costs in time."""

    order: list[int]
    """Node indices (``NodeSolution.node_index``) in visiting order (home before and after)."""
    configurations: list[FloatArray]
    """Joint configuration at each visited node, in visiting order."""
    leg_times_s: list[float]
    """home -> first node, ..., last node -> home."""
    leg_via_home: list[bool]
    travel_s: float
    beam_on_s: float
    imaging_s: float
    n_image_pairs: int
    total_s: float
    method: str
    segments_checked: int
    lazy_rounds: int
    nearest_neighbour_travel_s: float = field(default=math.nan)
    """Travel of the plain nearest-neighbour tour on the same checked costs (for comparison)."""


def plan_traversal(
    solutions: Sequence[NodeSolution],
    home_q: FloatArray,
    motion: MotionModel,
    checker: CollisionChecker | None,
    mu_per_node: float | Sequence[float] = 100.0,
    dose_rate_mu_per_min: float = CYBERKNIFE_DOSE_RATE_MU_PER_MIN,
    imaging: Imaging | None = None,
    method: Literal["auto", "exact", "heuristic"] = "auto",
    max_step_mm: float = 40.0,
    max_rounds: int = 50,
) -> Traversal:
    """Order the nodes, check the legs the order uses (lazily) and add up the treatment time.

    ``checker`` None skips the collision checks (every straight leg is taken as free).
    """
    if not solutions:
        raise TraversalError("solutions must hold at least one node")
    mu = np.broadcast_to(np.asarray(mu_per_node, dtype=np.float64), (len(solutions),))
    if np.any(mu < 0) or not np.all(np.isfinite(mu)):
        raise TraversalError(f"mu_per_node must be finite and >= 0, got {mu_per_node}")
    if dose_rate_mu_per_min <= 0:
        raise TraversalError(f"dose_rate_mu_per_min must be positive, got {dose_rate_mu_per_min}")
    imaging = imaging or Imaging()
    planner = LegPlanner(checker, motion, [s.q for s in solutions], home_q, max_step_mm)
    tour: list[int] = []
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - reported below
        tour = solve_tour(planner.costs(), method)
        unchecked = [
            (a, b) for a, b in itertools.pairwise([*tour, 0]) if not planner.is_checked(a, b)
        ]
        if not unchecked:
            break
        for a, b in unchecked:
            planner.leg(a, b)
    else:
        raise TraversalError(f"legs still unchecked after max_rounds={max_rounds}")
    legs = [planner.leg(a, b) for a, b in itertools.pairwise([*tour, 0])]
    if not all(leg.feasible for leg in legs):
        raise TraversalError("no collision-free tour: some node is cut off straight and via home")
    costs = planner.costs()
    nn = nearest_neighbour_tour(costs)
    for a, b in itertools.pairwise([*nn, 0]):
        planner.leg(a, b)
    travel = float(sum(leg.time_s for leg in legs))
    beam_on = float(mu.sum() / dose_rate_mu_per_min * 60.0)
    pairs = imaging.pairs(len(solutions))
    used = (
        "exact"
        if method == "exact" or (method == "auto" and len(solutions) <= EXACT_MAX_NODES)
        else "heuristic"
    )
    return Traversal(
        order=[solutions[v - 1].node_index for v in tour[1:]],
        configurations=[solutions[v - 1].q for v in tour[1:]],
        leg_times_s=[leg.time_s for leg in legs],
        leg_via_home=[leg.via_home for leg in legs],
        travel_s=travel,
        beam_on_s=beam_on,
        imaging_s=pairs * imaging.pause_s,
        n_image_pairs=pairs,
        total_s=travel + beam_on + pairs * imaging.pause_s,
        method=used,
        segments_checked=planner.segments_checked,
        lazy_rounds=rounds,
        nearest_neighbour_travel_s=tour_cost(nn, planner.costs()),
    )
