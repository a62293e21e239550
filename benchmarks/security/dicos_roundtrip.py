"""What reading a bag as DICOS changes in the detector's answer.

The first ``--bags`` bags of the standard test set go through the detector three ways: the
simulator's own float transmission, as `security.xray.detect` takes a simulated bag; as a
DICOS scan at the detector's 1.5 mm pitch (16-bit counts, what a scanner file holds); and as
a DICOS scan written at 1.0 mm and resampled back to 1.5 mm on reading (`dicos_dx`), as a
finer scanner's files would be. For each: how many alarm decisions differ from the direct
path at the operating threshold, how far the bag scores move, and the figures
`security evaluate --dicos` reports on the same bags with their ground-truth TDRs against
`evaluate.report` on the direct results. Reading time per scan is timed too.

    .venv/bin/python benchmarks/security/dicos_roundtrip.py [--bags 300] [--out F.json]

Measured 2026-12-05 on 300 bags (`benchmarks/reference/security-dicos-roundtrip.json`): at
1.5 mm no decision changed (bag scores within 0.004), and `security evaluate --dicos` gave the
direct path's figures (0 missed, 30 of the clean bags alarmed, mAP 0.9335 against 0.9336);
reading a scan took 5 ms. Written at 1.0 mm and resampled back, 4 of 300 decisions changed
(all clean bags that no longer alarmed: 26 false alarms against 30), scores moved up to 0.12,
mAP 0.9349; reading took 12 ms. Resampling smooths what the detector sees, so a scanner of
another pitch wants its own threshold (`security scanner calibrate`).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.security.dataset import STANDARD_TEST, XrayBaggageDataset
from yangcheng.security.detect.evaluate import ImageResult, report
from yangcheng.security.detect.evaluate_dicos import evaluate_folder
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.detect.model_files import DEFAULT_MODEL
from yangcheng.security.dicos_dx import dx_scan_files, read_scan, resample
from yangcheng.security.dicos_tdr import ground_truth_report
from yangcheng.security.objects import PROHIBITED

BY_ID = {c.id: c for c in PROHIBITED}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bags", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    dataset = XrayBaggageDataset(STANDARD_TEST.seed, args.bags)
    detector = XrayDetector(DEFAULT_MODEL, threads=2)
    threshold = DEFAULT_MODEL.threshold
    direct: list[ImageResult] = []
    paths: dict[str, list[tuple[float, bool]]] = {"1.5mm": [], "1.0mm": []}
    read_ms: dict[str, list[float]] = {"1.5mm": [], "1.0mm": []}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {name: Path(tmp) / name for name in paths}
        for folder in folders.values():
            folder.mkdir()
        for i in range(args.bags):
            image, annotations = dataset.scan(i)
            bag = detector.detect(image.low, image.high)
            rows = [(a.class_id, *a.bbox_xywh) for a in annotations if a.class_id in BY_ID]
            gt = np.array([(c, x, y, x + w, y + h) for c, x, y, w, h in rows], np.float32)
            direct.append(
                ImageResult(gt.reshape(-1, 5), bag.detections, bag.bag_probability, detector.rule)
            )
            for name, pitch in (("1.5mm", 1.5), ("1.0mm", 1.0)):
                files = dx_scan_files(
                    resample(image, (1.5, 1.5), pitch), ooi_id=str(i), pixel_mm=pitch
                )
                t0 = time.perf_counter()
                scan = read_scan(list(files), ["low", "high"])
                read, _ = scan.to_reference()
                read_ms[name].append((time.perf_counter() - t0) * 1000)
                result = detector.detect(read.low, read.high)
                paths[name].append((result.bag_score, result.bag_score >= threshold))
                for energy, data in zip(("low", "high"), files, strict=True):
                    (folders[name] / f"{i:06d}_{energy}.dcs").write_bytes(data)
                label = ground_truth_report(annotations, scan, pixel_mm=pitch, source="simulator")
                (folders[name] / f"{i:06d}_truth.dcs").write_bytes(label)
        expected = report(direct, "direct", threshold, DEFAULT_MODEL.box_threshold)
        out: dict[str, Any] = {
            "bags": args.bags,
            "threshold": threshold,
            "direct": {
                "missed": expected.operating.missed,
                "false_alarms": expected.operating.false_alarms,
                "map50": round(expected.map50, 4),
            },
        }
        scores = np.array([r.score for r in direct])
        for name in paths:
            got = np.array([s for s, _ in paths[name]])
            alarms = np.array([a for _, a in paths[name]])
            folder_report, skipped = evaluate_folder(folders[name], DEFAULT_MODEL)
            out[name] = {
                "decisions_changed": int(np.sum(alarms != (scores >= threshold))),
                "score_abs_diff_median": round(float(np.median(np.abs(got - scores))), 5),
                "score_abs_diff_max": round(float(np.max(np.abs(got - scores))), 4),
                "read_ms_mean": round(float(np.mean(read_ms[name])), 1),
                "evaluate_missed": folder_report.operating.missed,
                "evaluate_false_alarms": folder_report.operating.false_alarms,
                "evaluate_map50": round(folder_report.map50, 4),
                "skipped": len(skipped),
            }
    text = json.dumps(out, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
