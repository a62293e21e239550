from __future__ import annotations

from yangcheng.education.network.benchmark import flatten, run


def test_small_run_reports_every_figure() -> None:
    result = run(3_000, 15_000, seed=0, threads=1, n_batches=2, compare_igraph=True)
    flat = flatten(result)
    for key in (
        "generate_s",
        "pagerank_s",
        "leiden_s",
        "modularity",
        "vs_class.nmi",
        "influence.precision_at_k_repliers",
        "anomaly.stopped.recall",
        "incremental.ingest_events_per_s",
        "incremental.small_refresh_warm_ms",
        "peak_rss_mb",
    ):
        assert key in flat
    assert all(isinstance(v, float | int | str) for v in flat.values())
    assert flat["anomaly.bursty.f1"] == 1.0
    assert flat["igraph.vs_course_nmi"] > 0.5
    assert flat["incremental.warm_top100_overlap"] >= 95
