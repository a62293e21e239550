"""Policies measured on simulated students whose true mastery is known.

Each seed draws one cohort (abilities and prior mastery as the simulator's students have
them) and every policy teaches that same cohort (paired comparison). A student does
``n_steps`` exercises: 20 per session, one minute each, a day between sessions, with the
simulator's forgetting in between. Per student we record the true mastery gain per exercise
(mean over all skills of final minus initial mastery, divided by ``n_steps``), the final mean
mastery, and the share of skills with true mastery at least ``mastered_at``. Figures are
means with 95% intervals across students (pooled over seeds) and the spread of the seed
means.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from yangcheng.education.data.simulator import StudentSimulator
from yangcheng.education.tracing.bkt import BKT
from yangcheng.education.tutor.activities import ActivityGraph
from yangcheng.education.tutor.policies import BKTMastery, ExpertCurriculum, Policy, RandomPolicy
from yangcheng.education.tutor.zpdes import ZPDES

__all__ = [
    "MetricSummary",
    "PolicyResult",
    "compare_policies",
    "default_policies",
    "simulate_policy",
]

_DAY_S = 86_400.0
_EXERCISE_S = 60.0
_SESSION = 20

PolicyFactory = Callable[[ActivityGraph, StudentSimulator, int], Policy]


@dataclass(frozen=True)
class MetricSummary:
    mean: float
    ci_low: float
    ci_high: float
    """95% normal interval of the mean across students."""
    seed_min: float
    seed_max: float
    """Smallest and largest per-seed mean."""


@dataclass(frozen=True)
class PolicyResult:
    policy: str
    gain_per_exercise: MetricSummary
    final_mastery: MetricSummary
    skills_mastered_pct: MetricSummary
    n_students: int
    n_steps: int
    seeds: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cohort(sim: StudentSimulator, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, 11])
    ability = rng.normal(0.0, sim.ability_sd, n)
    prior = rng.uniform(0.02, 0.2, (n, sim.n_skills))
    return ability, prior


def simulate_policy(
    policy: Policy,
    simulator: StudentSimulator,
    graph: ActivityGraph,
    n_students: int,
    n_steps: int,
    seed: int = 0,
    mastered_at: float = 0.8,
    trace: list[tuple[np.ndarray, np.ndarray | None]] | None = None,
    curve: list[float] | None = None,
) -> dict[str, np.ndarray]:
    """Per-student ``gain_per_exercise``, ``final_mastery`` and ``skills_mastered_pct``.

    ``trace``, when given, receives per step the activities chosen and, for ZPDES, the mask
    of those it could choose (its ZPD and the mastered ones due for review), else None.
    ``curve``, when given, receives the cohort's mean true mastery before the first step and
    after each one (what a learning-curve chart draws).
    """
    if n_students < 1 or n_steps < 1:
        raise ValueError(f"need n_students, n_steps >= 1, got {n_students}, {n_steps}")
    if graph.n_activities != simulator.n_skills:
        raise ValueError(
            f"the graph has {graph.n_activities} activities but the simulator "
            f"{simulator.n_skills} skills"
        )
    ability, prior = _cohort(simulator, n_students, seed)
    rng = np.random.default_rng([seed, 12])
    policy.start(n_students, np.random.default_rng([seed, 13]))
    mastery = prior.copy()
    if curve is not None:
        curve.append(float(mastery.mean()))
    pools = graph.exercises
    sizes = np.array([len(p) for p in pools])
    flat = np.concatenate(pools)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for step in range(n_steps):
        if step:
            pause = _DAY_S if step % _SESSION == 0 else _EXERCISE_S
            mastery = simulator.forget(mastery, prior, np.full(n_students, pause))
        if trace is not None:
            zpd = policy.probabilities() > 0 if isinstance(policy, ZPDES) else None
        activity = policy.choose()
        pick = np.floor(rng.random(n_students) * sizes[activity]).astype(np.int64)
        question = flat[offsets[activity] + pick]
        p = simulator.p_correct(ability, mastery, question)
        correct = (rng.random(n_students) < p).astype(np.int64)
        mastery = simulator.learn(mastery, question)
        policy.observe(activity, correct)
        if trace is not None:
            trace.append((activity, zpd))
        if curve is not None:
            curve.append(float(mastery.mean()))
    return {
        "gain_per_exercise": (mastery.mean(axis=1) - prior.mean(axis=1)) / n_steps,
        "final_mastery": mastery.mean(axis=1),
        "skills_mastered_pct": 100.0 * (mastery >= mastered_at).mean(axis=1),
    }


def default_policies(with_bkt: bool = True) -> dict[str, PolicyFactory]:
    """ZPDES, random, the expert curriculum and (optionally) BKT mastery learning."""
    policies: dict[str, PolicyFactory] = {
        "ZPDES": lambda g, s, seed: ZPDES(g),
        "random": lambda g, s, seed: RandomPolicy(g),
        "expert": lambda g, s, seed: ExpertCurriculum(g),
    }
    if with_bkt:
        policies["bkt-mastery"] = _bkt_policy
    return policies


def _bkt_policy(graph: ActivityGraph, simulator: StudentSimulator, seed: int) -> Policy:
    """BKT fitted on a log of other simulated students (the simulator's own practice)."""
    from yangcheng.education.data.logs import to_sequences

    log, _ = simulator.generate(300, (30, 120))
    sequences = to_sequences(log)
    tracer = BKT(max_iter=50).fit(sequences)
    index = {name: i for i, name in enumerate(sequences.skill_ids)}
    cols = [index.get(name, -1) for name in graph.names]

    def per_activity(values: np.ndarray) -> np.ndarray:
        fill = float(values.mean())
        return np.array([values[c] if c >= 0 else fill for c in cols])

    return BKTMastery(
        graph,
        per_activity(tracer.prior_),
        per_activity(tracer.learn_),
        per_activity(tracer.guess_),
        per_activity(tracer.slip_),
    )


def compare_policies(
    simulator: StudentSimulator,
    n_students: int = 500,
    n_steps: int = 100,
    seeds: Sequence[int] = (0, 1, 2),
    policies: dict[str, PolicyFactory] | None = None,
) -> list[PolicyResult]:
    """Every policy on the same cohorts, one cohort per seed."""
    graph = ActivityGraph.from_simulator(simulator)
    chosen = policies if policies is not None else default_policies()
    runs: dict[str, list[dict[str, np.ndarray]]] = {name: [] for name in chosen}
    for seed in seeds:
        for name, factory in chosen.items():
            policy = factory(graph, simulator, seed)
            runs[name].append(simulate_policy(policy, simulator, graph, n_students, n_steps, seed))
    results = []
    for name, per_seed in runs.items():
        summaries = {}
        for metric in ("gain_per_exercise", "final_mastery", "skills_mastered_pct"):
            values = np.concatenate([r[metric] for r in per_seed])
            half = 1.96 * values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else 0.0
            seed_means = [float(r[metric].mean()) for r in per_seed]
            summaries[metric] = MetricSummary(
                float(values.mean()),
                float(values.mean() - half),
                float(values.mean() + half),
                min(seed_means),
                max(seed_means),
            )
        results.append(
            PolicyResult(
                name, n_students=n_students, n_steps=n_steps, seeds=len(seeds), **summaries
            )
        )
    return results
