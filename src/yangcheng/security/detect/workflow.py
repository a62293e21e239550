"""The whole training run behind ``yangcheng security train``, and the evaluation behind
``yangcheng security evaluate``: simulate the splits, train, export ONNX, fix the operating
threshold on validation, and write the card that ships beside the weights.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from yangcheng.security.dataset import SIMULATOR_VERSION
from yangcheng.security.detect.evaluate import (
    MAX_FALSE_ALARM_RATE,
    MAX_MISS_RATE,
    Report,
    choose_box_threshold,
    choose_rule,
    detect_split,
    report,
)
from yangcheng.security.detect.infer import FLIPS, check_flips
from yangcheng.security.detect.inputs import input_channels
from yangcheng.security.detect.model_files import ModelFiles
from yangcheng.security.detect.train import StepReport, TrainConfig, export_onnx, train
from yangcheng.security.detect.training_data import (
    TEST_SPLITS,
    Split,
    build_split,
    load_split,
)
from yangcheng.security.objects import PROHIBITED

__all__ = ["calibrate_detector", "evaluate_detector", "split_of", "train_detector"]

MODEL_NAME = "xray-centernet"
Run = Callable[[Callable[..., Any], list[tuple[Any, ...]]], Iterator[Any]]


def split_of(name: str, standard: int, hard: int, seeds: tuple[int, int]) -> Split:
    parts = []
    if standard:
        parts.append((seeds[0], standard, False))
    if hard:
        parts.append((seeds[1], hard, True))
    if not parts:
        raise ValueError(f"the {name} split needs at least one image")
    return Split(name, tuple(parts))


def _simulate(
    cache: Path,
    split: Split,
    run: Run,
    progress: Callable[[str, int, int], None] | None,
    detail: bool,
) -> None:
    """Build the split's missing shards, reporting (split, bags done, bags in all)."""
    done = 0

    def simulated(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(split.name, done, split.images)

    build_split(cache, split, run, simulated, detail)


def train_detector(
    cache: Path,
    out: Path,
    train_split: Split,
    validation_split: Split,
    config: TrainConfig,
    run: Run,
    *,
    on_simulated: Callable[[str, int, int], None] | None = None,
    on_step: Callable[[StepReport], None] | None = None,
    on_detected: Callable[[int], None] | None = None,
) -> ModelFiles:
    """Train into ``out`` and write ``out/xray-centernet-v1.onnx`` with its card."""
    for split in (train_split, validation_split):
        _simulate(cache, split, run, on_simulated, config.detail)
    continued = _training_of(Path(config.init_from)) if config.init_from else None
    data = load_split(cache, train_split, config.detail)
    model = train(data, out, config, on_step)
    del data
    files = ModelFiles.at(out / f"{MODEL_NAME}-v1.onnx")
    export_onnx(model, files.onnx)
    training: dict[str, Any] = {
        "config": asdict(config),
        "train_split": asdict(train_split),
        "validation_split": asdict(validation_split),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
        "torch": _torch_version(),
        "simulator": SIMULATOR_VERSION,
    }
    if continued is not None:
        # The path is this machine's; the name and digest say which model it was anywhere.
        training["config"]["init_from"] = Path(config.init_from).name
        training["continued_from"] = continued
    card = {
        "name": MODEL_NAME,
        "version": "1",
        "task": f"prohibited-item detection in dual-energy X-ray baggage, {len(PROHIBITED)} "
        "classes, bag alarm",
        "architecture": "CenterNet (centre points), residual backbone + feature pyramid to "
        f"stride 4, {sum(p.numel() for p in model.parameters())} parameters",
        "inputs": list(input_channels(config.detail)),
        "pixel_mm": 3.0,
        "classes": [{"id": c.id, "name": c.name, "category": c.category} for c in PROHIBITED],
        "training": training,
        "test_time_flips": list(FLIPS),
    }
    files.card_path.write_text(json.dumps(card, indent=2))
    calibrate_detector(files, cache, validation_split, run, on_detected)
    return files


def _training_of(onnx: Path) -> dict[str, Any]:
    """How the model training goes on from was itself trained, so the card tells the whole
    chain."""
    files = ModelFiles.at(onnx)
    if not files.onnx.is_file():
        raise FileNotFoundError(f"no model to go on from at {files.onnx}")
    card = files.card() if files.card_path.is_file() else {}
    digest = hashlib.sha256(files.onnx.read_bytes()).hexdigest()
    return {"model": files.onnx.name, "sha256": digest, "training": card.get("training")}


def calibrate_detector(
    files: ModelFiles,
    cache: Path,
    validation_split: Split,
    run: Run,
    on_detected: Callable[[int], None] | None = None,
    flips: tuple[str, ...] | None = None,
    on_simulated: Callable[[str, int, int], None] | None = None,
) -> None:
    """Fix the alarm rule and threshold on the validation split and write them, with the
    validation figures, into the card (test figures recorded earlier no longer apply).

    ``flips`` (``infer.FLIPS``) changes the test-time views the card serves with; they are
    written with the threshold fixed for them, so an interrupted run leaves the card as it was.
    """
    views = check_flips(flips) if flips is not None else files.flips
    _simulate(cache, validation_split, run, on_simulated, files.detail)
    results = detect_split(files.onnx, cache, validation_split, run, on_detected, views)
    rule, threshold = choose_rule(results)
    box_threshold = choose_box_threshold(results)
    card = files.card()
    card["test_time_flips"] = list(views)
    card["operating_point"] = {
        "threshold": threshold,
        "alarm_rule": rule,
        "rule": f"highest threshold with validation miss rate <= {MAX_MISS_RATE}; alarm "
        "rule with the fewest validation false alarms there",
        "box_threshold": box_threshold,
        "box_rule": "a box is shown as an alarm from this score: as its bag's best box it "
        f"flags at most {MAX_FALSE_ALARM_RATE:.0%} of clean validation bags (under the "
        "detections rule, the bag threshold)",
        "validation_split": {"name": validation_split.name, "parts": validation_split.parts},
    }
    card["validation"] = report(results, validation_split.name, threshold, box_threshold).to_json()
    card.pop("test", None)
    files.card_path.write_text(json.dumps(card, indent=2))


def _torch_version() -> str:
    import torch

    return str(torch.__version__)


def evaluate_detector(
    files: ModelFiles,
    cache: Path,
    run: Run,
    sets: tuple[str, ...] = ("standard", "hard"),
    *,
    on_simulated: Callable[[str, int, int], None] | None = None,
    on_detected: Callable[[str, int], None] | None = None,
) -> list[Report]:
    """The fixed test sets, simulated once into ``cache``, through the detector at its
    shipped threshold."""
    reports = []
    threshold, rule, box_threshold = files.threshold, files.alarm_rule, files.box_threshold
    for name in sets:
        split = TEST_SPLITS[name]
        _simulate(cache, split, run, on_simulated, files.detail)

        def detected(n: int, name: str = split.name) -> None:
            if on_detected is not None:
                on_detected(name, n)

        results = detect_split(files.onnx, cache, split, run, detected)
        for r in results:
            r.rule = rule
        reports.append(report(results, split.name, threshold, box_threshold))
    return reports
