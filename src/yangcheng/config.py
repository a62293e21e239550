"""Settings from the environment: one object, read once, passed everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the platform, each settable as ``YANGCHENG_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="YANGCHENG_", extra="ignore")

    home: Path = Field(
        default_factory=lambda: Path.home() / ".yangcheng",
        description="Folder holding the embedded SQLite database and job artefacts.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; empty means SQLite (WAL) under `home`. "
        "postgresql+psycopg://user:pw@host/db selects PostgreSQL.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    executor: Literal["process", "thread", "ray"] = Field(
        default="process",
        description="Where data-service tasks run: a local process pool, threads, or Ray.",
    )
    workers: int = Field(default=2, ge=1, description="Local executor pool size.")
    ray_address: str | None = Field(
        default=None, description="Ray cluster address; empty starts a local Ray."
    )
    job_max_attempts: int = Field(
        default=3, ge=1, description="Restarts a job survives before it is marked failed."
    )
    job_chunk_size: int = Field(
        default=50, ge=1, description="Records per checkpoint of a batch job."
    )
    default_daily_quota: int = Field(
        default=10_000, ge=0, description="Calls per API key per UTC day (0 = unlimited)."
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=0, description="Calls per API key per minute (0 = unlimited)."
    )
    demo_data: bool = Field(
        default=False, description="Seed a demo organisation, developer and key at start-up."
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'yangcheng.db'}"
