"""The tracers that ship inside the package, so knowledge tracing is served offline.

Every ``artifacts/<name>.onnx`` (or ``.npz``) with its ``<name>.json`` card is a shipped
model: re-shipping another tracer through ``train_shipped`` adds its files and nothing
here changes. ``kt-assist2015-demo.txt`` holds a few real ASSIST2015 test students
(3-line sequence layout) for the console's mastery page.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from yangcheng.education.data.formats import read_sequence_file
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.models.files import (
    MODEL_SUFFIXES,
    ModelFileError,
    Tracer,
    load_tracer,
    model_path,
    read_card,
)

__all__ = [
    "ARTIFACTS_DIR",
    "DEFAULT_MODEL",
    "DEMO_STUDENTS",
    "demo_students",
    "load_shipped",
    "shipped_card",
    "shipped_models",
]

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
DEFAULT_MODEL = "kt-assist2015-dkt"
DEMO_STUDENTS = ARTIFACTS_DIR / "kt-assist2015-demo.txt"


def shipped_models() -> list[str]:
    """Names of the shipped models (those with a model file and a card), sorted."""
    names = {
        p.stem
        for suffix in MODEL_SUFFIXES
        for p in ARTIFACTS_DIR.glob(f"*{suffix}")
        if p.with_suffix(".json").is_file()
    }
    return sorted(names)


def _path(name: str) -> Path:
    path = model_path(ARTIFACTS_DIR, name)
    if path is None:
        raise ModelFileError(
            f"no shipped model {name!r}; shipped: {', '.join(shipped_models()) or 'none'}"
        )
    return path


def load_shipped(name: str = DEFAULT_MODEL) -> Tracer:
    """A shipped tracer by name, ready to predict (ONNX Runtime for neural ones)."""
    return load_tracer(_path(name))


def shipped_card(name: str = DEFAULT_MODEL) -> dict[str, Any]:
    """The model card of a shipped tracer: data, licence, held-out metrics, how it was made."""
    return read_card(_path(name))


@lru_cache(maxsize=1)
def demo_students() -> KTSequences:
    """The shipped demo students (ids as in ASSIST2015: skill ids serve as questions)."""
    return read_sequence_file(DEMO_STUDENTS, layout="3", name="assist2015-demo")
