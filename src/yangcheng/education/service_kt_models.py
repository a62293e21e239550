"""Which knowledge-tracing models this installation serves, loaded once each.

A model is named by its file stem: the shipped ones (package ``artifacts/``) first, then
those ``education.kt.train`` saved under the platform's data folder. Loading an ONNX graph
takes longer than a prediction, so loaded models are kept (a few, least recently used
dropped), keyed by file and modification time so a retrained model of the same name is
picked up. ``education.kt.models`` lists them with their cards' figures.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from yangcheng.config import Settings
from yangcheng.education.models.files import (
    MODEL_NAME,
    ModelFileError,
    Tracer,
    load_tracer,
    model_path,
    read_card,
)
from yangcheng.education.models.shipped import ARTIFACTS_DIR, shipped_models
from yangcheng.education.tracing import OnnxTracer
from yangcheng.platform.catalog import Capability, InvalidInput

__all__ = [
    "CAPABILITIES",
    "ModelsResponse",
    "ServedModel",
    "configure",
    "list_models",
    "models_folder",
    "served_model",
]

_home: Path | None = None
_cache: OrderedDict[tuple[str, int], ServedModel] = OrderedDict()
_lock = threading.Lock()
_CACHED = 8


def configure(home: Path) -> None:
    global _home
    _home = Path(home)
    with _lock:
        _cache.clear()


def models_folder() -> Path:
    """Where ``education.kt.train`` saves models of this installation."""
    return (_home or Settings().home) / "education" / "kt-models"


# ---- models, loaded once ----------------------------------------------------------------


@dataclass(frozen=True)
class ServedModel:
    """A loaded tracer and what requests are checked against."""

    name: str
    path: Path
    tracer: Tracer
    card: dict[str, Any]
    skill_ids: list[str]
    question_ids: list[str]
    skill_index: dict[str, int]
    question_index: dict[str, int]
    reads_questions: bool
    default_question: np.ndarray | None
    """Per skill, the question a response without ``question_id`` is taken to be (None: the
    model reads questions and has no such default, so ``question_id`` is required)."""

    @property
    def reads_out_skills(self) -> bool:
        """An ONNX graph with a per-skill read-out that reads skills only (DKT): one pass
        gives P(correct) on every skill at every step."""
        tracer = self.tracer
        return isinstance(tracer, OnnxTracer) and not self.reads_questions and has_knowledge(tracer)

    @property
    def tracer_name(self) -> str:
        return str(getattr(self.tracer, "tracer", type(self.tracer).__name__))


def has_knowledge(tracer: OnnxTracer) -> bool:
    """Whether the graph reads out every skill per step (DKT), not only the next response."""
    return "knowledge" in [o.name for o in tracer.session.get_outputs()]


def _locate(name: str) -> Path:
    if not MODEL_NAME.fullmatch(name):
        raise InvalidInput("model", f"{name!r} is not a model name (a-z, 0-9, '.', '_', '-')")
    path = model_path(ARTIFACTS_DIR, name) or model_path(models_folder(), name)
    if path is None:
        trained = sorted(p.stem for p in models_folder().glob("*.json"))
        raise InvalidInput(
            "model",
            f"no model {name!r}; shipped: {', '.join(shipped_models()) or 'none'}; trained "
            f"here: {', '.join(trained[:20]) or 'none'} (education.kt.train makes more)",
        )
    return path


def _ids(given: Sequence[str], n: int) -> list[str]:
    return list(given) if given else [str(i) for i in range(n)]


def served_model(name: str) -> ServedModel:
    """The model ``name`` (shipped first, then trained here), loaded once per file version."""
    path = _locate(name)
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except FileNotFoundError:  # removed since it was found
        raise InvalidInput("model", f"model {name!r} was just removed") from None
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        tracer = load_tracer(path)
        card = read_card(path)
    except ModelFileError as exc:
        raise InvalidInput("model", str(exc)) from None
    skill_ids = _ids(tracer.skill_ids_, tracer.n_skills_)
    question_ids = _ids(tracer.question_ids_, tracer.n_questions_)
    reads_questions = "question" in tracer._id_kinds
    default_question: np.ndarray | None = None
    representative = getattr(tracer, "skill_question_", None)
    if question_ids == skill_ids:  # skills serve as questions (3-line data)
        default_question = np.arange(len(skill_ids), dtype=np.int64)
    elif representative is not None:
        default_question = np.asarray(representative, dtype=np.int64)
    elif not reads_questions:
        default_question = np.zeros(len(skill_ids), dtype=np.int64)
    served = ServedModel(
        name=name,
        path=path,
        tracer=tracer,
        card=card,
        skill_ids=skill_ids,
        question_ids=question_ids,
        skill_index={s: i for i, s in enumerate(skill_ids)},
        question_index={q: i for i, q in enumerate(question_ids)},
        reads_questions=reads_questions,
        default_question=default_question,
    )
    with _lock:
        _cache[key] = served
        while len(_cache) > _CACHED:
            _cache.popitem(last=False)
    return served


# ---- education.kt.models ----------------------------------------------------------------


class ModelsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=100, ge=1, le=1000)


class ModelOut(BaseModel):
    name: str
    shipped: bool
    tracer: str
    skills: int | None
    metrics: dict[str, float]
    training_data: str
    licence: str
    created_at: AwareDatetime | None = Field(description="When it was trained (cards that say).")


class ModelsResponse(BaseModel):
    models: list[ModelOut]


def _model_out(path: Path, shipped: bool) -> ModelOut | None:
    try:
        card = read_card(path)
    except ModelFileError:
        return None
    metrics = {
        k: float(v) for k, v in card.get("metrics", {}).items() if isinstance(v, int | float)
    }
    skills = card.get("data", {}).get("skills")
    return ModelOut(
        name=path.stem,
        shipped=shipped,
        tracer=str(card.get("tracer", "")),
        skills=int(skills) if isinstance(skills, int) else None,
        metrics=metrics,
        training_data=str(card.get("training_data", "")),
        licence=str(card.get("licence", "")),
        created_at=_moment(card.get("created_at")),
    )


def _moment(value: Any) -> datetime | None:
    """A card's time when it is an ISO time with a zone (RFC 3339 out), else None."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def list_models(req: ModelsRequest) -> ModelsResponse:
    found: list[ModelOut] = []
    for folder, shipped in ((ARTIFACTS_DIR, True), (models_folder(), False)):
        for name in sorted({p.stem for p in folder.glob("*.json")}):
            path = model_path(folder, name) if MODEL_NAME.fullmatch(name) else None
            out = _model_out(path, shipped) if path is not None else None
            if out is not None:
                found.append(out)
    return ModelsResponse(models=found[: req.limit])


CAPABILITIES = (
    Capability(
        name="education.kt.models",
        version="1.0.0",
        group="education",
        summary="Knowledge-tracing models to predict with: shipped and trained here",
        request_model=ModelsRequest,
        response_model=ModelsResponse,
        handler=list_models,
        examples=({"limit": 20},),
    ),
)
