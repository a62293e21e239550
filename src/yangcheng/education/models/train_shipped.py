"""Rebuild a shipped tracer: ``python -m yangcheng.education.models.train_shipped --model DKT``.

Trains ``--model`` (any name of :data:`~yangcheng.education.models.tracers.TRACERS`) on the
real ASSISTments 2015 fold files the AKT repository published (``a15_train1.csv``,
``a15_valid1.csv``, ``a15_test1.csv`` in ``--data``; three lines per student, skill ids
serving as questions), windowed as pyKT does; neural tracers stop early on the validation
fold. The saved file is then scored on the test fold *as served* (ONNX Runtime for neural
tracers), and the card records that AUC and accuracy with the command and settings that
made it. Writes ``artifacts/kt-assist2015-<model>.{onnx,npz}`` and ``.json``, and the demo
students (``kt-assist2015-demo.txt``) the console draws. Same data, model and seed give the
same weights (one thread).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.education.data.formats import read_sequence_files, write_sequence_file
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.data.splits import windows
from yangcheng.education.models.files import load_tracer, save_tracer, write_card
from yangcheng.education.models.shipped import ARTIFACTS_DIR, DEMO_STUDENTS
from yangcheng.education.models.tracers import TRACERS, make_tracer
from yangcheng.education.tracing import evaluate

__all__ = ["LICENCE", "main", "pick_demo_students", "train_shipped"]

DATA_DIR = Path("/work/shared/data/education")
LICENCE = "ASSISTments terms: cite the dataset; AKT repo MIT"
SOURCE = (
    "ASSISTments 2015 skill builder (Heffernan & Heffernan 2014), fold {fold} of the "
    "knowledge-tracing sequence files preprocessed by the AKT repository (github.com/arghosh/AKT, "
    "data/assist2015/a15_*{fold}.csv)"
)


def load_fold(data_dir: Path, fold: int) -> tuple[KTSequences, KTSequences, KTSequences]:
    """Train, valid and test of one fold, one vocabulary, windows of 200 as pyKT."""
    paths: list[str | Path] = [data_dir / f"a15_{part}{fold}.csv" for part in ("train", "valid")]
    paths.append(data_dir / f"a15_test{fold}.csv")
    train, valid, test = (windows(d) for d in read_sequence_files(paths, layout="3"))
    return train, valid, test


def pick_demo_students(test: KTSequences, count: int = 5) -> KTSequences:
    """Test students whose curves are worth drawing: 40-150 responses on 3-8 skills, right
    45-85% of the time, and right at least 15 points more often in the second half of their
    history than in the first (they learn, so mastery visibly moves). The first ``count`` in
    file order."""
    picked = []
    for i, seq in enumerate(test):
        share = float(seq.correct.mean())
        skills = len(np.unique(seq.skills))
        half = len(seq) // 2
        gain = float(seq.correct[half:].mean() - seq.correct[:half].mean()) if half else 0.0
        if 40 <= len(seq) <= 150 and 3 <= skills <= 8 and 0.45 <= share <= 0.85 and gain >= 0.15:
            picked.append(i)
        if len(picked) == count:
            break
    return test.subset(picked)


def train_shipped(
    model_name: str,
    *,
    data_dir: Path = DATA_DIR,
    fold: int = 1,
    max_epochs: int = 10,
    seed: int = 0,
    threads: int = 1,
    out_dir: Path = ARTIFACTS_DIR,
    progress: bool = False,
    command: str = "",
) -> dict[str, Any]:
    """Train, save, score as served; returns the card written beside the model file."""
    train, valid, test = load_fold(data_dir, fold)
    model = make_tracer(
        model_name, max_epochs=max_epochs, seed=seed, threads=threads, progress=progress
    )
    started = time.perf_counter()
    model.fit(train, valid)
    fit_s = time.perf_counter() - started
    name = f"kt-assist2015-{model_name.lower()}"
    card: dict[str, Any] = {
        "name": name,
        "version": "1",
        "task": "knowledge tracing: P(correct) of a student's next response, per-skill mastery",
        "description": (
            f"{model_name} ({TRACERS[model_name]}) trained on the real ASSISTments 2015 data, "
            f"fold {fold}: {len(train)} training sequences, {train.interactions} responses, "
            f"{train.n_skills} skills (skill ids serve as questions). Scored on the fold's "
            "test students as served."
        ),
        "licence": LICENCE,
        "training_data": SOURCE.format(fold=fold),
        "metrics": {},
        "limitations": (
            "Knows the 100 ASSIST2015 skill ids only (unknown ids are refused); reads skills, "
            "not problems, so two problems of one skill look alike. Trained on windows of 200 "
            "responses: longer histories are served but were never trained on. US middle-school "
            "mathematics in 2014-15; not validated for other curricula or populations."
        ),
        "artifact": "",
        "tracer": model_name,
        "params": {k: str(v) for k, v in model.get_params().items() if k != "checkpoint_path"},
        "seed": seed,
        "data": {
            "skills": train.n_skills,
            "train_sequences": len(train),
            "train_responses": train.interactions,
            "valid_sequences": len(valid),
            "test_sequences": len(test),
            "test_responses": test.interactions,
            "window": 200,
        },
        "fit_s": round(fit_s, 1),
        "command": command,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    history = getattr(model, "history_", None)
    if history is not None:
        card["epochs"] = len(history)
        card["best_epoch"] = getattr(model, "best_epoch_", None)
        best_valid = getattr(model, "best_valid_auc_", None)
        if best_valid is not None:
            card["metrics"]["valid_auc"] = round(float(best_valid), 4)
    path = save_tracer(model, out_dir, name, card)
    served = load_tracer(path)
    scores = evaluate(served, test)
    card["metrics"].update(
        test_auc=round(scores.auc, 4),
        test_accuracy=round(scores.accuracy, 4),
        test_responses=scores.n_responses,
    )
    card["artifact"] = path.name
    write_card(path, card)
    write_sequence_file(pick_demo_students(test), out_dir / DEMO_STUDENTS.name, layout="3")
    return card


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", required=True, choices=sorted(TRACERS))
    parser.add_argument("--data", type=Path, default=DATA_DIR)
    parser.add_argument("--fold", type=int, default=1)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ARTIFACTS_DIR)
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    command = "python -m yangcheng.education.models.train_shipped " + " ".join(
        f"--{k.replace('_', '-')} {v}"
        for k, v in (
            ("model", args.model),
            ("fold", args.fold),
            ("max_epochs", args.max_epochs),
            ("seed", args.seed),
            ("threads", args.threads),
        )
    )
    card = train_shipped(
        args.model,
        data_dir=args.data,
        fold=args.fold,
        max_epochs=args.max_epochs,
        seed=args.seed,
        threads=args.threads,
        out_dir=args.out,
        progress=args.progress,
        command=command,
    )
    metrics = card["metrics"]
    print(
        f"{card['name']}: test AUC {metrics['test_auc']:.4f}, ACC {metrics['test_accuracy']:.4f} "
        f"on {metrics['test_responses']} responses; fit {card['fit_s']} s -> "
        f"{args.out / card['artifact']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
