"""`yangcheng security scanner`: fit, list and try scanner profiles (another scanner's images
read as the reference scanner's, `security.scanner_profile`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from yangcheng.cli_security import security_app

if TYPE_CHECKING:
    from yangcheng.security.threat_library import ThreatLibrary

scanner_app = typer.Typer(
    help="Scanner profiles: read another scanner's images as the detector's reference scanner.",
    no_args_is_help=True,
)
security_app.add_typer(scanner_app, name="scanner")
console = Console()


def _pair(text: str, option: str) -> tuple[float, float]:
    """``"1.2"`` or ``"1.2,1.4"`` as a pair of positive numbers."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number or two", param_hint=option) from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or min(values) < 0:
        raise typer.BadParameter(
            f"{text!r}: give one non-negative number or two (low,high or across,along)",
            param_hint=option,
        )
    return values[0], values[1]


LibraryOption = Annotated[
    Path | None,
    typer.Option(
        help="Project the site's own captured threats from this library folder "
        "(`security threats add`) instead of the simulator's."
    ),
]


def _threat_library(
    folder: Path | None, classes: tuple[str, ...] | None = None
) -> ThreatLibrary | None:
    """The library ``--library`` names, refused at once when it holds none of the threats."""
    if folder is None:
        return None
    from yangcheng.security.threat_library import CaptureError, ThreatLibrary

    library = ThreatLibrary(folder)
    try:
        library.holding(classes)
    except CaptureError as exc:
        raise typer.BadParameter(str(exc), param_hint="--library") from None
    return library


@scanner_app.command("fit")
def fit_command(
    table: Annotated[
        Path, typer.Option(help="Step-wedge readings (CSV: <material>_cm..., low, high).")
    ],
    name: Annotated[str, typer.Option(help="Profile name, used as `--scanner NAME`.")],
    pixel_mm: Annotated[
        str, typer.Option(help="Image pitch in mm: one value, or across,along the belt.")
    ] = "1.5",
    dark: Annotated[str, typer.Option(help="Raw reading with the beam off: low,high.")] = "0",
    air: Annotated[str, typer.Option(help="Raw reading through air: low,high.")] = "65535",
) -> None:
    """Fit a scanner's profile on its step-wedge readings and keep it under
    $YANGCHENG_HOME/security/scanners/."""
    from yangcheng.config import Settings
    from yangcheng.security.scanner_profile import fit_profile, save_profile
    from yangcheng.security.wedge_table import InvalidWedgeTable, read_wedge_table

    try:
        steps = read_wedge_table(table)
        profile = fit_profile(
            steps,
            name,
            pixel_mm=_pair(pixel_mm, "--pixel-mm"),
            dark=_pair(dark, "--dark"),
            air=_pair(air, "--air"),
        )
    except InvalidWedgeTable as exc:
        raise typer.BadParameter(str(exc), param_hint="--table") from None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    path = save_profile(profile, Settings().home)
    fit = profile.fit
    z, a = fit["z_eff_error"], fit["attenuation_error_pct"]
    console.print(
        f"{path}: {fit['steps_used']} of {fit['steps']} steps ({', '.join(fit['materials'])}). "
        f"Each step fitted without it reads the reference scanner's effective Z to a median "
        f"{z['median']} (p95 {z['p95']}; unmapped {z['unmapped_median']}) and its attenuation "
        f"to {a['median']} % (max {a['max']} %; unmapped {a['unmapped_median']} %)."
    )


@scanner_app.command("steps")
def steps_command(
    low: Annotated[Path, typer.Option(help="The scanner's low-energy image of its wedges.")],
    high: Annotated[Path, typer.Option(help="Its high-energy image of them.")],
    regions: Annotated[
        Path, typer.Option(help="Step rectangles (CSV: x, y, w, h, <material>_cm...).")
    ],
    out: Annotated[Path, typer.Option(help="Wedge table to write, for `scanner fit`.")],
) -> None:
    """Read each step's mean raw counts off the scanner's wedge images into a wedge table."""
    import cv2

    from yangcheng.security.wedge_image import read_step_regions, steps_from_images
    from yangcheng.security.wedge_table import InvalidWedgeTable, write_wedge_table

    images = []
    for path, hint in ((low, "--low"), (high, "--high")):
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            raise typer.BadParameter(f"{path} is missing or not a readable image", param_hint=hint)
        images.append(image)
    try:
        steps = steps_from_images(images[0], images[1], read_step_regions(regions))
    except InvalidWedgeTable as exc:
        raise typer.BadParameter(str(exc), param_hint="--regions") from None
    write_wedge_table(steps, out)
    console.print(f"{len(steps)} wedge steps in {out}")


@scanner_app.command("calibrate")
def calibrate_command(
    name: Annotated[str, typer.Option(help="The scanner's profile.")],
    captures: Annotated[
        Path,
        typer.Option(help="Known bags it scanned (CSV: low, high, threat; paths from the file)."),
    ],
    project: Annotated[
        int,
        typer.Option(
            min=0,
            help="Threat bags made from each clean bag by projecting a library threat into it "
            "(threat image projection): 1 per mille needs 1,000 threat bags or more.",
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the projected threats.")] = 0,
    library: LibraryOption = None,
) -> None:
    """Fix this scanner's own alarm thresholds on bags it scanned whose contents are known,
    and keep them in its profile."""
    from rich.progress import Progress

    from yangcheng.config import Settings
    from yangcheng.security.detect.infer import XrayDetector
    from yangcheng.security.scanner_calibration import (
        InvalidCaptures,
        calibrate_operating_point,
        read_captures,
    )
    from yangcheng.security.scanner_profile import UnknownScanner, load_profile, save_profile

    home = Settings().home
    try:
        profile = load_profile(name, home)
        bags = read_captures(captures)
    except UnknownScanner as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="--name") from None
    except InvalidCaptures as exc:
        raise typer.BadParameter(str(exc), param_hint="--captures") from None
    threats = _threat_library(library)
    detector = XrayDetector()
    try:
        with Progress(console=console) as bar:
            task = bar.add_task(f"{len(bags)} bags through {name}", total=len(bags))
            profile, figures = calibrate_operating_point(
                profile, bags, detector, lambda n: bar.advance(task, n),
                projected=project, seed=seed, library=threats,
            )  # fmt: skip
    except InvalidCaptures as exc:
        raise typer.BadParameter(str(exc), param_hint="--captures") from None
    save_profile(profile, home)
    own, model = figures["scanner"], figures["model"]
    console.print(
        f"{figures['threat_bags']} threat bags ({figures['projected_threat_bags']} projected) "
        f"and {figures['clean_bags']} clean bags. Scanner "
        f"{name}'s own threshold {own['threshold']:.4f}: {own['missed']} missed, "
        f"{own['false_alarm_rate']:.1%} false alarms; the model's {model['threshold']:.4f}: "
        f"{model['missed']} missed, {model['false_alarm_rate']:.1%} false alarms."
        + (
            ""
            if figures["threat_bags"] >= 1000
            else " Under 1,000 threat bags, 1 per mille cannot be resolved: the threshold "
            "misses none of these."
        )
    )


@scanner_app.command("project")
def project_command(
    captures: Annotated[
        Path,
        typer.Option(help="Bags it scanned (CSV: low, high, threat); the clean ones (0) are used."),
    ],
    out: Annotated[
        Path, typer.Option(help="Folder for the bags, in `security generate`'s layout.")
    ],
    name: Annotated[
        str | None,
        typer.Option(
            help="The scanner's profile; without one the images are the reference "
            "scanner's transmission (16-bit, as `security generate` writes them)."
        ),
    ] = None,
    per_clean: Annotated[int, typer.Option(min=1, help="Bags made from each clean one.")] = 1,
    threats: Annotated[int, typer.Option(min=1, help="Threats projected into each bag.")] = 1,
    classes: Annotated[
        str | None, typer.Option(help="Threat classes to draw from, comma-separated; all: unset.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the projected threats.")] = 0,
    library: LibraryOption = None,
) -> None:
    """Make threat bags from a scanner's clean bags by threat image projection (for screener
    training libraries, or anything that reads a generated dataset); re-running resumes."""
    from rich.progress import Progress

    from yangcheng.config import Settings
    from yangcheng.security.objects import PROHIBITED
    from yangcheng.security.projected_bags import write_projected_bags
    from yangcheng.security.scanner_calibration import InvalidCaptures, read_captures
    from yangcheng.security.scanner_profile import UnknownScanner, load_profile

    chosen = None
    if classes:
        chosen = tuple(c.strip() for c in classes.split(",") if c.strip())
        known = {c.name for c in PROHIBITED}
        unknown = [c for c in chosen if c not in known]
        if unknown or not chosen:
            raise typer.BadParameter(
                f"{unknown or classes!r} not among the threat classes: {', '.join(sorted(known))}",
                param_hint="--classes",
            )
    try:
        profile = load_profile(name, Settings().home) if name else None
        bags = read_captures(captures)
    except UnknownScanner as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="--name") from None
    except InvalidCaptures as exc:
        raise typer.BadParameter(str(exc), param_hint="--captures") from None
    clean = sum(not b.threat for b in bags)
    try:
        with Progress(console=console) as bar:
            task = bar.add_task(f"{clean} clean bags", total=clean)
            written = write_projected_bags(
                bags, out, per_clean, threats=threats, profile=profile, classes=chosen,
                seed=seed, progress=lambda n: bar.advance(task, n),
                library=_threat_library(library, chosen),
            )  # fmt: skip
    except InvalidCaptures as exc:
        raise typer.BadParameter(str(exc), param_hint="--captures") from None
    total = clean * per_clean
    console.print(f"{written} bags written to {out} ({total - written} already there)")


@scanner_app.command("list")
def list_command() -> None:
    """The profiles fitted on this installation."""
    from yangcheng.config import Settings
    from yangcheng.security.scanner_profile import load_profile, profiles_dir

    home = Settings().home
    table = Table(title=f"scanner profiles in {profiles_dir(home)}")
    columns = ("name", "pixel mm", "dark", "air", "steps", "held-out Zeff error (median, p95)",
               "own threshold")  # fmt: skip
    for column in columns:
        table.add_column(column)
    for path in sorted(profiles_dir(home).glob("*.json")):
        p = load_profile(path.stem, home)
        z = p.fit.get("z_eff_error", {})
        table.add_row(
            p.name,
            "x".join(f"{v:g}" for v in p.pixel_mm),
            ",".join(f"{v:g}" for v in p.dark),
            ",".join(f"{v:g}" for v in p.air),
            str(p.fit.get("steps_used", "")),
            f"{z.get('median', '')}, {z.get('p95', '')}",
            "model's" if p.thresholds is None else f"{p.thresholds[0]:.4f}",
        )
    console.print(table)


@scanner_app.command("wedges")
def wedges_command(
    out: Annotated[Path, typer.Option(help="CSV file to write.")],
    low_kvp: Annotated[float, typer.Option(min=20, max=450)] = 80.0,
    high_kvp: Annotated[float, typer.Option(min=20, max=450)] = 160.0,
    low_al_mm: Annotated[float, typer.Option(min=0)] = 2.5,
    high_al_mm: Annotated[float, typer.Option(min=0)] = 2.5,
    high_cu_mm: Annotated[float, typer.Option(min=0)] = 1.0,
    low_csi_mm: Annotated[float, typer.Option(min=0.01)] = 0.5,
    high_csi_mm: Annotated[float, typer.Option(min=0.01)] = 4.0,
    dark: Annotated[str, typer.Option(help="Raw reading with the beam off: low,high.")] = "0",
    air: Annotated[str, typer.Option(help="Raw reading through air: low,high.")] = "65535",
) -> None:
    """Write the step-wedge readings a scanner of these spectra would give (the simulator's
    physics): the table format by example, and a profile to try without a scanner at hand."""
    from yangcheng.security.physics import Channel
    from yangcheng.security.wedge_table import simulate_wedge_table, write_wedge_table

    if low_kvp >= high_kvp:
        raise typer.BadParameter("the low channel's kVp must be below the high one's")
    channels = (
        Channel("low", low_kvp, low_al_mm, 0.0, low_csi_mm, 2e4),
        Channel("high", high_kvp, high_al_mm, high_cu_mm, high_csi_mm, 2e4),
    )
    steps = simulate_wedge_table(channels, dark=_pair(dark, "--dark"), air=_pair(air, "--air"))
    write_wedge_table(steps, out)
    console.print(f"{len(steps)} wedge steps in {out}")
