"""`education.recommend`: the next resources for a student, and the page that compares models.

The demo catalogue is the ``sim-small`` curriculum's (20 skills; its 200 questions as
exercises, and 3 videos and 2 documents per skill) with simulated students' interactions. Four
recommenders are fitted on the interactions before a time cut: popularity over the last
week, implicit ALS, the knowledge-state-aware recommender (BKT mastery plus the prerequisite
DAG: skills whose prerequisites are mastered come first) and the hybrid of the last two.
The page puts their Recall@20 / NDCG@20 after the cut side by side, because in education
data popularity is hard to beat and a user should see by how much each model does.

A client that keeps its own history (an app, a tutor) sends it instead of a demo student id:
the knowledge-aware models trace it live (BKT, well under a millisecond for hundreds of
responses) and rank from that state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from yangcheng.education.recommend import (
    ALS,
    Hybrid,
    KnowledgeAware,
    Popularity,
    Recommender,
    evaluate,
    simulate_interactions,
    time_split,
    top_k,
)
from yangcheng.platform.catalog import Capability, DashboardPage, InvalidInput
from yangcheng.platform.panels import Dashboard, Table, Tile

__all__ = ["CAPABILITIES", "DASHBOARD", "RecommendRequest", "RecommendResponse", "recommend"]

PRESET = "sim-small"
MODELS = ("knowledge", "hybrid", "als", "popularity")
ModelName = Literal["knowledge", "hybrid", "als", "popularity"]
MAX_HISTORY = 5_000
MAX_K = 50
_WEEK_S = 7 * 86_400.0
_TIERS = {2: "frontier", 1: "review", 0: "blocked"}


@dataclass(frozen=True)
class _Demo:
    resources: pd.DataFrame
    by_id: dict[str, int]
    models: dict[str, Recommender]
    train: pd.DataFrame
    students: list[str]
    evaluation: dict[str, dict[str, Any]]
    cut_s: float


@lru_cache(maxsize=1)
def _demo() -> _Demo:
    data = simulate_interactions(PRESET, seed=0)
    split = time_split(data.interactions, test_fraction=0.2)
    models: dict[str, Recommender] = {
        "knowledge": KnowledgeAware(data.resources, data.prerequisites, data.skill_ids),
        "hybrid": Hybrid(
            KnowledgeAware(data.resources, data.prerequisites, data.skill_ids),
            Popularity(window_s=_WEEK_S),
        ),
        "als": ALS(seed=0, iterations=10),
        "popularity": Popularity(window_s=_WEEK_S),
    }
    for model in models.values():
        model.fit(split.train)
    evaluation = evaluate(models, split, k=20, n_bootstrap=200, seed=0)
    resources = data.resources.reset_index(drop=True)
    by_id = {r: i for i, r in enumerate(resources["resource_id"])}
    students = sorted(split.targets())
    return _Demo(resources, by_id, models, split.train, students, evaluation, split.cut_s)


class HistoryItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_id: str = Field(min_length=1, max_length=32, description="e.g. r000012")
    timestamp: float = Field(ge=0, le=4e9, description="Seconds since the epoch.")
    correct: int | None = Field(
        default=None, ge=0, le=1, description="For exercises: 1 right, 0 wrong."
    )


class RecommendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: ModelName = Field(
        default="knowledge",
        description="knowledge: frontier skills first (BKT + prerequisites); hybrid: its "
        "tiers ranked by recent popularity; als: implicit ALS; popularity: last week's.",
    )
    student_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="A demo student (default: the first one scored after the time cut).",
    )
    history: list[HistoryItem] | None = Field(
        default=None,
        max_length=MAX_HISTORY,
        description="Instead of a demo student: the student's own interactions with the "
        "catalogue (knowledge and hybrid only; the others know only fitted students).",
    )
    k: int = Field(default=10, ge=1, le=MAX_K)


class Recommendation(BaseModel):
    resource_id: str
    kind: str
    skill_id: str
    item_id: str = Field(description="The question id of an exercise; '' otherwise.")
    tier: str | None = Field(
        description="frontier (ready to learn), review (mastered) or blocked (a prerequisite "
        "not mastered); knowledge and hybrid only."
    )
    mastery: float | None = Field(description="P(known) of the resource's skill (BKT).")


class RecommendResponse(BaseModel):
    model: str
    student: str
    items: list[Recommendation]
    frontier_skills: list[str] = Field(
        description="Skills not mastered whose prerequisites are (knowledge and hybrid)."
    )
    latency_ms: float


def _history_frame(req: RecommendRequest, demo: _Demo) -> pd.DataFrame:
    assert req.history is not None
    for i, item in enumerate(req.history):
        if item.resource_id not in demo.by_id:
            raise InvalidInput(
                f"history[{i}].resource_id",
                f"{item.resource_id!r} is not in the catalogue ({len(demo.by_id)} resources, "
                f"r000000..r{len(demo.by_id) - 1:06d})",
            )
    return pd.DataFrame(
        {
            "resource_id": [h.resource_id for h in req.history],
            "timestamp": [h.timestamp for h in req.history],
            "correct": [np.nan if h.correct is None else float(h.correct) for h in req.history],
        }
    )


def recommend(req: RecommendRequest) -> RecommendResponse:
    demo = _demo()
    started = time.perf_counter()
    model = demo.models[req.model]
    knowledge = model if isinstance(model, KnowledgeAware) else None
    if isinstance(model, Hybrid):
        knowledge = model.knowledge
    if req.history is not None:
        if req.student_id is not None:
            raise InvalidInput("history", "give a student_id or a history, not both")
        if knowledge is None:
            raise InvalidInput(
                "model",
                f"{req.model} knows only the students it was fitted on: give a history "
                "to knowledge or hybrid, or a student_id",
            )
        frame = _history_frame(req, demo)
        mastery = knowledge.mastery_of(frame)
        focus = knowledge.focus_of(frame)
        seen = frame["resource_id"].tolist()
        if isinstance(model, Hybrid):
            assert isinstance(model.base, Popularity)
            scores = model.scores_from_state(mastery, focus, model.base.popularity_)
            exclude = np.array([model._resource_index[r] for r in seen], dtype=np.int64)
            chosen = [str(model.resource_ids_[i]) for i in top_k(scores, req.k, exclude)]
        else:
            chosen = knowledge.recommend_from_state(mastery, req.k, seen=seen, focus=focus)
        student = "the given history"
    else:
        student = req.student_id or demo.students[0]
        if student not in demo.students and student not in set(demo.train["student_id"]):
            raise InvalidInput(
                "student_id",
                f"no demo student {student!r} ({len(demo.students)} scored after the cut, "
                f"e.g. {demo.students[0]})",
            )
        chosen = model.recommend(student, req.k)
        mastery = None
        if knowledge is not None:
            row = knowledge._row(student)
            mastery = knowledge.mastery_[row] if row >= 0 else knowledge.prior_mastery_
    latency_ms = (time.perf_counter() - started) * 1e3
    tiers = knowledge.tiers(mastery) if knowledge is not None and mastery is not None else None
    skills = knowledge.skill_ids_ if knowledge is not None else []
    skill_index = {s: i for i, s in enumerate(skills)}
    items = []
    for rid in chosen:
        row = demo.resources.iloc[demo.by_id[rid]]
        s = skill_index.get(str(row["skill_id"]), -1)
        items.append(
            Recommendation(
                resource_id=rid,
                kind=str(row["kind"]),
                skill_id=str(row["skill_id"]),
                item_id=str(row["item_id"]),
                tier=None if tiers is None or s < 0 else _TIERS[int(tiers[s])],
                mastery=None if mastery is None or s < 0 else round(float(mastery[s]), 4),
            )
        )
    frontier = [] if tiers is None else [skills[i] for i in np.flatnonzero(tiers == 2)]
    return RecommendResponse(
        model=req.model,
        student=student,
        items=items,
        frontier_skills=frontier,
        latency_ms=round(latency_ms, 3),
    )


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    student_id: str | None = Field(default=None, min_length=1, max_length=32)


class CompareResponse(BaseModel):
    dashboard: Dashboard


def compare(req: CompareRequest) -> CompareResponse:
    demo = _demo()
    student = req.student_id or demo.students[0]
    answers = {m: recommend(RecommendRequest(model=m, student_id=student, k=10)) for m in MODELS}
    rows: list[list[float | int | str | None]] = []
    for rank in range(10):
        row: list[float | int | str | None] = [rank + 1]
        for m in MODELS:
            items = answers[m].items
            if rank < len(items):
                it = items[rank]
                tier = f" ({it.tier})" if it.tier else ""
                row.append(f"{it.resource_id} {it.kind} {it.skill_id}{tier}")
            else:
                row.append(None)
        rows.append(row)
    metrics: list[list[float | int | str | None]] = []
    for m in MODELS:
        e = demo.evaluation[m]
        metrics.append(
            [
                m,
                round(e["recall"]["mean"], 3),
                f"{e['recall']['low']:.3f} to {e['recall']['high']:.3f}",
                round(e["ndcg"]["mean"], 3),
                round(e["hit_rate"]["mean"], 3),
                round(e["coverage"], 3),
            ]
        )
    best = max(MODELS, key=lambda m: demo.evaluation[m]["recall"]["mean"])
    knowledge = answers["knowledge"]
    dashboard = Dashboard(
        title=f"Recommendations for {student}",
        generated_at=time.time(),
        tiles=[
            Tile(label="Resources", value=len(demo.resources), hint=f"{PRESET} catalogue"),
            Tile(label="Students scored", value=len(demo.students), hint="active after the cut"),
            Tile(
                label="Frontier skills",
                value=len(knowledge.frontier_skills),
                hint=", ".join(knowledge.frontier_skills),
            ),
            Tile(label="Best Recall@20", value=best, hint="on the interactions after the cut"),
            Tile(label="Latency", value=knowledge.latency_ms, unit="ms", hint="knowledge model"),
        ],
        tables=[
            Table(title="Top 10 per model", columns=["rank", *MODELS], rows=rows),
            Table(
                title="After the time cut (Recall, NDCG, HitRate at 20; 95 % bootstrap interval)",
                columns=["model", "Recall@20", "interval", "NDCG@20", "HitRate@20", "coverage"],
                rows=metrics,
            ),
        ],
        note="Trained on the interactions before the cut; scored on what each student used "
        "after it (resources used before are never counted). yangcheng bench education runs "
        "the same at ASSIST2009 size.",
    )
    return CompareResponse(dashboard=dashboard)


CAPABILITIES = (
    Capability(
        name="education.recommend",
        version="1.0.0",
        group="education",
        summary="The next learning resources for a student (knowledge-aware, hybrid, ALS, "
        "popularity)",
        description="Ranks the catalogue's exercises, videos and documents for a demo "
        "student, or for a history the client sends (traced live). The knowledge-aware "
        "models put skills whose prerequisites are mastered first and say each resource's "
        "tier and the skill's mastery.",
        request_model=RecommendRequest,
        response_model=RecommendResponse,
        handler=recommend,
        examples=({"model": "knowledge", "k": 5}, {"model": "popularity", "k": 5}),
    ),
    Capability(
        name="education.recommend.compare",
        version="1.0.0",
        group="education",
        summary="Every recommender's top 10 for a student, and their offline scores",
        description="The console's Recommendations page: the four models side by side, with "
        "Recall@20, NDCG@20 and HitRate@20 after a time cut.",
        request_model=CompareRequest,
        response_model=CompareResponse,
        handler=compare,
        examples=({},),
    ),
)

DASHBOARD = DashboardPage(
    slug="education-recommend",
    title="Recommendations",
    group="education",
    description="Four recommenders' picks for a student, and how well each predicts what "
    "students used next.",
    status_capability="education.recommend.compare",
    refresh_s=3600,
)
