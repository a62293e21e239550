"""`yangcheng security line run | status | labels`: the sorting line from the shell."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from yangcheng.cli_security import security_app

console = Console()
line_app = typer.Typer(
    help="The sorting line: run it, watch it, export verdicts.", no_args_is_help=True
)
security_app.add_typer(line_app, name="line")


def _store_location(store: str | None, must_exist: bool = False) -> str:
    """The platform's own line store unless ``--store`` names a file or a PostgreSQL URL."""
    from yangcheng.security.line.backend import is_server_url
    from yangcheng.security.service_line import line_location

    location = store or line_location()
    if must_exist and not is_server_url(location) and not Path(location).exists():
        raise typer.BadParameter(
            f"no line store at {location}; run a line first", param_hint="--store"
        )
    return location


def _pool_folder(location: str) -> Path:
    from yangcheng.security.line.backend import is_server_url
    from yangcheng.security.service_line import line_folder

    return line_folder() / "pool" if is_server_url(location) else Path(location).parent / "pool"


@line_app.command("run")
def run(
    items: Annotated[int, typer.Option(min=1, max=10_000_000)] = 1000,
    rate: Annotated[float, typer.Option(min=1, help="Arrivals, items/hour, whole line.")] = 7200,
    lanes: Annotated[int, typer.Option(min=1, max=64)] = 2,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Local worker processes.")] = 2,
    placement: Annotated[
        str,
        typer.Option(
            help="process (supervised local processes) or ray (an actor per lane; "
            "YANGCHENG_RAY_ADDRESS, or a local Ray)."
        ),
    ] = "process",
    source: Annotated[
        str,
        typer.Option(
            help="simulated (scan each bag in the worker) or pool (replay bags "
            "scanned beforehand, as a scanner hands over images)."
        ),
    ] = "simulated",
    pool_bags: Annotated[int, typer.Option(min=1, max=10_000)] = 64,
    threshold: Annotated[float | None, typer.Option(min=0, max=1)] = None,
    realtime: Annotated[
        bool, typer.Option(help="Pace arrivals; --no-realtime measures capacity.")
    ] = True,
    hard_fraction: Annotated[float, typer.Option(min=0, max=1)] = 0.2,
    seed: Annotated[int, typer.Option()] = 0,
    store: Annotated[
        str | None,
        typer.Option(
            help="Line store: a SQLite file or a PostgreSQL URL (default: the "
            "platform's, under YANGCHENG_HOME or in its PostgreSQL)."
        ),
    ] = None,
    tip_every: Annotated[
        int,
        typer.Option(
            min=0,
            help="Threat image projection: about one cleared bag in N lends its picture to "
            "a test threat in the operators' queue (0: none).",
        ),
    ] = 0,
    tip_classes: Annotated[
        str | None, typer.Option(help="Comma-separated threat classes to project (default all).")
    ] = None,
    tip_library: Annotated[
        Path | None,
        typer.Option(
            help="Project the site's own captured threats from this library folder "
            "(`security threats add`) instead of the simulator's."
        ),
    ] = None,
    select_every: Annotated[
        int,
        typer.Option(
            min=0,
            help="About one cleared bag in N goes before the operators as it is (0: none); "
            "with --tip-every, the tests the detector missed hide among them.",
        ),
    ] = 0,
) -> None:
    """Feed a line of simulated scanners and decide every item; prints the line's report."""
    from yangcheng.security.line import (
        Conveyor,
        LineConfigError,
        ProcessWorkers,
        RayLaneWorkers,
        RoutingPolicy,
        TipConfigError,
        TipPolicy,
        WorkerConfig,
        build_pool,
        item_feed,
        run_line,
    )
    from yangcheng.security.line.workers import WorkerGroup

    try:
        classes = None if tip_classes is None else tuple(c.strip() for c in tip_classes.split(","))
        tip = TipPolicy(
            every=tip_every,
            classes=classes,
            select_every=select_every,
            library=None if tip_library is None else str(tip_library),
        )
    except TipConfigError as exc:
        hint = "--" + exc.field.replace("_", "-")
        raise typer.BadParameter(exc.reason, param_hint=hint) from None

    if placement not in ("process", "ray"):
        raise typer.BadParameter(
            f"must be process or ray, not {placement!r}", param_hint="--placement"
        )
    if source not in ("simulated", "pool"):
        raise typer.BadParameter(
            f"must be simulated or pool, not {source!r}", param_hint="--source"
        )
    location = _store_location(store)
    conveyor = Conveyor()
    try:
        events = list(
            item_feed(
                items=items,
                rate_per_h=rate,
                lanes=lanes,
                conveyor=conveyor,
                seed=seed,
                hard_fraction=hard_fraction,
                source=source,
            )
        )
    except LineConfigError as exc:
        raise typer.BadParameter(exc.reason, param_hint=f"--{exc.field.split('_')[0]}") from None
    pool = None
    if source == "pool":
        with console.status(f"scanning a pool of {pool_bags} bags (once)"):
            pool = str(build_pool(_pool_folder(location), pool_bags, hard_fraction=hard_fraction))
    config = WorkerConfig(
        store_location=location,
        deadline_s=conveyor.decision_deadline_s,
        policy=RoutingPolicy(threshold=threshold),
        pool=pool,
        tip=tip,
    )
    group: WorkerGroup
    if placement == "ray":
        import ray

        from yangcheng.config import Settings

        if not ray.is_initialized():
            ray.init(address=Settings().ray_address, include_dashboard=False, log_to_driver=False)
        group = RayLaneWorkers(config, [f"L{i + 1}" for i in range(lanes)])
    else:
        group = ProcessWorkers(config, workers)
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} decided"),
        TextColumn("queue {task.fields[backlog]}"),
        TimeElapsedColumn(),
        console=console,
    )
    with bar:
        task = bar.add_task(f"line of {lanes} lanes, {placement}", total=len(events), backlog=0)

        def progress(fed: int, decided: int, backlog: int) -> None:
            bar.update(task, completed=decided, backlog=backlog)

        t0 = time.perf_counter()
        report = run_line(location, events, group, realtime=realtime, progress=progress)
        bar.update(task, completed=report.decided, backlog=0)
    table = Table(title=f"line report ({time.perf_counter() - t0:.0f} s; store {location})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in asdict(report).items():
        shown = f"{value:,.1f}" if isinstance(value, float) else str(value)
        table.add_row(key, shown)
    console.print(table)


@line_app.command("watch")
def watch(
    inbox: Annotated[
        Path, typer.Option(help="The folder the scanner drops each bag's two DICOS DX files in.")
    ],
    outbox: Annotated[
        Path | None,
        typer.Option(help="Write each bag's DICOS Threat Detection Report here."),
    ] = None,
    lane: Annotated[str, typer.Option(help="The lane this scanner feeds.")] = "L1",
    scanner_id: Annotated[str, typer.Option(help="The scanner's id on the line.")] = "XR01",
    scanner: Annotated[
        str | None,
        typer.Option(help="Read the files' counts through this scanner profile."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Local worker processes.")] = 2,
    threshold: Annotated[float | None, typer.Option(min=0, max=1)] = None,
    items: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many bags (default: run on).")
    ] = None,
    idle_exit: Annotated[
        float | None,
        typer.Option(min=0, help="Stop once no scan has come for this many seconds."),
    ] = None,
    settle: Annotated[
        float, typer.Option(min=0, help="Seconds a file must be unchanged before it is read.")
    ] = 1.0,
    store: Annotated[
        str | None,
        typer.Option(help="Line store: a SQLite file or a PostgreSQL URL (default: platform's)."),
    ] = None,
) -> None:
    """Decide the bags a scanner drops in a folder as DICOS, until stopped (Ctrl-C)."""
    from yangcheng.security.line import ProcessWorkers, RoutingPolicy, WorkerConfig, run_line
    from yangcheng.security.line.conveyor import Conveyor
    from yangcheng.security.line.dicos_inbox import Inbox, inbox_feed

    location = _store_location(store)
    folder = Inbox(
        inbox, lane=lane, scanner_id=scanner_id, scanner=scanner, outbox=outbox, settle_s=settle
    )
    config = WorkerConfig(
        store_location=location,
        deadline_s=Conveyor().decision_deadline_s,
        policy=RoutingPolicy(threshold=threshold),
    )
    seen = (0, 0)

    def progress(fed: int, done: int, backlog: int) -> None:
        nonlocal seen
        if (fed, done) != seen:
            seen = (fed, done)
            console.print(f"{fed} bags taken, {done} decided, {backlog} waiting")

    console.print(
        f"watching {inbox} for DICOS scans (lane {lane}, scanner {scanner_id}"
        + (f", profile {scanner}" if scanner else "")
        + (f"; reports to {outbox}" if outbox else "")
        + "); Ctrl-C stops"
    )
    events = inbox_feed(folder, idle_exit_s=idle_exit, items=items)
    report = run_line(location, events, ProcessWorkers(config, workers), progress=progress)
    routes = ", ".join(f"{k} {v}" for k, v in report.routes.items())
    console.print(
        f"{report.decided} bags decided ({routes}); p99 {report.latency_p99_ms:.0f} ms; "
        f"refused files in {folder.refused}"
    )


@line_app.command("status")
def status(
    window_min: Annotated[float, typer.Option(min=0.1, help="Minutes to look back.")] = 15,
    store: Annotated[str | None, typer.Option(help="A SQLite file or PostgreSQL URL.")] = None,
) -> None:
    """Throughput, queue, alarms, latency and review workload, per lane."""
    from yangcheng.security.line import LineStore
    from yangcheng.security.line.metrics import line_figures

    location = _store_location(store, must_exist=True)
    f = line_figures(LineStore(location), window_s=window_min * 60)
    console.print(
        f"{f.decided} decided in {window_min:g} min · {f.items_per_h:,.0f} items/h · queue "
        f"{f.backlog} · alarms {100 * f.alarm_rate:.1f} % · p99 {f.latency_p99_ms:.0f} ms · "
        f"late {f.late} · awaiting review {f.pending_reviews}"
    )
    table = Table()
    for col in ("lane", "decided", "items/h", "alarm %", "belt stops", "p99 ms", "late"):
        table.add_column(col, justify="left" if col == "lane" else "right")
    for lane in f.lanes:
        table.add_row(
            lane.lane,
            str(lane.decided),
            f"{lane.items_per_h:,.0f}",
            f"{100 * lane.alarm_rate:.1f}",
            str(lane.stop_belt),
            f"{lane.latency_p99_ms:.0f}",
            str(lane.late),
        )
    console.print(table)


@line_app.command("tips")
def tips(
    window_days: Annotated[float, typer.Option(min=0.001, help="Days to look back.")] = 30,
    store: Annotated[str | None, typer.Option(help="A SQLite file or PostgreSQL URL.")] = None,
    target: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            max=1.0,
            help="Required hit rate: flag operators whose 95 % interval lies wholly below it.",
        ),
    ] = None,
) -> None:
    """Threat image projection: each operator's hit rate, and the detector's per class."""
    from yangcheng.security.line import LineStore
    from yangcheng.security.line.tip_figures import tip_figures

    location = _store_location(store, must_exist=True)
    f = tip_figures(LineStore(location).tips(since=time.time() - window_days * 86_400))
    console.print(
        f"{f.projected} test threats in {window_days:g} days · {f.pending} awaiting a verdict · "
        f"operators {f.operators.text()} · where the detector missed "
        f"{f.operators_where_detector_missed.text()} · detector {f.detector.text()}"
    )
    table = Table(title="operators' hit rate (95 % interval)")
    columns = ["operator", "all tests", "detector alarmed", "detector missed"]
    columns += [] if target is None else [f"below {100 * target:.0f} %"]
    for col in columns:
        table.add_column(col, justify="left" if col == "operator" else "right")
    for o in f.by_operator:
        row = [o.hits.text(), o.hits_where_detector_alarmed.text()]
        row += [o.hits_where_detector_missed.text()]
        row += [] if target is None else ["yes" if o.hits.below(target) else "no"]
        table.add_row(o.operator, *row)
    console.print(table)
    table = Table(title="threat classes")
    for col in ("class", "projected", "detector alarmed", "operators hit"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for c in f.by_class:
        table.add_row(c.threat_class, str(c.projected), c.detector.text(), c.operators.text())
    console.print(table)


@line_app.command("labels")
def labels(
    out: Annotated[Path, typer.Option(help="JSON Lines file to write.")],
    store: Annotated[str | None, typer.Option(help="A SQLite file or PostgreSQL URL.")] = None,
) -> None:
    """Operators' verdicts with each item's source and detections: retraining labels."""
    from yangcheng.security.line import LineStore

    location = _store_location(store, must_exist=True)
    n = 0
    with out.open("w") as f:
        for row in LineStore(location).labels():
            f.write(json.dumps(row) + "\n")
            n += 1
    console.print(f"{n} verdicts written to {out}")
