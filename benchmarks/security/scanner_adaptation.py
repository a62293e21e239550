"""Can a site adapt the detector to its scanner with nothing but its own clean bags?

Through its profile another scanner's bags read as the reference scanner's, but their texture
(noise, and sharpness after resampling) stays its own, and the bag head alarms more clean
bags at the 1 per mille point: 69 % on scanner D (`scanner_transfer.py`: scanner B's spectra
at 1.0 x 1.25 mm) against 52 % on the reference. A site has clean bags in thousands; threat
image projection (`threat_projection`) puts 0-3 library threats into each, as the simulator
packs bags, with exact boxes. This goes on training the shipped weights on ``--train-bags``
such bags through scanner D (2 epochs at lr 3e-4, as the shipped chain's last runs), averages
the run with its start, and compares the shipped weights, the run's end and the mean on D:

- each model's own threshold, fixed by the validation rule (miss at most 1 per mille) on
  ``--calibrate-bags`` further clean bags through D with ``--per-clean`` threats projected
  into each (`scanner_calibration.operating_point`, as `security scanner calibrate --project`);
- on the 1,000 evaluation bags of `scanner_transfer.py` (real threats packed by the simulator,
  through D): threat bags missed and clean bags alarmed at that threshold, threat bags missed
  at 15 % false alarms, and false alarms where the last threat bag is caught.

    .venv/bin/python benchmarks/security/scanner_adaptation.py [--train-bags 6000] [--work DIR]
        [--out benchmarks/reference/security-scanner-adaptation.json]

The site's bags come from seeds of their own (301 to train, 302 to calibrate).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import shutil
import time
from pathlib import Path

import numpy as np
from scanner_transfer import AIR, DARK, SCANNERS, _at_pitch, _raw
from scanner_transfer import _calibration_bags as validation_through

from yangcheng.bench import git_revision, machine_info
from yangcheng.security.detect.average import average_with_start
from yangcheng.security.detect.evaluate import (
    MAX_FALSE_ALARM_RATE,
    ImageResult,
    bag_figures,
    threshold_at_false_alarm,
)
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.detect.inputs import DOWNSAMPLE, network_input
from yangcheng.security.detect.model_files import DEFAULT_MODEL, ModelFiles
from yangcheng.security.detect.train import TrainConfig, export_onnx, train
from yangcheng.security.detect.training_data import Batch
from yangcheng.security.physics import DualEnergyImage, transmit
from yangcheng.security.scanner_calibration import THIN_SHARE, operating_point
from yangcheng.security.scanner_profile import ScannerProfile, fit_profile
from yangcheng.security.scene import generate_scene
from yangcheng.security.threat_projection import project_threat
from yangcheng.security.wedge_table import simulate_wedge_table

SCANNER = "d"
TRAIN_SEED, CALIBRATE_SEED = 301, 302
SIZE = 512

_profile: ScannerProfile | None = None


def _fit() -> ScannerProfile:
    channels, pixel_mm = SCANNERS[SCANNER]
    steps = simulate_wedge_table(channels, dark=DARK, air=AIR)
    return fit_profile(steps, f"scanner-{SCANNER}", pixel_mm=pixel_mm, dark=DARK, air=AIR)


def _clean_raw(seed: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """A clean bag of the site through scanner D, as its raw counts."""
    channels, pixel_mm = SCANNERS[SCANNER]
    rng = np.random.default_rng([seed, index])
    scene = generate_scene(rng, (SIZE, SIZE), n_prohibited=0, hard=index % 5 == 4)
    thickness = _at_pitch(scene.thickness_cm, pixel_mm)
    low, high = _raw(transmit(thickness, scene.materials, rng=rng, channels=channels))
    return low, high


def _fitted(image: DualEnergyImage) -> DualEnergyImage:
    """Cropped or padded with air to the training size (resampling can leave a pixel over)."""
    out = []
    for t in (image.low, image.high):
        canvas = np.ones((SIZE, SIZE), np.float32)
        h, w = min(t.shape[0], SIZE), min(t.shape[1], SIZE)
        canvas[:h, :w] = t[:h, :w]
        out.append(canvas)
    return DualEnergyImage(low=out[0], high=out[1])


def _training_bag(index: int) -> tuple[np.ndarray, list[list[float]]]:
    assert _profile is not None
    rng = np.random.default_rng([TRAIN_SEED, index, 1])
    image = _fitted(_profile.to_reference(*_clean_raw(TRAIN_SEED, index)))
    boxes = []
    for _ in range(int(rng.integers(0, 4))):
        tip = project_threat(image, rng, thin_share=THIN_SHARE)
        image = tip.image
        x, y, w, h = tip.annotation.bbox_xywh
        boxes.append([tip.annotation.class_id, x / DOWNSAMPLE, y / DOWNSAMPLE,
                      (x + w) / DOWNSAMPLE, (y + h) / DOWNSAMPLE])  # fmt: skip
    return network_input(image.low, image.high).astype(np.float16), boxes


def training_batch(bags: int) -> Batch:
    with multiprocessing.get_context("fork").Pool(2) as pool:
        rows = pool.map(_training_bag, range(bags), chunksize=25)
    x = np.stack([r[0] for r in rows])
    return Batch(x, [np.array(r[1], np.float32).reshape(-1, 5) for r in rows])


def adapt(work: Path, bags: int) -> dict[str, ModelFiles]:
    run = ModelFiles.at(work / "run" / "xray-centernet-v1.onnx")
    mean = ModelFiles.at(work / "mean" / "xray-centernet-v1.onnx")
    if not mean.onnx.exists():
        data = training_batch(bags)
        config = TrainConfig(epochs=2, lr=3e-4, init_from=str(DEFAULT_MODEL.onnx))
        model = train(data, run.onnx.parent, config)
        export_onnx(model, run.onnx)
        card = DEFAULT_MODEL.card()
        digest = hashlib.sha256(DEFAULT_MODEL.onnx.read_bytes()).hexdigest()
        card["training"] = {"continued_from": {"sha256": digest}, "site_bags": bags}
        run.card_path.write_text(json.dumps(card, indent=2))
        mean.onnx.parent.mkdir(parents=True, exist_ok=True)
        average_with_start(run, DEFAULT_MODEL.onnx, mean, 0.5)
        # the mean's card drops the operating point: give it the shipped rule and views
        mean_card = mean.card()
        mean_card["operating_point"] = card["operating_point"]
        mean.card_path.write_text(json.dumps(mean_card, indent=2))
    return {"shipped": DEFAULT_MODEL, "run_end": run, "mean": mean}


def _calibration_bags(count: int):  # type: ignore[no-untyped-def]
    for index in range(count):
        low, high = _clean_raw(CALIBRATE_SEED, index)
        yield f"site bag {index}", low, high, False


def _evaluation(models: dict[str, XrayDetector], bags: int) -> dict[str, list[ImageResult]]:
    """The scanner-transfer evaluation bags through D (its ``_calibration_bags`` from 0)."""
    assert _profile is not None
    results: dict[str, list[ImageResult]] = {name: [] for name in models}
    for _, low, high, threat in validation_through(0, bags, SCANNERS[SCANNER]):
        image = _profile.to_reference(low, high)
        gt = np.zeros((1 if threat else 0, 5), np.float32)
        for name, detector in models.items():
            r = detector.detect(image.low, image.high)
            results[name].append(ImageResult(gt, r.detections, r.bag_probability, detector.rule))
    return results


def main() -> None:
    global _profile
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--train-bags", type=int, default=6000)
    parser.add_argument("--calibrate-bags", type=int, default=1000)
    parser.add_argument("--per-clean", type=int, default=2)
    parser.add_argument("--eval-bags", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/scanner-adaptation"))
    parser.add_argument("--fresh", action="store_true", help="Delete --work first.")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.fresh and args.work.exists():
        shutil.rmtree(args.work)
    _profile = _fit()
    report: dict[str, object] = {
        "machine": machine_info(),
        "revision": git_revision(),  # at the start: the run takes an hour, and commits go on
        "scanner": SCANNER,
        "train_bags": args.train_bags,
    }
    start = time.perf_counter()
    files = adapt(args.work, args.train_bags)
    report["simulate_and_train_minutes"] = round((time.perf_counter() - start) / 60, 1)
    detectors = {name: XrayDetector(f) for name, f in files.items()}
    evaluation = _evaluation(detectors, args.eval_bags)
    for name, detector in detectors.items():
        _, fixed = operating_point(
            _profile, _calibration_bags(args.calibrate_bags), detector,
            projected=args.per_clean, seed=CALIBRATE_SEED,
        )  # fmt: skip
        rows = evaluation[name]
        threshold = float(fixed["scanner"]["threshold"])
        own = bag_figures(rows, threshold)
        at_15 = bag_figures(rows, threshold_at_false_alarm(rows, MAX_FALSE_ALARM_RATE))
        last = min(r.score for r in rows if r.threat)
        report[name] = {
            "projected_threshold": round(threshold, 5),
            "calibration": {"threat_bags": fixed["threat_bags"], "clean_bags": fixed["clean_bags"],
                            "false_alarm_rate": round(fixed["scanner"]["false_alarm_rate"], 4)},
            "evaluation_at_projected_threshold": {
                "missed": own.missed, "false_alarm_rate": round(own.false_alarm_rate, 4)},
            "evaluation_missed_at_15pct_false_alarms": at_15.missed,
            "evaluation_false_alarms_catching_every_threat_bag": round(
                bag_figures(rows, last).false_alarm_rate, 4),
            "evaluation_bags": {"threat": own.threat_bags, "clean": own.clean_bags},
        }  # fmt: skip
        print(json.dumps({name: report[name]}, indent=1), flush=True)
    report["minutes"] = round((time.perf_counter() - start) / 60, 1)
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
