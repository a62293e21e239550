"""`yangcheng bench education` (graph part): build, load and query a million-resource graph.

Measures, on this machine: generating the graph; embedding its distinct titles with the
ONNX MiniLM encoder (texts/s) to make SIMILAR_TO edges; writing Parquet; bulk-loading into
the embedded LadybugStore; p50/p99 latency of each query kind on seeded random nodes;
prerequisite inference F1 of each method on the ASSIST2009-shaped simulated log; peak RSS.

Run ``python -m yangcheng.education.graph.benchmark [--n-resources N] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.education.data.presets import generate_dataset
from yangcheng.education.graph.embeddings import MiniLMEncoder, similar_edges
from yangcheng.education.graph.generate import generate_graph, write_bulk
from yangcheng.education.graph.prerequisites import (
    METHODS,
    edge_scores,
    evaluate_edges,
    infer_prerequisites,
    pair_statistics,
    score_auc,
)
from yangcheng.education.graph.store import GraphStore, LadybugStore

__all__ = ["QUERY_KINDS", "flat_metrics", "main", "run"]

QUERY_KINDS = ("prerequisites", "resources_for", "learning_path", "similar", "neighbourhood")
_RESULTS = Path("benchmarks/results/education-graph.json")


def _latencies(call: Callable[[Any], object], args: list[Any]) -> dict[str, float]:
    times_ms = []
    for a in args:
        start = time.perf_counter()
        call(a)
        times_ms.append((time.perf_counter() - start) * 1000.0)
    return {
        "p50_ms": float(np.percentile(times_ms, 50)),
        "p99_ms": float(np.percentile(times_ms, 99)),
        "calls": float(len(times_ms)),
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(
    n_resources: int = 1_000_000,
    seed: int = 0,
    n_queries: int = 200,
    workdir: str | Path | None = None,
    prerequisite_dataset: str = "sim-assist2009",
) -> dict[str, Any]:
    """Measure everything once; returns a JSON-able dict (see the module docstring)."""
    out: dict[str, Any] = {"n_resources": n_resources, "seed": seed}
    own_dir = workdir is None
    root = Path(tempfile.mkdtemp(prefix="yc-graph-")) if workdir is None else Path(workdir)
    try:
        start = time.perf_counter()
        data = generate_graph(n_resources, seed=seed)
        out["generate_s"] = time.perf_counter() - start

        start = time.perf_counter()
        encoder = MiniLMEncoder()
        out["encoder_init_s"] = time.perf_counter() - start
        out["onnx_export_s"] = encoder.export_s
        edges, cost = similar_edges(data.tables["Resource"], encoder.encode, k=5)
        data.tables["SIMILAR_TO"] = edges
        out["similar_to_s"] = time.perf_counter() - start
        out["embedded_texts"] = int(cost["distinct_texts"])
        out["embed_texts_per_s"] = cost["texts_per_s"]

        start = time.perf_counter()
        files = write_bulk(data, root / "bulk")
        out["write_s"] = time.perf_counter() - start

        db_path = root / "graph.lbdb"
        start = time.perf_counter()
        with LadybugStore(db_path) as store:
            out["counts"] = store.load(files)
            out["load_s"] = time.perf_counter() - start
            out["latency"] = _query_latencies(store, data.tables, n_queries, seed)
        out["db_mb"] = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20
        del data, edges

        start = time.perf_counter()
        ds = generate_dataset(prerequisite_dataset, seed=seed)
        stats = pair_statistics(ds.sequences)
        inference: dict[str, Any] = {"dataset": prerequisite_dataset}
        ids = ds.sequences.skill_ids
        for method in METHODS:
            inferred = infer_prerequisites(stats, method)
            inference[method] = evaluate_edges(inferred, ds.simulator, ids)
            scores = edge_scores(stats, method)  # every ordered pair ranked: threshold-free
            inference[method]["auc"] = score_auc(scores, ds.simulator, ids)
            inference[method]["closure_auc"] = score_auc(scores, ds.simulator, ids, closure=True)
        inference["seconds"] = time.perf_counter() - start
        out["prerequisite_inference"] = inference
        out["peak_rss_mb"] = _peak_rss_mb()
    finally:
        if own_dir:
            shutil.rmtree(root, ignore_errors=True)
    return out


def _query_latencies(
    store: GraphStore, tables: dict[str, Any], n: int, seed: int
) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng([seed, 99])
    concepts = tables["Concept"]["id"].to_numpy()
    resources = tables["Resource"]["id"].to_numpy()
    teachers = tables["Teacher"]["id"].to_numpy()
    pick_c = [str(c) for c in rng.choice(concepts, n)]
    pick_r = [str(r) for r in rng.choice(resources, n)]
    third = n // 3
    mixed = [
        str(x)
        for x in np.concatenate(
            [
                rng.choice(concepts, third),
                rng.choice(teachers, third),
                rng.choice(resources, n - 2 * third),
            ]
        )
    ]
    half_known = []
    for c in pick_c:
        ancestors = [p.concept for p in store.prerequisites(c, 30 if len(concepts) < 200 else 4)]
        half_known.append((c, set(ancestors[::2])))
    store.resources_for(pick_c[0])  # warm caches once, not measured
    return {
        "prerequisites": _latencies(lambda c: store.prerequisites(c, 3), pick_c),
        "resources_for": _latencies(lambda c: store.resources_for(c, limit=10), pick_c),
        "learning_path": _latencies(lambda a: store.learning_path(a[0], a[1]), half_known),
        "similar": _latencies(lambda r: store.similar(r, 10), pick_r),
        "neighbourhood": _latencies(lambda x: store.neighbourhood(x, 2, limit=200), mixed),
    }


def print_table(result: dict[str, Any], file: Any = None) -> None:
    file = file or sys.stdout
    print(f"education graph, {result['n_resources']:,} resources", file=file)
    for key in (
        "generate_s",
        "similar_to_s",
        "write_s",
        "load_s",
        "embed_texts_per_s",
        "peak_rss_mb",
    ):
        print(f"  {key:<22} {result[key]:>12.2f}", file=file)
    print(f"  {'embedded_texts':<22} {result['embedded_texts']:>12,}", file=file)
    for table, count in result["counts"].items():
        print(f"  {table:<22} {count:>12,}", file=file)
    print(f"  {'query':<22} {'p50_ms':>12} {'p99_ms':>10}", file=file)
    for kind, lat in result["latency"].items():
        print(f"  {kind:<22} {lat['p50_ms']:>12.2f} {lat['p99_ms']:>10.2f}", file=file)
    inference = result["prerequisite_inference"]
    print(f"  prerequisite inference on {inference['dataset']} (P / R / F1)", file=file)
    for method in METHODS:
        m = inference[method]
        print(
            f"  {method:<22} {m['precision']:>12.3f} {m['recall']:>10.3f} {m['f1']:>8.3f}",
            file=file,
        )


def flat(result: dict[str, Any]) -> dict[str, float | int | str]:
    out: dict[str, float | int | str] = {}
    for key, value in result.items():
        if isinstance(value, int | float | str):
            out[key] = value
    for table, count in result["counts"].items():
        out[f"count.{table}"] = count
    for kind, lat in result["latency"].items():
        out[f"{kind}.p50_ms"] = lat["p50_ms"]
        out[f"{kind}.p99_ms"] = lat["p99_ms"]
    for method in METHODS:
        for metric in ("precision", "recall", "f1", "closure_f1", "auc", "closure_auc"):
            out[f"prerequisites.{method}.{metric}"] = result["prerequisite_inference"][method][
                metric
            ]
    return out


def flat_metrics(quick: bool) -> dict[str, float | int | str]:
    """`yangcheng bench education`: the graph at 50,000 resources (quick) or a million."""
    result = run(50_000 if quick else 1_000_000, n_queries=100 if quick else 200)
    print_table(result)
    return flat(result)


def _write(result: dict[str, Any], path: Path) -> None:
    from yangcheng.bench import git_revision, machine_info

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({**result, "machine": machine_info(), "revision": git_revision()}, indent=2)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n-resources", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 resources")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--out", type=Path, default=_RESULTS)
    args = parser.parse_args(argv)
    result = run(50_000 if args.quick else args.n_resources, seed=args.seed, n_queries=args.queries)
    print_table(result)
    _write(result, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
