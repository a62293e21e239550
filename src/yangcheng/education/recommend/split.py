"""A time-ordered split: one global cut, train before it, test after it.

A random split of interactions lets a model see a student's future (and everyone's) while
being scored on the past; the field's leave-future-out protocol cuts at one time for all
students (Ji et al. 2023, "A critical study on data leakage in recommender system offline
evaluation"). Students are evaluated when they are active on both sides.

Targets follow the usual convention for implicit feedback (implicit's and RecBole's defaults):
a resource the student already used in train is not a target, and recommenders are asked to
exclude it (``exclude_seen=True``); students with no new resource after the cut are not
evaluated. ``targets(exclude_seen=False)`` gives the repeat-inclusive variant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from yangcheng.education.recommend.data import validate_interactions

__all__ = ["SplitError", "TimeSplit", "time_split"]


class SplitError(ValueError):
    """The split has nothing to evaluate, or its cut or fraction is out of range."""


@dataclass(frozen=True)
class TimeSplit:
    train: pd.DataFrame
    """Every interaction strictly before ``cut_s`` (all students)."""
    test: pd.DataFrame
    """Interactions at or after ``cut_s`` of the ``students`` (active on both sides)."""
    cut_s: float
    students: list[str]

    def targets(self, exclude_seen: bool = True) -> dict[str, np.ndarray]:
        """Per evaluated student, the distinct resources used after the cut (without those
        used before it when ``exclude_seen``); students left with none are omitted."""
        seen = self.train.groupby("student_id")["resource_id"].agg(set).to_dict()
        out: dict[str, np.ndarray] = {}
        for student, group in self.test.groupby("student_id", sort=True):
            used = pd.unique(group["resource_id"].to_numpy())
            if exclude_seen:
                before = seen.get(student, set())
                used = np.array([r for r in used if r not in before], dtype=object)
            if len(used):
                out[str(student)] = np.asarray(used, dtype=object)
        return out


def time_split(
    interactions: pd.DataFrame, test_fraction: float = 0.2, cut_s: float | None = None
) -> TimeSplit:
    """Cut at ``cut_s`` (epoch seconds), else where the last ``test_fraction`` of all
    interactions begins."""
    frame = validate_interactions(interactions)
    times = frame["timestamp"].to_numpy(np.float64)
    if cut_s is None:
        if not 0.0 < test_fraction < 1.0:
            raise SplitError(f"test_fraction must be in (0, 1), got {test_fraction}")
        cut_s = float(np.quantile(times, 1.0 - test_fraction, method="lower"))
    before = times < cut_s
    train, after = frame[before], frame[~before]
    students = sorted(set(train["student_id"]) & set(after["student_id"]))
    if not students:
        raise SplitError(f"no student is active both before and after the cut at {cut_s}")
    test = after[after["student_id"].isin(students)]
    return TimeSplit(train.reset_index(drop=True), test.reset_index(drop=True), cut_s, students)
