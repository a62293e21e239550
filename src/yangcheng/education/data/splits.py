"""pyKT's evaluation protocol: 5-fold splits by student, and windows of at most 200 responses.

Knowledge-tracing results are only comparable when they are split the same way. pyKT (Liu et
al., NeurIPS 2022) splits *students*, never responses, so no one's future leaks into training;
and it cuts long histories into windows of 200 so every model sees the same context length.
Fold first, then window each side: a student's windows then stay on one side of the split.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from yangcheng.education.data.sequences import KTSequences, StudentSequence

__all__ = ["MIN_LENGTH", "WINDOW_LENGTH", "student_folds", "windows"]

WINDOW_LENGTH = 200
"""pyKT's maximum sequence length (``maxlen``)."""
MIN_LENGTH = 3
"""pyKT drops sequences (and trailing windows) shorter than this (``min_seq_len``)."""

_CHUNK_SUFFIX = re.compile(r"#\d+$")


def student_folds(
    seqs: KTSequences, k: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train, test) pairs of sequence indices; the test parts partition the students.

    Students are shuffled with ``seed`` and dealt into ``k`` folds of near-equal size (as
    scikit-learn's shuffled ``KFold`` over students, which pyKT uses). Sequences of one student
    (the same ``student`` id, or windows of it, ``id#0``, ``id#1``...) always land in the same
    fold. Indices are sorted, so ``seqs.subset(test)`` keeps the data's order.
    """
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    groups = [_CHUNK_SUFFIX.sub("", s.student) for s in seqs]
    names, group_of = np.unique(np.array(groups, dtype=object), return_inverse=True)
    if len(names) < k:
        raise ValueError(f"{k} folds need at least {k} students; {seqs.name!r} has {len(names)}")
    order = np.random.default_rng(seed).permutation(len(names))
    fold_of_group = np.empty(len(names), dtype=np.int64)
    for fold, members in enumerate(np.array_split(order, k)):
        fold_of_group[members] = fold
    fold_of = fold_of_group[group_of]
    everyone = np.arange(len(seqs))
    return [(everyone[fold_of != f], everyone[fold_of == f]) for f in range(k)]


def windows(
    seqs: KTSequences, length: int = WINDOW_LENGTH, min_length: int = MIN_LENGTH
) -> KTSequences:
    """Cut each sequence into consecutive, non-overlapping windows of at most ``length``.

    As pyKT's training and validation sets: a sequence shorter than ``min_length`` (3) is
    dropped, and so is a last window shorter than that. A student cut into several windows
    gets ids ``student#0``, ``student#1``...; one that fits keeps its id. (pyKT's test-time
    "window" evaluation, which predicts every response from its previous ``length - 1``, is a
    scoring rule, not a data split; the tracing metrics implement it.)
    """
    if length < 1:
        raise ValueError(f"window length must be positive, got {length}")
    if min_length < 1 or min_length > length:
        raise ValueError(f"min_length must be in 1..{length}, got {min_length}")
    out: list[StudentSequence] = []
    for seq in seqs:
        n = len(seq)
        if n < min_length:
            continue
        if n <= length:
            out.append(seq)
            continue
        for number, start in enumerate(range(0, n, length)):
            stop = min(start + length, n)
            if stop - start < min_length:
                break
            out.append(
                StudentSequence(
                    student=f"{seq.student}#{number}",
                    questions=seq.questions[start:stop],
                    skills=seq.skills[start:stop],
                    correct=seq.correct[start:stop],
                    timestamps=None if seq.timestamps is None else seq.timestamps[start:stop],
                )
            )
    return replace(seqs, sequences=out)
