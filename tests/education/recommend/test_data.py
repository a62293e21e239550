from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.recommend import (
    InteractionDataset,
    InteractionError,
    simulate_interactions,
    validate_interactions,
)


def test_same_seed_same_bytes(tiny: InteractionDataset) -> None:
    again = simulate_interactions("sim-tiny", seed=3)
    pd.testing.assert_frame_equal(tiny.interactions, again.interactions)
    other = simulate_interactions("sim-tiny", seed=4)
    assert not tiny.interactions.equals(other.interactions)


def test_catalogue_and_interactions_follow_the_simulation(tiny: InteractionDataset) -> None:
    resources = tiny.resources
    assert resources["resource_id"].is_unique
    assert resources["resource_id"].str.fullmatch(r"r\d{6}").all()
    kinds = resources["kind"].value_counts()
    assert kinds["exercise"] == tiny.simulator.n_questions
    assert kinds["video"] == 3 * tiny.simulator.n_skills
    merged = tiny.interactions.merge(resources, on="resource_id")
    exercises = merged[merged["kind"] == "exercise"]
    # every response is one exercise use, with its correctness
    assert len(exercises) == len(tiny.truth.responses)
    assert exercises["correct"].notna().all()
    assert merged.loc[merged["kind"] != "exercise", "correct"].isna().all()
    # study material is only ever of a skill the student practises
    practised = set(zip(exercises["student_id"], exercises["skill_id"], strict=True))
    study = merged[merged["kind"] != "exercise"]
    assert len(study) > 0
    assert all(
        pair in practised for pair in zip(study["student_id"], study["skill_id"], strict=True)
    )
    # sorted by student, then time
    frame = tiny.interactions
    assert (frame.groupby("student_id")["timestamp"].diff().dropna() >= 0).all()


def test_popular_videos_are_popular(tiny: InteractionDataset) -> None:
    merged = tiny.interactions.merge(tiny.resources, on="resource_id")
    videos = merged[merged["kind"] == "video"]
    counts = videos.groupby(["skill_id", "resource_id"]).size()
    share_of_top = (counts.groupby(level=0).max() / counts.groupby(level=0).sum()).mean()
    assert share_of_top > 0.45  # uniform over 3 would be 1/3


def test_validation_fills_defaults_and_sorts() -> None:
    raw = pd.DataFrame({"student_id": [2.0, 1.0], "resource_id": ["r1", "r2"], "timestamp": [5, 3]})
    out = validate_interactions(raw)
    assert out["student_id"].tolist() == ["1", "2"]
    assert out["weight"].tolist() == [1.0, 1.0]
    assert out["correct"].isna().all()


@pytest.mark.parametrize(
    ("column", "values", "row", "message"),
    [
        ("timestamp", [1.0, "soon", 3.0], 1, "timestamp"),
        ("weight", [1.0, 1.0, -2.0], 2, "weight"),
        ("student_id", ["a", None, "c"], 1, "student_id"),
        ("correct", [1, 0.5, None], 1, "correct"),
    ],
)
def test_validation_names_row_and_column(
    column: str, values: list[object], row: int, message: str
) -> None:
    frame = pd.DataFrame(
        {"student_id": ["a", "b", "c"], "resource_id": ["r", "r", "r"], "timestamp": [1, 2, 3]}
    )
    frame[column] = values
    with pytest.raises(InteractionError, match=f"row {row}, column '{message}'") as info:
        validate_interactions(frame)
    assert info.value.row == row and info.value.column == column


def test_validation_missing_column_and_unknown_resource() -> None:
    with pytest.raises(InteractionError, match="missing required column"):
        validate_interactions(pd.DataFrame({"student_id": ["a"], "timestamp": [1]}))
    frame = pd.DataFrame(
        {"student_id": ["a", "b"], "resource_id": ["r1", "nope"], "timestamp": [1, 2]}
    )
    catalogue = pd.DataFrame({"resource_id": ["r1"]})
    with pytest.raises(InteractionError, match=r"row 1, column 'resource_id'.*catalogue"):
        validate_interactions(frame, catalogue)


def test_datetime_timestamps_become_epoch_seconds() -> None:
    frame = pd.DataFrame(
        {
            "student_id": ["a"],
            "resource_id": ["r"],
            "timestamp": pd.to_datetime(["1970-01-02"]),
        }
    )
    assert validate_interactions(frame)["timestamp"].iloc[0] == pytest.approx(86_400.0)
    assert np.isfinite(validate_interactions(frame)["timestamp"]).all()
