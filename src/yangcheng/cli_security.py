"""`yangcheng security`: generate the simulated X-ray baggage dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.progress import Progress

security_app = typer.Typer(
    help="Security: X-ray simulation, prohibited-item detector, sorting line.",
    no_args_is_help=True,
)
console = Console()

_CHUNK = 25


def _write_chunk(
    seed: int, images: int, hard: bool, size: int, out: str, lo: int, hi: int
) -> tuple[int, int, int]:
    """One shard, on whichever worker the executor picks: (lo, hi, samples newly written)."""
    from threadpoolctl import threadpool_limits

    from yangcheng.security.dataset import XrayBaggageDataset, write_samples

    dataset = XrayBaggageDataset(seed, images, size=(size, size), hard=hard)
    with threadpool_limits(limits=1):  # the executor's processes are the parallelism
        return lo, hi, write_samples(dataset, Path(out), range(lo, hi))


@security_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Folder for images/, labels/, coco.json, card.json.")],
    images: Annotated[int, typer.Option(min=1, max=100_000_000)] = 1000,
    seed: Annotated[int, typer.Option()] = 0,
    hard: Annotated[bool, typer.Option(help="Heavy clutter, overlap, thin profiles.")] = False,
    size: Annotated[int, typer.Option(min=64, max=2048, help="Image side in pixels.")] = 512,
    workers: Annotated[int, typer.Option(min=1, max=256, help="Local processes.")] = 2,
    executor: Annotated[
        str,
        typer.Option(
            help="process (local pool), thread, or ray (YANGCHENG_RAY_ADDRESS; on a cluster "
            "--out must be a folder every node shares)."
        ),
    ] = "process",
) -> None:
    """Generate (or resume generating) a dataset; samples already on disk are kept."""
    from yangcheng.config import Settings
    from yangcheng.platform.compute import make_executor
    from yangcheng.security.dataset import XrayBaggageDataset, export_coco

    if executor not in ("process", "thread", "ray"):
        raise typer.BadParameter(
            f"must be process, thread or ray, not {executor!r}", param_hint="--executor"
        )
    kind: Literal["process", "thread", "ray"] = executor  # type: ignore[assignment]
    pool = make_executor(Settings(executor=kind, workers=workers))
    chunks = [(lo, min(lo + _CHUNK, images)) for lo in range(0, images, _CHUNK)]
    calls = [(seed, images, hard, size, str(out.resolve()), lo, hi) for lo, hi in chunks]
    written = 0
    try:
        with Progress(console=console) as bar:
            task = bar.add_task(f"generating {images} bags on {pool.name}", total=images)
            for lo, hi, new in pool.map_unordered(_write_chunk, calls):
                written += new
                bar.advance(task, hi - lo)
    finally:
        pool.shutdown()
    coco = export_coco(XrayBaggageDataset(seed, images, size=(size, size), hard=hard), out)
    console.print(
        f"{written} new, {images - written} already there; {len(coco['annotations'])} "
        f"prohibited objects in {out / 'coco.json'}"
    )
