from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.data import (
    LOG_COLUMNS,
    KTSequences,
    LogError,
    StudentSequence,
    from_sequences,
    response_numbers,
    to_sequences,
    validate_log,
)


def small_log() -> pd.DataFrame:
    """Two students; q7 is tagged with two skills (two rows per response), rows out of time
    order, ids that sort differently as numbers and as text."""
    return pd.DataFrame(
        {
            "student_id": ["b", "a", "a", "a", "b", "a", "a", "a"],
            "item_id": ["10", "9", "7", "7", "9", "10", "7", "7"],
            "skill_id": ["11", "2", "2", "11", "2", "11", "2", "11"],
            "timestamp": [50.0, 30.0, 10.0, 10.0, 40.0, 20.0, 25.0, 25.0],
            "correct": [1, 0, 1, 1, 1, 0, 0, 0],
            "response_time_s": [5.0, np.nan, 3.0, 3.0, 4.0, 2.0, 2.0, 2.0],
            "attempt": [1, 2, 1, 1, 1, 3, 3, 3],
            "hint_count": [0, 1, 0, 0, 0, 2, 2, 2],
        }
    )


def test_sequences_follow_time_and_share_sorted_vocabularies() -> None:
    seqs = to_sequences(small_log(), name="toy")
    assert seqs.name == "toy" and [s.student for s in seqs] == ["a", "b"]
    assert seqs.question_ids == ["7", "9", "10"]  # numeric order, not "10" < "7"
    assert seqs.skill_ids == ["2", "11"]
    a, b = seqs
    # a: q7 (two skill rows, one response) at t=10, q10 at 20, q7 at 25, q9 at 30
    assert a.questions.tolist() == [0, 2, 0, 1]
    assert a.correct.tolist() == [1, 0, 0, 0]
    assert a.timestamps is not None and a.timestamps.tolist() == [10.0, 20.0, 25.0, 30.0]
    assert b.questions.tolist() == [1, 2] and b.correct.tolist() == [1, 1]
    assert seqs.question_skills == [[0, 1], [0], [1]]
    # a multi-skill response is recorded under its question's first skill
    assert a.skills.tolist() == [0, 1, 0, 0]
    assert b.skills.tolist() == [0, 1]
    assert seqs.interactions == 6


def test_the_same_log_in_another_row_order_gives_the_same_sequences() -> None:
    log = small_log()
    shuffled = log.sample(frac=1.0, random_state=3).reset_index(drop=True)
    # rows of one response must stay together: put them back in time order
    one, two = to_sequences(log), to_sequences(shuffled.sort_values("timestamp", kind="stable"))
    assert one.question_ids == two.question_ids and one.skill_ids == two.skill_ids
    for x, y in zip(one, two, strict=True):
        assert x.student == y.student
        assert np.array_equal(x.questions, y.questions)
        assert np.array_equal(x.correct, y.correct)


def test_log_to_sequences_to_log_is_the_identity_on_what_sequences_keep() -> None:
    log = small_log()
    back = from_sequences(to_sequences(log))
    expected = (
        log.assign(_pos=range(len(log)))
        .sort_values(["student_id", "timestamp", "_pos"])
        .drop(columns="_pos")
        .reset_index(drop=True)
    )
    kept = ["student_id", "item_id", "skill_id", "timestamp", "correct"]
    pd.testing.assert_frame_equal(back[kept], expected[kept])
    assert list(back.columns) == list(LOG_COLUMNS)
    assert (back["attempt"] == 1).all() and (back["hint_count"] == 0).all()
    assert back["response_time_s"].isna().all()


def test_sequences_to_log_to_sequences_round_trips() -> None:
    seqs = KTSequences(
        [
            StudentSequence(
                "u1", np.array([2, 0, 2]), np.array([1, 0, 1]), np.array([1, 0, 1], np.int8)
            ),
            StudentSequence("u2", np.array([1]), np.array([0]), np.array([0], np.int8)),
        ],
        n_questions=3,
        n_skills=2,
        question_skills=[[0], [0], [1]],
    )
    again = to_sequences(from_sequences(seqs))
    assert [s.student for s in again] == ["u1", "u2"]
    for x, y in zip(seqs, again, strict=True):
        assert np.array_equal(x.questions, y.questions) and np.array_equal(x.skills, y.skills)
        assert np.array_equal(x.correct, y.correct) and y.timestamps is None


def test_repeated_answers_to_a_multi_skill_item_without_times_stay_apart() -> None:
    log = pd.DataFrame(
        {
            "student_id": ["s"] * 4,
            "item_id": ["q"] * 4,
            "skill_id": ["x", "y", "x", "y"],
            "correct": [1, 1, 1, 1],
        }
    )
    assert response_numbers(log).tolist() == [0, 0, 1, 1]
    assert len(to_sequences(log)[0]) == 2
    with_ids = log.assign(response_id=["1", "1", "1", "1"])
    assert response_numbers(with_ids).tolist() == [0, 0, 0, 0]


def test_a_test_log_maps_onto_the_training_vocabulary_and_unknown_ids_are_named() -> None:
    train = to_sequences(small_log(), name="train")
    test = pd.DataFrame(
        {
            "student_id": ["c", "c"],
            "item_id": ["10", "9"],
            "skill_id": ["11", "2"],
            "correct": [1, 0],
        }
    )
    mapped = to_sequences(test, like=train)
    assert mapped.question_ids == train.question_ids
    assert mapped[0].questions.tolist() == [2, 1]
    unknown = test.assign(item_id=["10", "99"])
    with pytest.raises(LogError, match=r"row 1, column 'item_id': unknown id '99'.*train") as err:
        to_sequences(unknown, like=train)
    assert (err.value.row, err.value.column) == (1, "item_id")


def test_validation_fills_defaults_and_normalises_ids() -> None:
    log = pd.DataFrame(
        {
            "student_id": [1.0, 2.0],  # what read_csv makes of an id column with a gap
            "item_id": [" a", "b "],
            "skill_id": [3, 4],
            "correct": [True, False],
            "timestamp": pd.to_datetime(["1970-01-01 00:00:10", "1970-01-01 00:01:00"]),
            "extra": ["x", "y"],
        }
    )
    out = validate_log(log)
    assert list(out.columns) == [*LOG_COLUMNS, "extra"]
    assert out["student_id"].tolist() == ["1", "2"] and out["item_id"].tolist() == ["a", "b"]
    assert out["timestamp"].tolist() == [10.0, 60.0]
    assert out["attempt"].tolist() == [1, 1] and out["hint_count"].tolist() == [0, 0]
    assert out["correct"].tolist() == [1, 0]


@pytest.mark.parametrize(
    ("change", "row", "column", "reason"),
    [
        ({"correct": [1, 2]}, 1, "correct", "must be 0 or 1"),
        ({"correct": [1, "yes"]}, 1, "correct", "not a number"),
        ({"correct": [np.nan, 1]}, 0, "correct", "is empty"),
        ({"student_id": ["a", None]}, 1, "student_id", "is empty"),
        ({"item_id": ["  ", "q"]}, 0, "item_id", "is empty"),
        ({"skill_id": [1.5, 2.0]}, 0, "skill_id", "integer"),
        ({"attempt": [1, 0]}, 1, "attempt", ">= 1"),
        ({"hint_count": [-1, 0]}, 0, "hint_count", ">= 0"),
        ({"response_time_s": [1.0, -2.0]}, 1, "response_time_s", ">= 0"),
        ({"timestamp": [1.0, np.inf]}, 1, "timestamp", "not finite"),
        ({"timestamp": ["noon", 1.0]}, 0, "timestamp", "not a number"),
    ],
)
def test_bad_values_are_named_by_row_and_column(
    change: dict[str, list[object]], row: int, column: str, reason: str
) -> None:
    log = pd.DataFrame(
        {"student_id": ["a", "b"], "item_id": ["q", "q"], "skill_id": ["k", "k"], "correct": [1, 0]}
    )
    for key, values in change.items():
        log[key] = values
    with pytest.raises(LogError, match=reason) as err:
        validate_log(log)
    assert (err.value.row, err.value.column) == (row, column)
    assert f"row {row}, column {column!r}" in str(err.value)


def test_missing_columns_and_empty_logs_are_refused() -> None:
    with pytest.raises(LogError, match=r"missing required column\(s\): item_id, correct"):
        validate_log(pd.DataFrame({"student_id": ["a"], "skill_id": ["k"]}))
    with pytest.raises(LogError, match="no rows"):
        to_sequences(
            pd.DataFrame({c: [] for c in ("student_id", "item_id", "skill_id", "correct")})
        )
    with pytest.raises(TypeError, match="DataFrame"):
        validate_log([1, 2])
