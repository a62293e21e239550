"""`education.kt.predict`: a student's history in, what a tracer makes of it out.

The tracer is a file (shipped in the package, or trained here by ``education.kt.train``)
served without torch: neural tracers by ONNX Runtime, BKT and IRT by NumPy. Ids travel in
the user's own terms (the ids of the data the model was trained on), so every unknown id is
refused naming the response it sits in, before any model runs; a tracer's own refusals
(``UnknownIdError`` and kin) become the same 422.

Cost is bounded by the request: at most ``MAX_HISTORY`` responses, ``MAX_CANDIDATES``
candidates and ``MAX_TRAJECTORY_SKILLS`` mastery curves of at most ``TRAJECTORY_POINTS``
points. A model with a per-skill read-out (DKT) gives every curve and every candidate in
one pass; others are asked for mastery after sampled prefixes and run the history once per
candidate, so for them candidates times history is capped (``MAX_CANDIDATE_RESPONSES``):
IRT's online ability makes a run quadratic in its length.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from yangcheng.education.data.sequences import KTSequences, SequenceError, StudentSequence
from yangcheng.education.models.files import MODEL_NAME
from yangcheng.education.models.shipped import DEFAULT_MODEL
from yangcheng.education.service_kt_models import ServedModel, has_knowledge, served_model
from yangcheng.education.tracing import (
    NotFittedError,
    OnnxTracer,
    UnknownIdError,
    VocabularyMismatch,
)
from yangcheng.platform.catalog import Capability, InvalidInput

__all__ = [
    "CAPABILITIES",
    "MAX_HISTORY",
    "PredictRequest",
    "PredictResponse",
    "ResponseIn",
    "predict",
]

MAX_HISTORY = 2_000
MAX_CANDIDATES = 50
MAX_TRAJECTORY_SKILLS = 30
MAX_CANDIDATE_RESPONSES = 20_000
"""Candidates times history length, for models that run each candidate as a sequence."""
TRAJECTORY_POINTS = 201
"""Points per mastery curve at most: every step up to 200 responses, evenly spaced beyond."""
SAMPLED_POINTS = 51
"""Points per curve for models asked prefix by prefix (no per-skill read-out)."""
MAX_QUERY_RESPONSES = 200_000
"""Responses run for the curves of a graph without a per-skill read-out."""

# ---- request and response ---------------------------------------------------------------


class ResponseIn(BaseModel):
    """One answered question, ids as in the model's training data."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    skill_id: str = Field(min_length=1, max_length=64, description="The skill it exercises.")
    question_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The question; read by models that read questions (IRT), required by them "
        "unless the skills serve as questions; other models ignore it.",
    )
    correct: int = Field(ge=0, le=1, description="1: right at the first attempt; 0: wrong.")


class CandidateIn(BaseModel):
    """A question the student might be given next."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    skill_id: str = Field(min_length=1, max_length=64)
    question_id: str | None = Field(default=None, min_length=1, max_length=64)


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default=DEFAULT_MODEL,
        min_length=1,
        max_length=64,
        pattern=MODEL_NAME.pattern,
        description="A shipped model (kt-assist2015-dkt: real ASSISTments 2015 skill ids) or "
        "one trained by education.kt.train; education.kt.models lists them.",
    )
    history: list[ResponseIn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description=f"The student's responses, oldest first (at most {MAX_HISTORY}). Empty: "
        "a new student, answered with the model's priors.",
    )
    candidates: list[CandidateIn] = Field(
        default_factory=list,
        max_length=MAX_CANDIDATES,
        description="Questions to score as the student's next one.",
    )
    trajectory_skills: int = Field(
        default=8,
        ge=0,
        le=MAX_TRAJECTORY_SKILLS,
        description="Mastery curves to return: the most practised skills, then the candidates'.",
    )


class CandidateOut(BaseModel):
    skill_id: str
    question_id: str | None
    p_correct: float = Field(ge=0, le=1)


class SkillMastery(BaseModel):
    skill_id: str
    mastery: float = Field(ge=0, le=1)
    responses: int = Field(description="Responses on this skill in the history.")
    correct: int


class SkillTrajectory(BaseModel):
    skill_id: str
    mastery: list[float] = Field(description="At each of trajectory_steps.")


class PredictResponse(BaseModel):
    model: str
    tracer: str
    mastery_kind: Literal["p_known", "p_correct"] = Field(
        description="p_known: P(the skill is known) at its next practice (BKT); p_correct: "
        "P(a right answer) on the skill's next question (IRT, neural tracers)."
    )
    p_correct: list[float] = Field(
        description="Per history response: P(correct) the model gave it from the responses "
        "before it (the first from priors alone)."
    )
    candidates: list[CandidateOut]
    mastery: list[SkillMastery] = Field(description="Every skill of the model, after the history.")
    trajectory_steps: list[int] = Field(
        description="Responses seen at each curve point (0: before any)."
    )
    trajectory: list[SkillTrajectory]


# ---- prediction -------------------------------------------------------------------------


def _index(
    model: ServedModel, where: str, skill_id: str, question_id: str | None
) -> tuple[int, int]:
    skill = model.skill_index.get(skill_id)
    if skill is None:
        shown = ", ".join(repr(s) for s in model.skill_ids[:5])
        raise InvalidInput(
            f"{where}.skill_id",
            f"{skill_id!r} is not a skill of model {model.name} (it knows "
            f"{len(model.skill_ids)} skills: {shown}{', ...' if len(model.skill_ids) > 5 else ''})",
        )
    if question_id is not None:
        question = model.question_index.get(question_id)
        if question is not None:
            return question, skill
        if model.reads_questions:
            raise InvalidInput(
                f"{where}.question_id",
                f"{question_id!r} is not a question of model {model.name} ({model.tracer_name} "
                f"reads questions; it knows {len(model.question_ids)})",
            )
    if model.default_question is None:
        raise InvalidInput(
            f"{where}.question_id",
            f"required: model {model.name} ({model.tracer_name}) predicts per question",
        )
    return int(model.default_question[skill]), skill


def _sequence(
    name: str, questions: list[int], skills: list[int], correct: list[int]
) -> StudentSequence:
    return StudentSequence(
        name,
        np.asarray(questions, dtype=np.int64),
        np.asarray(skills, dtype=np.int64),
        np.asarray(correct, dtype=np.int8),
    )


def _dataset(model: ServedModel, sequences: list[StudentSequence]) -> KTSequences:
    tracer = model.tracer
    return KTSequences(
        sequences,
        tracer.n_questions_,
        tracer.n_skills_,
        list(tracer.question_ids_),
        list(tracer.skill_ids_),
        name="request",
    )


def _steps(n: int, points: int) -> np.ndarray:
    if n + 1 <= points:
        return np.arange(n + 1)
    return np.unique(np.round(np.linspace(0, n, points)).astype(np.int64))


def _trajectory(
    model: ServedModel, seq: StudentSequence, skills: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, curves)``: mastery of ``skills`` (rows) after ``steps`` responses (columns)."""
    tracer = model.tracer
    if isinstance(tracer, OnnxTracer):
        if has_knowledge(tracer):
            return _read_out_trajectory(tracer, seq, skills)
        return _queried_trajectory(model, seq, skills)
    # NumPy tracers: mastery after a prefix costs one pass over it
    steps = _steps(len(seq), SAMPLED_POINTS)
    curves = np.empty((len(skills), len(steps)))
    for j, step in enumerate(steps.tolist()):
        curves[:, j] = tracer.mastery(_prefix(seq, step))[skills]
    return steps, curves


def _read_out_trajectory(
    tracer: OnnxTracer, seq: StudentSequence, skills: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One run of the graph gives every skill after every step (DKT's ``knowledge``)."""
    n = len(seq)
    steps = _steps(n, TRAJECTORY_POINTS)
    curves = np.empty((len(skills), len(steps)))
    curves[:, steps == 0] = tracer.mastery(_prefix(seq, 0))[skills, None]
    if n and len(skills):
        given = {"questions": seq.questions, "skills": seq.skills, "correct": seq.correct}
        feed = {
            i.name: np.asarray(given[i.name], np.int64)[None] for i in tracer.session.get_inputs()
        }
        (state,) = tracer.session.run(["knowledge"], feed)
        later = steps > 0
        curves[:, later] = np.asarray(state[0], np.float64)[steps[later] - 1][:, skills].T
    return steps, curves


def _queried_trajectory(
    model: ServedModel, seq: StudentSequence, skills: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A graph without a per-skill read-out (attention tracers) is asked, after each sampled
    prefix, about each curve's skill (its representative question), as its ``mastery`` is;
    only the curves' skills are asked, and fewer prefixes when the history is long, so the
    responses run stay under ``MAX_QUERY_RESPONSES``."""
    n = len(seq)
    points = SAMPLED_POINTS
    while points > 2 and len(skills) * int((_steps(n, points) + 1).sum()) > MAX_QUERY_RESPONSES:
        points -= 1
    steps = _steps(n, points)
    if not len(skills):
        return steps, np.empty((0, len(steps)))
    questions = model.default_question
    rows = [
        _sequence(
            f"query{step}-{k}",
            [*seq.questions[:step].tolist(), int(questions[k]) if questions is not None else 0],
            [*seq.skills[:step].tolist(), int(k)],
            [*seq.correct[:step].tolist(), 0],
        )
        for step in steps.tolist()
        for k in skills.tolist()
    ]
    last = [p[-1] for p in model.tracer.predict_proba(_dataset(model, rows))]
    return steps, np.asarray(last, dtype=np.float64).reshape(len(steps), len(skills)).T


def _prefix(seq: StudentSequence, n: int) -> StudentSequence:
    return StudentSequence(seq.student, seq.questions[:n], seq.skills[:n], seq.correct[:n])


def _chosen_skills(seq: StudentSequence, candidates: list[int], limit: int) -> list[int]:
    """The most practised skills (ties: first practised first), then candidates' skills."""
    skills = seq.skills.tolist()
    counts: dict[int, int] = {}
    for s in skills:
        counts[s] = counts.get(s, 0) + 1
    first = {s: skills.index(s) for s in counts}
    chosen = sorted(counts, key=lambda s: (-counts[s], first[s]))
    chosen += [s for s in dict.fromkeys(candidates) if s not in counts]
    return chosen[:limit]


def _round(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in np.clip(values, 0.0, 1.0)]


def _check_candidate_budget(candidates: int, history: int) -> None:
    """Each candidate is one more run over the whole history: bound their product."""
    cost = candidates * (history + 1)
    if cost > MAX_CANDIDATE_RESPONSES:
        fits = max(1, MAX_CANDIDATE_RESPONSES // (history + 1))
        raise InvalidInput(
            "candidates",
            f"{candidates} candidates after {history} responses means running "
            f"{cost:,} responses; at most {MAX_CANDIDATE_RESPONSES:,} are run per request with "
            f"this model ({fits} candidates for this history): send them in several requests",
        )


def _candidates(
    model: ServedModel, seq: StudentSequence, asked: list[tuple[int, int]], now: np.ndarray
) -> list[float]:
    """P(correct) on each candidate as the next response.

    A skill-only model with a per-skill read-out (DKT) has them all in ``now``: its
    prediction for a next response on skill k is its read-out at k. Others run the history
    with each candidate appended (its ``correct`` is never read: tracers are causal).
    """
    if not asked:
        return []
    if model.reads_out_skills:
        return [float(now[s]) for _, s in asked]
    questions, skills, correct = (a.tolist() for a in (seq.questions, seq.skills, seq.correct))
    rows = [
        _sequence(f"candidate{i}", [*questions, q], [*skills, s], [*correct, 0])
        for i, (q, s) in enumerate(asked)
    ]
    return [float(p[-1]) for p in model.tracer.predict_proba(_dataset(model, rows))]


def predict(req: PredictRequest) -> PredictResponse:
    model = served_model(req.model)
    history = [
        _index(model, f"history.{i}", r.skill_id, r.question_id) for i, r in enumerate(req.history)
    ]
    asked = [
        _index(model, f"candidates.{i}", c.skill_id, c.question_id)
        for i, c in enumerate(req.candidates)
    ]
    questions = [q for q, _ in history]
    skills = [s for _, s in history]
    correct = [r.correct for r in req.history]
    seq = _sequence("student", questions, skills, correct)
    tracer = model.tracer
    if asked and not model.reads_out_skills:
        _check_candidate_budget(len(asked), len(history))
    try:
        p_correct = tracer.predict_proba(_dataset(model, [seq]))[0] if history else np.zeros(0)
        now = tracer.mastery(seq)
        next_p = _candidates(model, seq, asked, now)
        chosen = np.asarray(
            _chosen_skills(seq, [s for _, s in asked], req.trajectory_skills), dtype=np.int64
        )
        steps, curves = _trajectory(model, seq, chosen)
    except (UnknownIdError, VocabularyMismatch, SequenceError) as exc:
        raise InvalidInput("history", str(exc)) from None
    except NotFittedError as exc:
        raise InvalidInput("model", str(exc)) from None
    practised = np.bincount(seq.skills, minlength=len(model.skill_ids))
    right = np.bincount(seq.skills, weights=seq.correct, minlength=len(model.skill_ids))
    mastery = _round(now)
    return PredictResponse(
        model=model.name,
        tracer=model.tracer_name,
        mastery_kind="p_known" if model.tracer_name == "BKT" else "p_correct",
        p_correct=_round(p_correct),
        candidates=[
            CandidateOut(skill_id=c.skill_id, question_id=c.question_id, p_correct=round(p, 6))
            for c, p in zip(req.candidates, next_p, strict=True)
        ],
        mastery=[
            SkillMastery(
                skill_id=skill_id,
                mastery=mastery[k],
                responses=int(practised[k]),
                correct=int(right[k]),
            )
            for k, skill_id in enumerate(model.skill_ids)
        ],
        trajectory_steps=[int(s) for s in steps],
        trajectory=[
            SkillTrajectory(skill_id=model.skill_ids[k], mastery=_round(curves[row]))
            for row, k in enumerate(chosen.tolist())
        ],
    )


_GROUP = "education"
_HISTORY_EXAMPLE = [
    {"skill_id": s, "correct": c}
    for s, c in [("8", 0), ("8", 1), ("8", 1), ("8", 1), ("61", 0), ("61", 0), ("61", 1)]
]
CAPABILITIES = (
    Capability(
        name="education.kt.predict",
        version="1.0.0",
        group=_GROUP,
        summary="Knowledge tracing: P(correct) per response and next question, mastery curves",
        description="Runs a knowledge tracer over one student's history (question, skill, "
        "right or wrong; oldest first): the P(correct) the model gave each response before "
        "seeing it, P(correct) for candidate next questions, every skill's mastery now and "
        "the mastery curves of the skills practised most. The default model is a DKT trained "
        "on the real ASSISTments 2015 data (skill ids 1-100 as in that dataset), served by ONNX "
        "Runtime. An empty history gives the model's priors. Unknown ids are refused naming "
        "the response (history.N.skill_id).",
        request_model=PredictRequest,
        response_model=PredictResponse,
        handler=predict,
        examples=(
            {"history": _HISTORY_EXAMPLE, "candidates": [{"skill_id": "8"}, {"skill_id": "61"}]},
            {"history": [], "candidates": [{"skill_id": "22"}]},
        ),
    ),
)
