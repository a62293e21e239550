"""Benchmark of the learner-network analytics at scale: `python -m ...network.benchmark`.

Generates a planted network, times each step with NetworKit pinned to ``threads`` threads,
scores recovery of what was planted, and streams the last share of events through
:class:`LiveNetwork` to measure ingest rate and warm PageRank refresh against a recompute.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.bench import git_revision, machine_info
from yangcheng.education.network.analytics import (
    agreement,
    core_numbers,
    degrees,
    detect_communities,
    independent_cascade,
    pagerank,
    precision_recall,
    set_threads,
    top_k,
)
from yangcheng.education.network.anomaly import learner_flags
from yangcheng.education.network.events import InteractionEvents
from yangcheng.education.network.generate import generate_network
from yangcheng.education.network.graph import build_graph, reply_graph, social_graph
from yangcheng.education.network.incremental import LiveNetwork, power_pagerank

RESULTS = Path("benchmarks/results/education_network.json")


def run(
    n_nodes: int = 1_000_000,
    n_edges: int = 5_000_000,
    seed: int = 0,
    *,
    threads: int = 2,
    stream_fraction: float = 0.1,
    n_batches: int = 10,
    compare_igraph: bool = False,
) -> dict[str, Any]:
    """Every figure of the benchmark as a nested dict (seconds, scores, counts).

    ``compare_igraph`` also runs igraph's Leiden (modularity) on the same social graph.
    """
    set_threads(threads)
    result: dict[str, Any] = {"n_nodes": n_nodes, "n_edges": n_edges, "seed": seed}
    result["threads"] = threads

    tic = time.perf_counter()
    network = generate_network(n_nodes, n_edges, seed)
    result["generate_s"] = time.perf_counter() - tic
    events, truth = network.events, network.truth

    tic = time.perf_counter()
    full = build_graph(events)
    result["build_full_s"] = time.perf_counter() - tic
    tic = time.perf_counter()
    social = social_graph(events)
    replies = reply_graph(events)
    result["build_projections_s"] = time.perf_counter() - tic
    result["full_edges"] = full.graph.numberOfEdges()
    result["social_edges"] = social.graph.numberOfEdges()

    tic = time.perf_counter()
    pagerank(full.graph)
    result["pagerank_s"] = time.perf_counter() - tic
    tic = time.perf_counter()
    core = core_numbers(full.graph)
    result["kcore_s"] = time.perf_counter() - tic
    result["max_core"] = int(core.max())

    tic = time.perf_counter()
    communities = detect_communities(social.graph, seed=seed, reproducible=False)
    result["leiden_s"] = time.perf_counter() - tic
    result["modularity"] = communities.modularity
    result["n_communities"] = communities.n_communities
    result["vs_class"] = agreement(communities.labels, truth.class_of_student)
    result["vs_course"] = agreement(communities.labels, truth.course_of_student)

    if compare_igraph:
        result["igraph"] = _igraph_leiden(social, truth.course_of_student, seed)

    result["influence"] = _influence(replies, truth.influential, seed)

    tic = time.perf_counter()
    flags = learner_flags(events, social, communities.labels)
    result["flags_s"] = time.perf_counter() - tic
    result["anomaly"] = {
        name: precision_recall(flags["node"][flags[name]].to_numpy(), planted)
        for name, planted in (
            ("isolated", truth.isolated),
            ("stopped", truth.dropouts),
            ("bursty", truth.bursty),
        )
    }
    del full, social, replies, flags, core

    result["incremental"] = _incremental(events, stream_fraction, n_batches)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _igraph_leiden(social: Any, course: np.ndarray, seed: int) -> dict[str, Any]:
    """igraph's Leiden on the same weighted social graph, as a reference point."""
    import random

    import igraph as ig
    import scipy.sparse as sp

    upper = sp.triu(social.matrix).tocoo()
    tic = time.perf_counter()
    graph = ig.Graph(n=social.n_nodes, edges=np.column_stack([upper.row, upper.col]))
    build_s = time.perf_counter() - tic
    random.seed(seed)
    ig.set_random_number_generator(random)
    tic = time.perf_counter()
    found = graph.community_leiden(
        objective_function="modularity", weights=upper.data.tolist(), n_iterations=2
    )
    leiden_s = time.perf_counter() - tic
    labels = np.asarray(found.membership)
    return {
        "build_s": build_s,
        "leiden_s": leiden_s,
        "modularity": float(graph.modularity(labels.tolist(), weights=upper.data.tolist())),
        "n_communities": int(labels.max()) + 1,
        "vs_course_nmi": agreement(labels, course)["nmi"],
    }


def _influence(replies: Any, planted: np.ndarray, seed: int) -> dict[str, Any]:
    """Find the planted influencers, and compare cascades from them with random seeds."""
    k = planted.shape[0]
    repliers = degrees(replies.graph, in_degree=True).astype(np.float64)
    by_repliers = top_k(repliers, k)
    by_pagerank = top_k(pagerank(replies.graph), k)
    spread = replies.matrix.T.tocsr()  # the replied-to influences the replier
    rng = np.random.default_rng(seed)
    random_seeds = rng.permutation(repliers.shape[0])[:k]
    return {
        "k": k,
        "precision_at_k_repliers": precision_recall(replies.nodes[by_repliers], planted)[
            "precision"
        ],
        "precision_at_k_pagerank": precision_recall(replies.nodes[by_pagerank], planted)[
            "precision"
        ],
        "cascade_top": independent_cascade(spread, by_repliers, n_runs=10, seed=seed),
        "cascade_random": independent_cascade(spread, random_seeds, n_runs=10, seed=seed),
    }


def _incremental(
    events: InteractionEvents, stream_fraction: float, n_batches: int, small_batch: int = 1_000
) -> dict:
    """Stream the last ``stream_fraction`` of events in ``n_batches`` (ingest rate, warm
    refresh), then one real-time batch of ``small_batch`` events (refresh latency, warm
    power iteration vs push vs recompute)."""
    frame = events.events
    n_base = int(len(frame) * (1 - stream_fraction))
    base = InteractionEvents(frame.iloc[:n_base].reset_index(drop=True), events.node_type)
    tic = time.perf_counter()
    live = LiveNetwork(base)
    build_s = time.perf_counter() - tic
    live.refresh_pagerank()
    ingest_s, refresh_s, iterations = [], [], []
    stream = np.arange(n_base, len(frame) - small_batch)
    for batch in np.array_split(stream, n_batches):
        report = live.ingest(frame.iloc[batch])
        ingest_s.append(report.ingest_s)
        refresh = live.refresh_pagerank()
        refresh_s.append(refresh.refresh_s)
        iterations.append(refresh.iterations)
    previous = live.scores
    small = live.ingest(frame.iloc[len(frame) - small_batch :])
    push = live.refresh_pagerank(method="push")
    live.scores = previous
    warm = live.refresh_pagerank(method="power")
    reference = live.recompute_pagerank()
    tic = time.perf_counter()
    _, cold_iterations = power_pagerank(live.matrix, directed=False, tol=1e-7)
    cold_s = time.perf_counter() - tic
    overlap = np.intersect1d(top_k(warm.scores, 100), top_k(reference.scores, 100)).shape[0]
    n_streamed = int(stream.shape[0])
    return {
        "base_build_s": build_s,
        "streamed_events": n_streamed,
        "batches": n_batches,
        "ingest_events_per_s": n_streamed / sum(ingest_s),
        "batch_refresh_warm_ms_mean": 1e3 * float(np.mean(refresh_s)),
        "batch_refresh_iterations_mean": float(np.mean(iterations)),
        "small_batch_events": small_batch,
        "small_batch_ingest_ms": 1e3 * small.ingest_s,
        "small_refresh_push_ms": 1e3 * push.refresh_s,
        "small_refresh_push_rounds": push.iterations,
        "small_refresh_warm_ms": 1e3 * warm.refresh_s,
        "small_refresh_warm_iterations": warm.iterations,
        "recompute_networkit_ms": 1e3 * reference.refresh_s,
        "recompute_cold_power_ms": 1e3 * cold_s,
        "cold_power_iterations": cold_iterations,
        "warm_l1_diff_vs_networkit": float(np.abs(warm.scores - reference.scores).sum()),
        "push_l1_diff_vs_networkit": float(np.abs(push.scores - reference.scores).sum()),
        "warm_top100_overlap": overlap,
        "stopped_students": int(live.stopped_students().shape[0]),
    }


def flatten(result: dict[str, Any], prefix: str = "") -> dict[str, float | int | str]:
    flat: dict[str, float | int | str] = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, float | int | str):
            flat[name] = value
    return flat


def print_table(flat: dict[str, float | int | str]) -> None:
    width = max(len(k) for k in flat)
    for key, value in flat.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        print(f"{key:{width}s}  {shown}")


def flat_metrics(quick: bool) -> dict[str, float | int | str]:
    """`yangcheng bench education`: 100k nodes / 500k events quick, 1M / 5M in full."""
    flat = flatten(run(100_000, 500_000) if quick else run())
    print_table(flat)
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument("--edges", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--igraph", action="store_true", help="also time igraph's Leiden")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON result ('-': none)")
    args = parser.parse_args(argv)
    result = run(
        args.nodes, args.edges, args.seed, threads=args.threads, compare_igraph=args.igraph
    )
    print_table(flatten(result))
    if str(args.out) != "-":
        record = {"machine": machine_info(), "revision": git_revision(), "result": result}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
