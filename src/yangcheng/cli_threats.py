"""`yangcheng security threats`: the site's own threat images (FTIs) for threat image
projection, captured alone on its scanner and kept as basis-material paths
(`security.threat_library`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from yangcheng.cli_security import security_app

threats_app = typer.Typer(
    help="The site's threat library: threats scanned alone, projected into bags for TIP.",
    no_args_is_help=True,
)
security_app.add_typer(threats_app, name="threats")
console = Console()

LibraryOption = Annotated[
    Path | None,
    typer.Option(help="The library folder (default: security/threat-library in the data folder)."),
]


def _library(folder: Path | None) -> Path:
    from yangcheng.config import Settings
    from yangcheng.security.threat_library import default_library_folder

    return folder if folder is not None else default_library_folder(Settings().home)


@threats_app.command("add")
def add_command(
    low: Annotated[Path, typer.Option(help="The threat scanned alone: low-energy 16-bit image.")],
    high: Annotated[Path, typer.Option(help="The same scan's high-energy image.")],
    threat_class: Annotated[str, typer.Option("--class", help="Its prohibited class.")],
    threat_id: Annotated[str, typer.Option("--id", help="Its name in the library.")],
    name: Annotated[
        str | None,
        typer.Option(
            help="The scanner's profile (its raw counts); without one the images are the "
            "reference scanner's transmission."
        ),
    ] = None,
    library: LibraryOption = None,
) -> None:
    """Add a threat scanned alone on an empty tray to the library."""
    import cv2
    import numpy as np

    from yangcheng.config import Settings
    from yangcheng.security.detect.inputs import DetectorInputError
    from yangcheng.security.physics import DualEnergyImage
    from yangcheng.security.scanner_profile import UnknownScanner, load_profile
    from yangcheng.security.threat_library import CaptureError, ThreatLibrary

    images = []
    for option, path in (("--low", low), ("--high", high)):
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None or image.ndim != 2 or image.dtype != np.uint16:
            raise typer.BadParameter(
                f"{path} is missing or not a one-channel 16-bit PNG/TIFF", param_hint=option
            )
        images.append(image)
    try:
        if name is not None:
            capture = load_profile(name, Settings().home).to_reference(images[0], images[1])
        else:
            capture = DualEnergyImage(low=images[0] / 65535.0, high=images[1] / 65535.0)
        entry = ThreatLibrary(_library(library)).add(
            capture,
            threat_class,
            threat_id,
            source=f"{low.name}, {high.name}, {name or 'reference'}",
        )
    except UnknownScanner as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="--name") from None
    except DetectorInputError as exc:
        raise typer.BadParameter(exc.reason, param_hint=f"--{exc.field}") from None
    except CaptureError as exc:
        raise typer.BadParameter(str(exc), param_hint="--low/--high/--class/--id") from None
    console.print(
        f"{entry.id}: a {entry.class_name} of {entry.width}x{entry.height} px, "
        f"in {_library(library)}"
    )


@threats_app.command("list")
def list_command(library: LibraryOption = None) -> None:
    """The library's threats."""
    from yangcheng.security.threat_library import ThreatLibrary

    folder = _library(library)
    entries = ThreatLibrary(folder).entries()
    if not entries:
        console.print(f"no threats in {folder}: add some with `security threats add`")
        return
    table = Table(title=f"{len(entries)} threats in {folder}")
    for col in ("id", "class", "px", "source"):
        table.add_column(col)
    for e in entries:
        table.add_row(e.id, e.class_name, f"{e.width}x{e.height}", e.source)
    console.print(table)


@threats_app.command("remove")
def remove_command(
    threat_id: Annotated[str, typer.Argument(help="The threat's id.")],
    library: LibraryOption = None,
) -> None:
    """Take a threat out of the library."""
    from yangcheng.security.threat_library import ThreatLibrary

    store = ThreatLibrary(_library(library))
    if threat_id not in {e.id for e in store.entries()}:
        raise typer.BadParameter(f"no threat {threat_id!r} in {store.folder}", param_hint="ID")
    store.remove(threat_id)
    console.print(f"{threat_id} removed")
