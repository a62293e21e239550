"""Student profiles: every student-level indicator, measured from a log and a tracer.

A profile carries each indicator's value, unit and level (ok / warn / alert from the
registry's thresholds), plus what a teacher reads next to them: mastery per skill and the
skills that are weakest. ``now`` defaults to the log's last response, so a profile built on
an old log says what was true then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from yangcheng.education.data.logs import response_numbers, to_sequences, validate_log
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.profiles.engagement import DAY_S, WEEK_S
from yangcheng.education.profiles.indicators import IndicatorValue, evaluate_indicator
from yangcheng.education.tracing.base import KnowledgeTracer
from yangcheng.education.tracing.bkt import BKT

__all__ = ["MASTERED_AT", "StudentProfile", "student_profiles"]

MASTERED_AT = 0.8
_SESSION_GAP_S = 30 * 60.0


@dataclass
class StudentProfile:
    student_id: str
    indicators: dict[str, IndicatorValue]
    skill_mastery: dict[str, float]
    weakest_skills: list[str]
    responses: int
    alerts: list[str] = field(default_factory=list)
    """Names of the indicators at level alert."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def student_profiles(
    log: pd.DataFrame,
    tracer: KnowledgeTracer | None = None,
    *,
    sequences: KTSequences | None = None,
    curriculum_skills: Sequence[str] | None = None,
    dropout_risk: Mapping[str, float] | None = None,
    now: float | None = None,
) -> dict[str, StudentProfile]:
    """A profile per student of ``log``.

    ``tracer`` is a fitted tracer over ``sequences`` (``to_sequences(log)`` by default); a BKT
    is fitted when none is given. ``curriculum_skills`` defaults to every skill in the log;
    ``dropout_risk`` maps student ids to the dropout model's probability (missing: unknown).
    """
    log = validate_log(log)
    seqs = sequences if sequences is not None else to_sequences(log)
    model = tracer if tracer is not None else BKT(max_iter=50).fit(seqs)
    skills = seqs.skill_ids or [str(i) for i in range(seqs.n_skills)]
    curriculum = list(curriculum_skills) if curriculum_skills is not None else skills
    if not curriculum:
        raise ValueError("curriculum_skills is empty: coverage needs at least one skill")
    ordered = log.sort_values(["student_id", "timestamp"], kind="stable").reset_index(drop=True)
    responses = ordered.groupby(response_numbers(ordered), sort=False).first()
    times = responses["timestamp"].to_numpy(dtype=np.float64)
    end = float(np.nanmax(times)) if now is None else float(now)
    median_time = (
        float(np.nanmedian(responses["response_time_s"]))
        if responses["response_time_s"].notna().any()
        else 0.0
    )
    by_student = dict(tuple(responses.groupby("student_id", sort=False)))
    risk = dropout_risk or {}
    profiles = {}
    for seq in seqs:
        rows = by_student[seq.student]
        mastery = model.mastery(seq)
        practised = np.unique(seq.skills)
        practised_names = {skills[i] for i in practised}
        m = float(mastery[practised].mean())
        t = rows["timestamp"].to_numpy(dtype=np.float64)
        t = t[~np.isnan(t)]
        weeks = max((end - t.min()) / WEEK_S, 1.0) if t.size else float("nan")
        active_days = np.unique(np.floor(t / DAY_S)).size
        active_weeks = np.unique(np.floor((t - t.min()) / WEEK_S)).size if t.size else 0
        seconds = rows["response_time_s"].fillna(median_time).to_numpy(dtype=np.float64)
        values = {
            "mastery": m,
            "coverage": 100.0 * len(practised_names & set(curriculum)) / len(curriculum),
            "accuracy": 100.0 * float(rows["correct"].mean()),
            "active_days_per_week": active_days / weeks,
            "sessions": float(1 + np.sum(np.diff(np.sort(t)) > _SESSION_GAP_S)) if t.size else 0.0,
            "time_on_task_h": float(seconds.sum()) / 3600.0,
            "regularity": 100.0 * min(active_weeks / np.ceil(weeks), 1.0) if t.size else None,
            "progress_rate": float((mastery[practised] >= MASTERED_AT).sum()) / weeks,
            "dropout_risk": risk.get(seq.student),
        }
        indicators = {name: evaluate_indicator(name, v) for name, v in values.items()}
        per_skill = {skills[i]: round(float(mastery[i]), 4) for i in practised}
        weakest = sorted(per_skill, key=lambda s: per_skill[s])[:3]
        profiles[seq.student] = StudentProfile(
            student_id=seq.student,
            indicators=indicators,
            skill_mastery=per_skill,
            weakest_skills=weakest,
            responses=len(seq),
            alerts=[n for n, v in indicators.items() if v.level == "alert"],
        )
    return profiles
