"""Sequences to padded int64 batches and back: shared by the torch tracers and their ONNX
graphs, so it imports neither torch nor onnxruntime."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from yangcheng.education.data.sequences import StudentSequence

__all__ = ["Runner", "last", "pad", "predict_padded", "predict_windowed", "skill_queries"]

Runner = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""``(questions, skills, correct)``, each int64 ``(B, T)`` -> ``P(correct_t | < t)`` ``(B, T)``."""


def pad(sequences: Sequence[StudentSequence]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Right-padded int64 questions, skills and correct ``(B, T)``; padding is 0 everywhere.

    Every model reads left to right (causally), so what follows a sequence's end never
    changes its predictions; padded positions are only masked out of losses.
    """
    length = max((len(s) for s in sequences), default=0)
    out = np.zeros((3, len(sequences), length), dtype=np.int64)
    for i, seq in enumerate(sequences):
        n = len(seq)
        out[0, i, :n] = seq.questions
        out[1, i, :n] = seq.skills
        out[2, i, :n] = seq.correct
    return out[0], out[1], out[2]


def predict_padded(
    sequences: Sequence[StudentSequence], batch_size: int, run: Runner
) -> list[np.ndarray]:
    """``run`` over batches of similar length (little padding); float64, one array each."""
    order = np.argsort([len(s) for s in sequences], kind="stable")
    results: list[np.ndarray] = [np.zeros(0)] * len(sequences)
    for start in range(0, len(order), batch_size):
        picks = order[start : start + batch_size]
        chunk = [sequences[i] for i in picks]
        probs = run(*pad(chunk))
        for row, i in enumerate(picks):
            results[i] = np.asarray(probs[row, : len(sequences[i])], dtype=np.float64)
    return results


def skill_queries(
    seq: StudentSequence, skill_question: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per skill: the whole history, then that skill's representative question.

    The model's prediction at the appended step is "P(correct) on this skill now", which is
    how a tracer without a per-skill read-out (an attention model) reports mastery.
    """
    n_skills = len(skill_question)
    n = len(seq)
    questions = np.empty((n_skills, n + 1), dtype=np.int64)
    skills = np.empty((n_skills, n + 1), dtype=np.int64)
    correct = np.zeros((n_skills, n + 1), dtype=np.int64)
    questions[:, :n] = seq.questions
    skills[:, :n] = seq.skills
    correct[:, :n] = seq.correct
    questions[:, n] = skill_question
    skills[:, n] = np.arange(n_skills)
    return questions, skills, correct


def last(seq: StudentSequence, n: int) -> StudentSequence:
    """The last ``n`` responses of ``seq`` (all of it when shorter)."""
    if len(seq) <= n:
        return seq
    return StudentSequence(
        seq.student,
        seq.questions[-n:],
        seq.skills[-n:],
        seq.correct[-n:],
        None if seq.timestamps is None else seq.timestamps[-n:],
    )


def predict_windowed(
    sequences: Sequence[StudentSequence], window: int, batch_size: int, run: Runner
) -> list[np.ndarray]:
    """``predict_padded`` for models trained on at most ``window`` responses (attention).

    A longer history is read in windows of ``window`` that overlap by half: the first window
    gives its own predictions, each later one only those of its second half, so every
    response is predicted from at least ``window // 2`` responses before it (or all of them)
    and the model never sees a position it was not trained on. pyKT's stride-1 window costs
    one forward pass per response; this costs two per ``window``.
    """
    half = max(window // 2, 1)
    pieces: list[StudentSequence] = []
    keeps: list[tuple[int, int, int, int]] = []  # (sequence, start, keep from, keep to)
    for i, seq in enumerate(sequences):
        n = len(seq)
        pieces.append(_part(seq, 0, min(window, n)))
        keeps.append((i, 0, 0, min(window, n)))
        start = half
        while n > window and start + half < n:
            stop = min(start + window, n)
            pieces.append(_part(seq, start, stop))
            keeps.append((i, start, start + half, stop))
            start += half
    probs = predict_padded(pieces, batch_size, run)
    results = [np.zeros(len(seq), dtype=np.float64) for seq in sequences]
    for (i, start, keep_from, keep_to), p in zip(keeps, probs, strict=True):
        results[i][keep_from:keep_to] = p[keep_from - start : keep_to - start]
    return results


def _part(seq: StudentSequence, start: int, stop: int) -> StudentSequence:
    return StudentSequence(
        seq.student, seq.questions[start:stop], seq.skills[start:stop], seq.correct[start:stop]
    )
