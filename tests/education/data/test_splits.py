from __future__ import annotations

import numpy as np
import pytest

from yangcheng.education.data import (
    KTSequences,
    StudentSequence,
    student_folds,
    windows,
)


def make(lengths: list[int], names: list[str] | None = None) -> KTSequences:
    names = names or [f"s{i}" for i in range(len(lengths))]
    seqs = [
        StudentSequence(
            name,
            np.arange(n) % 4,
            np.arange(n) % 2,
            (np.arange(n) % 3 == 0).astype(np.int8),
            np.arange(n, dtype=np.float64),
        )
        for name, n in zip(names, lengths, strict=True)
    ]
    return KTSequences(seqs, n_questions=4, n_skills=2, name="toy")


def test_folds_partition_the_students_and_repeat_with_the_seed() -> None:
    seqs = make([5] * 23)
    folds = student_folds(seqs, k=5, seed=7)
    assert len(folds) == 5
    tests = [test for _, test in folds]
    assert sorted(np.concatenate(tests).tolist()) == list(range(23))  # covering, disjoint
    assert sorted(len(t) for t in tests) == [4, 4, 5, 5, 5]
    for train, test in folds:
        assert not set(train) & set(test) and len(train) + len(test) == 23
        assert np.all(np.diff(test) > 0)
    again = student_folds(seqs, k=5, seed=7)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    other = student_folds(seqs, k=5, seed=8)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(folds, other, strict=True))


def test_windows_of_one_student_stay_in_one_fold() -> None:
    chunked = windows(make([450, 10, 7, 9, 8, 6]), length=200)
    assert [s.student for s in chunked][:3] == ["s0#0", "s0#1", "s0#2"]
    for _, test in student_folds(chunked, k=3, seed=1):
        names = {chunked[i].student.split("#")[0] for i in test}
        train_names = {chunked[i].student.split("#")[0] for i in range(len(chunked))} - names
        assert not names & train_names
        if "s0" in names:
            assert {0, 1, 2} <= set(test.tolist())


def test_windows_cut_long_histories_and_drop_short_ones_like_pykt() -> None:
    seqs = make([450, 401, 200, 2, 3])
    out = windows(seqs, length=200)
    lengths = {s.student: len(s) for s in out}
    # 450 -> 200 + 200 + 50; 401 -> 200 + 200 (+1 dropped: shorter than 3); 2 dropped
    assert lengths == {
        "s0#0": 200,
        "s0#1": 200,
        "s0#2": 50,
        "s1#0": 200,
        "s1#1": 200,
        "s2": 200,
        "s4": 3,
    }
    first, second = out[0], out[1]
    assert np.array_equal(second.questions, seqs[0].questions[200:400])
    assert second.timestamps is not None and second.timestamps[0] == 200.0
    assert out.n_questions == seqs.n_questions and out.name == "toy"
    assert out.interactions == 450 + 400 + 200 + 3
    assert first.correct.dtype == np.int8


def test_bad_split_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 5 students"):
        student_folds(make([3, 3]), k=5)
    with pytest.raises(ValueError, match="k must be at least 2"):
        student_folds(make([3, 3]), k=1)
    with pytest.raises(ValueError, match="window length"):
        windows(make([3]), length=0)
