"""`yangcheng finance recording`: inspect a dual recording, or make a synthetic one to try."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

recording_app = typer.Typer(help="Dual-recording (双录) quality inspection.", no_args_is_help=True)
console = Console()


def _read(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint=what) from None


@recording_app.command("inspect")
def inspect_command(
    video: Annotated[Path, typer.Argument(help="The recording (MP4 or anything ffmpeg reads).")],
    photo: Annotated[Path | None, typer.Option(help="The customer's ID photo (JPEG/PNG).")] = None,
    transcript: Annotated[
        Path | None, typer.Option(help="Transcript (text, WebVTT or SRT) instead of ASR.")
    ] = None,
    script: Annotated[
        Path | None, typer.Option(help="Text file with the disclosure script to check for.")
    ] = None,
    checklist: Annotated[Path | None, typer.Option(help="QC checklist YAML.")] = None,
    language: Annotated[str, typer.Option(help="en, or zh with --transcript.")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Inspect a recording: face, identity, liveness, sound, voices, script and consent."""
    from yangcheng.finance.service_recording import InspectionOptions, run_inspection
    from yangcheng.platform.catalog import InvalidInput

    if not video.is_file():
        raise typer.BadParameter(f"no such file: {video}", param_hint="VIDEO")
    fields: dict[str, object] = {"language": language}
    photo_bytes = _read(photo, "--photo")
    if photo_bytes is not None:
        fields["reference_photo_base64"] = base64.b64encode(photo_bytes).decode()
    for path, key, hint in (
        (transcript, "transcript", "--transcript"),
        (script, "script", "--script"),
    ):
        data = _read(path, hint)
        if data is not None:
            fields[key] = data.decode("utf-8", "replace")
    data = _read(checklist, "--checklist")
    if data is not None:
        fields["checklist_yaml"] = data.decode("utf-8", "replace")
    try:
        request = InspectionOptions.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise typer.BadParameter(problems) from None
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
    )
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"inspecting {video.name}", total=1.0)

        def progress(fraction: float, stage: str) -> None:
            bar.update(task, completed=fraction, description=f"inspecting {video.name}: {stage}")

        try:
            report = run_inspection(request, video, progress, source_field="VIDEO")
        except InvalidInput as exc:
            raise typer.BadParameter(exc.reason, param_hint=exc.field) from None
    if as_json:
        console.print_json(report.model_dump_json())
        return
    colour = {"pass": "green", "review": "yellow", "fail": "red"}[report.verdict]
    console.print(f"[bold {colour}]{report.verdict.upper()}[/] {video.name} ({report.checklist})")
    table = Table("rule", "result", "description", "values")
    for rule in report.rules:
        result = "[green]pass[/]" if rule.passed else f"[red]{rule.outcome}[/]"
        values = ", ".join(f"{k}={v}" for k, v in rule.values.items())
        table.add_row(rule.id, result, rule.description, values)
    console.print(table)
    for challenge in report.liveness:
        at = f" at {challenge.at_s:.1f} s" if challenge.at_s is not None else ""
        console.print(f"liveness {challenge.name}: {'ok' if challenge.passed else 'missing'}{at}")
    if report.consent_phrase:
        console.print(f"consent: {report.consent_phrase!r} at {report.consent_at_s:.1f} s")
    console.print(f"time: {report.timings_s}")


@recording_app.command("sample")
def sample_command(
    scenario: Annotated[str, typer.Argument(help="good, no_face, second_face, muted, ...")],
    out: Annotated[Path, typer.Argument(help="MP4 file to write.")],
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Write a synthetic recording (astronaut portrait + espeak-ng speech) to try inspect on."""
    from yangcheng.finance.recording.synthetic import SCENARIOS, build_recording

    spec = SCENARIOS.get(scenario)
    if spec is None:
        raise typer.BadParameter(
            f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}", param_hint="SCENARIO"
        )
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"writing {out.name}", total=1.0)
        build_recording(spec, out, seed=seed, progress=lambda f: bar.update(task, completed=f))
    console.print(f"written {out} — {spec.notes}")
