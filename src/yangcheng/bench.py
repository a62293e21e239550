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
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


def bench_platform(quick: bool) -> Metrics:
    """HTTP invoke latency and throughput, and batch-job records per second."""
    import uvicorn

    from yangcheng.platform import auth, create_app
    from yangcheng.platform.store import upgrade

    n_calls = 200 if quick else 2000
    n_records = 1000 if quick else 20_000
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home),
            executor="process",
            workers=2,
            rate_limit_per_minute=0,
            default_daily_quota=0,
        )
        upgrade(settings.resolved_database_url)
        app = create_app(settings)
        with app.state.platform.db.session() as s:
            raw, _ = auth.create_key(
                s, email="bench@yangcheng.local", organisation="Bench", scopes="*"
            )
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {raw}"}
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
                for _ in range(200):
                    try:
                        if http.get("/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        time.sleep(0.05)
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
        finally:
            server.should_exit = True
            thread.join(timeout=30)
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


BENCHMARKS: dict[str, Callable[[bool], Metrics]] = {"platform": bench_platform}


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
