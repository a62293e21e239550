"""Cards that say what a model or dataset is, where it came from and on what terms.

Shared by the scenario libraries, which make them, and the platform, which
publishes them in its catalog; so they live below both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelCard:
    """A versioned model: its task, training data, licence, held-out metrics and limits."""

    name: str
    version: str
    task: str
    description: str
    licence: str
    training_data: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    limitations: str = ""
    artifact: str | None = None


@dataclass(frozen=True)
class DatasetCard:
    """What a dataset is, where it came from, under which terms, and how it was made."""

    name: str
    version: str
    description: str
    source: str
    licence: str
    records: int
    seed: int | None = None
    generator: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
