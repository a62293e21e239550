from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from yangcheng.education.data import (
    AssistmentsFileError,
    generate_dataset,
    read_assistments_csv,
    to_sequences,
    write_assistments_csv,
)

# The 2009 skill-builder layout, with its quirks: rows grouped by skill rather than by time,
# one row per skill of a multi-skill problem (same order_id), rows without a skill, a name
# with a comma, attempt_count 0, a negative ms_first_response, a scaffolding row.
SKILL_BUILDER_2009 = """\
order_id,assignment_id,user_id,assistment_id,problem_id,original,correct,attempt_count,\
ms_first_response,tutor_mode,skill_id,skill_name,hint_count,answer_text
33022537,277618,64525,33139,51424,1,1,1,32454,tutor,10,"Box and Whisker",0,26
33022709,277618,64525,33150,51435,1,1,1,4922,tutor,10,"Box and Whisker",0,55
35450204,220674,70363,33159,51444,1,0,2,25390,tutor,10,"Box and Whisker",1,"8, 9"
33022537,277618,64525,33139,51424,1,1,1,32454,tutor,13,"Equation Solving, Two",0,26
35450295,220674,70363,33110,51395,0,1,0,-6000,tutor,13,"Equation Solving, Two",0,ok
35450311,220674,70363,33170,51455,1,0,3,12000,tutor,,,2,x
33022800,277618,64525,33150,51435,1,0,4,8000,tutor,13_10,"Mixed",3,z
"""


def write(tmp_path: Path, text: str, name: str = "skill_builder.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_2009_skill_builder_layout_becomes_a_log(tmp_path: Path) -> None:
    log = read_assistments_csv(write(tmp_path, SKILL_BUILDER_2009))
    assert log.attrs["dropped_rows"] == {"missing skill_id": 1}
    # rows are in order_id order; the "13_10" row became two rows
    assert log["response_id"].tolist() == [
        "33022537",
        "33022537",
        "33022709",
        "33022800",
        "33022800",
        "35450204",
        "35450295",
    ]
    assert log["skill_id"].tolist() == ["10", "13", "10", "13", "10", "10", "13"]
    assert log["student_id"].iloc[0] == "64525" and log["item_id"].iloc[0] == "51424"
    assert log["attempt"].tolist() == [1, 1, 1, 4, 4, 2, 1]  # attempt_count 0 -> 1
    assert log["hint_count"].tolist() == [0, 0, 0, 3, 3, 1, 0]
    times = log["response_time_s"].to_numpy()
    assert times[0] == pytest.approx(32.454) and np.isnan(times[6])  # -6000 ms: unknown
    assert log["timestamp"].isna().all()  # the 2009 export has no times; order_id orders

    seqs = to_sequences(log, name="a09")
    by_student = {s.student: s for s in seqs}
    assert len(by_student["64525"]) == 3  # the multi-skill problem counts once
    assert by_student["64525"].correct.tolist() == [1, 1, 0]
    assert seqs.question_skills[seqs.question_ids.index("51424")] == [
        seqs.skill_ids.index("10"),
        seqs.skill_ids.index("13"),
    ]
    assert by_student["70363"].correct.tolist() == [0, 1]


def test_scaffolding_rows_can_be_dropped(tmp_path: Path) -> None:
    log = read_assistments_csv(write(tmp_path, SKILL_BUILDER_2009), originals_only=True)
    assert log.attrs["dropped_rows"]["scaffolding (original=0)"] == 1
    assert "51395" not in set(log["item_id"])


def test_later_layouts_and_partial_credit(tmp_path: Path) -> None:
    # 2017-style names and dates, partial credit, extra columns.
    text = (
        "studentId,problemId,skill,correct,startTime,timeTaken,hintCount,attemptCount,MiddleSchoolId\n"
        "7,p1,ratios,0.5,1096000000,12,0,1,3\n"
        "7,p2,ratios,1,1095000000,20,1,2,3\n"
        "8,p1,ratios,1.0,1096000500,9,0,1,4\n"
    )
    log = read_assistments_csv(write(tmp_path, text, "2017.csv"))
    assert log["correct"].tolist() == [0, 1, 1]  # 0.5 is not a first-attempt success
    assert log.attrs["partial_credit_rows"] == 1
    assert log["response_time_s"].tolist() == [12.0, 20.0, 9.0]
    seqs = to_sequences(log)
    assert seqs[0].questions.tolist() == [seqs.question_ids.index("p2"), 0]  # by startTime
    dated = text.replace("1096000000", "2004-09-24 04:26:40")
    log = read_assistments_csv(write(tmp_path, dated, "dated.csv"))
    assert log["timestamp"].iloc[0] == 1_096_000_000.0


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "order_id,user_id,skill_id,ms_first_response\n1,2,3,4\n")
    with pytest.raises(AssistmentsFileError, match=r"missing required column.*problem_id.*correct"):
        read_assistments_csv(path)


@pytest.mark.parametrize(
    ("row", "line", "column", "reason"),
    [
        ("1,7,51,1,yes,1,0", 3, "correct", "not a number: 'yes'"),
        ("1,7,51,1,,1,0", 3, "correct", "is empty"),
        ("1,,51,1,1,1,0", 3, "user_id", "is empty"),
        ("1,7,51,1,1,many,0", 3, "attempt_count", "not a number"),
        (",7,51,1,1,1,0", 3, "order_id", "is empty"),
    ],
)
def test_bad_values_are_named_by_line_and_column(
    tmp_path: Path, row: str, line: int, column: str, reason: str
) -> None:
    header = "order_id,user_id,problem_id,skill_id,correct,attempt_count,hint_count\n"
    path = write(tmp_path, header + "0,7,50,1,1,1,0\n" + row + "\n")
    with pytest.raises(AssistmentsFileError, match=reason) as err:
        read_assistments_csv(path)
    assert (err.value.line, err.value.column) == (line, column)


def test_empty_and_skill_less_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AssistmentsFileError, match="empty"):
        read_assistments_csv(write(tmp_path, ""))
    with pytest.raises(AssistmentsFileError, match="no rows"):
        read_assistments_csv(write(tmp_path, "user_id,problem_id,skill_id,correct\n"))
    with pytest.raises(AssistmentsFileError, match="no rows left"):
        read_assistments_csv(write(tmp_path, "user_id,problem_id,skill_id,correct\n1,2,,1\n"))
    with pytest.raises(AssistmentsFileError, match="no such file"):
        read_assistments_csv(tmp_path / "absent.csv")


def test_a_written_log_reads_back_to_the_same_sequences(tmp_path: Path) -> None:
    log = generate_dataset("sim-tiny", seed=4).log
    write_assistments_csv(log, tmp_path / "sim.csv")
    back = read_assistments_csv(tmp_path / "sim.csv")
    assert len(back) == len(log)
    pd.testing.assert_series_equal(back["timestamp"], log["timestamp"], check_names=False)
    one, two = to_sequences(log), to_sequences(back)
    assert one.question_skills == two.question_skills
    for x, y in zip(one, two, strict=True):
        assert x.student == y.student
        assert np.array_equal(x.questions, y.questions) and np.array_equal(x.correct, y.correct)
