from __future__ import annotations

import numpy as np
import pytest

from yangcheng.education.recommend import (
    InteractionDataset,
    SplitError,
    TimeSplit,
    TruthMismatch,
    time_split,
    true_knowledge,
)


def test_split_has_no_leakage(tiny_split: TimeSplit) -> None:
    split = tiny_split
    assert split.train["timestamp"].max() < split.cut_s <= split.test["timestamp"].min()
    assert set(split.test["student_id"]) == set(split.students)
    assert set(split.students) <= set(split.train["student_id"])
    seen = split.train.groupby("student_id")["resource_id"].agg(set)
    targets = split.targets()
    assert targets
    for student, items in targets.items():
        assert not set(items) & seen[student]
    repeats = split.targets(exclude_seen=False)
    assert sum(map(len, repeats.values())) > sum(map(len, targets.values()))


def test_split_rejects_bad_fraction_and_empty_sides(tiny: InteractionDataset) -> None:
    with pytest.raises(SplitError, match="test_fraction"):
        time_split(tiny.interactions, test_fraction=1.5)
    with pytest.raises(SplitError, match="no student"):
        time_split(tiny.interactions, cut_s=float(tiny.interactions["timestamp"].max()) + 1)


def test_true_knowledge_reproduces_recorded_mastery(tiny: InteractionDataset) -> None:
    responses = tiny.truth.responses
    for i in (0, 37, len(responses) // 2, len(responses) - 1):
        row = responses.iloc[i]
        state = true_knowledge(
            tiny.simulator, tiny.truth, tiny.steps_per_student, row["timestamp"], tiny.log
        )
        skill = int(row["skill_id"][1:])
        assert state.mastery[state.row(row["student_id"]), skill] == pytest.approx(
            row["mastery"], abs=1e-7
        )


def test_true_knowledge_refuses_a_changed_simulator(tiny: InteractionDataset) -> None:
    truth = tiny.truth
    altered = type(truth)(truth.responses, truth.ability + 1e-3, truth.student_ids)
    with pytest.raises(TruthMismatch):
        true_knowledge(tiny.simulator, altered, tiny.steps_per_student, 0.0)
    assert np.isfinite(truth.ability).all()
