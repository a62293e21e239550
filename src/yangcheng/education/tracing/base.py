"""What every knowledge tracer promises: fit on students, predict their next responses.

One API for BKT, IRT and the neural tracers so the evaluation (and the tutor that picks the
next exercise) never needs to know which model it holds:

- ``fit(train, valid=None)`` learns from :class:`KTSequences` and returns the tracer;
  ``valid`` is for models that stop early, the others ignore it.
- ``predict_proba(data)`` gives, for each student, ``P(correct_t | responses < t)`` for every
  ``t`` — the first response is predicted from the priors alone, so the array has the
  sequence's length and lines up with ``seq.correct``.
- ``mastery(seq)`` gives, per skill, the probability that the student has mastered it after
  the whole history (an empty history gives the priors). BKT has a knowledge state and
  reports ``P(known)``; IRT and DKT report the usual proxy, ``P(correct)`` on the skill's
  questions at the next step.

Models are scikit-learn estimators: hyper-parameters are the ``__init__`` arguments (so
``get_params``/``set_params`` and cloning work), learned attributes end in ``_``.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Literal, Protocol, Self

import numpy as np

from yangcheng.education.data.sequences import KTSequences, StudentSequence

__all__ = [
    "KnowledgeTracer",
    "NotFittedError",
    "ResponsePredictor",
    "UnknownIdError",
    "VocabularyChecks",
    "VocabularyMismatch",
    "skill_base_rates",
]

IdKind = Literal["question", "skill"]


class NotFittedError(ValueError, AttributeError):
    """The tracer was asked to predict before ``fit`` (as scikit-learn's, a ValueError)."""


class UnknownIdError(KeyError, ValueError):
    """A response names a question or skill index beyond those the tracer was fitted on.

    Models embed dense indices, so an index past the fitted vocabulary has no parameters;
    guessing would give a confident-looking number with nothing behind it.
    """

    def __init__(self, student: str, kind: IdKind, index: int, known: int, label: str = "") -> None:
        shown = f"{index} ({label!r})" if label else str(index)
        message = (
            f"student {student}: {kind} {shown} is unknown to the fitted model "
            f"(it was fitted on {kind} indices 0..{known - 1})"
        )
        super().__init__(message)
        self.student = student
        self.kind = kind
        self.index = index
        self.message = message

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class VocabularyMismatch(ValueError):
    """The data's id vocabulary disagrees with the one the tracer was fitted on."""


class ResponsePredictor(Protocol):
    """Anything the evaluation can score: fitted tracers and exported (ONNX) ones."""

    def predict_proba(self, data: KTSequences) -> list[np.ndarray]: ...

    def mastery(self, seq: StudentSequence) -> np.ndarray: ...


class VocabularyChecks:
    """The fitted vocabulary and the checks against it, for tracers and exported graphs."""

    _id_kinds: tuple[IdKind, ...] = ("question", "skill")
    """Which indices the model has parameters for (skill-level models ignore questions)."""

    n_questions_: int
    n_skills_: int
    question_ids_: list[str]
    skill_ids_: list[str]

    def _check_fitted(self, action: str = "predict") -> None:
        if not hasattr(self, "n_skills_"):
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet: call fit(train) before {action}"
            )

    def _check_data(self, data: KTSequences) -> None:
        """Fitted, same vocabulary, and every index has parameters."""
        self._check_fitted("predict_proba")
        for kind, fitted, given in (
            ("question", self.question_ids_, data.question_ids),
            ("skill", self.skill_ids_, data.skill_ids),
        ):
            if kind not in self._id_kinds or not fitted or not given:
                continue
            shared = min(len(fitted), len(given))
            if list(fitted[:shared]) != list(given[:shared]):
                first = next(i for i in range(shared) if fitted[i] != given[i])
                raise VocabularyMismatch(
                    f"{kind} index {first} is {given[first]!r} in the data but "
                    f"{fitted[first]!r} in the fitted model: encode both with one vocabulary "
                    "(KTSequences.subset keeps it)"
                )
        for seq in data:
            self._check_sequence(seq, data)

    def _check_sequence(self, seq: StudentSequence, data: KTSequences | None = None) -> None:
        n = len(seq)
        for name in ("questions", "skills"):
            if np.shape(getattr(seq, name)) != (n,):
                raise ValueError(f"student {seq.student}: {name} and correct differ in length")
        if n == 0:
            return
        for kind in self._id_kinds:
            values = seq.questions if kind == "question" else seq.skills
            known = self.n_questions_ if kind == "question" else self.n_skills_
            bad = (values < 0) | (values >= known)
            if bad.any():
                index = int(values[np.argmax(bad)])
                labels: Sequence[str] = ()
                if data is not None:
                    labels = data.question_ids if kind == "question" else data.skill_ids
                label = labels[index] if 0 <= index < len(labels) else ""
                raise UnknownIdError(seq.student, kind, index, known, label)


class KnowledgeTracer(VocabularyChecks, ABC):
    """Base of the tracers: scikit-learn parameters, the API, fitted-state and id checks."""

    # --- scikit-learn parameters -----------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}; has {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # --- the API ---------------------------------------------------------------------------

    @abstractmethod
    def fit(self, train: KTSequences, valid: KTSequences | None = None) -> Self:
        """Learn from ``train``; ``valid`` only steers early stopping where a model has it."""

    @abstractmethod
    def predict_proba(self, data: KTSequences) -> list[np.ndarray]:
        """Per student, float64 ``P(correct_t | responses < t)`` for t = 0..n-1."""

    @abstractmethod
    def mastery(self, seq: StudentSequence) -> np.ndarray:
        """float64 ``(n_skills,)``: P(skill mastered) after ``seq``'s whole history."""

    def _remember_vocabulary(self, train: KTSequences) -> None:
        if len(train) == 0:
            raise ValueError(f"{type(self).__name__}.fit: the training set has no students")
        self.n_questions_ = train.n_questions
        self.n_skills_ = train.n_skills
        self.question_ids_ = list(train.question_ids)
        self.skill_ids_ = list(train.skill_ids)


def skill_base_rates(train: KTSequences, pseudo_count: float = 5.0) -> np.ndarray:
    """Per skill, the share of correct responses, shrunk toward the overall share.

    The neural tracers' prior for a first response (they have no history to read yet) and a
    sensible floor for skills with few responses.
    """
    skills = np.concatenate([s.skills for s in train])
    correct = np.concatenate([s.correct for s in train]).astype(np.float64)
    overall = float(correct.mean())
    n = np.bincount(skills, minlength=train.n_skills).astype(np.float64)
    k = np.bincount(skills, weights=correct, minlength=train.n_skills)
    return np.asarray((k + pseudo_count * overall) / (n + pseudo_count), dtype=np.float64)
