"""Replaying the chain of training runs a model card records, so shipped weights that came
from several runs, each continued from the last (``--init-from``), can be rebuilt from
scratch with one command (``yangcheng security retrain``).

Each run's card nests the card of the model it went on from (``continued_from``); read from
the innermost out, that is the list of runs to repeat. Every stage trains into a folder of
its own and resumes from its checkpoint, so an interrupted replay goes on where it stopped;
a finished stage (its model calibrated) is not trained again. A run whose weights were
averaged with its start (``average.AVERAGE_KEY``) trains into ``stage-N/run`` and its mean
with the previous stage's model becomes the stage's model.

A replay may change what every run's network takes in (``detail``), so the two inputs can
be compared run by run on the same chain (the README gives runs 1-4). Such a replay needs a
folder of its own; a finished stage with the other inputs is refused rather than continued
from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from yangcheng.security.detect.average import AVERAGE_KEY, average_with_start
from yangcheng.security.detect.model_files import ModelFiles
from yangcheng.security.detect.train import StepReport, TrainConfig
from yangcheng.security.detect.training_data import Split
from yangcheng.security.detect.workflow import (
    MODEL_NAME,
    Run,
    calibrate_detector,
    train_detector,
)

__all__ = ["OtherInputsError", "Stage", "recorded_split", "replay_training", "training_chain"]


class OtherInputsError(ValueError):
    """The output folder holds a finished stage whose network takes other inputs."""


@dataclass(frozen=True)
class Stage:
    """One recorded training run; ``config.init_from`` is left empty: the replay sets it to
    the previous stage's model."""

    config: TrainConfig
    train_split: Split
    validation_split: Split
    average_with_start: float = 0.0
    """The weight of the run's end in its mean with its start; 0 keeps the run as trained."""


def training_chain(training: dict[str, Any]) -> list[Stage]:
    """The runs behind a card's ``training`` entry, the first (from scratch) first."""
    stages: list[Stage] = []
    entry: dict[str, Any] | None = training
    depth = 0
    while entry is not None:
        stages.append(_stage(entry, depth))
        source = entry.get("continued_from")
        if source is None:
            if entry["config"].get("init_from"):
                raise ValueError(
                    f"run {depth} went on from {entry['config']['init_from']} but the card "
                    "does not record how that model was trained: the chain cannot be replayed"
                )
            break
        entry = source.get("training")
        if entry is None:
            raise ValueError(
                f"run {depth} went on from {source.get('model', 'a model')} whose card "
                "recorded no training: the chain cannot be replayed"
            )
        depth += 1
    return stages[::-1]


def _stage(entry: dict[str, Any], depth: int) -> Stage:
    try:
        config, train_split, validation_split = (
            entry["config"],
            entry["train_split"],
            entry["validation_split"],
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"run {depth} of the chain lacks {error}") from error
    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ValueError(f"run {depth} has training settings this version lacks: {unknown}")
    average = entry.get(AVERAGE_KEY)
    weight = float(average["weight"]) if isinstance(average, dict) else 0.0
    if average is not None and not 0.0 < weight <= 1.0:
        raise ValueError(f"run {depth} records an average weight {average!r} outside (0, 1]")
    if weight and not entry.get("continued_from"):
        raise ValueError(f"run {depth} is averaged with a start it does not have")
    return Stage(
        replace(TrainConfig(**config), init_from=""),
        recorded_split(train_split),
        recorded_split(validation_split),
        weight,
    )


def recorded_split(recorded: dict[str, Any]) -> Split:
    return Split(
        str(recorded["name"]),
        tuple((int(seed), int(n), bool(hard)) for seed, n, hard in recorded["parts"]),
    )


def replay_training(
    chain: list[Stage],
    cache: Path,
    out: Path,
    run: Run,
    *,
    threads: int | None = None,
    on_stage: Callable[[int, Stage], None] | None = None,
    on_simulated: Callable[[str, int, int], None] | None = None,
    on_step: Callable[[StepReport], None] | None = None,
    on_detected: Callable[[int], None] | None = None,
    final_validation: Split | None = None,
    detail: bool | None = None,
) -> ModelFiles:
    """Train every stage into ``out/stage-N`` in turn, each from the last one's model;
    returns the last stage's model, calibrated on ``final_validation`` when given (the
    shipped threshold came from a bigger validation split than the runs used). ``detail``,
    when given, replaces every run's recorded choice of the detail input channel."""
    if not chain:
        raise ValueError("no training runs to replay")
    previous: ModelFiles | None = None
    for number, stage in enumerate(chain, start=1):
        folder = out / f"stage-{number}"
        files = ModelFiles.at(folder / f"{MODEL_NAME}-v1.onnx")
        config = replace(
            stage.config,
            init_from=str(previous.onnx) if previous is not None else "",
            threads=threads or stage.config.threads,
            detail=stage.config.detail if detail is None else detail,
        )
        if on_stage is not None:
            on_stage(number, stage)
        start = previous if stage.average_with_start else None
        trained = ModelFiles.at(folder / "run" / files.onnx.name) if start else files
        for made in (files, trained):
            if _finished(made) and made.detail != config.detail:
                raise OtherInputsError(
                    f"{made.onnx} was trained {_with(made.detail)} the detail channel and "
                    f"this replay trains {_with(config.detail)} it: give it another folder"
                )
        if not _finished(files):
            if not _finished(trained):
                train_detector(
                    cache,
                    trained.onnx.parent,
                    stage.train_split,
                    stage.validation_split,
                    config,
                    run,
                    on_simulated=on_simulated,
                    on_step=on_step,
                    on_detected=on_detected,
                )
            if start is not None:
                average_with_start(trained, start.onnx, files, stage.average_with_start)
                calibrate_detector(files, cache, stage.validation_split, run, on_detected)
        previous = files
    assert previous is not None
    if final_validation is not None and _calibrated_on(previous) != final_validation:
        calibrate_detector(previous, cache, final_validation, run, on_detected)
    return previous


def _with(detail: bool) -> str:
    return "with" if detail else "without"


def _calibrated_on(files: ModelFiles) -> Split | None:
    recorded = files.card().get("operating_point", {}).get("validation_split")
    return recorded_split(recorded) if recorded else None


def _finished(files: ModelFiles) -> bool:
    """Calibration writes the operating point last, so a card holding one ends a whole run."""
    return files.onnx.is_file() and files.card_path.is_file() and "operating_point" in files.card()
