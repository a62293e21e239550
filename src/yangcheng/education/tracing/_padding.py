"""Sequences to padded int64 batches and back: shared by the torch tracers and their ONNX
graphs, so it imports neither torch nor onnxruntime."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from yangcheng.education.data.sequences import StudentSequence

__all__ = ["Runner", "pad", "predict_padded", "skill_queries"]

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
