"""Evaluation as the call measures it: per-class AP, mAP@0.5, and bag-level miss and false-alarm
rates at an operating threshold fixed on the validation split, with exact binomial intervals.

A miss is a bag holding at least one prohibited item whose alarm did not fire; a false alarm
is a clean bag whose alarm fired. With n threat bags and zero misses the miss rate is only
known to be below ~3/n (95 %), so the interval is reported beside every rate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import beta
from threadpoolctl import threadpool_limits

from yangcheng.security.detect.infer import (
    Detection,
    XrayDetector,
    alarm_score,
    box_alarm,
    box_limit,
)
from yangcheng.security.detect.inputs import DOWNSAMPLE
from yangcheng.security.detect.model_files import ModelFiles
from yangcheng.security.detect.training_data import SHARD, Split, shard_path
from yangcheng.security.objects import PROHIBITED

__all__ = [
    "BagFigures",
    "BoxFigures",
    "ImageResult",
    "Report",
    "average_precision",
    "bag_figures",
    "box_figures",
    "choose_box_threshold",
    "choose_rule",
    "choose_threshold",
    "detect_split",
    "miss_rate_threshold",
    "proportion_interval",
    "report",
]

MAX_MISS_RATE = 0.001
MAX_FALSE_ALARM_RATE = 0.15


@dataclass
class ImageResult:
    gt: np.ndarray
    """(n, 5): class_id, x0, y0, x1, y1 in input-image pixels."""
    detections: list[Detection]
    bag_probability: float | None = None
    rule: str = "detections"
    """The alarm rule ``score`` follows (``infer.ALARM_RULES``)."""

    @property
    def threat(self) -> bool:
        return len(self.gt) > 0

    @property
    def score(self) -> float:
        return alarm_score(self.detections, self.bag_probability, self.rule)


def _detect_shard(
    onnx: str, path: str, flips: tuple[str, ...] | None = None
) -> tuple[str, list[ImageResult]]:
    """Executor task: one shard through a single-threaded detector (and single-threaded
    BLAS: the executor's processes are the parallelism); ``flips`` overrides the card's."""
    # No card yet when validation runs: the threshold and rule are applied to the results.
    files = ModelFiles.at(Path(onnx))
    detector = XrayDetector(files, threshold=1.0, threads=1, rule="detections", flips=flips)
    with np.load(path) as shard:
        xs = shard["x"]
        boxes = json.loads(str(shard["boxes"]))
    out = []
    with threadpool_limits(limits=1):
        for x, b in zip(xs, boxes, strict=True):
            gt = np.array(b, np.float32).reshape(-1, 5)
            gt[:, 1:] *= DOWNSAMPLE
            detections, probability = detector.detect_input(x.astype(np.float32))
            out.append(ImageResult(gt, detections, probability))
    return path, out


def detect_split(
    onnx: Path,
    root: Path,
    split: Split,
    run: Callable[[Callable[..., Any], list[tuple[Any, ...]]], Iterator[Any]],
    progress: Callable[[int], None] | None = None,
    flips: tuple[str, ...] | None = None,
) -> list[ImageResult]:
    """Run the detector over every (built) shard of ``split``, in the split's order, with
    the card's test-time views unless ``flips`` names others."""
    calls = []
    detail = ModelFiles.at(onnx).detail
    for part, (_, images, _) in enumerate(split.parts):
        for lo in range(0, images, SHARD):
            path = shard_path(root, split, part, lo, detail)
            if not path.exists():
                raise FileNotFoundError(f"{path} is missing: build the {split.name} split first")
            calls.append((str(onnx), str(path), flips))
    order = {c[1]: i for i, c in enumerate(calls)}
    done: dict[int, list[ImageResult]] = {}
    for results in run(_detect_shard, calls):
        path, rows = results
        done[order[path]] = rows
        if progress is not None:
            progress(len(rows))
    return [r for i in range(len(calls)) for r in done[i]]


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return np.asarray(inter / np.maximum(area + areas - inter, 1e-9))


def average_precision(results: list[ImageResult], class_id: int, iou: float = 0.5) -> float | None:
    """COCO-style 101-point interpolated AP of one class; None when the class never occurs."""
    gts = [r.gt[r.gt[:, 0] == class_id, 1:] for r in results]
    n_gt = sum(len(g) for g in gts)
    if n_gt == 0:
        return None
    dets = sorted(
        (
            (
                d.score,
                i,
                np.array(
                    [
                        d.box_xywh[0],
                        d.box_xywh[1],
                        d.box_xywh[0] + d.box_xywh[2],
                        d.box_xywh[1] + d.box_xywh[3],
                    ]
                ),
            )
            for i, r in enumerate(results)
            for d in r.detections
            if d.class_id == class_id
        ),
        key=lambda t: -t[0],
    )
    used = [np.zeros(len(g), bool) for g in gts]
    tp = np.zeros(len(dets))
    for k, (_, i, box) in enumerate(dets):
        if len(gts[i]) == 0:
            continue
        overlaps = _iou(box, gts[i])
        overlaps[used[i]] = -1
        j = int(np.argmax(overlaps))
        if overlaps[j] >= iou:
            used[i][j] = True
            tp[k] = 1
    if len(dets) == 0:
        return 0.0
    ctp = np.cumsum(tp)
    recall = ctp / n_gt
    precision = ctp / np.arange(1, len(dets) + 1)
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    points = np.linspace(0, 1, 101)
    idx = np.searchsorted(recall, points, side="left")
    return float(np.mean([precision[i] if i < len(precision) else 0.0 for i in idx]))


def proportion_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson exact interval for k events in n trials."""
    if n == 0:
        return (0.0, 1.0)
    a = (1 - confidence) / 2
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - a, k + 1, n - k))
    return (lo, hi)


@dataclass(frozen=True)
class BagFigures:
    threshold: float
    threat_bags: int
    missed: int
    miss_rate: float
    miss_rate_ci95: tuple[float, float]
    clean_bags: int
    false_alarms: int
    false_alarm_rate: float
    false_alarm_rate_ci95: tuple[float, float]


def bag_figures(results: list[ImageResult], threshold: float) -> BagFigures:
    threat = [r.score for r in results if r.threat]
    clean = [r.score for r in results if not r.threat]
    missed = sum(s < threshold for s in threat)
    alarms = sum(s >= threshold for s in clean)
    return BagFigures(
        threshold=threshold,
        threat_bags=len(threat),
        missed=missed,
        miss_rate=missed / max(len(threat), 1),
        miss_rate_ci95=proportion_interval(missed, len(threat)),
        clean_bags=len(clean),
        false_alarms=alarms,
        false_alarm_rate=alarms / max(len(clean), 1),
        false_alarm_rate_ci95=proportion_interval(alarms, len(clean)),
    )


def bag_misses_by_class(results: list[ImageResult], threshold: float) -> dict[str, list[int]]:
    """Per class: [threat bags holding it that do not alarm at ``threshold``, bags holding it].

    Screening standards set detection rates per threat category, and a bag-level miss rate
    over all classes hides which ones the misses are (flour, not guns). A bag holding two
    classes counts for each.
    """
    names = {c.id: c.name for c in PROHIBITED}
    out: dict[str, list[int]] = {}
    for r in results:
        for class_id in {int(c) for c in r.gt[:, 0]}:
            row = out.setdefault(names.get(class_id, str(class_id)), [0, 0])
            row[0] += r.score < threshold
            row[1] += 1
    return out


def choose_threshold(results: list[ImageResult], max_miss_rate: float = MAX_MISS_RATE) -> float:
    """The highest threshold whose miss rate on ``results`` stays within ``max_miss_rate``.

    With fewer than 1/max_miss_rate threat bags that means missing none: the threshold sits
    just at the least confident threat bag's score.
    """
    return miss_rate_threshold(np.array([r.score for r in results if r.threat]), max_miss_rate)


def miss_rate_threshold(threat_scores: np.ndarray, max_miss_rate: float = MAX_MISS_RATE) -> float:
    """``choose_threshold`` over the threat bags' scores alone, for any scorer of bags."""
    threat = np.sort(np.asarray(threat_scores, dtype=float))
    if len(threat) == 0:
        raise ValueError("the validation results hold no threat bag to set a threshold on")
    allowed = math.floor(max_miss_rate * len(threat))
    return float(threat[allowed])


def threshold_at_false_alarm(results: list[ImageResult], rate: float) -> float:
    """The lowest threshold whose false-alarm rate stays within ``rate``."""
    clean = np.sort([r.score for r in results if not r.threat])[::-1]
    if len(clean) == 0:
        return 0.0
    allowed = math.floor(rate * len(clean))
    return float(np.nextafter(clean[allowed], 1.0)) if allowed < len(clean) else 0.0


@dataclass(frozen=True)
class BoxFigures:
    """What the operator is shown: the boxes marked as alarms, and whether they are on items."""

    box_threshold: float
    marked_per_bag: float
    false_marked_per_bag: float
    """Marked boxes on no item of the bag (IoU < 0.5 with every one, whatever its class)."""
    clean_bags_marked: float
    """Share of clean bags with a marked box."""
    alarmed_threat_bags: int
    located: float
    """Share of the alarmed threat bags with a marked box on one of their items."""


def box_figures(
    results: list[ImageResult], threshold: float, box_threshold: float | None
) -> BoxFigures:
    """Marked boxes at the bag ``threshold`` and the card's ``box_threshold``, by each bag's
    rule (``infer.box_alarm``)."""
    marked = false = clean = clean_marked = alarmed = located = 0
    for r in results:
        boxes = [d for d in r.detections if box_alarm(d, r.rule, threshold, box_threshold)]
        on_item = np.zeros(len(r.gt), bool)
        for d in boxes:
            x, y, w, h = d.box_xywh
            hits = _iou(np.array([x, y, x + w, y + h]), r.gt[:, 1:]) >= 0.5
            false += not hits.any()
            on_item |= hits
        marked += len(boxes)
        if not r.threat:
            clean += 1
            clean_marked += bool(boxes)
        elif r.score >= threshold:
            alarmed += 1
            located += bool(on_item.any())
    n = max(len(results), 1)
    return BoxFigures(
        box_threshold=box_limit(
            results[0].rule if results else "detections", threshold, box_threshold
        ),
        marked_per_bag=marked / n,
        false_marked_per_bag=false / n,
        clean_bags_marked=clean_marked / max(clean, 1),
        alarmed_threat_bags=alarmed,
        located=located / max(alarmed, 1),
    )


@dataclass(frozen=True)
class Report:
    split: str
    images: int
    map50: float
    ap50: dict[str, float]
    operating: BagFigures
    """At the threshold chosen on validation (miss rate within 1 per mille there)."""
    at_false_alarm_15: BagFigures
    """At the threshold giving at most 15 % false alarms on this split itself."""
    boxes: BoxFigures | None = None
    """The boxes shown as alarms at the validation-fixed thresholds."""
    missed_by_class: dict[str, list[int]] = field(default_factory=dict)
    """At the 15 % false-alarm threshold (``bag_misses_by_class``): [missed, threat bags]."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def choose_rule(results: list[ImageResult]) -> tuple[str, float]:
    """The alarm rule (and its threshold) with the fewest validation false alarms at the
    miss-rate target; the bag head is a candidate only when the graph has one."""
    rules = ["detections"]
    if all(r.bag_probability is not None for r in results):
        rules += ["bag_head", "mean"]
    best: tuple[float, str, float] | None = None
    for rule in rules:
        for r in results:
            r.rule = rule
        threshold = choose_threshold(results)
        false_alarms = bag_figures(results, threshold).false_alarm_rate
        if best is None or false_alarms < best[0]:
            best = (false_alarms, rule, threshold)
    assert best is not None
    for r in results:
        r.rule = best[1]
    return best[1], best[2]


def choose_box_threshold(results: list[ImageResult], rate: float = MAX_FALSE_ALARM_RATE) -> float:
    """The box score at which a box is shown to the operator as an alarm.

    Under the bag-head rule the bag's alarm says nothing about which box caused it, and at the
    zero-miss threshold half the clean bags alarm: marking every plausible box in them drowns
    the item among a dozen faint ones. A box marked at this score would, as the best box of
    its bag, flag no more than ``rate`` of the clean validation bags.
    """
    best_box = [ImageResult(r.gt, r.detections, r.bag_probability) for r in results]
    return threshold_at_false_alarm(best_box, rate)


def report(
    results: list[ImageResult], split: str, threshold: float, box_threshold: float | None = None
) -> Report:
    ap = {
        c.name: value for c in PROHIBITED if (value := average_precision(results, c.id)) is not None
    }
    at_15 = threshold_at_false_alarm(results, MAX_FALSE_ALARM_RATE)
    return Report(
        split=split,
        images=len(results),
        map50=float(np.mean(list(ap.values()))) if ap else 0.0,
        ap50={k: round(v, 4) for k, v in ap.items()},
        operating=bag_figures(results, threshold),
        at_false_alarm_15=bag_figures(results, at_15),
        boxes=box_figures(results, threshold, box_threshold),
        missed_by_class=bag_misses_by_class(results, at_15),
    )
