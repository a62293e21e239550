"""Does the detector work on another scanner's images, with and without its scanner profile?

The detector learnt one scanner (80 and 160 kVp tubes, 2.5 mm Al, 1 mm Cu on the high side,
CsI 0.5 and 4 mm). This scans the same bags with two others, whose raw counts run from a dark
level of 300 to an air level of 60,000 (a 16-bit scanner's offset and gain):

- ``b``: 70 and 140 kVp, 1.5 mm Al, 0.6 mm Cu on the high side, CsI 0.3 and 3 mm;
- ``c``: a dual-layer scanner, one 140 kVp tube for both channels: a 0.3 mm CsI front layer,
  then 0.5 mm Cu and a 4 mm CsI rear layer (the channels overlap more, so Z is harder to read);
- ``d``: scanner b's spectra at 1.0 mm across the belt and 1.25 mm along it, each pixel
  catching its area's share of the photons (the bag's path lengths resampled to that pitch).

For every bag (the first ``--bags`` of the standard validation seed, which training never
saw) it runs the shipped detector on:

- ``reference``: the bag through the reference scanner (what the model card measures);
- ``flat_field``: the other scanner's counts turned into transmission by its dark and air
  levels only, as a user without a profile would at best;
- ``profile``: the other scanner's counts through its profile, fitted on its step-wedge
  readings (`wedge_table.simulate_wedge_table`: 290 steps of polyethylene crossed with
  aluminium and with steel).

It reports mAP@0.5, threat bags missed and clean bags alarmed at the model's own threshold
(fixed on the reference scanner's validation bags), and threat bags missed at each variant's
own 15 % false-alarm point; and, on the noise-free images of the first ``--material-bags``
bags, how far the effective Z and the high-energy attenuation of each variant sit from the
reference's, on pixels where the bag attenuates (high-energy -ln T >= 0.1).

    .venv/bin/python benchmarks/security/scanner_transfer.py [--bags 1000] [--scanners b,c,d]
        [--calibrate-bags 2000]

With ``--calibrate-bags N`` each scanner first fixes its own thresholds
(`scanner_calibration.operating_point`) on the next N validation bags through it, and the
profile variant is also scored at them.

Without a profile, scanner d's image also goes to the detector at its own pitch (the boxes
scored against it are scaled to match). Measured 2026-12-05 on simulator 3's shipped weights,
2 cores, ~6 min a scanner:
``benchmarks/reference/security-scanner-transfer.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import cv2
import numpy as np

from yangcheng.bench import git_revision, machine_info
from yangcheng.security.dataset import XrayBaggageDataset
from yangcheng.security.detect.evaluate import (
    MAX_FALSE_ALARM_RATE,
    ImageResult,
    average_precision,
    bag_figures,
    threshold_at_false_alarm,
)
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.detect.training_data import VALIDATION_SEEDS
from yangcheng.security.objects import PROHIBITED
from yangcheng.security.physics import Channel, DualEnergyImage, estimate_z_eff, transmit
from yangcheng.security.scanner_calibration import operating_point
from yangcheng.security.scanner_profile import REFERENCE_PIXEL_MM, ScannerProfile, fit_profile
from yangcheng.security.wedge_table import simulate_wedge_table

_B = (
    Channel("low", 70.0, al_filter_mm=1.5, cu_filter_mm=0.0, csi_mm=0.3, photons_per_pixel=2e4),
    Channel("high", 140.0, al_filter_mm=1.5, cu_filter_mm=0.6, csi_mm=3.0, photons_per_pixel=2e4),
)
_C = (
    Channel("low", 140.0, al_filter_mm=1.5, cu_filter_mm=0.0, csi_mm=0.3, photons_per_pixel=2e4),
    Channel("high", 140.0, al_filter_mm=1.5, cu_filter_mm=0.5, csi_mm=4.0, photons_per_pixel=2e4),
)
_D_PITCH = (1.0, 1.25)
_D_AREA = _D_PITCH[0] * _D_PITCH[1] / REFERENCE_PIXEL_MM**2
"""Scanner D's pixel collects this share of a 1.5 mm pixel's photons."""


def _fewer(channel: Channel) -> Channel:
    return replace(channel, photons_per_pixel=channel.photons_per_pixel * _D_AREA)


SCANNERS: dict[str, tuple[tuple[Channel, Channel], tuple[float, float]]] = {
    "b": (_B, (REFERENCE_PIXEL_MM, REFERENCE_PIXEL_MM)),
    "c": (_C, (REFERENCE_PIXEL_MM, REFERENCE_PIXEL_MM)),
    "d": ((_fewer(_B[0]), _fewer(_B[1])), _D_PITCH),
}
"""Spectra and pitch (across, along the belt, mm) of each scanner."""
DARK, AIR = (300.0, 300.0), (60000.0, 60000.0)
VARIANTS = ("reference", "flat_field", "profile")
Channels = tuple[Channel, Channel]


def _raw(image: DualEnergyImage) -> tuple[np.ndarray, np.ndarray]:
    """The other scanner's stored 16-bit counts."""
    return tuple(
        np.round(DARK[k] + (AIR[k] - DARK[k]) * t).astype(np.uint16)
        for k, t in enumerate((image.low, image.high))
    )


def _flat_field(raw: tuple[np.ndarray, np.ndarray]) -> DualEnergyImage:
    low, high = (
        np.clip((r.astype(np.float32) - DARK[k]) / (AIR[k] - DARK[k]), 1e-5, 1.0)
        for k, r in enumerate(raw)
    )
    return DualEnergyImage(low=low, high=high)


def _at_pitch(thickness_cm: np.ndarray, pixel_mm: tuple[float, float]) -> np.ndarray:
    """The bag's path lengths on a scanner of another pitch."""
    if pixel_mm == (REFERENCE_PIXEL_MM, REFERENCE_PIXEL_MM):
        return thickness_cm
    h, w = thickness_cm.shape[:2]
    size = (
        round(w * REFERENCE_PIXEL_MM / pixel_mm[0]),
        round(h * REFERENCE_PIXEL_MM / pixel_mm[1]),
    )
    planes = [cv2.resize(thickness_cm[..., k], size, interpolation=cv2.INTER_LINEAR)
              for k in range(thickness_cm.shape[-1])]  # fmt: skip
    return np.stack(planes, axis=-1)


def _variants(
    dataset: XrayBaggageDataset,
    index: int,
    scanner: tuple[Channels, tuple[float, float]],
    profile: ScannerProfile,
    noise: bool,
) -> tuple[dict[str, DualEnergyImage], np.ndarray]:
    """Each variant's image of the bag, and its items' boxes in reference pixels."""
    channels, pixel_mm = scanner
    reference, scene = dataset.scene(index)
    rng = np.random.default_rng([dataset.seed, index, 2]) if noise else None
    if not noise:
        reference = transmit(scene.thickness_cm, scene.materials)
    thickness = _at_pitch(scene.thickness_cm, pixel_mm)
    raw = _raw(transmit(thickness, scene.materials, rng=rng, channels=channels))
    gt = np.array(
        [
            (a.class_id, x, y, x + w, y + h)
            for a in scene.annotations
            for x, y, w, h in [a.bbox_xywh]
        ],
        np.float32,
    ).reshape(-1, 5)
    images = {
        "reference": reference,
        "flat_field": _flat_field(raw),
        "profile": profile.to_reference(*raw),
    }
    return images, gt


def _boxes_on(gt: np.ndarray, image: DualEnergyImage, reference: DualEnergyImage) -> np.ndarray:
    """Reference-pixel boxes on an image of another size (an unresampled other pitch)."""
    (h, w), (rh, rw) = image.low.shape, reference.low.shape
    return gt * np.array([1, w / rw, h / rh, w / rw, h / rh], np.float32)


def _on_reference_grid(image: DualEnergyImage, reference: DualEnergyImage) -> DualEnergyImage:
    if image.low.shape == reference.low.shape:
        return image
    size = reference.low.shape[::-1]
    low, high = (
        np.exp(-cv2.resize(-np.log(t), size, interpolation=cv2.INTER_AREA))
        for t in (image.low, image.high)
    )
    return DualEnergyImage(low=low, high=high)


def _calibration_bags(
    first: int, count: int, scanner: tuple[Channels, tuple[float, float]]
) -> Iterator[tuple[str, np.ndarray, np.ndarray, bool]]:
    """Known bags through the scanner, for its own thresholds: validation bags after the
    ones the figures are measured on."""
    channels, pixel_mm = scanner
    dataset = XrayBaggageDataset(VALIDATION_SEEDS[0], first + count)
    for index in range(first, first + count):
        _, scene = dataset.scene(index)
        rng = np.random.default_rng([dataset.seed, index, 2])
        thickness = _at_pitch(scene.thickness_cm, pixel_mm)
        raw = _raw(transmit(thickness, scene.materials, rng=rng, channels=channels))
        yield f"bag {index}", raw[0], raw[1], bool(scene.annotations)


def detection_figures(
    bags: int,
    scanner: tuple[Channels, tuple[float, float]],
    profile: ScannerProfile,
    detector: XrayDetector,
) -> dict[str, dict[str, object]]:
    dataset = XrayBaggageDataset(VALIDATION_SEEDS[0], bags)
    results: dict[str, list[ImageResult]] = {v: [] for v in VARIANTS}
    for index in range(bags):
        images, gt = _variants(dataset, index, scanner, profile, noise=True)
        for name, image in images.items():
            r = detector.detect(image.low, image.high)
            boxes = _boxes_on(gt, image, images["reference"])
            results[name].append(ImageResult(boxes, r.detections, r.bag_probability, detector.rule))
    out: dict[str, dict[str, object]] = {}
    for name, rows in results.items():
        ap = [a for c in PROHIBITED if (a := average_precision(rows, c.id)) is not None]
        at_model = bag_figures(rows, detector.threshold)
        at_15 = bag_figures(rows, threshold_at_false_alarm(rows, MAX_FALSE_ALARM_RATE))
        out[name] = {
            "map50": round(float(np.mean(ap)), 4),
            "threat_bags": at_model.threat_bags,
            "clean_bags": at_model.clean_bags,
            "model_threshold": {
                "missed": at_model.missed,
                "false_alarm_rate": round(at_model.false_alarm_rate, 4),
            },
            "missed_at_15pct_false_alarms": at_15.missed,
        }
    if profile.thresholds is not None:
        at_own = bag_figures(results["profile"], profile.thresholds[0])
        out["profile"]["own_threshold"] = {
            "threshold": round(profile.thresholds[0], 5),
            "missed": at_own.missed,
            "false_alarm_rate": round(at_own.false_alarm_rate, 4),
        }
    return out


def material_figures(
    bags: int, scanner: tuple[Channels, tuple[float, float]], profile: ScannerProfile
) -> dict[str, dict[str, float]]:
    dataset = XrayBaggageDataset(VALIDATION_SEEDS[0], bags)
    z_err: dict[str, list[np.ndarray]] = {v: [] for v in VARIANTS[1:]}
    a_err: dict[str, list[np.ndarray]] = {v: [] for v in VARIANTS[1:]}
    for index in range(bags):
        images, _ = _variants(dataset, index, scanner, profile, noise=False)
        ref = images["reference"]
        a_ref = -np.log(ref.high)
        dense = a_ref >= 0.1
        z_ref = estimate_z_eff(ref)[dense]
        for name in VARIANTS[1:]:
            image = _on_reference_grid(images[name], ref)
            z_err[name].append(np.abs(estimate_z_eff(image)[dense] - z_ref))
            a_err[name].append(np.abs(-np.log(image.high)[dense] / a_ref[dense] - 1))
    out = {}
    for name in VARIANTS[1:]:
        z, a = np.concatenate(z_err[name]), np.concatenate(a_err[name])
        out[name] = {
            "z_eff_error_median": round(float(np.nanmedian(z)), 3),
            "z_eff_error_p95": round(float(np.nanpercentile(z, 95)), 3),
            "high_attenuation_error_pct_median": round(float(np.median(a)) * 100, 2),
            "high_attenuation_error_pct_p95": round(float(np.percentile(a, 95)) * 100, 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bags", type=int, default=1000)
    parser.add_argument("--material-bags", type=int, default=40)
    parser.add_argument("--scanners", default=",".join(SCANNERS))
    parser.add_argument(
        "--calibrate-bags",
        type=int,
        default=0,
        help="Fix each scanner's own thresholds on this many further validation bags first.",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    detector = XrayDetector()
    report: dict[str, object] = {
        "machine": machine_info(),
        "revision": git_revision(),
        "model": detector.files.onnx.name,
        "bags": args.bags,
        "dark": DARK,
        "air": AIR,
    }
    for name in args.scanners.split(","):
        start = time.perf_counter()
        channels, pixel_mm = scanner = SCANNERS[name]
        steps = simulate_wedge_table(channels, dark=DARK, air=AIR)
        profile = fit_profile(steps, f"scanner-{name}", pixel_mm=pixel_mm, dark=DARK, air=AIR)
        calibration = None
        if args.calibrate_bags:
            known = _calibration_bags(args.bags, args.calibrate_bags, scanner)
            profile, figures = operating_point(profile, known, detector)
            calibration = {**(profile.operating_point or {}), "model_threshold": figures["model"]}
        report[f"scanner_{name}"] = {
            "own_thresholds": calibration,
            "channels": [asdict(c) for c in channels],
            "pixel_mm": pixel_mm,
            "profile_fit": profile.fit,
            "materials": material_figures(args.material_bags, scanner, profile),
            "detection": detection_figures(args.bags, scanner, profile, detector),
            "minutes": round((time.perf_counter() - start) / 60, 1),
        }
        print(json.dumps({name: report[f"scanner_{name}"]}, indent=1), flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
