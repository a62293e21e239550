"""Small synthetic learners with real signal: per-skill learning, abilities, difficulties."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.education.data.sequences import KTSequences, StudentSequence


def _seq(name: str, questions: list[int], skills: list[int], correct: list[int]) -> StudentSequence:
    return StudentSequence(
        name,
        np.asarray(questions, dtype=np.int64),
        np.asarray(skills, dtype=np.int64),
        np.asarray(correct, dtype=np.int8),
    )


def learning_data(
    n_students: int = 160,
    length: int = 40,
    n_skills: int = 5,
    questions_per_skill: int = 4,
    seed: int = 0,
) -> KTSequences:
    """Students practise skills in runs of 3-8 questions, as in ASSISTments.

    Each student has an ability; each skill a difficulty and a chance to be learnt at each
    practice (a student who knows a skill answers far better); each question a small offset.
    So the next response depends on the student, the skill, the question and the practice
    so far: what every tracer should pick up and a student's running average cannot.
    """
    rng = np.random.default_rng(seed)
    skill_difficulty = np.linspace(-1.5, 1.5, n_skills)
    learn = np.linspace(0.35, 0.1, n_skills)
    offsets = rng.normal(0.0, 0.5, (n_skills, questions_per_skill))
    sequences = []
    for i in range(n_students):
        ability = rng.normal(0.0, 0.6)
        known = rng.random(n_skills) < 0.15
        qs: list[int] = []
        ss: list[int] = []
        cs: list[int] = []
        while len(cs) < length:
            skill = int(rng.integers(n_skills))
            for _ in range(int(rng.integers(3, 9))):
                j = int(rng.integers(questions_per_skill))
                logit = ability - skill_difficulty[skill] - offsets[skill, j]
                logit += 1.5 if known[skill] else -1.5
                qs.append(skill * questions_per_skill + j)
                ss.append(skill)
                cs.append(int(rng.random() < 1 / (1 + np.exp(-logit))))
                known[skill] |= rng.random() < learn[skill]
        sequences.append(_seq(f"s{i}", qs[:length], ss[:length], cs[:length]))
    return KTSequences(sequences, n_skills * questions_per_skill, n_skills, name="learning")


def bkt_data(
    prior: float,
    learn: float,
    guess: float,
    slip: float,
    n_students: int = 600,
    length: int = 30,
    n_skills: int = 2,
    seed: int = 0,
) -> KTSequences:
    """Responses drawn from the BKT process itself, skills interleaved at random."""
    rng = np.random.default_rng(seed)
    sequences = []
    for i in range(n_students):
        known = rng.random(n_skills) < prior
        skills = rng.integers(n_skills, size=length)
        correct = []
        for s in skills:
            p = 1 - slip if known[s] else guess
            correct.append(int(rng.random() < p))
            known[s] |= rng.random() < learn
        sequences.append(_seq(f"b{i}", skills.tolist(), skills.tolist(), correct))
    return KTSequences(sequences, n_skills, n_skills, name="bkt")


def irt_data(
    difficulty: np.ndarray, n_students: int = 800, seed: int = 0, skills_of: int = 2
) -> KTSequences:
    """Every student answers every question once, in random order, under a 2PL model."""
    rng = np.random.default_rng(seed)
    n_q = len(difficulty)
    discrimination = np.linspace(0.8, 1.6, n_q)[rng.permutation(n_q)]
    sequences = []
    for i in range(n_students):
        ability = rng.normal()
        order = rng.permutation(n_q)
        p = 1 / (1 + np.exp(-discrimination[order] * (ability - difficulty[order])))
        correct = (rng.random(n_q) < p).astype(int).tolist()
        sequences.append(_seq(f"i{i}", order.tolist(), (order % skills_of).tolist(), correct))
    return KTSequences(sequences, n_q, skills_of, name="irt")


@pytest.fixture(scope="session")
def learning() -> tuple[KTSequences, KTSequences, KTSequences]:
    """Train, valid and test sets from one population (disjoint students); the test
    histories are cut to lengths from 40 down to 2, so batches need padding."""
    data = learning_data(n_students=300, seed=1)
    test = [
        _seq(
            s.student,
            s.questions[:n].tolist(),
            s.skills[:n].tolist(),
            s.correct[:n].tolist(),
        )
        for i, s in enumerate(data.sequences[240:])
        for n in [40 - (i * 7) % 39]
    ]
    return (
        data.subset(range(200)),
        data.subset(range(200, 240)),
        KTSequences(test, data.n_questions, data.n_skills, name="learning-test"),
    )


def running_average(data: KTSequences, prior: float = 0.5) -> list[np.ndarray]:
    """The baseline to beat: each student's share of correct answers so far."""
    out = []
    for seq in data:
        before = np.concatenate([[0.0], np.cumsum(seq.correct[:-1])])
        out.append((before + prior) / (np.arange(len(seq)) + 1.0))
    return out


def baseline_auc(data: KTSequences) -> float:
    """The better of the majority guess (AUC 0.5) and the running average."""
    from yangcheng.education.tracing import score_predictions

    return max(0.5, score_predictions(data, running_average(data)).auc)
