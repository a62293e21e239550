"""Pydantic models of the REST API; the Python client uses the same ones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    database: str
    executor: str


class CapabilityInfo(BaseModel):
    name: str
    version: str
    group: str
    summary: str
    description: str
    card: dict[str, Any]
    request_schema: dict[str, Any]
    response_schema: dict[str, Any]
    examples: list[dict[str, Any]]


class ModelInfo(BaseModel):
    name: str
    version: str
    task: str
    description: str
    licence: str
    training_data: str
    metrics: dict[str, float]
    limitations: str
    artifact: str | None


class DatasetInfo(BaseModel):
    name: str
    version: str
    description: str
    source: str
    licence: str
    records: int
    seed: int | None
    generator: str | None
    counts: dict[str, int] = {}


class BenchmarkInfo(BaseModel):
    scenario: str
    name: str
    metrics: dict[str, Any]
    machine: dict[str, Any]
    revision: str
    created_at: datetime


class Catalog(BaseModel):
    capabilities: list[CapabilityInfo]
    models: list[ModelInfo]
    datasets: list[DatasetInfo]
    benchmarks: list[BenchmarkInfo]


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, description="The developer's e-mail.")
    organisation: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(
        min_length=1, description="Capability groups, 'jobs', 'admin' or '*'."
    )
    name: str = Field(default="", max_length=200)
    daily_quota: int | None = Field(default=None, ge=0)
    rate_limit_per_minute: int | None = Field(default=None, ge=0)


class KeyInfo(BaseModel):
    id: int
    prefix: str
    name: str
    scopes: list[str]
    developer_email: str
    organisation: str
    daily_quota: int | None
    rate_limit_per_minute: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyInfo):
    key: str = Field(description="The raw key. It is shown this once and never stored.")


class Me(BaseModel):
    key_prefix: str
    developer_email: str
    organisation: str
    scopes: list[str]
    daily_quota: int | None
    calls_today: int


class JobCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capability: str = Field(min_length=1, max_length=200)
    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=100_000, description="One capability request per record."
    )


class JobInfo(BaseModel):
    id: str
    kind: str
    capability: str
    state: JobState
    total: int
    done: int
    failed_items: int
    progress: float = Field(
        description="Share done, 0..1: records done plus the share of the record in flight "
        "that its capability reported (its stage is in result.stage while it runs)."
    )
    attempts: int
    result: dict[str, Any]
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobResultRow(BaseModel):
    index: int
    ok: bool
    output: dict[str, Any] | None
    error: str | None


class JobResults(BaseModel):
    job_id: str
    offset: int
    rows: list[JobResultRow]


class Stats(BaseModel):
    developers_onboarded: int
    organisations_registered: int
    organisations_served: int
    active_users_7d: int
    active_users_30d: int
    api_calls_total: int
    tasks_completed: int
    tasks_submitted: int


class DayUsage(BaseModel):
    day: date
    calls: int
    errors: int
    mean_latency_ms: float


class CapabilityUsage(BaseModel):
    capability: str
    calls: int
    mean_latency_ms: float


class Usage(BaseModel):
    days: list[DayUsage]
    capabilities: list[CapabilityUsage]


class ErrorBody(BaseModel):
    detail: Any
