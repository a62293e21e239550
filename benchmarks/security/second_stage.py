"""Where the shipped detector misses, and whether a learned second stage over its readings helps.

Issue 6's operating point (miss <= 1 per mille at <= 15 % false alarms) is not met. This
script asks two questions on the validation split and the fixed test sets:

1. Which classes the missed threat bags hold at 15 % false alarms (alarm rule of the card),
   and which class the falsely alarmed clean bags' best box has.
2. Whether a LightGBM model over everything the detector says about a bag (bag head, best
   score per class, box counts, the material readings of the liquid/powder/drug/explosive
   boxes, and percentiles of Zeff, low/high ratio and attenuation per mm inside them) beats
   the card's rule. It is fitted on 3,000 bags of their own seeds (301 standard, 302 hard),
   rounds by 5-fold CV; the zero-miss threshold is fixed on validation as for the card.

    .venv/bin/python benchmarks/security/second_stage.py [--cache DIR] [--workers 2]

Simulating the four splits takes ~25 min on 2 cores the first time (shards are cached);
detection ~3 min. Measured 2026-12-02 on the first weights: no gain (2.30 % against 2.23 %
missed at 15 % false alarms on test-standard). Again 2026-12-03 on the continued weights:
mixed, 1.45 % against 1.25 % on test-standard, 5.9 % against 7.0 % on test-hard, and more
false alarms at the zero-miss threshold. Again 2026-12-03 on the 14,800-bag weights served
with four views: 0.66 % against 0.72 % on test-standard (10 bags against 11), 4.5 % against
3.7 % on test-hard, 1.6 % against 1.5 % on validation. Again 2026-12-03 on the 22,800-bag
weights: 0.53 % against 0.46 % on test-standard, 3.65 % against 2.81 % on test-hard, 1.07 %
against 1.20 % on validation. Again 2026-12-03 on the 26,800-bag weights: 0.39 % against
0.46 % on test-standard (6 bags against 7), but 3.65 % against 3.37 % on test-hard and 1.07 %
against 0.94 % on validation, and every clean bag alarmed at its zero-miss threshold. Again
2026-12-03 on the 30,800-bag weights: 0.33 % against 0.39 % on test-standard (5 bags
against 6), 3.65 % against 3.37 % on test-hard, 1.07 % against 0.67 % on validation, every
clean bag alarmed at its zero-miss threshold. Again 2026-12-04 on the 38,200-bag weights:
0.39 % on test-standard either way, 3.09 % against 2.53 % on test-hard, 1.07 % against 0.94 %
on validation, 97 % of validation's clean bags alarmed at its zero-miss threshold against the
card's 52 %. Again 2026-12-04 on the averaged weights (the reference file): 0.46 % against
0.39 % on test-standard, 2.81 % against 2.25 % on test-hard, 1.07 % against 0.67 % on
validation, every validation clean bag alarmed at its zero-miss threshold against 63 % for
the card's rule; still no gain, so it is not part of the product. Again 2026-12-04 with the
card's 4,000-bag validation split and its 1 per mille rule (3 of 3,003 threat bags may be
missed; before, this script used 1,000 bags and missed none): validation 0.90 % against 0.80 %
missed at 15 % false alarms, 69 % against 54 % false alarms at the 1 per mille threshold;
test-standard 0.46 % against 0.39 %, 57 % against 43 % false alarms (0 against 1 missed);
test-hard 2.81 % against 2.25 %. The card's figures here equal `security evaluate`'s.
Again 2026-12-05, now with the validation split's misses too (24 threat bags, every one a
single item): by fill, 6 of the 9 hydrogen-peroxide bottles and 7 of the 15 flour bags are
missed, and none of the 36 ethanol, acetone or gasoline bottles or the 22 alkaloid and
heroin-like powders; `liquid_zeff.py` asks why. The second stage's own figures moved a
little from the last run with the same 187 rounds (validation 0.90 -> 0.97 % missed at 15 %
false alarms, test-hard 2.81 -> 3.37 %); still no gain. Again 2026-12-05 on simulator 2 and
its weights (the reference file): validation 0.63 % against 0.80 % missed at 15 % false
alarms (19 against 24 bags), test-standard 0.33 % against 0.46 % (5 against 7), but test-hard
5.1 % against 4.5 %, and at the 1 per mille threshold it alarms 66 % of validation's clean
bags against the card's 51 % (test-standard 55 % against 36 %): a gain at 15 % that costs the
operating point and the hard set, so it stays out of the product. The misses are still the
fills: hydrogen peroxide 5 of 9, flour 8 of 15 on validation. Again 2026-12-05 on simulator 3
(folded clothes, sugar at its bulk density) and its weights (the reference file, ~12 min with
the validation and test shards cached): validation 1.27 % against 1.07 % missed at 15 % false
alarms (38 against 32 bags), test-standard 0.72 % against 0.53 % (11 against 8), test-hard
4.2 % against 4.5 % (15 against 16), and 70 % of validation's clean bags alarmed at the 1 per
mille threshold against the card's 57 %: no gain. By fill on validation: flour 9 of 15, sugar
6 of 12 (2 at its crystal density before), hydrogen peroxide 4 of 9.
"""

from __future__ import annotations

import argparse
import collections
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from yangcheng.platform.compute import LocalExecutor
from yangcheng.security.dataset import XrayBaggageDataset
from yangcheng.security.detect.evaluate import ImageResult, detect_split, miss_rate_threshold
from yangcheng.security.detect.infer import Detection
from yangcheng.security.detect.inputs import DOWNSAMPLE
from yangcheng.security.detect.model_files import DEFAULT_MODEL
from yangcheng.security.detect.training_data import (
    SHARD,
    TEST_SPLITS,
    VALIDATION_SPLIT,
    Split,
    build_split,
    shard_path,
)
from yangcheng.security.materials import MATERIALS
from yangcheng.security.objects import PROHIBITED

SECOND_STAGE_SPLIT = Split("combiner", ((301, 2400, False), (302, 600, True)))
MATERIAL_CLASSES = ("flammable_liquid", "powder", "drug_package", "pepper_spray", "explosive_block")
CLASS_INDEX = {c.id: i for i, c in enumerate(PROHIBITED)}
CLASS_NAME = {c.id: c.name for c in PROHIBITED}
Run = Callable[[Callable[..., Any], list[tuple[Any, ...]]], Iterator[Any]]


def _box_reading(x: np.ndarray, d: Detection | None) -> list[float]:
    """Zeff percentiles, low/high attenuation ratio and attenuation per mm of box width over
    the most attenuating half of the box's centre."""
    if d is None:
        return [np.nan] * 6
    x0, y0, w, h = (v / DOWNSAMPLE for v in d.box_xywh)
    cx, cy = x0 + w / 2, y0 + h / 2
    r0, c0 = int(max(cy - 0.35 * h, 0)), int(max(cx - 0.35 * w, 0))
    r1, c1 = max(int(np.ceil(cy + 0.35 * h)), r0 + 1), max(int(np.ceil(cx + 0.35 * w)), c0 + 1)
    low = x[0, r0:r1, c0:c1].astype(np.float32) * 5
    high = x[1, r0:r1, c0:c1].astype(np.float32) * 5
    z = x[2, r0:r1, c0:c1].astype(np.float32) * 25 + 5
    if high.size == 0:
        return [np.nan] * 6
    keep = high >= np.median(high)
    return [
        float(np.percentile(z[keep], 10)),
        float(np.percentile(z[keep], 50)),
        float(np.percentile(z[keep], 90)),
        float(high.max()),
        float(np.median(low[keep]) / max(float(np.median(high[keep])), 1e-3)),
        float(np.median(high[keep]) / (min(w, h) * 3.0)),
    ]


def _features(x: np.ndarray, r: ImageResult) -> np.ndarray:
    scores = sorted((d.score for d in r.detections), reverse=True)
    per_class = np.zeros(len(PROHIBITED), np.float32)
    for d in r.detections:
        i = CLASS_INDEX[d.class_id]
        per_class[i] = max(per_class[i], d.score)
    row: list[float] = [
        np.nan if r.bag_probability is None else r.bag_probability,
        max((d.score for d in r.detections if d.material_consistent), default=0.0),
        *per_class,
        *(sum(s >= level for s in scores) for level in (0.1, 0.2, 0.4)),
        scores[1] if len(scores) > 1 else 0.0,
    ]
    for name in MATERIAL_CLASSES:
        best = max(
            (d for d in r.detections if d.class_name == name), key=lambda d: d.score, default=None
        )
        row += _box_reading(x, best)
    return np.array(row, np.float32)


def _inputs(cache: Path, split: Split) -> np.ndarray:
    xs = []
    for part, (_, images, _) in enumerate(split.parts):
        for lo in range(0, images, SHARD):
            with np.load(shard_path(cache, split, part, lo)) as shard:
                xs.append(shard["x"])
    return np.concatenate(xs)


def _miss_at_false_alarm(scores: np.ndarray, threat: np.ndarray, rate: float = 0.15) -> float:
    clean = np.sort(scores[~threat])[::-1]
    threshold = np.nextafter(clean[int(rate * len(clean))], 1.0)
    return float(np.mean(scores[threat] < threshold))


FILLS = frozenset(
    {
        "ethanol",
        "gasoline",
        "acetone",
        "hydrogen peroxide",
        "sugar",
        "flour",
        "alkaloid powder",
        "heroin-like powder",
    }
)


def _by_fill(results: list[ImageResult], split: Split, threshold: float) -> dict[str, str]:
    """Single-item liquid and powder bags, missed/all per fill material (re-simulated: the
    shards keep boxes, not materials)."""
    material_name = {m.id: m.name for m in MATERIALS.values()}
    seen: collections.Counter[str] = collections.Counter()
    missed: collections.Counter[str] = collections.Counter()
    offset = 0
    for seed, images, hard in split.parts:
        dataset = XrayBaggageDataset(seed, images, hard=hard)
        for i in range(images):
            r = results[offset + i]
            if len(r.gt) != 1 or CLASS_NAME[int(r.gt[0, 0])] not in ("flammable_liquid", "powder"):
                continue
            _, annotations = dataset.scan(i)
            fills = {material_name[m] for m in annotations[0].material_ids} & FILLS
            key = f"{CLASS_NAME[int(r.gt[0, 0])]}: {', '.join(sorted(fills))}"
            seen[key] += 1
            missed[key] += int(r.score <= threshold)
        offset += images
    return {k: f"{missed[k]}/{seen[k]}" for k in sorted(seen)}


def _where_it_misses(results: list[ImageResult], split: Split) -> dict[str, Any]:
    scores = np.array([r.score for r in results])
    threat = np.array([r.threat for r in results])
    clean = np.sort(scores[~threat])[::-1]
    threshold = clean[int(0.15 * len(clean))]
    singles = collections.Counter(
        CLASS_NAME[int(r.gt[0, 0])] for r in results if r.threat and len(r.gt) == 1
    )
    missed = collections.Counter(
        CLASS_NAME[int(r.gt[0, 0])]
        for r, s in zip(results, scores, strict=True)
        if r.threat and len(r.gt) == 1 and s <= threshold
    )
    false_alarms = collections.Counter(
        max(r.detections, key=lambda d: d.score).class_name
        for r, s in zip(results, scores, strict=True)
        if not r.threat and s > threshold and r.detections
    )
    return {
        "single_item_bags_missed": {k: f"{v}/{singles[k]}" for k, v in missed.most_common()},
        "single_liquid_or_powder_bags_missed_by_fill": _by_fill(results, split, threshold),
        "false_alarms_by_best_box": dict(false_alarms.most_common(10)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/yangcheng/security")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    splits = {
        "second-stage": SECOND_STAGE_SPLIT,
        "validation": VALIDATION_SPLIT,
        "test-standard": TEST_SPLITS["standard"],
        "test-hard": TEST_SPLITS["hard"],
    }
    rule = DEFAULT_MODEL.alarm_rule
    pool = LocalExecutor("process", args.workers)
    try:
        data: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        report: dict[str, Any] = {"card_rule": rule}
        for name, split in splits.items():
            build_split(args.cache, split, pool.map_unordered)
            results = detect_split(DEFAULT_MODEL.onnx, args.cache, split, pool.map_unordered)
            for r in results:
                r.rule = rule
            xs = _inputs(args.cache, split)
            features = np.stack([_features(x, r) for x, r in zip(xs, results, strict=True)])
            data[name] = (
                features,
                np.array([r.threat for r in results]),
                np.array([r.score for r in results]),
            )
            if name != "second-stage":
                report[f"{name} misses"] = _where_it_misses(results, split)
    finally:
        pool.shutdown()

    features, threat, _ = data["second-stage"]
    params = {
        "objective": "binary",
        "learning_rate": 0.03,
        "num_leaves": 15,
        "min_data_in_leaf": 20,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "num_threads": args.workers,
        "deterministic": True,
        "verbosity": -1,
        "seed": 0,
    }
    train = lgb.Dataset(features, threat.astype(np.float32))
    cv = lgb.cv(
        {**params, "metric": "binary_logloss"},
        train,
        2000,
        nfold=5,
        stratified=True,
        seed=0,
        callbacks=[lgb.early_stopping(100, verbose=False)],
    )
    rounds = len(list(cv["valid binary_logloss-mean"]))  # type: ignore[arg-type]
    booster = lgb.train(params, train, rounds)
    val_features, val_threat, val_card = data["validation"]
    val_stage = np.asarray(booster.predict(val_features))
    thresholds = {  # as the card's: the highest with validation misses within 1 per mille
        "card": miss_rate_threshold(val_card[val_threat]),
        "second": miss_rate_threshold(val_stage[val_threat]),
    }
    report["rounds"] = rounds
    for name in ("validation", "test-standard", "test-hard"):
        f, y, card_scores = data[name]
        stage = np.asarray(booster.predict(f))
        for label, s in (("card", card_scores), ("second", stage)):
            report[f"{name} {label}"] = {
                "miss_at_15pct_false_alarm": round(_miss_at_false_alarm(s, y), 4),
                "missed_at_validation_threshold": int(np.sum(s[y] < thresholds[label])),
                "false_alarm_at_validation_threshold": round(
                    float(np.mean(s[~y] >= thresholds[label])), 4
                ),
            }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
