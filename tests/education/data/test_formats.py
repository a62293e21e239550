from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yangcheng.education.data import (
    KTSequences,
    SequenceFileError,
    StudentSequence,
    read_sequence_file,
    read_sequence_files,
    write_sequence_file,
)

SHARED = Path("/work/shared/data/education")


def sample() -> KTSequences:
    """Integer ids that are not dense, a multi-skill question, times on one student only."""
    return KTSequences(
        [
            StudentSequence(
                "1001",
                np.array([0, 2, 1, 2]),
                np.array([0, 1, 0, 1]),
                np.array([1, 0, 1, 1], np.int8),
                np.array([1.5, 20.0, 31.25, 40.0]),
            ),
            StudentSequence("1002", np.array([1, 1]), np.array([0, 0]), np.array([0, 1], np.int8)),
        ],
        n_questions=3,
        n_skills=2,
        question_ids=["5", "17", "230"],
        skill_ids=["3", "40"],
        question_skills=[[0], [0, 1], [1]],
    )


def same(a: KTSequences, b: KTSequences, *, questions: bool = True) -> None:
    assert [s.student for s in a] == [s.student for s in b]
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.correct, y.correct)
        assert [a.skill_ids[i] for i in x.skills] == [b.skill_ids[i] for i in y.skills]
        if questions:
            assert [a.question_ids[i] for i in x.questions] == [
                b.question_ids[i] for i in y.questions
            ]


@pytest.mark.parametrize("layout", ["3", "4", "6"])
def test_writing_then_reading_gives_the_sequences_back(tmp_path: Path, layout: str) -> None:
    path = tmp_path / f"seq{layout}.csv"
    write_sequence_file(sample(), path, layout)  # type: ignore[arg-type]
    assert len(path.read_text().splitlines()) == 2 * int(layout)
    for read_as in ("auto", layout):
        back = read_sequence_file(path, read_as)  # type: ignore[arg-type]
        same(sample(), back, questions=layout != "3")
        assert back.name == f"seq{layout}"
    if layout == "3":  # only skills: each skill is its own question
        assert back.question_ids == back.skill_ids == ["3", "40"]
    if layout == "6":
        assert back.question_skills == [[0], [0, 1], [1]]
        assert back[0].timestamps is not None
        assert np.allclose(back[0].timestamps, [1.5, 20.0, 31.25, 40.0])
        assert back[1].timestamps is None


def test_header_is_a_length_when_it_matches_else_an_id(tmp_path: Path) -> None:
    lengths = tmp_path / "lengths.csv"
    lengths.write_text("3\n1,2,1\n1,0,1\n2\n2,2\n0,0\n")
    seqs = read_sequence_file(lengths)
    assert [s.student for s in seqs] == ["0", "1"]  # numbered by record
    assert seqs.skill_ids == ["1", "2"] and seqs[0].skills.tolist() == [0, 1, 0]
    opaque = tmp_path / "ids.csv"  # AKT's assist2015 style: "id,id" that is not a length
    opaque.write_text("5899,286217\n68,68\n1,1\n752,220288\n18,3,3\n1,0,1\n")
    assert [s.student for s in read_sequence_file(opaque)] == ["5899,286217", "752,220288"]
    pykt = tmp_path / "pykt.csv"  # pyKT's "uid,seqlen"
    pykt.write_text("u7,2\nNA\n4_5,5\n1,0\nNA\nNA\n")
    seqs = read_sequence_file(pykt)
    assert [s.student for s in seqs] == ["u7"] and seqs.question_skills == [[0, 1], [1]]


def test_files_that_belong_together_share_one_vocabulary(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("3\n5,9,20\n1,0,1\n")
    (tmp_path / "test.csv").write_text("2\n9,30\n0,1\n")
    alone = read_sequence_file(tmp_path / "test.csv")
    assert alone.skill_ids == ["9", "30"]  # indexed by what it holds
    train, test = read_sequence_files([tmp_path / "train.csv", tmp_path / "test.csv"])
    assert train.skill_ids == test.skill_ids == ["5", "9", "20", "30"]
    assert test[0].skills.tolist() == [1, 3] and train[0].skills.tolist() == [0, 1, 2]
    assert train.question_skills == test.question_skills == [[0], [1], [2], [3]]
    # read like the training file alone: known ids map, an unknown one is named with its line
    train = read_sequence_file(tmp_path / "train.csv")
    (tmp_path / "known.csv").write_text("1\n20\n1\n")
    assert read_sequence_file(tmp_path / "known.csv", like=train)[0].skills.tolist() == [2]
    with pytest.raises(SequenceFileError, match="skill id 30 is not in the vocabulary of train"):
        read_sequence_file(tmp_path / "test.csv", like=train)
    four = tmp_path / "four.csv"
    four.write_text("1\n5\n9\n1\n1\n77\n9\n0\n")
    with pytest.raises(SequenceFileError, match="question id 77") as err:
        read_sequence_file(four, "4", like=read_sequence_file(four.with_name("train.csv")))
    assert err.value.line == 6


@pytest.mark.skipif(not (SHARED / "a15_train1.csv").exists(), reason="shared AKT files absent")
def test_the_assist2015_file_from_akt() -> None:
    path = SHARED / "a15_train1.csv"
    lines = path.read_text().splitlines()
    seqs = read_sequence_file(path)
    assert len(seqs) == len(lines) // 3 == 11_904  # one record per student
    assert seqs.interactions == sum(len(line.split(",")) for line in lines[1::3]) == 406_838
    assert seqs.n_skills == seqs.n_questions == 100  # ASSIST2015's 100 skills
    assert seqs.skill_ids == [str(i) for i in range(1, 101)]
    assert len({s.student for s in seqs}) == len(seqs)  # the opaque headers identify students
    assert seqs[0].student == "5899,286217" and len(seqs[0]) == 14


@pytest.mark.skipif(not (SHARED / "st_train1.csv").exists(), reason="shared AKT files absent")
def test_the_statics2011_file_from_akt(tmp_path: Path) -> None:
    path = SHARED / "st_train1.csv"
    seqs = read_sequence_file(path)
    assert len(seqs) == 201 and seqs.interactions == 107_212
    assert seqs.n_skills == 1_223 and seqs.skill_ids[-1] == "1223"
    assert len(seqs[0]) == 61  # its header, a length
    correct = np.concatenate([s.correct for s in seqs])
    assert 0.7 < correct.mean() < 0.85  # Statics2011 is mostly answered right
    write_sequence_file(seqs, tmp_path / "st.csv", "3")
    same(seqs, read_sequence_file(tmp_path / "st.csv"))
    # the test split alone holds fewer skills; read with its training file it shares indices
    assert read_sequence_file(SHARED / "st_test1.csv").n_skills == 1_203
    train, test = read_sequence_files([path, SHARED / "st_test1.csv"])
    assert test.skill_ids == train.skill_ids == seqs.skill_ids
    like = read_sequence_file(SHARED / "st_test1.csv", like=seqs)
    assert all(np.array_equal(a.skills, b.skills) for a, b in zip(like, test, strict=True))


@pytest.mark.parametrize(
    ("text", "layout", "line", "reason"),
    [
        ("", "auto", None, "empty"),
        ("\n\n", "3", None, "empty"),
        ("2\n1,2\n1,0\n3\n1,2\n", "auto", 5, "not a multiple of 3, 4 or 6"),
        ("2\n1,2\n1,0\n1\n", "3", 4, "not a multiple of 3"),
        ("2\n1,2,3\n1,0\n", "3", 2, "skill ids have 3 entries but the responses on line 3 have 2"),
        ("2\n1,x\n1,0\n", "3", 2, "entry 2 'x' is not an integer"),
        ("2\n1,2.5\n1,0\n", "3", 2, "'2.5' is not an integer"),
        ("2\n1,2\n1,2\n", "3", 3, "responses must be 0 or 1: entry 2 is 2"),
        ("2\n1,2\n1,-1\n", "3", 3, "must be 0 or 1"),
        ("0\n\n\n2\n1,2\n1,0\n", "3", 3, "no responses (an empty history)"),
        ("0\n\n\n2\n1,2\n1,0\n", "auto", 3, "no responses (an empty history)"),
        ("2\n7,8,9\n1,2\n1,0\n", "4", 2, "question ids have 3 entries"),
        ("2\n1,2\n1,0\n2\n1,2\n1,0\n2\n1,2\n1,1\n9\n1,2\n0,0\n", "3", 10, "header says 9"),
    ],
)
def test_malformed_files_are_refused_naming_the_line(
    tmp_path: Path, text: str, layout: str, line: int | None, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SequenceFileError) as err:
        read_sequence_file(path, layout)  # type: ignore[arg-type]
    assert err.value.line == line, str(err.value)
    assert reason in str(err.value)
    assert str(path) in str(err.value)
    if line is not None:
        assert f"line {line}:" in str(err.value)


def test_auto_reports_the_error_of_the_layout_that_got_furthest(tmp_path: Path) -> None:
    # 12 lines: 3 or 4 or 6 per record. As 3-line records it fails at the last record.
    path = tmp_path / "bad.csv"
    records = ["2\n1,2\n1,0\n"] * 3 + ["2\n1,2\n1,5\n"]
    path.write_text("".join(records))
    with pytest.raises(SequenceFileError, match="must be 0 or 1") as err:
        read_sequence_file(path)
    assert err.value.line == 12


def test_a_missing_file_and_bad_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(SequenceFileError, match="no such file"):
        read_sequence_file(tmp_path / "nope.csv")
    (tmp_path / "x.csv").write_text("1\n1\n1\n")
    with pytest.raises(ValueError, match="layout"):
        read_sequence_file(tmp_path / "x.csv", "5")  # type: ignore[arg-type]
    named = KTSequences(
        [StudentSequence("a", np.array([0]), np.array([0]), np.array([1], np.int8))],
        1,
        1,
        question_ids=["q-1"],
        skill_ids=["k"],
    )
    with pytest.raises(ValueError, match="question_ids holds 'q-1'"):
        write_sequence_file(named, tmp_path / "y.csv", "4")
