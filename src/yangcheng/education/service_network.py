"""The learner interaction network on the platform: analytics as a job, and a console page.

``education.network.analyze`` runs as a job because a million-node network takes a minute:
it generates a network of the size asked (with planted communities, influencers, isolated
learners, dropouts and bursty accounts, and scores how well the analytics find them) or
reads a school's own events (CSV: ``src,dst,kind,timestamp``). ``education.network.overview``
draws a 20,000-node demo network for the console's Network page.
"""

from __future__ import annotations

import io
import time
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from yangcheng.education.network import (
    KINDS,
    EventsError,
    NetworkSizeError,
    agreement,
    detect_communities,
    from_dataframe,
    generate_network,
    learner_flags,
    precision_recall,
    set_threads,
    summary,
)
from yangcheng.education.network.graph import social_graph
from yangcheng.platform.catalog import Capability, DashboardPage, InvalidInput
from yangcheng.platform.panels import Chart, Dashboard, Series, Table, Tile

__all__ = ["CAPABILITIES", "DASHBOARD", "AnalyzeRequest", "AnalyzeResponse", "analyze"]

MAX_NODES = 2_000_000
MAX_EDGES = 20_000_000
MAX_CSV_CHARS = 50_000_000
DEMO_NODES = 20_000
DEMO_EDGES = 100_000


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n_nodes: int = Field(
        default=100_000, ge=500, le=MAX_NODES, description="Nodes of a generated network."
    )
    n_edges: int | None = Field(
        default=None,
        ge=2_000,
        le=MAX_EDGES,
        description="Events of a generated network; default 5 per node (at least 4 per node).",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    events_csv: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_CSV_CHARS,
        description="Instead of generating: your events as CSV with a header src,dst,kind,"
        f"timestamp (kind one of {', '.join(KINDS)}; timestamp epoch seconds or ISO 8601).",
    )
    top: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _one_source(self) -> AnalyzeRequest:
        if self.events_csv is not None and (self.n_edges is not None):
            raise ValueError("give events_csv or a generated size (n_nodes, n_edges), not both")
        return self


class Central(BaseModel):
    student: str
    pagerank: float


class Influential(BaseModel):
    student: str
    repliers: int = Field(description="Distinct students who replied to them.")


class Flagged(BaseModel):
    student: str
    reasons: list[str]
    n_events: int


class CommunitiesOut(BaseModel):
    count: int
    modularity: float
    largest_sizes: list[int]


class Recovery(BaseModel):
    """How well the analytics found what the generator planted."""

    communities_nmi_courses: float
    communities_nmi_classes: float
    flags: dict[str, dict[str, float]] = Field(
        description="Per flag (isolated, stopped, bursty): precision, recall, f1."
    )


class AnalyzeResponse(BaseModel):
    source: str
    n_nodes: int
    n_events: int
    n_students: int
    central_students: list[Central]
    influential_students: list[Influential]
    communities: CommunitiesOut
    flag_counts: dict[str, int]
    at_risk: list[Flagged]
    recovery: Recovery | None = Field(description="Generated networks only.")
    seconds: dict[str, float]


def _read_csv(text: str) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), dtype={"src": str, "dst": str, "kind": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInput("events_csv", f"not a readable CSV: {exc}") from None


def _response(digest: dict[str, Any], source: str) -> dict[str, Any]:
    return {
        "source": source,
        "n_nodes": digest["n_nodes"],
        "n_events": digest["n_events"],
        "n_students": digest["n_students"],
        "central_students": [
            Central(student=str(c["student"]), pagerank=c["pagerank"])
            for c in digest["central_students"]
        ],
        "influential_students": [
            Influential(student=str(c["student"]), repliers=c["repliers"])
            for c in digest["influential_students"]
        ],
        "communities": CommunitiesOut(**digest["communities"]),
        "flag_counts": digest["flag_counts"],
        "at_risk": [
            Flagged(student=str(f["student"]), reasons=f["reasons"], n_events=f["n_events"])
            for f in digest["at_risk"]
        ],
    }


def analyze(req: AnalyzeRequest) -> AnalyzeResponse:
    set_threads(2)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    recovery = None
    if req.events_csv is not None:
        frame = _read_csv(req.events_csv)
        try:
            events = from_dataframe(frame)
        except EventsError as exc:
            raise InvalidInput("events_csv", str(exc)) from None
        seconds["read_s"] = time.perf_counter() - started
        source = f"uploaded events ({len(frame)} rows)"
    else:
        n_edges = req.n_edges if req.n_edges is not None else 5 * req.n_nodes
        try:
            network = generate_network(req.n_nodes, n_edges, req.seed)
        except NetworkSizeError as exc:
            raise InvalidInput("n_edges", str(exc)) from None
        events = network.events
        seconds["generate_s"] = time.perf_counter() - started
        source = f"generated network ({req.n_nodes} nodes, {n_edges} events, seed {req.seed})"
        tic = time.perf_counter()
        truth = network.truth
        social = social_graph(events)
        communities = detect_communities(social.graph, seed=req.seed)
        flags = learner_flags(events, social, communities.labels)
        recovery = Recovery(
            communities_nmi_courses=agreement(communities.labels, truth.course_of_student)["nmi"],
            communities_nmi_classes=agreement(communities.labels, truth.class_of_student)["nmi"],
            flags={
                name: {
                    k: float(v)
                    for k, v in precision_recall(
                        flags["node"][flags[name]].to_numpy(), planted
                    ).items()
                    if k in ("precision", "recall", "f1")
                }
                for name, planted in (
                    ("isolated", truth.isolated),
                    ("stopped", truth.dropouts),
                    ("bursty", truth.bursty),
                )
            },
        )
        seconds["score_planted_s"] = time.perf_counter() - tic
    tic = time.perf_counter()
    digest = summary(events, req.top, seed=req.seed)
    seconds["analytics_s"] = time.perf_counter() - tic
    seconds["total_s"] = time.perf_counter() - started
    return AnalyzeResponse(
        **_response(digest, source),
        recovery=recovery,
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )


@lru_cache(maxsize=1)
def _demo() -> dict[str, Any]:
    set_threads(2)
    network = generate_network(DEMO_NODES, DEMO_EDGES, seed=0)
    digest = summary(network.events, 10, max_flagged=25, seed=0)
    times = network.events.events["timestamp"].to_numpy(np.float64)
    kinds = network.events.events["kind"].astype(str).to_numpy()
    return {"digest": digest, "times": times, "kinds": kinds}


class OverviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OverviewResponse(BaseModel):
    dashboard: Dashboard


def overview(_: OverviewRequest) -> OverviewResponse:
    demo = _demo()
    d = demo["digest"]
    times, kinds = demo["times"], demo["kinds"]
    day = 86_400.0
    edges = np.arange(np.floor(times.min() / day) * day, times.max() + day, day)
    series = []
    for kind in ("view", "attempt", "post", "reply"):
        counts, _edges = np.histogram(times[kinds == kind], bins=edges)
        series.append(
            Series(
                name=kind,
                points=[(float(t), float(c)) for t, c in zip(edges[:-1], counts, strict=True)],
            )
        )
    flags = d["flag_counts"]
    tiles = [
        Tile(label="Nodes", value=d["n_nodes"], hint="students, resources, threads, teams"),
        Tile(label="Events", value=d["n_events"]),
        Tile(
            label="Communities", value=d["communities"]["count"], hint="Leiden on the student ties"
        ),
        Tile(label="Modularity", value=f"{d['communities']['modularity']:.3f}"),
        Tile(
            label="Isolated learners",
            value=flags["isolated"],
            level="warn" if flags["isolated"] else "ok",
            hint="no tie to another student, or only in a pair",
        ),
        Tile(
            label="Stopped",
            value=flags["stopped"],
            level="warn" if flags["stopped"] else "ok",
            hint="active before, silent for far longer than their own rhythm",
        ),
        Tile(
            label="Bursty accounts",
            value=flags["bursty"],
            level="alarm" if flags["bursty"] else "ok",
        ),
    ]
    dashboard = Dashboard(
        title=f"Learner network: {d['n_students']} students (demo, generated)",
        generated_at=time.time(),
        tiles=tiles,
        charts=[Chart(title="Events per day", y_unit="events", series=series)],
        tables=[
            Table(
                title="Most central students (PageRank)",
                columns=["student", "PageRank"],
                rows=[[str(c["student"]), round(c["pagerank"], 6)] for c in d["central_students"]],
            ),
            Table(
                title="Most influential (distinct repliers)",
                columns=["student", "repliers"],
                rows=[[str(c["student"]), c["repliers"]] for c in d["influential_students"]],
            ),
            Table(
                title="Learners to look at",
                columns=["student", "reasons", "events"],
                rows=[
                    [str(f["student"]), ", ".join(f["reasons"]), f["n_events"]]
                    for f in d["at_risk"]
                ],
            ),
        ],
        note="A generated network of 20,000 nodes; education.network.analyze runs the same "
        "analytics on a network of up to 2 M nodes or on your own events, as a job.",
    )
    return OverviewResponse(dashboard=dashboard)


CAPABILITIES = (
    Capability(
        name="education.network.analyze",
        version="1.0.0",
        group="education",
        summary="Learner-network analytics: centrality, communities, influence, at-risk learners",
        description="PageRank, Leiden communities, influence (distinct repliers) and learner "
        "flags (isolated, stopped, low engagement, bursty) on a generated network of up to "
        "2 M nodes, scored against what was planted, or on your own events (CSV). Runs as "
        "a job.",
        request_model=AnalyzeRequest,
        response_model=AnalyzeResponse,
        handler=analyze,
        jobs_only=True,
        examples=({"n_nodes": 5_000, "seed": 0},),
    ),
    Capability(
        name="education.network.overview",
        version="1.0.0",
        group="education",
        summary="The demo learner network as a dashboard",
        description="A generated 20,000-node network: its activity per day, the most central "
        "and influential students, and the learners flagged (the console's Network page).",
        request_model=OverviewRequest,
        response_model=OverviewResponse,
        handler=overview,
        examples=({},),
    ),
)

DASHBOARD = DashboardPage(
    slug="education-network",
    title="Learner network",
    group="education",
    description="Who is central, who is influential, and who is isolated or has stopped.",
    status_capability="education.network.overview",
    refresh_s=3600,
)
