"""`education.kt.train`: fit a tracer on a generated or uploaded dataset, score it, keep it.

Runs as a platform job (a DKT on a large preset takes minutes). Students, not responses,
are split into train / validation / test (so nobody's future leaks into training), each side
windowed as pyKT does; neural tracers stop early on the validation students. The AUC and
accuracy reported are on the held-out test students, scored as pyKT scores (responses at
t >= 1). The model is then saved under the platform's data folder, where
``education.kt.predict`` finds it by ``name``.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from yangcheng.education.data.formats import SequenceFileError, read_sequence_file
from yangcheng.education.data.presets import PRESETS, generate_dataset
from yangcheng.education.data.sequences import KTSequences, SequenceError
from yangcheng.education.data.splits import windows
from yangcheng.education.models.files import MODEL_NAME, model_path, save_tracer
from yangcheng.education.models.shipped import ARTIFACTS_DIR
from yangcheng.education.models.tracers import TRACERS, make_tracer
from yangcheng.education.service_kt_models import models_folder
from yangcheng.education.tracing import evaluate
from yangcheng.platform.catalog import Capability, InvalidInput

__all__ = ["CAPABILITIES", "TrainRequest", "TrainResponse", "train"]

MAX_FILE_CHARS = 4_000_000
"""An uploaded sequence file, at most (ASSIST2015's training fold is 2.1 MB)."""
MAX_SKILLS = 2_000
MAX_QUESTIONS = 50_000
MIN_STUDENTS = 10
MAX_SEED = 2**31 - 1
DEFAULT_PRESET = "sim-tiny"
SHOWN_IDS = 20


class TrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tracer: str = Field(
        default="BKT",
        json_schema_extra={"enum": list(TRACERS)},
        description="; ".join(f"{k}: {v}" for k, v in TRACERS.items()),
    )
    preset: str | None = Field(
        default=None,
        json_schema_extra={"enum": [*PRESETS, None]},
        description=f"A generated dataset (yangcheng.education.data presets); {DEFAULT_PRESET} "
        "when no sequence_file is given.",
    )
    sequence_file: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_FILE_CHARS,
        description="Instead of a preset: the text of a sequence file (pyKT/AKT layout: 3 lines "
        "per student: header, skill ids, 0/1 responses; or 4: header, question ids, skill ids, "
        "responses; or pyKT's 6).",
    )
    layout: Literal["auto", "3", "4", "6"] = Field(
        default="auto", description="Lines per student in sequence_file (auto: tell apart)."
    )
    seed: int = Field(
        default=0, ge=0, le=MAX_SEED, description="Generates the preset, splits, starts weights."
    )
    test_fraction: float = Field(default=0.2, ge=0.05, le=0.5, description="Students held out.")
    valid_fraction: float = Field(
        default=0.1, ge=0.0, le=0.4, description="Students for early stopping (neural tracers)."
    )
    max_epochs: int = Field(default=10, ge=1, le=100, description="Neural tracers only.")
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=MODEL_NAME.pattern,
        description="The model's id for education.kt.predict; default kt-<tracer>-<8 hex>.",
    )
    overwrite: bool = Field(default=False, description="Replace a model of that name.")

    @field_validator("tracer")
    @classmethod
    def _known_tracer(cls, value: str) -> str:
        if value not in TRACERS:
            raise ValueError(f"unknown tracer {value!r}; trainable: {', '.join(TRACERS)}")
        return value

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str | None) -> str | None:
        if value is not None and value not in PRESETS:
            raise ValueError(f"unknown preset {value!r}; presets: {', '.join(PRESETS)}")
        return value

    @field_validator("sequence_file")
    @classmethod
    def _one_source(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("preset") is not None:
            raise ValueError("give a preset or a sequence_file, not both")
        return value


class SplitOut(BaseModel):
    students: int
    sequences: int = Field(description="After cutting histories into windows of 200.")
    responses: int


class TrainResponse(BaseModel):
    model: str = Field(description="Give it as `model` to education.kt.predict.")
    tracer: str
    dataset: str
    skills: int
    questions: int
    skill_ids: list[str] = Field(description=f"The first {SHOWN_IDS} skill ids the model knows.")
    train: SplitOut
    valid: SplitOut
    test: SplitOut
    test_auc: float
    test_accuracy: float
    test_responses: int = Field(description="Responses scored (t >= 1 of each test window).")
    epochs: int | None = Field(description="Epochs run (neural tracers).")
    fit_s: float
    artifact: str
    trained_at: AwareDatetime


def _source_field(req: TrainRequest) -> str:
    return "sequence_file" if req.sequence_file is not None else "preset"


def _load(req: TrainRequest) -> tuple[KTSequences, str]:
    """The sequences, and the terms they (so the model trained on them) come under."""
    if req.sequence_file is None:
        generated = generate_dataset(req.preset or DEFAULT_PRESET, req.seed)
        return generated.sequences, generated.card.licence
    with tempfile.TemporaryDirectory(prefix="yc-kt-") as folder:
        path = Path(folder) / "upload.txt"
        path.write_text(req.sequence_file, encoding="utf-8")
        try:
            data = read_sequence_file(path, req.layout, name="upload")
        except SequenceFileError as exc:
            where = "" if exc.line is None else f"line {exc.line}: "
            raise InvalidInput("sequence_file", where + exc.reason) from None
        except SequenceError as exc:
            raise InvalidInput("sequence_file", str(exc)) from None
    return data, "the terms of the uploaded data (not recorded here)"


def _check_size(req: TrainRequest, data: KTSequences) -> None:
    field = _source_field(req)
    if len(data) < MIN_STUDENTS:
        raise InvalidInput(field, f"{len(data)} students; training and testing need {MIN_STUDENTS}")
    if data.n_skills > MAX_SKILLS:
        raise InvalidInput(field, f"{data.n_skills} skills; at most {MAX_SKILLS} are served")
    if data.n_questions > MAX_QUESTIONS:
        raise InvalidInput(
            field, f"{data.n_questions} questions; at most {MAX_QUESTIONS} are served"
        )


def _split(
    req: TrainRequest, data: KTSequences
) -> tuple[KTSequences, KTSequences, KTSequences, dict[str, int]]:
    """Students shuffled by ``seed``: test first, then validation, the rest trains."""
    order = np.random.default_rng(req.seed).permutation(len(data))
    n_test = max(1, round(req.test_fraction * len(data)))
    n_valid = round(req.valid_fraction * len(data))
    parts = {
        "test": np.sort(order[:n_test]),
        "valid": np.sort(order[n_test : n_test + n_valid]),
        "train": np.sort(order[n_test + n_valid :]),
    }
    students = {k: len(v) for k, v in parts.items()}
    train, valid, test = (
        windows(data.subset(parts[k].tolist())) for k in ("train", "valid", "test")
    )
    if len(train) == 0 or len(test) == 0:
        raise InvalidInput(
            _source_field(req), "no training or test student has 3 responses (pyKT's minimum)"
        )
    return train, valid, test, students


def _name(req: TrainRequest) -> str:
    name = req.name or f"kt-{req.tracer.lower()}-{uuid.uuid4().hex[:8]}"
    _check_free(req, name)
    return name


def _check_free(req: TrainRequest, name: str) -> None:
    if model_path(ARTIFACTS_DIR, name) is not None:
        raise InvalidInput("name", f"{name!r} is a shipped model; choose another name")
    if not req.overwrite and model_path(models_folder(), name) is not None:
        raise InvalidInput("name", f"a model {name!r} exists; choose another or set overwrite")


def train(req: TrainRequest) -> TrainResponse:
    name = _name(req)
    data, licence = _load(req)
    _check_size(req, data)
    train_set, valid_set, test_set, students = _split(req, data)
    model = make_tracer(req.tracer, max_epochs=req.max_epochs, seed=req.seed, threads=1)
    started = time.perf_counter()
    try:
        model.fit(train_set, valid_set if len(valid_set) else None)
        fit_s = time.perf_counter() - started
        scores = evaluate(model, test_set)
    except ValueError as exc:  # too little data to fit or score (e.g. one class in test)
        raise InvalidInput(_source_field(req), str(exc)) from None
    trained_at = datetime.now(UTC)
    history = getattr(model, "history_", None)
    splits = {
        key: SplitOut(students=students[key], sequences=len(part), responses=part.interactions)
        for key, part in (("train", train_set), ("valid", valid_set), ("test", test_set))
    }
    dataset = "upload" if req.sequence_file is not None else req.preset or DEFAULT_PRESET
    card: dict[str, Any] = {
        "name": name,
        "version": "1",
        "task": "knowledge tracing: P(correct) of a student's next response, per-skill mastery",
        "description": f"{req.tracer} trained by education.kt.train on {dataset}.",
        "licence": licence,
        "training_data": (
            f"generated preset {dataset} (seed {req.seed})"
            if req.sequence_file is None
            else f"an uploaded sequence file ({len(data)} students)"
        ),
        "metrics": {
            "test_auc": round(scores.auc, 4),
            "test_accuracy": round(scores.accuracy, 4),
            "test_responses": scores.n_responses,
        },
        "limitations": "Knows the ids of its training data only.",
        "tracer": req.tracer,
        "params": {k: str(v) for k, v in model.get_params().items()},
        "seed": req.seed,
        "data": {"skills": data.n_skills, "questions": data.n_questions, **students},
        "created_at": trained_at.isoformat(timespec="seconds"),
    }
    _check_free(req, name)  # again: another job may have taken the name while this one trained
    path = save_tracer(model, models_folder(), name, card)
    return TrainResponse(
        model=name,
        tracer=req.tracer,
        dataset=dataset,
        skills=data.n_skills,
        questions=data.n_questions,
        skill_ids=list(data.skill_ids[:SHOWN_IDS])
        or [str(i) for i in range(min(data.n_skills, SHOWN_IDS))],
        train=splits["train"],
        valid=splits["valid"],
        test=splits["test"],
        test_auc=scores.auc,
        test_accuracy=scores.accuracy,
        test_responses=scores.n_responses,
        epochs=len(history) if history is not None else None,
        fit_s=round(fit_s, 3),
        artifact=path.name,
        trained_at=trained_at,
    )


CAPABILITIES = (
    Capability(
        name="education.kt.train",
        version="1.0.0",
        group="education",
        summary="Train a knowledge tracer (BKT, IRT, DKT) and keep it for education.kt.predict",
        description="Fits the tracer on a generated preset or an uploaded sequence file, "
        "students split into train / validation / test, and reports next-response AUC and "
        "accuracy on the held-out students. The model is saved under the platform's data "
        "folder (ONNX for neural tracers) and predicted with by its name. Runs as a job.",
        request_model=TrainRequest,
        response_model=TrainResponse,
        handler=train,
        jobs_only=True,
        examples=(
            {"tracer": "BKT", "preset": "sim-tiny", "seed": 0},
            {"tracer": "DKT", "preset": "sim-tiny", "seed": 0, "max_epochs": 5},
        ),
    ),
)
