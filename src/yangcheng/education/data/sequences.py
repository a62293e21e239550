"""Learners' response sequences: the form every knowledge-tracing model reads.

One record per student, in time order: which question, which skill(s) it exercises, whether
the first attempt was correct, and when. Ids are dense integers (0..n-1) so models can embed
them; ``question_ids``/``skill_ids`` keep the original ids a loader read, so predictions can
be reported in the user's own terms. A question with several skills is stored once per skill
in the log (as the ASSISTments files do); sequences keep one skill per response (the first).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np


class SequenceError(ValueError):
    """A malformed sequence: says which student and which field."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass(frozen=True)
class StudentSequence:
    student: str
    questions: np.ndarray
    """int64 dense question index per response."""
    skills: np.ndarray
    """int64 dense skill index per response."""
    correct: np.ndarray
    """int8 0/1 per response."""
    timestamps: np.ndarray | None = None
    """float64 seconds since the epoch, or None when the source has no times."""

    def __len__(self) -> int:
        return int(self.correct.shape[0])

    def validate(self, n_questions: int, n_skills: int) -> None:
        n = len(self)
        for name in ("questions", "skills"):
            arr = getattr(self, name)
            if arr.shape != (n,):
                raise SequenceError(
                    f"student {self.student}",
                    f"{name} has {arr.shape[0]} entries but correct has {n}",
                )
        if n == 0:
            raise SequenceError(f"student {self.student}", "has no responses")
        if not ((self.correct == 0) | (self.correct == 1)).all():
            raise SequenceError(f"student {self.student}", "correct must be 0 or 1")
        if self.questions.min() < 0 or self.questions.max() >= n_questions:
            raise SequenceError(f"student {self.student}", "question index out of range")
        if self.skills.min() < 0 or self.skills.max() >= n_skills:
            raise SequenceError(f"student {self.student}", "skill index out of range")
        if self.timestamps is not None and self.timestamps.shape != (n,):
            raise SequenceError(f"student {self.student}", "timestamps length differs")


@dataclass
class KTSequences:
    """A dataset of student sequences with its id vocabularies, like a torch Dataset."""

    sequences: list[StudentSequence]
    n_questions: int
    n_skills: int
    question_ids: list[str] = field(default_factory=list)
    """Original id of each dense question index (empty: the indices are the ids)."""
    skill_ids: list[str] = field(default_factory=list)
    name: str = ""
    question_skills: list[list[int]] = field(default_factory=list)
    """Every skill each dense question index is tagged with, sorted (empty: not known; then
    ``StudentSequence.skills`` is all there is). Multi-skill models read it; a response's own
    skill is one of its question's (for logs, the first)."""

    def __post_init__(self) -> None:
        if not self._all_valid():
            for seq in self.sequences:  # find the first bad one, to name it
                seq.validate(self.n_questions, self.n_skills)
        if self.question_skills:
            if len(self.question_skills) != self.n_questions:
                raise SequenceError(
                    "question_skills",
                    f"has {len(self.question_skills)} entries for {self.n_questions} questions",
                )
            for q, skills in enumerate(self.question_skills):
                if not skills or min(skills) < 0 or max(skills) >= self.n_skills:
                    raise SequenceError(
                        f"question_skills[{q}]", f"needs skill indices in 0..{self.n_skills - 1}"
                    )

    def _all_valid(self) -> bool:
        """One vectorised check of every sequence (``validate`` per student is slow at 20k)."""
        if not self.sequences:
            return True
        for seq in self.sequences:
            n = seq.correct.shape
            if n == (0,) or seq.questions.shape != n or seq.skills.shape != n:
                return False
            if seq.timestamps is not None and seq.timestamps.shape != n:
                return False
        questions = np.concatenate([s.questions for s in self.sequences])
        skills = np.concatenate([s.skills for s in self.sequences])
        correct = np.concatenate([s.correct for s in self.sequences])
        return bool(
            ((correct == 0) | (correct == 1)).all()
            and questions.min() >= 0
            and questions.max() < self.n_questions
            and skills.min() >= 0
            and skills.max() < self.n_skills
        )

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> StudentSequence:
        return self.sequences[index]

    def __iter__(self) -> Iterator[StudentSequence]:
        return iter(self.sequences)

    @property
    def interactions(self) -> int:
        return sum(len(s) for s in self.sequences)

    def subset(self, indices: Sequence[int]) -> KTSequences:
        """The same vocabularies, some students (folds keep ids aligned across splits)."""
        return KTSequences(
            [self.sequences[i] for i in indices],
            self.n_questions,
            self.n_skills,
            self.question_ids,
            self.skill_ids,
            self.name,
            self.question_skills,
        )
