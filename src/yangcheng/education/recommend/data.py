"""Interactions with learning resources: a simulated dataset, and validation of real ones.

Recommendation reads *which resource a student used when*, not whether an answer was right.
The simulated dataset is built on the ``StudentSimulator``: the resources are its questions
(kind ``exercise``) plus, per skill, some videos and documents tagged with that skill. A
student's interactions follow the simulated learning: every response is a use of its
exercise; before a student's first response on a skill, and after an error, the student
sometimes opens one of the skill's videos or documents, chosen with a Zipf law over a fixed
(seeded) ranking, so popular resources are popular. Exercises are chosen uniformly within a
skill by the simulator; their popularity comes from how many students reach the skill.

An interactions frame has the columns ``INTERACTION_COLUMNS``: ``weight`` defaults to 1 and
``correct`` (the first attempt of an exercise, NaN for other kinds) is optional; it is what
the knowledge-aware recommender traces mastery from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from yangcheng.cards import DatasetCard
from yangcheng.education.data.errors import TableError
from yangcheng.education.data.presets import PRESETS
from yangcheng.education.data.simulator import SimulationTruth, StudentSimulator
from yangcheng.education.recommend.truth import response_durations_s

__all__ = [
    "INTERACTION_COLUMNS",
    "RESOURCE_COLUMNS",
    "RESOURCE_KINDS",
    "InteractionDataset",
    "InteractionError",
    "simulate_interactions",
    "validate_interactions",
]

INTERACTION_COLUMNS = ("student_id", "resource_id", "timestamp", "weight", "correct")
"""``timestamp`` in epoch seconds; ``weight`` > 0 (default 1); ``correct`` 0/1 or NaN."""
RESOURCE_COLUMNS = ("resource_id", "kind", "skill_id", "item_id")
"""``item_id`` is the question id of an exercise (the log's ``item_id``), "" otherwise."""
RESOURCE_KINDS = ("exercise", "video", "document")

_REQUIRED = ("student_id", "resource_id", "timestamp")


class InteractionError(TableError):
    """A bad interactions frame: which row (0-based position) and column, and what is wrong."""

    table = "interactions"
    named = True


def validate_interactions(
    interactions: pd.DataFrame, resources: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Check a user's interactions and return a copy with ``INTERACTION_COLUMNS``, sorted by
    student and time (stable). With ``resources``, every ``resource_id`` must be in it.

    Raises ``InteractionError`` naming the first offending row and column.
    """
    if not isinstance(interactions, pd.DataFrame):
        raise TypeError(f"interactions are a pandas DataFrame, got {type(interactions).__name__}")
    missing = [c for c in _REQUIRED if c not in interactions.columns]
    if missing:
        raise InteractionError(None, None, f"missing required column(s): {', '.join(missing)}")
    if len(interactions) == 0:
        raise InteractionError(None, None, "has no rows")
    out: dict[str, Any] = {}
    for column in ("student_id", "resource_id"):
        out[column] = _ids(interactions[column], column)
    out["timestamp"] = _timestamps(interactions["timestamp"])
    if "weight" in interactions.columns:
        weight = pd.to_numeric(interactions["weight"], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(weight) | (weight <= 0)
        _raise_first(bad, "weight", "must be a finite number > 0", interactions["weight"])
        out["weight"] = weight
    else:
        out["weight"] = np.ones(len(interactions))
    if "correct" in interactions.columns:
        correct = pd.to_numeric(interactions["correct"], errors="coerce").to_numpy(np.float64)
        raw_missing = interactions["correct"].isna().to_numpy()
        bad = ~raw_missing & ~np.isin(correct, (0.0, 1.0))
        _raise_first(bad, "correct", "must be 0, 1 or empty", interactions["correct"])
        out["correct"] = correct
    else:
        out["correct"] = np.full(len(interactions), np.nan)
    frame = pd.DataFrame(out)
    if resources is not None:
        known = np.isin(frame["resource_id"].to_numpy(), resources["resource_id"].to_numpy())
        _raise_first(~known, "resource_id", "not in the resource catalogue", frame["resource_id"])
    order = np.lexsort((frame["timestamp"].to_numpy(), frame["student_id"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _raise_first(bad: np.ndarray, column: str, reason: str, values: pd.Series) -> None:
    if bad.any():
        row = int(np.argmax(bad))
        raise InteractionError(row, column, f"{reason}, got {values.iloc[row]!r}")


def _ids(values: pd.Series, column: str) -> np.ndarray:
    bad = values.isna().to_numpy()
    _raise_first(bad, column, "is empty", values)
    numeric = pd.api.types.is_float_dtype(values)
    text = [
        str(int(v)) if numeric and float(v).is_integer() else str(v).strip()
        for v in values.to_numpy()
    ]
    empty = np.array([t == "" for t in text])
    _raise_first(empty, column, "is empty", values)
    return np.array(text, dtype=object)


def _timestamps(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.dt.tz_localize(None) if values.dt.tz is not None else values
        seconds = (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(np.float64)
    else:
        seconds = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
    _raise_first(~np.isfinite(seconds), "timestamp", "must be epoch seconds or a datetime", values)
    return seconds


@dataclass
class InteractionDataset:
    """Simulated interactions, the resource catalogue, and the simulation behind them."""

    name: str
    seed: int
    interactions: pd.DataFrame
    """``INTERACTION_COLUMNS``, sorted by student and time."""
    resources: pd.DataFrame
    """``RESOURCE_COLUMNS``: exercises (the simulator's questions, in question order),
    then per skill its videos and then its documents."""
    simulator: StudentSimulator
    truth: SimulationTruth
    log: pd.DataFrame
    """The simulator's learning log (one row per response and skill)."""
    steps_per_student: tuple[int, int]
    card: DatasetCard

    @property
    def skill_ids(self) -> list[str]:
        """Skill ids in the simulator's index order (the rows of ``prerequisites``)."""
        return [_name("k", s, self.simulator.n_skills) for s in range(self.simulator.n_skills)]

    @property
    def prerequisites(self) -> np.ndarray:
        """``[s, p]`` True when skill ``p`` is a direct prerequisite of skill ``s``."""
        return np.asarray(self.simulator.prerequisites, dtype=bool)


def simulate_interactions(
    preset: str = "sim-small",
    seed: int = 0,
    *,
    videos_per_skill: int = 3,
    documents_per_skill: int = 2,
    study_first_probability: float = 0.5,
    study_after_error_probability: float = 0.3,
    video_share: float = 0.6,
    zipf_exponent: float = 1.2,
) -> InteractionDataset:
    """Interactions of the students of simulator preset ``preset`` (see ``PRESETS``).

    Before a student's first response on a skill they open one of its videos/documents with
    ``study_first_probability``, and after a wrong answer with
    ``study_after_error_probability``; a video with ``video_share``, else a document. Within
    a skill and kind, resource ``j`` of a seeded ranking is chosen with weight
    ``(j + 1) ** -zipf_exponent``. The same arguments give the same bytes.
    """
    if preset not in PRESETS:
        raise KeyError(f"unknown preset {preset!r}; presets: {', '.join(PRESETS)}")
    if videos_per_skill < 0 or documents_per_skill < 0:
        raise ValueError(
            f"videos_per_skill and documents_per_skill must be >= 0, "
            f"got {videos_per_skill}, {documents_per_skill}"
        )
    for label, p in (
        ("study_first_probability", study_first_probability),
        ("study_after_error_probability", study_after_error_probability),
        ("video_share", video_share),
    ):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{label} must be in [0, 1], got {p}")
    spec = PRESETS[preset]
    simulator = StudentSimulator(seed=seed, **spec.simulator)
    log, truth = simulator.generate(spec.n_students, spec.steps_per_student)
    resources = _catalogue(simulator, videos_per_skill, documents_per_skill)
    interactions = _interactions(
        simulator,
        log,
        truth,
        resources,
        np.random.default_rng([seed, 7]),
        (videos_per_skill, documents_per_skill),
        (study_first_probability, study_after_error_probability, video_share, zipf_exponent),
    )
    kinds = resources["kind"].value_counts()
    card = DatasetCard(
        name=f"{preset}-resources",
        version="1",
        description=(
            f"Simulated resource interactions on the {preset} simulator ({spec.description}): "
            "exercises are its questions; per skill, videos and documents used before a "
            "skill's first response and after errors, Zipf-popular within the skill."
        ),
        source="generated by yangcheng.education.recommend (no real student data)",
        licence="Apache-2.0 (generated data)",
        records=len(interactions),
        seed=seed,
        generator="yangcheng.education.recommend.data.simulate_interactions",
        counts={
            "students": spec.n_students,
            "interactions": len(interactions),
            "resources": len(resources),
            **{f"{kind}s": int(kinds.get(kind, 0)) for kind in RESOURCE_KINDS},
            "skills": simulator.n_skills,
        },
    )
    return InteractionDataset(
        preset,
        seed,
        interactions,
        resources,
        simulator,
        truth,
        log,
        spec.steps_per_student,
        card,
    )


def _name(prefix: str, index: int, n: int) -> str:
    return f"{prefix}{index:0{max(3, len(str(n - 1)))}d}"


def _catalogue(simulator: StudentSimulator, videos: int, documents: int) -> pd.DataFrame:
    n_q, n_k = simulator.n_questions, simulator.n_skills
    kind = ["exercise"] * n_q
    skill = [s[0] for s in simulator.question_skills]
    item = [_name("q", q, n_q) for q in range(n_q)]
    for s in range(n_k):
        for label, count in (("video", videos), ("document", documents)):
            kind += [label] * count
            skill += [s] * count
            item += [""] * count
    return pd.DataFrame(
        {
            "resource_id": [f"r{i:06d}" for i in range(len(kind))],
            "kind": kind,
            "skill_id": [_name("k", s, n_k) for s in skill],
            "item_id": item,
        }
    )


def _interactions(
    simulator: StudentSimulator,
    log: pd.DataFrame,
    truth: SimulationTruth,
    resources: pd.DataFrame,
    rng: np.random.Generator,
    counts: tuple[int, int],
    rates: tuple[float, float, float, float],
) -> pd.DataFrame:
    n_q, n_k = simulator.n_questions, simulator.n_skills
    first_p, error_p, video_share, exponent = rates
    responses = truth.responses
    question = responses["item_id"].str[1:].astype(np.int64).to_numpy()
    skill = responses["skill_id"].str[1:].astype(np.int64).to_numpy()
    when = responses["timestamp"].to_numpy(np.float64)
    correct = responses["correct"].to_numpy(np.int64)
    student = responses["student_id"].to_numpy(dtype=object)
    seconds = response_durations_s(log, responses)
    first = ~pd.DataFrame({"s": student, "k": skill}).duplicated().to_numpy()
    n = len(responses)
    draws = rng.random((n, 4))
    before = first & (draws[:, 0] < first_p)
    after = (correct == 0) & (draws[:, 1] < error_p)

    per_kind = {"video": counts[0], "document": counts[1]}
    ranking = {
        kind: rng.permuted(np.tile(np.arange(c), (n_k, 1)), axis=1) if c else None
        for kind, c in per_kind.items()
    }
    offset = {"video": n_q, "document": n_q + counts[0]}
    stride = counts[0] + counts[1]

    def study(mask: np.ndarray, pick: np.ndarray, kind_draw: np.ndarray) -> np.ndarray:
        """Resource index studied by each masked response (-1: the skill has none)."""
        out = np.full(mask.sum(), -1, dtype=np.int64)
        s = skill[mask]
        wants_video = kind_draw[mask] < video_share
        for kind, want in (("video", wants_video), ("document", ~wants_video)):
            c = per_kind[kind]
            other = "document" if kind == "video" else "video"
            if c == 0:
                continue
            use = want | (per_kind[other] == 0)
            weights = (np.arange(c) + 1.0) ** -exponent
            cdf = np.cumsum(weights / weights.sum())
            rank = np.minimum(np.searchsorted(cdf, pick[mask][use], side="right"), c - 1)
            assert ranking[kind] is not None
            j = ranking[kind][s[use], rank]  # type: ignore[index]
            out[use] = offset[kind] + s[use] * stride + j
        return out

    before_r = study(before, draws[:, 2], draws[:, 3])
    after_r = study(after, draws[:, 3], draws[:, 2])
    ids = resources["resource_id"].to_numpy(dtype=object)
    frames = [
        pd.DataFrame(
            {
                "student_id": student,
                "resource_id": ids[question],
                "timestamp": when,
                "correct": correct.astype(np.float64),
            }
        )
    ]
    for mask, picked, stamp in (
        (before, before_r, when - 0.5),
        (after, after_r, when + seconds + 0.5),
    ):
        keep = picked >= 0
        frames.append(
            pd.DataFrame(
                {
                    "student_id": student[mask][keep],
                    "resource_id": ids[picked[keep]],
                    "timestamp": np.round(stamp[mask][keep], 3),
                    "correct": np.nan,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["weight"] = 1.0
    order = np.lexsort((out["timestamp"].to_numpy(), out["student_id"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)[list(INTERACTION_COLUMNS)]
