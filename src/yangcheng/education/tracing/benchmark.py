"""`yangcheng bench education-kt`: every tracer on real and simulated data, pyKT's protocol.

Datasets:

- ``assist2015`` and ``statics2011``: the AKT repository's fold-1 files (``a15_*1.csv``,
  ``st_*1.csv``: a header, skill ids, correctness per student) from the data folder
  (``--data``, else ``$YANGCHENG_EDUCATION_DATA``, else ``../shared/data/education``); skipped,
  and said so, when absent. Their questions are their skills.
- ``sim-assist2009``: the simulator's ASSIST2009-shaped preset (4,200 students, 17,000
  questions on 120 skills, ~300 k responses): what the call's training-time target is about.

Protocol (pyKT's): the test students are fixed (the fold's test file; for a generated set, a
seeded fifth of the students); the others are split into ``folds`` folds by student, and
fold ``k``'s model trains on the rest (windows of 200) and stops early on fold ``k``. Each
model is scored on the test students, their histories cut into windows of 200 as pyKT's
"testauc"; the figures are the means (and spreads) over folds. ``window_auc`` scores the
uncut test histories instead, read by each model as it reads a long history in service.

Inference latency is the exported ONNX model (ONNX Runtime, one thread) answering for one
student with 200 responses: all next-response probabilities, and mastery of every skill.

Run ``python -m yangcheng.education.tracing.benchmark --help`` for datasets, models, folds,
``--device cuda`` and ``--jobs`` (fits in parallel processes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.education.data.formats import read_sequence_files
from yangcheng.education.data.presets import generate_dataset
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.data.splits import student_folds, windows
from yangcheng.education.tracing.base import KnowledgeTracer
from yangcheng.education.tracing.evaluate import evaluate

__all__ = ["DATASETS", "MODELS", "PYKT_AUC", "flat_metrics", "main", "run"]

PYKT_AUC: dict[str, dict[str, float]] = {
    "assist2015": {"DKT": 0.7271, "SAKT": 0.7114, "AKT": 0.7281, "SimpleKT": 0.7248},
    "statics2011": {"DKT": 0.8222, "SAKT": 0.7965, "AKT": 0.8309, "SimpleKT": 0.8199},
    "assist2009": {"DKT": 0.7541, "SAKT": 0.7246, "AKT": 0.7853, "SimpleKT": 0.7744},
}
"""pyKT's published 5-fold mean test AUCs (on pyKT's own preprocessing of each dataset)."""

DATASETS = ("assist2015", "statics2011", "sim-assist2009")
MODELS = ("BKT", "IRT", "DKT", "SAKT", "AKT", "SimpleKT")
_FILES = {"assist2015": "a15", "statics2011": "st"}
_NEURAL = {"DKT", "SAKT", "AKT", "SimpleKT"}


def default_data_dir() -> Path:
    env = os.environ.get("YANGCHENG_EDUCATION_DATA")
    if env:
        return Path(env)
    for candidate in (
        Path.cwd().parent / "shared/data/education",
        Path("../shared/data/education"),
    ):
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared/data/education"


@dataclass(frozen=True)
class Split:
    """A dataset's fixed test students and the pool the folds are cut from."""

    name: str
    pool: KTSequences
    test: KTSequences
    source: str


def load(name: str, data_dir: Path, fraction: float = 1.0) -> Split | None:
    """The named dataset, or None when its files are not in ``data_dir``."""
    if name in _FILES:
        stem = _FILES[name]
        paths = [data_dir / f"{stem}_{part}1.csv" for part in ("train", "valid", "test")]
        if not all(p.is_file() for p in paths):
            return None
        train, valid, test = read_sequence_files(paths, layout="3")
        pool = replace(train, sequences=[*train.sequences, *valid.sequences], name=name)
        source = f"AKT repository fold 1 ({stem}_train1 + {stem}_valid1 pooled; {stem}_test1)"
    else:
        data = generate_dataset(name, seed=0).sequences
        rng = np.random.default_rng(0)
        order = rng.permutation(len(data))
        cut = len(data) // 5
        test, pool = data.subset(order[:cut].tolist()), data.subset(order[cut:].tolist())
        source = f"generated preset {name} (seed 0), a seeded fifth of the students as test"
    if fraction < 1:
        step = round(1 / fraction)
        pool, test = pool.subset(range(0, len(pool), step)), test.subset(range(0, len(test), step))
    return Split(name, pool, test, source)


def make_model(
    name: str, *, device: str, max_epochs: int, threads: int, params: dict[str, Any] | None = None
) -> KnowledgeTracer:
    """A tracer with the benchmark's training settings and any ``params`` on top."""
    from yangcheng.education import tracing

    cls = getattr(tracing, name)
    base: dict[str, Any] = (
        {"device": device, "max_epochs": max_epochs, "threads": threads} if name in _NEURAL else {}
    )
    return cls(**(base | (params or {})))


@dataclass(frozen=True)
class Task:
    dataset: str
    model: str
    fold: int
    folds: int
    data_dir: str
    fraction: float
    device: str
    max_epochs: int
    threads: int
    latency: bool
    label: str = ""
    """The row's name when ``params`` make a variant of ``model`` (else the model's)."""
    params: str = "{}"
    """JSON of parameters over the model's defaults."""


def fit_one(task: Task) -> dict[str, Any]:
    """Fit one model on one fold and score it on the test students."""
    split = load(task.dataset, Path(task.data_dir), task.fraction)
    assert split is not None
    train_idx, valid_idx = student_folds(split.pool, task.folds, seed=0)[task.fold]
    train = windows(split.pool.subset(train_idx.tolist()))
    valid = windows(split.pool.subset(valid_idx.tolist()))
    test = windows(split.test)
    model = make_model(
        task.model,
        device=task.device,
        max_epochs=task.max_epochs,
        threads=task.threads,
        params=json.loads(task.params),
    )
    started = time.perf_counter()
    model.fit(train, valid)
    fit_s = time.perf_counter() - started
    scores = evaluate(model, test)
    whole = evaluate(model, split.test)
    row: dict[str, Any] = {
        "dataset": task.dataset,
        "model": task.label or task.model,
        "base_model": task.model,
        "params": json.loads(task.params),
        "fold": task.fold,
        "auc": scores.auc,
        "accuracy": scores.accuracy,
        "window_auc": whole.auc,
        "fit_s": fit_s,
        "train_responses": train.interactions,
        "test_responses": scores.n_responses,
        "device": task.device,
    }
    history = getattr(model, "history_", None)
    if history is not None:
        row["epochs"] = len(history)
        row["best_epoch"] = model.best_epoch_  # type: ignore[attr-defined]
    if task.latency and task.model in _NEURAL:
        row |= _latency(model, split.test)
    return row


def _latency(
    model: KnowledgeTracer, test: KTSequences, repeats: int = 30, budget_ms: float = 5000.0
) -> dict[str, float]:
    """Milliseconds (median) for the ONNX model to answer for one 200-response history.

    At least three calls, then more until ``repeats`` or ``budget_ms``: an attention model's
    mastery asks about every skill (1,223 on Statics) and takes a while.
    """
    from yangcheng.education.data.sequences import StudentSequence
    from yangcheng.education.tracing.export import OnnxTracer, export_onnx

    longest = max(test, key=len)
    n = min(200, len(longest))
    seq = StudentSequence("latency", longest.questions[:n], longest.skills[:n], longest.correct[:n])
    one = KTSequences([seq], test.n_questions, test.n_skills)
    with tempfile.TemporaryDirectory() as tmp:
        served = OnnxTracer(export_onnx(model, Path(tmp) / "m.onnx"), threads=1)  # type: ignore[arg-type]

        def median_ms(call: Callable[[], object]) -> float:
            call()
            times: list[float] = []
            while len(times) < repeats and (len(times) < 3 or sum(times) < budget_ms):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            return statistics.median(times)

        return {
            "history_len": n,
            "predict_ms": median_ms(lambda: served.predict_proba(one)),
            "mastery_ms": median_ms(lambda: served.mastery(seq)),
        }


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per dataset and model: means and standard deviations over folds."""
    out = []
    base = {r["model"]: r.get("base_model", r["model"]) for r in rows}
    keys = sorted(
        {(r["dataset"], r["model"]) for r in rows},
        key=lambda k: (k[0], MODELS.index(base[k[1]]), k[1]),
    )
    for dataset, model in keys:
        mine = [r for r in rows if r["dataset"] == dataset and r["model"] == model]
        entry: dict[str, Any] = {"dataset": dataset, "model": model, "folds": len(mine)}
        for metric in ("auc", "accuracy", "window_auc", "fit_s"):
            values = [float(r[metric]) for r in mine]
            entry[metric] = round(statistics.fmean(values), 4)
            if len(values) > 1:
                entry[f"{metric}_sd"] = round(statistics.stdev(values), 4)
        for metric in ("predict_ms", "mastery_ms", "epochs"):
            values = [float(r[metric]) for r in mine if metric in r]
            if values:
                entry[metric] = round(statistics.fmean(values), 2)
        entry["pykt_auc"] = PYKT_AUC.get(dataset, {}).get(base[model])
        out.append(entry)
    return out


def run(
    *,
    datasets: list[str],
    models: list[str],
    folds: int = 1,
    total_folds: int = 5,
    data_dir: Path | None = None,
    fraction: float = 1.0,
    device: str = "cpu",
    max_epochs: int = 30,
    threads: int = 1,
    jobs: int = 1,
    log: Path | None = None,
    variants: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Fit and score ``models`` on ``folds`` of the ``total_folds`` folds of each dataset.

    ``variants`` names other settings of a model, ``{"AKT-256": {"model": "AKT", "d_model":
    256}}``; their names may then stand in ``models``.
    """
    variants = variants or {}
    for label in models:
        if label not in MODELS and label not in variants:
            raise ValueError(f"unknown model {label!r}; choose from {', '.join(MODELS)}")
        if label in variants and variants[label].get("model") not in MODELS:
            raise ValueError(f"variant {label!r} needs a 'model' from {', '.join(MODELS)}")
    data_dir = data_dir or default_data_dir()
    tasks, skipped, sources = [], [], {}
    for name in datasets:
        split = load(name, data_dir, fraction)
        if split is None:
            skipped.append(f"{name}: no fold files in {data_dir}")
            continue
        sources[name] = {
            "source": split.source,
            "pool_students": len(split.pool),
            "pool_responses": split.pool.interactions,
            "test_students": len(split.test),
            "test_responses": split.test.interactions,
            "questions": split.pool.n_questions,
            "skills": split.pool.n_skills,
        }
        for fold in range(folds):
            for label in models:
                params = dict(variants.get(label, {"model": label}))
                model = params.pop("model")
                tasks.append(
                    Task(
                        name,
                        model,
                        fold,
                        total_folds,
                        str(data_dir),
                        fraction,
                        device,
                        max_epochs,
                        threads,
                        latency=fold == 0 and device == "cpu",
                        label=label,
                        params=json.dumps(params),
                    )
                )
    rows: list[dict[str, Any]] = []

    def record(row: dict[str, Any]) -> None:
        rows.append(row)
        print(
            f"{row['dataset']:15s} {row['model']:8s} fold {row['fold']}  AUC {row['auc']:.4f}  "
            f"ACC {row['accuracy']:.4f}  fit {row['fit_s']:7.1f} s",
            flush=True,
        )
        if log is not None:
            with log.open("a") as f:
                f.write(json.dumps(row) + "\n")

    if jobs > 1:  # each fit is logged as it ends, so a run cut short keeps what it did
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            for done in as_completed([pool.submit(fit_one, task) for task in tasks]):
                record(done.result())
    else:
        for task in tasks:
            record(fit_one(task))
    return {
        "protocol": f"pyKT: fixed test students, {total_folds} student folds of the rest "
        f"(fitted: {folds}), windows of 200",
        "datasets": sources,
        "skipped": skipped,
        "summary": summarise(rows),
        "folds": rows,
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"\n{'dataset':15s} {'model':8s} {'folds':>5s} {'AUC':>7s} {'ACC':>7s} "
        f"{'win AUC':>7s} {'fit s':>7s} {'ms/pred':>7s} {'pyKT':>7s}"
    )
    for r in result["summary"]:
        ref = f"{r['pykt_auc']:.4f}" if r.get("pykt_auc") else "-"
        ms = f"{r['predict_ms']:.1f}" if "predict_ms" in r else "-"
        print(
            f"{r['dataset']:15s} {r['model']:8s} {r['folds']:5d} {r['auc']:7.4f} "
            f"{r['accuracy']:7.4f} {r['window_auc']:7.4f} {r['fit_s']:7.1f} {ms:>7s} {ref:>7s}"
        )
    for note in result["skipped"]:
        print(f"skipped {note}")


def flat_metrics(quick: bool) -> dict[str, Any]:
    """`yangcheng bench education-kt`: one fold of each dataset on this machine's CPU."""
    result = run(
        datasets=list(DATASETS),
        models=list(MODELS),
        folds=1,
        fraction=0.2 if quick else 1.0,
        max_epochs=3 if quick else 30,
    )
    print_table(result)
    flat: dict[str, Any] = {}
    for row in result["summary"]:
        for metric in ("auc", "accuracy", "fit_s", "predict_ms", "mastery_ms"):
            if metric in row:
                flat[f"{row['dataset']}.{row['model']}.{metric}"] = row[metric]
    flat["skipped"] = "; ".join(result["skipped"]) or "none"
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--folds", type=int, default=1, help="folds to fit (of --total-folds)")
    parser.add_argument("--total-folds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--fraction", type=float, default=1.0, help="share of students")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="fits in parallel processes")
    parser.add_argument("--log", type=Path, default=None, help="append each fit as JSON lines")
    parser.add_argument("--out", type=Path, default=None, help="write the result as JSON")
    parser.add_argument(
        "--variants",
        type=json.loads,
        default={},
        help='JSON {"name": {"model": "AKT", "d_model": 256, ...}}: other settings to run',
    )
    args = parser.parse_args(argv)
    result = run(
        datasets=args.datasets.split(","),
        models=args.models.split(","),
        folds=args.folds,
        total_folds=args.total_folds,
        data_dir=args.data,
        fraction=args.fraction,
        device=args.device,
        max_epochs=args.max_epochs,
        threads=args.threads,
        jobs=args.jobs,
        log=args.log,
        variants=args.variants,
    )
    print_table(result)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
