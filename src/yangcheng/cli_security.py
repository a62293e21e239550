"""`yangcheng security`: generate the simulated X-ray baggage dataset."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

security_app = typer.Typer(
    help="Security: dual-energy X-ray simulation (detector and sorting line to come).",
    no_args_is_help=True,
)
console = Console()

_CHUNK = 25


def _write_chunk(seed: int, images: int, hard: bool, size: int, out: str, lo: int, hi: int) -> int:
    from yangcheng.security.dataset import XrayBaggageDataset, write_samples

    dataset = XrayBaggageDataset(seed, images, size=(size, size), hard=hard)
    return write_samples(dataset, Path(out), range(lo, hi))


@security_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Folder for images/, labels/, coco.json, card.json.")],
    images: Annotated[int, typer.Option(min=1, max=100_000_000)] = 1000,
    seed: Annotated[int, typer.Option()] = 0,
    hard: Annotated[bool, typer.Option(help="Heavy clutter, overlap, thin profiles.")] = False,
    size: Annotated[int, typer.Option(min=64, max=2048, help="Image side in pixels.")] = 512,
    workers: Annotated[int, typer.Option(min=1, max=256, help="Local processes.")] = 2,
) -> None:
    """Generate (or resume generating) a dataset; samples already on disk are kept."""
    from yangcheng.security.dataset import XrayBaggageDataset, export_coco

    chunks = [(lo, min(lo + _CHUNK, images)) for lo in range(0, images, _CHUNK)]
    written = 0
    with Progress(console=console) as bar:
        task = bar.add_task(f"generating {images} bags", total=images)
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {
                pool.submit(_write_chunk, seed, images, hard, size, str(out), lo, hi): hi - lo
                for lo, hi in chunks
            }
            for future in as_completed(futures):
                written += future.result()
                bar.advance(task, futures[future])
    coco = export_coco(XrayBaggageDataset(seed, images, size=(size, size), hard=hard), out)
    console.print(
        f"{written} new, {images - written} already there; {len(coco['annotations'])} "
        f"prohibited objects in {out / 'coco.json'}"
    )
