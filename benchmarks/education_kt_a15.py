"""Knowledge tracing on ASSISTments 2015: `python benchmarks/education_kt_a15.py [--quick]`.

Reads the AKT repository's fold files (``a15_train1.csv``, ``a15_valid1.csv``,
``a15_test1.csv``; three lines per student: a header, skill ids, 0/1 correctness) from
``--data`` (default ``/work/shared/data/education``), windows them as pyKT does (200 responses,
windows under 3 dropped), fits BKT, IRT and DKT on train (DKT stops early on valid), and scores
next-response AUC and accuracy on test. The skill ids serve as both questions and skills.
Prints a table and writes ``benchmarks/results/education-kt-a15.json`` with the machine.

Reference (pyKT, ASSIST2015, 5-fold mean test AUC): DKT 0.7271, AKT 0.7281.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from yangcheng.bench import git_revision, machine_info
from yangcheng.education.data.formats import read_sequence_files
from yangcheng.education.data.sequences import KTSequences
from yangcheng.education.data.splits import windows
from yangcheng.education.tracing import BKT, DKT, IRT, KnowledgeTracer, evaluate

PYKT_AUC = {"DKT": 0.7271, "AKT": 0.7281}
RESULTS = Path(__file__).parent / "results" / "education-kt-a15.json"


def load(data_dir: Path) -> tuple[KTSequences, KTSequences, KTSequences]:
    """The three fold files with one shared vocabulary, windowed as pyKT does."""
    paths = [data_dir / f"a15_{part}1.csv" for part in ("train", "valid", "test")]
    train, valid, test = (windows(d) for d in read_sequence_files(paths, layout="3"))
    return train, valid, test


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/education"))
    parser.add_argument("--models", default="BKT,IRT,DKT")
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a fifth of the students")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    train, valid, test = load(args.data)
    if args.quick:
        train, valid, test = (d.subset(range(0, len(d), 5)) for d in (train, valid, test))
    print(
        f"ASSIST2015 fold 1 (windows of 200): train {len(train)} seqs / {train.interactions} "
        f"responses, valid {len(valid)} / {valid.interactions}, test {len(test)} / "
        f"{test.interactions}; {train.n_skills} skills"
    )
    factories: dict[str, Any] = {
        "BKT": BKT,
        "IRT": IRT,
        "DKT": lambda: DKT(
            max_epochs=args.max_epochs,
            threads=args.threads,
            progress=args.progress,
            checkpoint_path=args.checkpoint,
        ),
    }
    rows = []
    for name in args.models.split(","):
        model: KnowledgeTracer = factories[name]()
        started = time.perf_counter()
        model.fit(train, valid)
        fit_s = time.perf_counter() - started
        started = time.perf_counter()
        scores = evaluate(model, test)
        predict_s = time.perf_counter() - started
        row: dict[str, Any] = {
            "model": name,
            "test_auc": round(scores.auc, 4),
            "test_accuracy": round(scores.accuracy, 4),
            "test_responses": scores.n_responses,
            "fit_s": round(fit_s, 1),
            "predict_s": round(predict_s, 1),
            "pykt_auc": PYKT_AUC.get(name),
            "params": {k: str(v) for k, v in model.get_params().items()},
        }
        if isinstance(model, DKT):
            row["epochs"] = len(model.history_)
            row["best_epoch"] = model.best_epoch_
            row["best_valid_auc"] = model.best_valid_auc_
        rows.append(row)
        print(
            f"{name:4s} AUC {scores.auc:.4f}  ACC {scores.accuracy:.4f}  "
            f"fit {fit_s:7.1f} s  predict {predict_s:5.1f} s",
            flush=True,
        )
    print()
    print(f"{'model':6s} {'AUC':>7s} {'ACC':>7s} {'fit s':>8s} {'pyKT AUC':>9s}")
    for r in rows:
        ref = f"{r['pykt_auc']:.4f}" if r["pykt_auc"] else "-"
        auc, acc = r["test_auc"], r["test_accuracy"]
        print(f"{r['model']:6s} {auc:7.4f} {acc:7.4f} {r['fit_s']:8.1f} {ref:>9s}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "scenario": "education-kt-a15",
                "quick": args.quick,
                "data": {
                    "source": "AKT repository ASSIST2015 fold 1 (a15_*1.csv)",
                    "train_sequences": len(train),
                    "train_responses": train.interactions,
                    "test_sequences": len(test),
                    "test_responses": test.interactions,
                    "window": 200,
                },
                "metrics": rows,
                "machine": machine_info(),
                "revision": git_revision(),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
