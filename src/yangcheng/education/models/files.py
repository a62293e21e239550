"""A fitted tracer as one model file plus its card, and back, with no pickle anywhere.

Neural tracers (anything with a ``net_``) are written by :func:`export_onnx` and load as
:class:`OnnxTracer`, so serving them needs ONNX Runtime only. NumPy tracers (BKT, IRT) have
no graph to export; their learned attributes (the ``_``-suffixed ones scikit-learn's
convention gives us) are arrays and plain values, so they go into an ``.npz`` with a JSON
header and are set back on a fresh instance. ``np.load(allow_pickle=False)`` and a class
looked up by name among the tracers keep a file from running code when it is read.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.education.tracing import KnowledgeTracer, OnnxTracer, export_onnx

__all__ = [
    "MODEL_NAME",
    "MODEL_SUFFIXES",
    "ModelFileError",
    "Tracer",
    "load_tracer",
    "model_path",
    "read_card",
    "save_tracer",
    "write_card",
]

MODEL_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
"""Names are file stems in a folder others share: no path separators, no hidden files."""
MODEL_SUFFIXES = (".onnx", ".npz")
_FORMAT = 1
_META = "__meta__"

Tracer = KnowledgeTracer | OnnxTracer
"""What a model file loads as: a NumPy tracer, or a neural one served by ONNX Runtime."""


class ModelFileError(ValueError):
    """A model file that is missing, unreadable, or not one this module wrote."""


def _check_name(name: str) -> None:
    if not MODEL_NAME.fullmatch(name):
        raise ModelFileError(
            f"model name {name!r}: use 1-64 of a-z, 0-9, '.', '_', '-' (starting with a letter "
            "or digit)"
        )


def model_path(folder: Path, name: str) -> Path | None:
    """The model file called ``name`` in ``folder`` (either kind), or None."""
    _check_name(name)
    for suffix in MODEL_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def save_tracer(model: KnowledgeTracer, folder: Path, name: str, card: dict[str, Any]) -> Path:
    """Write ``model`` as ``folder/name.onnx`` or ``.npz`` and ``card`` as ``name.json``.

    The model file is written first and the card last (both atomically), so a folder never
    holds a card whose model is missing; a file of the other kind under the same name is
    removed, so ``name`` always means the model just saved.
    """
    _check_name(name)
    model._check_fitted("save")
    folder.mkdir(parents=True, exist_ok=True)
    if hasattr(model, "net_"):
        path = export_onnx(model, folder / f"{name}.onnx")  # type: ignore[arg-type]
    else:
        path = folder / f"{name}.npz"
        _save_npz(model, path)
    for suffix in MODEL_SUFFIXES:
        other = folder / f"{name}{suffix}"
        if other != path and other.exists():
            other.unlink()
    write_card(path, card)
    return path


def write_card(model_file: Path, card: dict[str, Any]) -> None:
    """(Re)write the card beside ``model_file``, atomically (metrics measured after saving)."""
    _write_json(model_file.with_suffix(".json"), card)


def read_card(model_file: Path) -> dict[str, Any]:
    """The card beside ``model_file``."""
    path = model_file.with_suffix(".json")
    try:
        card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(
            f"{path} is missing: every model file has its card beside it"
        ) from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: not JSON ({exc.msg})") from None
    return card


def load_tracer(path: Path, *, threads: int = 1) -> Tracer:
    """The tracer in ``path`` (written by :func:`save_tracer` or :func:`export_onnx`)."""
    if path.suffix == ".onnx":
        try:
            return OnnxTracer(path, threads=threads)
        except (OSError, ValueError) as exc:
            raise ModelFileError(f"{path}: {exc}") from exc
        except Exception as exc:  # ONNX Runtime's own errors have no common base
            raise ModelFileError(f"{path}: not a readable ONNX tracer ({exc})") from exc
    if path.suffix == ".npz":
        return _load_npz(path)
    raise ModelFileError(f"{path}: model files end in {' or '.join(MODEL_SUFFIXES)}")


# ---- NumPy tracers ------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON value for a learned scalar or id list (NumPy scalars become Python ones)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a model file")


def _save_npz(model: KnowledgeTracer, path: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    values: dict[str, Any] = {}
    tuples: dict[str, int] = {}
    for key, value in vars(model).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        if isinstance(value, np.ndarray):
            arrays[key] = value
        elif isinstance(value, tuple) and all(isinstance(v, np.ndarray) for v in value):
            tuples[key] = len(value)
            for i, part in enumerate(value):
                arrays[f"{key}#{i}"] = part
        else:
            values[key] = _plain(value)
    meta = {
        "format": _FORMAT,
        "tracer": type(model).__name__,
        "params": {k: _plain(v) for k, v in model.get_params().items()},
        "values": values,
        "tuples": tuples,
    }
    arrays[_META] = np.array(json.dumps(meta))
    tmp = path.with_name(path.name + ".tmp")
    save: Callable[..., None] = np.savez  # entries by name; NumPy's stubs type them as flags
    with tmp.open("wb") as f:
        save(f, **arrays)
    os.replace(tmp, path)


def _tracer_class(name: str) -> type[KnowledgeTracer]:
    from yangcheng.education import tracing

    cls = getattr(tracing, name, None) if name in tracing.__all__ else None
    if not isinstance(cls, type) or not issubclass(cls, KnowledgeTracer):
        raise ModelFileError(f"{name!r} is not a knowledge tracer of yangcheng.education.tracing")
    return cls


def _load_npz(path: Path) -> KnowledgeTracer:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: np.asarray(data[k]) for k in data.files}
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a readable .npz ({exc})") from None
    if _META not in arrays:
        raise ModelFileError(f"{path} has no {_META!r} entry: not written by save_tracer")
    meta: dict[str, Any] = json.loads(str(arrays.pop(_META)))
    if meta.get("format") != _FORMAT:
        raise ModelFileError(f"{path}: format {meta.get('format')}, expected {_FORMAT}")
    model = _tracer_class(meta["tracer"])(**meta["params"])
    for key, count in meta["tuples"].items():
        setattr(model, key, tuple(arrays.pop(f"{key}#{i}") for i in range(count)))
    for key, value in arrays.items():
        setattr(model, key, value)
    for key, value in meta["values"].items():
        setattr(model, key, value)
    model._check_fitted("load")
    return model


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
