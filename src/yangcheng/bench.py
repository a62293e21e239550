"""`yangcheng bench <scenario>`: measures targets, prints, writes JSON, records the run.

Each scenario adds one function to BENCHMARKS. Results carry the machine (cores,
CPU model) and git revision so figures can be compared honestly.
"""

from __future__ import annotations

import json
import os
import platform as pyplatform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from yangcheng.config import Settings

Metrics = dict[str, Any]


def machine_info() -> dict[str, Any]:
    cpu = pyplatform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "python": pyplatform.python_version()}


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextmanager
def served(executor: str = "process") -> Iterator[tuple[str, dict[str, str]]]:
    """A real server in its own process (as deployed), on a fresh home; yields URL and headers.

    A server thread inside the measuring process would share its GIL with the
    client and report latencies no deployment has.
    """
    from yangcheng.platform.store import Database, upgrade

    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "YANGCHENG_HOME": home,
            "YANGCHENG_EXECUTOR": executor,
            "YANGCHENG_RATE_LIMIT_PER_MINUTE": "0",
            "YANGCHENG_DEFAULT_DAILY_QUOTA": "0",
        }
        env.pop("YANGCHENG_DATABASE_URL", None)
        settings = Settings(home=Path(home))
        upgrade(settings.resolved_database_url)
        db = Database(settings.resolved_database_url)
        from yangcheng.platform import auth

        with db.session() as s:
            raw, _ = auth.create_key(s, email="bench@yangcheng.local", organisation="B", scopes="*")
        db.dispose()
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "yangcheng.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("benchmark server did not start")
                time.sleep(0.1)
            yield base, {"Authorization": f"Bearer {raw}"}
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def bench_platform(quick: bool) -> Metrics:
    """HTTP invoke latency and throughput, and batch-job records per second."""
    n_calls = 200 if quick else 2000
    n_records = 1000 if quick else 20_000
    with (
        served("process") as (base, headers),
        httpx.Client(base_url=base, headers=headers, timeout=60) as http,
    ):
        path = "/v1/capabilities/finance.identity.documents:invoke"
        body = {"resident_id": "11010519491231002X", "bank_card": "6222020200112233446"}
        latencies = []
        for _ in range(n_calls):
            t0 = time.perf_counter()
            r = http.post(path, json=body)
            latencies.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()

        def burst(_: int) -> None:
            with httpx.Client(base_url=base, headers=headers, timeout=60) as h:
                for _ in range(n_calls // 8):
                    h.post(path, json=body).raise_for_status()

        t0 = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(burst, range(8)))
        concurrent_rps = (n_calls // 8 * 8) / (time.perf_counter() - t0)

        items = [body] * n_records
        t0 = time.perf_counter()
        job = http.post(
            "/v1/jobs", json={"capability": "finance.identity.documents", "items": items}
        )
        job.raise_for_status()
        job_id = job.json()["id"]
        while True:
            info = http.get(f"/v1/jobs/{job_id}").json()
            if info["state"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        job_s = time.perf_counter() - t0
        if info["state"] != "succeeded":
            raise RuntimeError(f"benchmark job ended {info['state']}: {info['error']}")
    return {
        "invoke_calls": n_calls,
        "invoke_latency_p50_ms": statistics.median(latencies),
        "invoke_latency_p95_ms": _percentile(latencies, 0.95),
        "invoke_latency_p99_ms": _percentile(latencies, 0.99),
        "invoke_sequential_rps": 1000.0 / statistics.mean(latencies),
        "invoke_concurrent8_rps": concurrent_rps,
        "job_records": n_records,
        "job_wall_s": job_s,
        "job_records_per_s": n_records / job_s,
    }


def _finance_worker(args: tuple[str, list[dict[str, Any]]]) -> tuple[int, float]:
    """One process deciding its share of the stream; returns (count, seconds)."""
    from yangcheng.finance.engine import FinanceEngine

    folder, rows = args
    engine = FinanceEngine(folder)
    engine.install_shipped_flows()
    engine.decide("card_payment", rows[0])  # compile and warm up outside the clock
    t0 = time.perf_counter()
    for row in rows[1:]:
        engine.decide("card_payment", row)
    return len(rows) - 1, time.perf_counter() - t0


def bench_finance(quick: bool) -> Metrics:
    """Decision latency and throughput of the shipped card flow (30 rules, velocity, model).

    In-process through the engine (routing, lists, velocity, rules, LightGBM, audit
    append), on 1 and 2 processes; then over HTTP. Also each shipped flow's backtest.
    """
    import multiprocessing

    from yangcheng.finance.backtest import backtest
    from yangcheng.finance.engine import FinanceEngine
    from yangcheng.finance.history import labelled_history

    n = 3000 if quick else 30_000
    _, rows, _ = labelled_history("card_payment", n, seed=7)
    metrics: Metrics = {"flow": "card_payment", "rules": 30, "decisions": n}
    with tempfile.TemporaryDirectory() as tmp:
        engine = FinanceEngine(Path(tmp) / "one")
        engine.install_shipped_flows()
        engine.decide("card_payment", rows[0])
        latencies = []
        t0 = time.perf_counter()
        for row in rows[1:]:
            t = time.perf_counter()
            engine.decide("card_payment", row)
            latencies.append((time.perf_counter() - t) * 1000)
        wall = time.perf_counter() - t0
        engine.close()
        metrics.update(
            inprocess_p50_ms=statistics.median(latencies),
            inprocess_p99_ms=_percentile(latencies, 0.99),
            inprocess_max_ms=max(latencies),
            inprocess_1proc_per_s=len(latencies) / wall,
        )
        # two processes, each a shard of cards (velocity is per card, so shards are exact)
        shards: list[list[dict[str, Any]]] = [[], []]
        for row in rows:
            shards[hash(row["card_id"]) % 2].append(row)
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(2) as pool:
            t0 = time.perf_counter()
            results = pool.map(
                _finance_worker, [(str(Path(tmp) / f"shard{i}"), s) for i, s in enumerate(shards)]
            )
            wall2 = time.perf_counter() - t0
        metrics["inprocess_2proc_per_s"] = sum(c for c, _ in results) / max(s for _, s in results)
        metrics["inprocess_2proc_wall_per_s"] = sum(c for c, _ in results) / wall2
        metrics.update(_finance_http(rows[: 300 if quick else 3000]))
        for flow_name in ("card_payment", "consumer_credit"):
            eng = FinanceEngine(Path(tmp) / "bt")
            eng.install_shipped_flows()
            release = eng.releases.active("flow", flow_name)
            assert release is not None
            flow = eng.flow(release)
            _, hist, labels = labelled_history(flow.business, 5000 if quick else 50_000, seed=11)
            report = backtest(flow, hist, labels)
            for key in ("recall", "precision", "hit_rate", "score_auc", "decline_recall"):
                metrics[f"backtest_{flow_name}_{key}"] = getattr(report, key)
            eng.close()
    return metrics


def _finance_http(rows: list[dict[str, Any]]) -> Metrics:
    url = "/v1/capabilities/finance.decide:invoke"
    with (
        served("thread") as (base, headers),
        httpx.Client(base_url=base, headers=headers, timeout=60) as h,
    ):
        h.post(url, json={"flow": "card_payment", "transaction": rows[0]}).raise_for_status()
        latencies = []
        t0 = time.perf_counter()
        for row in rows[1:]:
            t = time.perf_counter()
            h.post(url, json={"flow": "card_payment", "transaction": row}).raise_for_status()
            latencies.append((time.perf_counter() - t) * 1000)
        wall = time.perf_counter() - t0
    return {
        "http_p50_ms": statistics.median(latencies),
        "http_p99_ms": _percentile(latencies, 0.99),
        "http_per_s": len(latencies) / wall,
    }


def bench_finance_models(quick: bool) -> Metrics:
    """ROC-AUC, PR-AUC and recall at 1% FPR of the risk models on held-out data."""
    from yangcheng.finance.models.benchmark import flat_metrics

    return flat_metrics(quick)


def bench_identity(quick: bool) -> Metrics:
    """Per-check latency of the identity checks and QC seconds per minute of recording."""
    from yangcheng.finance.recording.benchmark import flat_metrics

    return flat_metrics(quick)


def bench_security_data(quick: bool) -> Metrics:
    """Simulated X-ray bags per hour per core (target 10,000 at 512x512) and their contents."""
    from yangcheng.security.benchmark import flat_metrics

    return flat_metrics(quick)


def bench_security(quick: bool) -> Metrics:
    """Detector latency per 512x512 bag on 2 threads (target <= 100 ms, 36,000 items/hour)."""
    from yangcheng.security.detect.benchmark import flat_metrics

    return flat_metrics(quick)


def bench_security_line(quick: bool) -> Metrics:
    """Sorting line end to end on 2 workers: capacity, sustained 36,000 items/h, latency;
    and a 1 M items/day site forecast and staffed."""
    from yangcheng.security.line.benchmark import flat_metrics

    return flat_metrics(quick)


def bench_education_kt(quick: bool) -> Metrics:
    """Knowledge tracing, pyKT's protocol: AUC/ACC per model per dataset (one of five folds
    on this machine's CPU), training time, ONNX latency for one student."""
    from yangcheng.education.tracing.benchmark import flat_metrics

    return flat_metrics(quick)


def bench_education(quick: bool) -> Metrics:
    """Education at scale: the knowledge graph (1 M resources: load, query latency,
    prerequisite inference, embeddings), the learner network (1 M nodes / 5 M edges:
    PageRank, Leiden, anomalies, incremental updates), recommendation (Recall/NDCG@20 against
    popularity and ALS, p99 latency), dropout prediction AUC and tutoring gains."""
    from importlib import import_module

    flat: Metrics = {}
    for part in ("graph", "network", "recommend", "tutor"):  # tutor: dropout AUC too
        module = import_module(f"yangcheng.education.{part}.benchmark")
        for key, value in module.flat_metrics(quick).items():
            flat[key if key.split(".")[0] in (part, "dropout") else f"{part}.{key}"] = value
    return flat


def bench_radiotherapy(quick: bool) -> Metrics:
    """Radiotherapy: TG-119 hard C-shape plans (robotic non-coplanar vs 9-field IMRT: time,
    memory, goals met), the dose engine's cost and water-phantom figures, and respiratory
    motion prediction RMSE per horizon."""
    from yangcheng.radiotherapy.benchmark import flat_metrics

    return flat_metrics(quick)


BENCHMARKS: dict[str, Callable[[bool], Metrics]] = {
    "platform": bench_platform,
    "finance": bench_finance,
    "finance-models": bench_finance_models,
    "identity": bench_identity,
    "security-data": bench_security_data,
    "security": bench_security,
    "security-line": bench_security_line,
    "education-kt": bench_education_kt,
    "education": bench_education,
    "radiotherapy": bench_radiotherapy,
}


def run_benchmark(
    scenario: str, *, quick: bool, settings: Settings, out_dir: Path
) -> dict[str, Any]:
    if scenario not in BENCHMARKS:
        raise KeyError(f"no benchmark {scenario!r}; choose from {', '.join(BENCHMARKS)}")
    metrics = BENCHMARKS[scenario](quick)
    report: dict[str, Any] = {
        "scenario": scenario,
        "quick": quick,
        "metrics": metrics,
        "machine": machine_info(),
        "revision": git_revision(),
        "created_at": datetime.now(UTC).isoformat(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{scenario}.json"
    path.write_text(json.dumps(report, indent=2))
    report["path"] = str(path)

    from yangcheng.platform.store import BenchmarkRun, Database, upgrade

    upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as s:
            s.add(
                BenchmarkRun(
                    scenario=scenario,
                    name=f"{scenario}{'-quick' if quick else ''}",
                    metrics=metrics,
                    machine=report["machine"],
                    revision=report["revision"],
                )
            )
    finally:
        db.dispose()
    return report
