"""Are projected threat bags (threat image projection) as good as real ones for fixing a threshold?

Part 1, the reference scanner. The simulator renders each bag twice: packed with its one
threat, and with that threat taken out (`Scene.without`). The threat is then projected back
into the clean bag, where it was, two ways:

- ``projected``: `threat_projection.project_sprite` (basis-material decomposition, thinned
  counts);
- ``product``: commercial TIP's product of the bag's transmission and the threat's transmission
  imaged alone (noise-free here, which flatters it).

It reports, over the first ``--material-bags`` bags (noise-free), how far each reads from the
packed bag inside the threat (high-channel attenuation, effective Z); and, over ``--bags`` bags
(a fifth from the hard generator, as on the validation split), the shipped detector's bag
scores: the rank correlation of packed and projected, threat bags missed at the model's
threshold and at the clean twins' 15 % false-alarm point, per class, and the threshold the
validation rule (miss at most 1 per mille) fixes on packed, projected and product bags, with
what each of those thresholds does on the packed bags.

Part 2 (``--scanner b``), the use: scanner B (70/140 kVp; `scanner_transfer.py`) fixes its own
threshold through its profile on ``--calibrate-bags`` validation bags, once on their real
threat bags and once on threats projected ``--per-clean`` times into their clean bags alone; both
thresholds are then scored on ``--eval-bags`` further validation bags through B.

    .venv/bin/python benchmarks/security/threat_projection.py [--bags 1000] [--scanner b]
        [--out benchmarks/reference/security-threat-projection.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from scanner_transfer import AIR, DARK, SCANNERS, _calibration_bags
from scipy.stats import spearmanr

from yangcheng.bench import git_revision, machine_info
from yangcheng.security.detect.evaluate import (
    MAX_FALSE_ALARM_RATE,
    MAX_MISS_RATE,
    ImageResult,
    bag_figures,
    choose_threshold,
    threshold_at_false_alarm,
)
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.objects import CLASSES
from yangcheng.security.physics import DualEnergyImage, estimate_z_eff, transmit
from yangcheng.security.scanner_calibration import operating_point
from yangcheng.security.scanner_profile import fit_profile
from yangcheng.security.scene import Scene, _compose, generate_scene
from yangcheng.security.threat_projection import project_sprite
from yangcheng.security.wedge_table import simulate_wedge_table

SEED = 20261205
"""Bags no run trained or chose a threshold on."""
WAYS = ("packed", "projected", "product")


def _scene(index: int) -> Scene:
    rng = np.random.default_rng([SEED, index])
    while True:
        scene = generate_scene(rng, n_prohibited=1, hard=index % 5 == 4)
        if scene.annotations:
            return scene


def _images(index: int, noise: bool) -> tuple[dict[str, DualEnergyImage], Scene]:
    scene = _scene(index)
    rngs = [np.random.default_rng([SEED, index, k]) if noise else None for k in range(3)]
    packed = transmit(scene.thickness_cm, scene.materials, rng=rngs[0])
    emptied = scene.without(0)
    clean = transmit(emptied.thickness_cm, emptied.materials, rng=rngs[1])
    placed = next(p for p in scene.placements if p.annotation == 0)
    projected = project_sprite(clean, placed.sprite, placed.top, placed.left, rng=rngs[2]).image
    alone_cm, alone_materials = _compose([placed], clean.low.shape)
    alone = transmit(alone_cm, alone_materials)
    product = DualEnergyImage(low=clean.low * alone.low, high=clean.high * alone.high)
    return {"packed": packed, "clean": clean, "projected": projected, "product": product}, scene


def material_figures(bags: int) -> dict[str, dict[str, float]]:
    a_err: dict[str, list[np.ndarray]] = defaultdict(list)
    z_err: dict[str, list[np.ndarray]] = defaultdict(list)
    for index in range(bags):
        images, scene = _images(index, noise=False)
        mask = scene.annotations[0].mask
        a_packed = -np.log(images["packed"].high[mask])
        z_packed = estimate_z_eff(images["packed"])[mask]
        for way in WAYS[1:]:
            a = -np.log(images[way].high[mask])
            a_err[way].append(np.abs(a / a_packed - 1))
            z_err[way].append(np.abs(estimate_z_eff(images[way])[mask] - z_packed))
    out = {}
    for way in WAYS[1:]:
        a, z = np.concatenate(a_err[way]), np.concatenate(z_err[way])
        out[way] = {
            "high_attenuation_error_pct_median": round(float(np.median(a)) * 100, 3),
            "high_attenuation_error_pct_p95": round(float(np.percentile(a, 95)) * 100, 3),
            "z_eff_error_median": round(float(np.nanmedian(z)), 4),
            "z_eff_error_p95": round(float(np.nanpercentile(z, 95)), 4),
        }
    return out


def _result(detector: XrayDetector, image: DualEnergyImage, threat: bool) -> ImageResult:
    r = detector.detect(image.low, image.high)
    gt = np.zeros((1 if threat else 0, 5), np.float32)
    return ImageResult(gt, r.detections, r.bag_probability, detector.rule)


def detection_figures(bags: int, detector: XrayDetector) -> dict[str, object]:
    results: dict[str, list[ImageResult]] = defaultdict(list)
    classes: list[str] = []
    for index in range(bags):
        images, scene = _images(index, noise=True)
        classes.append(CLASSES[scene.annotations[0].class_id - 1].name)
        results["clean"].append(_result(detector, images["clean"], False))
        for way in WAYS:
            results[way].append(_result(detector, images[way], True))
    clean = results["clean"]
    at_15 = threshold_at_false_alarm(clean, MAX_FALSE_ALARM_RATE)
    packed_scores = [r.score for r in results["packed"]]
    out: dict[str, object] = {"threshold_at_15pct_false_alarms": round(at_15, 5)}
    for way in WAYS:
        rows = results[way] + clean
        chosen = choose_threshold(rows, MAX_MISS_RATE)
        on_packed = bag_figures(results["packed"] + clean, chosen)
        missed_by_class: dict[str, int] = defaultdict(int)
        for r, name in zip(results[way], classes, strict=True):
            if r.score < at_15:
                missed_by_class[name] += 1
        out[way] = {
            "missed_at_model_threshold": bag_figures(rows, detector.threshold).missed,
            "missed_at_15pct_false_alarms": bag_figures(rows, at_15).missed,
            "missed_by_class_at_15pct": dict(sorted(missed_by_class.items())),
            "rank_correlation_with_packed": round(
                float(spearmanr([r.score for r in results[way]], packed_scores).statistic), 4
            ),
            "per_mille_threshold": round(chosen, 5),
            "per_mille_threshold_on_packed": {
                "missed": on_packed.missed,
                "false_alarm_rate": round(on_packed.false_alarm_rate, 4),
            },
        }
    out["threat_bags"] = bags
    out["false_alarm_rate_at_model_threshold"] = round(
        bag_figures(results["packed"] + clean, detector.threshold).false_alarm_rate, 4
    )
    return out


def scanner_figures(
    scanner: str, calibrate_bags: int, per_clean: int, eval_bags: int, detector: XrayDetector
) -> dict[str, object]:
    channels, pixel_mm = SCANNERS[scanner]
    steps = simulate_wedge_table(channels, dark=DARK, air=AIR)
    profile = fit_profile(steps, f"scanner-{scanner}", pixel_mm=pixel_mm, dark=DARK, air=AIR)
    known = list(_calibration_bags(eval_bags, calibrate_bags, SCANNERS[scanner]))
    _, real = operating_point(profile, known, detector)
    clean_only = [b for b in known if not b[3]]
    _, projected = operating_point(profile, clean_only, detector, projected=per_clean, seed=SEED)
    evaluation = []
    for _, low, high, threat in _calibration_bags(0, eval_bags, SCANNERS[scanner]):
        evaluation.append(_result(detector, profile.to_reference(low, high), threat))
    out: dict[str, object] = {}
    for name, fixed in (("real_threat_bags", real), ("projected_into_clean_bags", projected)):
        threshold = float(fixed["scanner"]["threshold"])  # type: ignore[index]
        at = bag_figures(evaluation, threshold)
        out[name] = {
            "threat_bags": fixed["threat_bags"],
            "clean_bags": fixed["clean_bags"],
            "threshold": round(threshold, 5),
            "evaluation": {"missed": at.missed, "false_alarm_rate": round(at.false_alarm_rate, 4)},
        }
    at_model = bag_figures(evaluation, detector.threshold)
    out["model_threshold"] = {
        "threshold": round(detector.threshold, 5),
        "evaluation": {"missed": at_model.missed,
                       "false_alarm_rate": round(at_model.false_alarm_rate, 4)},
    }  # fmt: skip
    out["evaluation_bags"] = {"threat": at_model.threat_bags, "clean": at_model.clean_bags}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bags", type=int, default=1000)
    parser.add_argument("--material-bags", type=int, default=200)
    parser.add_argument("--scanner", default=None, help="Part 2 on this scanner (b, c or d).")
    parser.add_argument("--calibrate-bags", type=int, default=2000)
    parser.add_argument("--per-clean", type=int, default=3)
    parser.add_argument("--eval-bags", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    detector = XrayDetector()
    report: dict[str, object] = {
        "machine": machine_info(),
        "revision": git_revision(),
        "model": detector.files.onnx.name,
        "seed": SEED,
    }
    start = time.perf_counter()
    report["materials"] = material_figures(args.material_bags)
    print(json.dumps(report["materials"], indent=1), flush=True)
    report["detection"] = detection_figures(args.bags, detector)
    report["reference_minutes"] = round((time.perf_counter() - start) / 60, 1)
    print(json.dumps(report["detection"], indent=1), flush=True)
    if args.scanner:
        start = time.perf_counter()
        report[f"scanner_{args.scanner}"] = scanner_figures(
            args.scanner, args.calibrate_bags, args.per_clean, args.eval_bags, detector
        )
        report[f"scanner_{args.scanner}"]["minutes"] = round(  # type: ignore[index]
            (time.perf_counter() - start) / 60, 1
        )
        print(json.dumps(report[f"scanner_{args.scanner}"], indent=1), flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
