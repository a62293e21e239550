"""`yangcheng security train | evaluate | detect`: the prohibited-item detector from the shell."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from yangcheng.cli_security import security_app

if TYPE_CHECKING:
    from yangcheng.security.detect.model_files import ModelFiles

console = Console()

# Options several commands share, declared once so their help and limits cannot drift apart.
_Cache = Annotated[
    Path | None, typer.Option(help="Simulated shards [$YANGCHENG_HOME/security/cache].")
]
_ValImages = Annotated[int, typer.Option(min=1, help="Standard validation bags.")]
_ValHardImages = Annotated[int, typer.Option(min=0, help="Hard validation bags.")]


def _home() -> Path:
    from yangcheng.config import Settings

    return Settings().home / "security"


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
    )


class _Tasks:
    """One progress line per phase, created when the phase starts.

    Rich draws a live bar only on a terminal; with output redirected to a log (a training
    run left overnight) it would write nothing until the end, so there each phase instead
    prints a plain line at most every ``every`` seconds and when it completes."""

    def __init__(
        self, bar: Progress, every: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bar = bar
        self.tasks: dict[str, TaskID] = {}
        self.plain = not bar.console.is_terminal
        self.every = every
        self.clock = clock
        self.started: dict[str, float] = {}
        self.logged: dict[str, float] = {}
        self.done: dict[str, int] = {}

    def _task(self, name: str, total: int) -> TaskID:
        if name not in self.tasks:
            self.tasks[name] = self.bar.add_task(name, total=total, note="")
            self.started[name] = self.logged[name] = self.clock()
        return self.tasks[name]

    def update(self, name: str, done: int, total: int, note: str = "") -> None:
        task = self._task(name, total)
        self.bar.update(task, completed=done, total=total, note=note)
        self._log(name, done, total, note)

    def advance(self, name: str, n: int, total: int) -> None:
        task = self._task(name, total)
        self.bar.advance(task, n)
        self.done[name] = self.done.get(name, 0) + n
        self._log(name, self.done[name], total, "")

    def _log(self, name: str, done: int, total: int, note: str) -> None:
        if not self.plain:
            return
        now = self.clock()
        if done < total and now - self.logged[name] < self.every:
            return
        self.logged[name] = now
        elapsed = int(now - self.started[name])
        stamp = datetime.now(UTC).strftime("%H:%M:%S")
        self.bar.console.print(
            f"{stamp} {name} {done}/{total} ({100 * done / max(total, 1):.0f} %) "
            f"{elapsed // 60}m{elapsed % 60:02d}s {note}".rstrip(),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@security_app.command("train")
def train_command(
    out: Annotated[
        Path | None, typer.Option(help="Model folder [$YANGCHENG_HOME/security/detector].")
    ] = None,
    cache: _Cache = None,
    train_images: Annotated[int, typer.Option(min=1, help="Standard training bags.")] = 5000,
    hard_images: Annotated[int, typer.Option(min=0, help="Hard training bags.")] = 1500,
    val_images: _ValImages = 3200,
    val_hard_images: _ValHardImages = 800,
    epochs: Annotated[int, typer.Option(min=1)] = 6,
    batch_size: Annotated[int, typer.Option(min=1)] = 16,
    lr: Annotated[float, typer.Option(min=1e-6, max=1.0)] = 2e-3,
    seed: Annotated[int, typer.Option()] = 0,
    workers: Annotated[int, typer.Option(min=1, help="Processes simulating bags.")] = 2,
    threads: Annotated[int, typer.Option(min=1, help="Torch threads while training.")] = 2,
    init_from: Annotated[
        Path | None,
        typer.Option(help="Go on training from this exported .onnx (e.g. the shipped one)."),
    ] = None,
    train_seeds: Annotated[
        str,
        typer.Option(
            help="Generator seeds of the standard and the hard training bags; new seeds give "
            "a continued run fresh bags without re-simulating the ones it has seen."
        ),
    ] = "101,102",
    focus: Annotated[
        str,
        typer.Option(
            help="Comma-separated class names (e.g. razor_blade,powder) whose bags each epoch "
            "shows --focus-repeat times."
        ),
    ] = "",
    focus_repeat: Annotated[
        int, typer.Option(min=1, help="How often an epoch shows a bag with a --focus class.")
    ] = 1,
    detail: Annotated[
        bool,
        typer.Option(
            "--detail",
            help="Add the fine-detail input channel (each 2x2 block's max minus mean of the "
            "1.5 mm low-energy attenuation); from a 3-channel --init-from its weights start "
            "at zero. Simulates its own shards.",
        ),
    ] = False,
) -> None:
    """Simulate the splits, train (resuming from the last checkpoint), export ONNX, set the
    alarm threshold on validation. Copy the .onnx and .json into the package to ship them."""
    from yangcheng.platform.compute import LocalExecutor
    from yangcheng.security.detect.train import StepReport, TrainConfig
    from yangcheng.security.detect.training_data import VALIDATION_SEEDS
    from yangcheng.security.detect.workflow import split_of, train_detector

    out = out or _home() / "detector"
    cache = cache or _home() / "cache"
    seeds = _train_seeds(train_seeds)
    if init_from is not None and not init_from.is_file():
        raise typer.BadParameter(f"no such model: {init_from}", param_hint="--init-from")
    try:
        config = TrainConfig(
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            seed=seed,
            threads=threads,
            init_from=str(init_from.resolve()) if init_from is not None else "",
            focus=tuple(n.strip() for n in focus.split(",") if n.strip()),
            focus_repeat=focus_repeat,
            detail=detail,
        )
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--focus") from error
    pool = LocalExecutor("process", workers)
    try:
        with _bar() as bar:
            tasks = _Tasks(bar)

            def step(r: StepReport) -> None:
                tasks.update(
                    "training",
                    r.step,
                    r.total,
                    f"heatmap {r.heatmap:.3f} size {r.size:.3f} offset {r.offset:.3f} "
                    f"bag {r.bag:.3f}",
                )

            files = train_detector(
                cache,
                out,
                split_of("train", train_images, hard_images, seeds),
                split_of("validation", val_images, val_hard_images, VALIDATION_SEEDS),
                config,
                pool.map_unordered,
                on_simulated=lambda name, done, total: tasks.update(
                    f"simulating {name}", done, total
                ),
                on_step=step,
                on_detected=lambda n: tasks.advance("validating", n, val_images + val_hard_images),
            )
    finally:
        pool.shutdown()
    card = files.card()
    console.print(f"[bold]{files.onnx}[/] threshold {card['operating_point']['threshold']:.4f}")
    _print_reports([card["validation"]])


def _train_seeds(text: str) -> tuple[int, int]:
    """Two seeds, kept apart from the validation and test bags' so training never sees them."""
    from yangcheng.security.detect.training_data import TEST_SPLITS, VALIDATION_SEEDS

    try:
        standard, hard = (int(part) for part in text.split(","))
    except ValueError as error:
        raise typer.BadParameter(
            f"{text!r} is not two integer seeds like 101,102", param_hint="--train-seeds"
        ) from error
    held = {seed: "validation" for seed in VALIDATION_SEEDS}
    held.update({seed: "test" for split in TEST_SPLITS.values() for seed, _, _ in split.parts})
    for value in (standard, hard):
        if value in held:
            raise typer.BadParameter(
                f"seed {value} makes the {held[value]} bags; training must not see them",
                param_hint="--train-seeds",
            )
    if standard < 0 or hard < 0:
        raise typer.BadParameter("seeds must not be negative", param_hint="--train-seeds")
    return standard, hard


@security_app.command("retrain")
def retrain_command(
    out: Annotated[Path, typer.Option(help="Folder for the stages (stage-1, stage-2, ...).")],
    card: Annotated[
        Path | None,
        typer.Option(help="The model card whose training chain to replay [the shipped one]."),
    ] = None,
    cache: _Cache = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes simulating bags.")] = 2,
    threads: Annotated[
        int | None, typer.Option(min=1, help="Torch threads [each run's recorded].")
    ] = None,
    detail: Annotated[
        bool,
        typer.Option(
            "--detail",
            help="Give every run the fine-detail input channel (see train --detail), "
            "whatever the card recorded; needs an --out of its own.",
        ),
    ] = False,
) -> None:
    """Rebuild a model from scratch by replaying every training run its card records (the
    shipped weights came from several, each continued from the last); re-running resumes."""
    import json

    from yangcheng.platform.compute import LocalExecutor
    from yangcheng.security.detect.model_files import DEFAULT_MODEL
    from yangcheng.security.detect.replay import (
        OtherInputsError,
        Stage,
        recorded_split,
        replay_training,
        training_chain,
    )
    from yangcheng.security.detect.train import StepReport

    card = card or DEFAULT_MODEL.card_path
    try:
        recorded = json.loads(card.read_text())
        chain = training_chain(recorded["training"])
        final = recorded.get("operating_point", {}).get("validation_split")
        final_validation = recorded_split(final) if final else None
    except OSError as error:
        raise typer.BadParameter(
            f"cannot read {card}: {error.strerror}", param_hint="--card"
        ) from error
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise typer.BadParameter(
            f"{card} holds no replayable training chain: {error}", param_hint="--card"
        ) from error
    pool = LocalExecutor("process", workers)
    try:
        with _bar() as bar:
            tasks, current = _Tasks(bar), chain[0]

            def stage(number: int, s: Stage) -> None:
                nonlocal tasks, current
                tasks, current = _Tasks(bar), s
                bar.console.print(
                    f"[bold]run {number} of {len(chain)}[/]: {s.config.epochs} epochs, lr "
                    f"{s.config.lr:g}, {s.train_split.images} training bags"
                )

            def step(r: StepReport) -> None:
                tasks.update("training", r.step, r.total, f"bag {r.bag:.3f}")

            files = replay_training(
                chain,
                cache or _home() / "cache",
                out,
                pool.map_unordered,
                threads=threads,
                on_stage=stage,
                on_simulated=lambda name, done, total: tasks.update(
                    f"simulating {name}", done, total
                ),
                on_step=step,
                on_detected=lambda n: tasks.advance(
                    "validating", n, current.validation_split.images
                ),
                final_validation=final_validation,
                detail=True if detail else None,
            )
    except OtherInputsError as error:
        raise typer.BadParameter(str(error), param_hint="--out") from error
    finally:
        pool.shutdown()
    result = files.card()
    console.print(f"[bold]{files.onnx}[/] threshold {result['operating_point']['threshold']:.4f}")
    _print_reports([result["validation"]])


def _calibrate(
    files: ModelFiles,
    cache: Path | None,
    val_images: int,
    val_hard_images: int,
    workers: int,
    views: tuple[str, ...] | None,
) -> None:
    """Calibrate on the validation split with a progress bar (simulating what is missing)."""
    from yangcheng.platform.compute import LocalExecutor
    from yangcheng.security.detect.training_data import VALIDATION_SEEDS
    from yangcheng.security.detect.workflow import calibrate_detector, split_of

    split = split_of("validation", val_images, val_hard_images, VALIDATION_SEEDS)
    pool = LocalExecutor("process", workers)
    try:
        with _bar() as bar:
            tasks = _Tasks(bar)
            calibrate_detector(
                files,
                cache or _home() / "cache",
                split,
                pool.map_unordered,
                on_detected=lambda n: tasks.advance("validating", n, split.images),
                flips=views,
                on_simulated=lambda name, done, total: tasks.update(
                    f"simulating {name}", done, total
                ),
            )
    finally:
        pool.shutdown()


@security_app.command("average")
def average_command(
    model: Annotated[Path, typer.Option(help="A run continued with --init-from: its .onnx.")],
    start: Annotated[Path, typer.Option(help="The .onnx that run went on from.")],
    out: Annotated[Path, typer.Option(help="Folder for the averaged model and its card.")],
    weight: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="The run's share of the mean.")
    ] = 0.5,
    cache: _Cache = None,
    val_images: _ValImages = 3200,
    val_hard_images: _ValHardImages = 800,
    workers: Annotated[int, typer.Option(min=1)] = 2,
) -> None:
    """Average a continued run's weights with those it started from and calibrate the mean on
    validation (compare its card with the run's and the start's before shipping it)."""
    from yangcheng.security.detect.average import average_with_start
    from yangcheng.security.detect.model_files import ModelFiles
    from yangcheng.security.detect.workflow import MODEL_NAME

    run = ModelFiles.at(model)
    if not run.onnx.is_file() or not run.card_path.is_file():
        raise typer.BadParameter(
            f"needs {run.onnx} and its card {run.card_path}", param_hint="--model"
        )
    if not start.is_file():
        raise typer.BadParameter(f"no such model: {start}", param_hint="--start")
    files = ModelFiles.at(out / f"{MODEL_NAME}-v1.onnx")
    try:
        average_with_start(run, start, files, weight)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--start") from error
    _calibrate(files, cache, val_images, val_hard_images, workers, None)
    card = files.card()
    console.print(f"[bold]{files.onnx}[/] threshold {card['operating_point']['threshold']:.4f}")
    _print_reports([card["validation"]])


@security_app.command("calibrate")
def calibrate_command(
    model: Annotated[Path, typer.Option(help="An .onnx with its .json card.")],
    cache: _Cache = None,
    val_images: _ValImages = 3200,
    val_hard_images: _ValHardImages = 800,
    workers: Annotated[int, typer.Option(min=1)] = 2,
    flips: Annotated[
        str | None,
        typer.Option(
            help="Test-time views to serve with, comma-separated: none, left_right, up_down, "
            "both [the card's]."
        ),
    ] = None,
) -> None:
    """Fix the alarm rule and threshold again on the validation split (after a change to the
    rules, the views or the splits) and write them into the card; recorded test figures are
    dropped."""
    from yangcheng.security.detect.infer import check_flips
    from yangcheng.security.detect.model_files import ModelFiles

    files = ModelFiles.at(model)
    if not files.onnx.is_file() or not files.card_path.is_file():
        raise typer.BadParameter(
            f"needs {files.onnx} and its card {files.card_path}", param_hint="--model"
        )
    views = None
    if flips is not None:
        try:
            views = check_flips(tuple(f.strip() for f in flips.split(",") if f.strip()))
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--flips") from error
    _calibrate(files, cache, val_images, val_hard_images, workers, views)
    card = files.card()
    point = card["operating_point"]
    console.print(
        f"alarm rule {point['alarm_rule']}, threshold {point['threshold']:.4f}, views "
        f"{', '.join(card.get('test_time_flips', ['none']))}"
    )
    console.print(f"a box alarms from score {files.box_threshold:.4f}")
    _print_reports([card["validation"]])


@security_app.command("evaluate")
def evaluate_command(
    model: Annotated[
        Path | None, typer.Option(help="An .onnx with its .json card [shipped].")
    ] = None,
    cache: _Cache = None,
    sets: Annotated[str, typer.Option(help="standard, hard, or standard,hard.")] = "standard,hard",
    workers: Annotated[int, typer.Option(min=1)] = 2,
    out: Annotated[Path | None, typer.Option(help="Write the reports as JSON here.")] = None,
    record: Annotated[
        bool, typer.Option(help="Also store the figures in the model's card (the catalog's).")
    ] = False,
    dicos: Annotated[
        Path | None,
        typer.Option(
            help="Instead: a folder of labelled DICOS scans (two DX and a ground-truth TDR "
            "each, grouped by study), the site's own."
        ),
    ] = None,
    scanner: Annotated[
        str | None, typer.Option(help="With --dicos: read the scans through this profile.")
    ] = None,
) -> None:
    """Per-class AP, mAP@0.5, bag miss and false-alarm rates with 95 % intervals, on the fixed
    test sets (simulated once into the cache), or on a folder of labelled DICOS scans."""
    from yangcheng.platform.compute import LocalExecutor
    from yangcheng.security.detect.model_files import DEFAULT_MODEL, ModelFiles
    from yangcheng.security.detect.training_data import TEST_SPLITS
    from yangcheng.security.detect.workflow import evaluate_detector

    if dicos is not None:
        _evaluate_dicos(dicos, ModelFiles.at(model) if model else DEFAULT_MODEL, scanner, out)
        return

    names = tuple(s.strip() for s in sets.split(",") if s.strip())
    unknown = [n for n in names if n not in TEST_SPLITS]
    if unknown or not names:
        raise typer.BadParameter(
            f"unknown set(s) {unknown}; use standard and/or hard", param_hint="--sets"
        )
    files = ModelFiles.at(model) if model else DEFAULT_MODEL
    if not files.onnx.is_file():
        raise typer.BadParameter(f"no such model: {files.onnx}", param_hint="--model")
    pool = LocalExecutor("process", workers)
    try:
        with _bar() as bar:
            tasks = _Tasks(bar)
            reports = evaluate_detector(
                files,
                cache or _home() / "cache",
                pool.map_unordered,
                names,
                on_simulated=lambda name, done, total: tasks.update(
                    f"simulating {name}", done, total
                ),
                on_detected=lambda name, n: tasks.advance(
                    f"detecting {name}", n, TEST_SPLITS[name.removeprefix("test-")].images
                ),
            )
    finally:
        pool.shutdown()
    data = [r.to_json() for r in reports]
    _print_reports(data)
    if out is not None:
        out.write_text(json.dumps(data, indent=2))
    if record:
        card = files.card()
        card.setdefault("test", {}).update({r["split"]: r for r in data})
        files.card_path.write_text(json.dumps(card, indent=2))


def _evaluate_dicos(folder: Path, files: Any, scanner: str | None, out: Path | None) -> None:
    from yangcheng.config import Settings
    from yangcheng.security.detect.evaluate_dicos import evaluate_folder
    from yangcheng.security.scanner_profile import UnknownScanner, load_profile

    if not folder.is_dir():
        raise typer.BadParameter(f"no such folder: {folder}", param_hint="--dicos")
    profile = None
    if scanner is not None:
        try:
            profile = load_profile(scanner, Settings().home)
        except UnknownScanner as exc:
            raise typer.BadParameter(str(exc.args[0]), param_hint="--scanner") from None
    try:
        with _bar() as bar:
            tasks = _Tasks(bar)
            report, skipped = evaluate_folder(
                folder,
                files,
                profile=profile,
                progress=lambda done, total: tasks.update("detecting", done, total),
            )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--dicos") from None
    data = report.to_json()
    data["skipped"] = [{"what": what, "why": why} for what, why in skipped]
    _print_reports([data])
    for what, why in skipped:
        console.print(f"left out {what}: {why}")
    if out is not None:
        out.write_text(json.dumps(data, indent=2))


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _print_reports(reports: list[dict[str, Any]]) -> None:
    for r in reports:
        op, fa = r["operating"], r["at_false_alarm_15"]
        table = Table(title=f"{r['split']}: {r['images']} bags, mAP@0.5 {r['map50']:.3f}")
        table.add_column("operating point")
        table.add_column("threshold", justify="right")
        table.add_column("miss (95 % CI)", justify="right")
        table.add_column("false alarm (95 % CI)", justify="right")
        for label, f in (("validation-fixed", op), ("at 15 % false alarms", fa)):
            table.add_row(
                label,
                f"{f['threshold']:.4f}",
                f"{f['missed']}/{f['threat_bags']} = {_pct(f['miss_rate'])} "
                f"({_pct(f['miss_rate_ci95'][0])}-{_pct(f['miss_rate_ci95'][1])})",
                f"{f['false_alarms']}/{f['clean_bags']} = {_pct(f['false_alarm_rate'])} "
                f"({_pct(f['false_alarm_rate_ci95'][0])}-{_pct(f['false_alarm_rate_ci95'][1])})",
            )
        console.print(table)
        if (boxes := r.get("boxes")) is not None:
            console.print(
                f"boxes marked as alarms (score >= {boxes['box_threshold']:.4f}): "
                f"{boxes['marked_per_bag']:.2f} a bag, {boxes['false_marked_per_bag']:.2f} on "
                f"no item; {_pct(boxes['clean_bags_marked'])} of clean bags have one; "
                f"{_pct(boxes['located'])} of the {boxes['alarmed_threat_bags']} alarmed "
                "threat bags have one on an item"
            )
        missed = r.get("missed_by_class", {})
        ap = Table(title="AP@0.5 per class")
        ap.add_column("class")
        ap.add_column("AP", justify="right")
        ap.add_column("bags missed at 15 % FA", justify="right")
        for name, value in sorted(r["ap50"].items(), key=lambda kv: kv[1]):
            k, n = missed.get(name, (0, 0))
            ap.add_row(name, f"{value:.3f}", f"{k}/{n}" if n else "")
        console.print(ap)


@security_app.command("detect")
def detect_command(
    low: Annotated[Path | None, typer.Option(help="Low-energy 16-bit PNG/TIFF.")] = None,
    high: Annotated[Path | None, typer.Option(help="High-energy 16-bit PNG/TIFF.")] = None,
    dicos: Annotated[
        list[Path] | None,
        typer.Option(help="Or the scan's two DICOS DX files (give --dicos twice)."),
    ] = None,
    tdr: Annotated[
        Path | None, typer.Option(help="Write the answer as a DICOS Threat Detection Report.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Or scan simulated bag --index of a seed.")
    ] = None,
    index: Annotated[int, typer.Option(min=0)] = 0,
    hard: Annotated[bool, typer.Option()] = False,
    save: Annotated[
        Path | None, typer.Option(help="Write the pseudo-colour with boxes here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the response as JSON.")] = False,
    scanner: Annotated[
        str | None,
        typer.Option(help="The images are this scanner's raw counts (`security scanner fit`)."),
    ] = None,
) -> None:
    """Detect prohibited items in one bag and say whether it alarms."""
    import base64

    from pydantic import ValidationError

    from yangcheng.config import Settings
    from yangcheng.platform.catalog import InvalidInput
    from yangcheng.security import service_scanner
    from yangcheng.security.service_detect import DetectRequest, detect

    service_scanner.configure(Settings().home)  # scanner profiles: this command's home

    fields: dict[str, Any] = {}
    for path, key, hint in ((low, "low_png_base64", "--low"), (high, "high_png_base64", "--high")):
        if path is not None:
            try:
                fields[key] = base64.b64encode(path.read_bytes()).decode()
            except OSError as exc:
                raise typer.BadParameter(
                    f"cannot read {path}: {exc.strerror}", param_hint=hint
                ) from None
    for path in dicos or []:
        try:
            scan_file = path.read_bytes()
        except OSError as exc:
            raise typer.BadParameter(
                f"cannot read {path}: {exc.strerror}", param_hint="--dicos"
            ) from None
        fields.setdefault("dicos_base64", []).append(base64.b64encode(scan_file).decode())
    if seed is not None:
        fields["simulated"] = {"seed": seed, "index": index, "hard": hard}
    if scanner is not None:
        fields["scanner"] = scanner
    if tdr is not None:
        fields["tdr"] = True
    try:
        response = detect(DetectRequest.model_validate(fields))
    except ValidationError as exc:
        raise typer.BadParameter(exc.errors(include_url=False)[0]["msg"]) from None
    except InvalidInput as exc:
        hint = exc.field
        if exc.field.startswith("dicos_base64[") and dicos:
            hint = f"--dicos {dicos[int(exc.field[13:-1])]}"
        raise typer.BadParameter(exc.reason, param_hint=hint) from None
    if save is not None:
        save.write_bytes(_boxes_png(response.annotated_image.model_dump()))
    if tdr is not None and response.tdr_dicos_base64 is not None:
        tdr.write_bytes(base64.b64decode(response.tdr_dicos_base64))
    if as_json:
        data = response.model_dump(mode="json")
        data["annotated_image"]["png_base64"] = (
            f"<{len(data['annotated_image']['png_base64'])} chars>"
        )
        if data.get("tdr_dicos_base64"):
            data["tdr_dicos_base64"] = f"<{len(data['tdr_dicos_base64'])} chars>"
        console.print_json(json.dumps(data))
        return
    table = Table(
        title=f"{'ALARM' if response.alarm else 'clear'}: bag score "
        f"{response.bag_score:.3f}, threshold {response.threshold:.3f} "
        f"({response.alarm_rule}); a box alarms from {response.box_threshold:.3f}"
        + (f"; read through scanner {response.scanner}" if response.scanner else "")
    )
    for column in ("class", "score", "box x,y,w,h", "Zeff", "material", "alarm"):
        table.add_column(column)
    for d in response.detections:
        table.add_row(
            d.class_name,
            f"{d.score:.3f}",
            ",".join(f"{v:.0f}" for v in d.box_xywh),
            "-" if d.z_eff is None else f"{d.z_eff:.1f}",
            d.material,
            "yes" if d.alarm else "",
        )
    console.print(table)
    console.print(f"{response.timings_ms}")
    if tdr is not None:
        console.print(f"threat detection report: {tdr}")


@security_app.command("export-dicos")
def export_dicos_command(
    out: Annotated[Path, typer.Option(help="Folder for NNNNNNN_low.dcs and _high.dcs.")],
    seed: Annotated[int, typer.Option(help="Simulated bags of this seed.")] = 20261126,
    bags: Annotated[int, typer.Option(min=1, max=100_000)] = 10,
    hard: Annotated[bool, typer.Option()] = False,
    pixel_mm: Annotated[
        float, typer.Option(min=0.1, max=10.0, help="Pitch to write the images at.")
    ] = 1.5,
    truth: Annotated[
        bool,
        typer.Option(help="Also write each bag's labels as a ground-truth TDR (_truth.dcs)."),
    ] = False,
) -> None:
    """Write simulated bags as DICOS scans (two DX files each), to try an integration."""
    from yangcheng.security.dataset import XrayBaggageDataset
    from yangcheng.security.dicos_dx import dx_scan_files, read_scan, resample
    from yangcheng.security.dicos_tdr import ground_truth_report

    out.mkdir(parents=True, exist_ok=True)
    dataset = XrayBaggageDataset(seed, bags, hard=hard)
    for i in range(bags):
        image, annotations = dataset.scan(i)
        image = resample(image, (1.5, 1.5), pixel_mm)
        files = dx_scan_files(image, ooi_id=f"{seed}-{i}", pixel_mm=pixel_mm)
        for energy, data in zip(("low", "high"), files, strict=True):
            (out / f"{i:07d}_{energy}.dcs").write_bytes(data)
        if truth:
            scan = read_scan(list(files), ["low", "high"])
            label = ground_truth_report(
                annotations, scan, pixel_mm=pixel_mm, source=f"simulator {seed}/{i}"
            )
            (out / f"{i:07d}_truth.dcs").write_bytes(label)
    labelled = " with ground-truth TDRs" if truth else ""
    console.print(f"{bags} bags as DICOS DX pairs{labelled} in {out}")


def _boxes_png(image: dict[str, Any]) -> bytes:
    import base64

    import cv2
    import numpy as np

    picture = cv2.imdecode(np.frombuffer(base64.b64decode(image["png_base64"]), np.uint8), 1)
    assert picture is not None  # the service encoded it a moment ago
    for b in image["boxes"]:
        colour = (40, 40, 230) if b["alarm"] else (0, 190, 255)
        p0, p1 = (int(b["x"]), int(b["y"])), (int(b["x"] + b["w"]), int(b["y"] + b["h"]))
        cv2.rectangle(picture, p0, p1, colour, 2)
        cv2.putText(
            picture,
            f"{b['label']} {b['score']:.2f}",
            (p0[0], max(p0[1] - 4, 10)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4,
            colour,
            1,
            cv2.LINE_AA,
        )
    _, buffer = cv2.imencode(".png", picture)
    return bytes(buffer.tobytes())
