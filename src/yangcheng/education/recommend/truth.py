"""The simulated students' true knowledge at any time: what Recall cannot see.

The simulator's truth records, per response, the true mastery of one skill; a recommender's
learning value needs every skill's mastery at the moment of recommending. It is rebuilt
exactly: the priors (which mastery decays back to) are redrawn from the simulator's seeded
generator in the order ``generate`` draws them (checked against the recorded abilities), then
the students' responses are replayed through the simulator's public ``forget`` and ``learn``.
If the simulator ever draws in another order, the ability check fails loudly instead of
giving wrong numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from yangcheng.education.data.simulator import SimulationTruth, StudentSimulator

__all__ = ["TrueKnowledge", "TruthMismatch", "response_durations_s", "true_knowledge"]


class TruthMismatch(ValueError):
    """The simulator's hidden draws could not be reproduced (its code has changed)."""


@dataclass(frozen=True)
class TrueKnowledge:
    """True mastery of every skill at ``time_s``, per student (rows in ``student_ids``)."""

    student_ids: list[str]
    mastery: np.ndarray
    """(n_students, n_skills) latent mastery in [0, 1]."""
    ability: np.ndarray
    time_s: float

    def row(self, student: str) -> int:
        return self.student_ids.index(student)


def _priors(
    simulator: StudentSimulator, n: int, steps: int | tuple[int, int], ability: np.ndarray
) -> np.ndarray:
    """The priors ``generate`` drew, by replaying its generator's first draws."""
    rng = np.random.default_rng([simulator.seed, 1])
    simulator._lengths(rng, n, steps)  # consumes the draws generate makes first
    drawn_ability = rng.normal(0.0, simulator.ability_sd, n)
    if not np.array_equal(drawn_ability, ability):
        raise TruthMismatch(
            "cannot reproduce the simulator's priors: redrawn abilities differ from the "
            "recorded ones (StudentSimulator.generate changed its draws)"
        )
    k = simulator.n_skills
    curriculum = np.argsort(simulator.depth[None, :] + 1.5 * rng.random((n, k)), axis=1)
    position = rng.integers(0, k // 3 + 1, size=n)
    learned_before = np.arange(k)[None, :] < position[:, None]
    high = rng.uniform(0.5, 0.85, (n, k))
    low = rng.uniform(0.02, 0.2, (n, k))
    prior = np.empty((n, k))
    np.put_along_axis(prior, curriculum, np.where(learned_before, high, low), axis=1)
    return prior


def true_knowledge(
    simulator: StudentSimulator,
    truth: SimulationTruth,
    steps_per_student: int | tuple[int, int],
    time_s: float,
    log: pd.DataFrame | None = None,
) -> TrueKnowledge:
    """Every student's true mastery at ``time_s`` (after their responses before it, and the
    forgetting since); ``steps_per_student`` is what ``generate`` was called with. With the
    simulator's ``log``, forgetting skips the time spent answering, as the simulator does
    (without it, mastery is forgotten a little too fast: about 1e-3 over 200 responses)."""
    n = len(truth.student_ids)
    prior = _priors(simulator, n, steps_per_student, truth.ability)
    mastery = prior.copy()
    responses = truth.responses
    before = responses["timestamp"].to_numpy(np.float64) < time_s
    index = {s: i for i, s in enumerate(truth.student_ids)}
    student = np.array([index[s] for s in responses["student_id"].to_numpy()])[before]
    step = responses["step"].to_numpy(np.int64)[before]
    when = responses["timestamp"].to_numpy(np.float64)[before]
    question = responses["item_id"].str[1:].astype(np.int64).to_numpy()[before]
    if log is not None:
        duration = response_durations_s(log, responses)[before]
    else:
        duration = np.zeros(int(before.sum()))
    last = np.full(n, np.nan)
    order = np.lexsort((student, step))
    student, step, when, question = student[order], step[order], when[order], question[order]
    duration = duration[order]
    bounds = np.searchsorted(step, np.arange(int(step.max(initial=-1)) + 2))
    for t in range(len(bounds) - 1):
        rows = student[bounds[t] : bounds[t + 1]]
        if rows.size == 0:
            continue
        at = when[bounds[t] : bounds[t + 1]]
        elapsed = np.where(np.isnan(last[rows]), 0.0, at - last[rows])
        mastery[rows] = simulator.forget(mastery[rows], prior[rows], elapsed)
        mastery[rows] = simulator.learn(mastery[rows], question[bounds[t] : bounds[t + 1]])
        last[rows] = at + duration[bounds[t] : bounds[t + 1]]
    gap = np.where(np.isnan(last), 0.0, time_s - last)
    mastery = simulator.forget(mastery, prior, gap)
    return TrueKnowledge(list(truth.student_ids), mastery, truth.ability.copy(), float(time_s))


def response_durations_s(log: pd.DataFrame, responses: pd.DataFrame) -> np.ndarray:
    """Per truth response, its response time from the log (rows of a response share it)."""
    keyed = log.drop_duplicates(["student_id", "timestamp"]).set_index(["student_id", "timestamp"])[
        "response_time_s"
    ]
    index = pd.MultiIndex.from_arrays([responses["student_id"], responses["timestamp"]])
    return np.nan_to_num(keyed.reindex(index).to_numpy(np.float64), nan=0.0)
