"""`yangcheng bench security`: detector latency per 512x512 bag on two threads, items per hour.

The bags are simulated beforehand (simulation is not part of the scanner-to-decision path);
what is timed is what a lane does per bag: turn both energies into the network's input
(attenuation, effective Z), run the ONNX graph, decode boxes and read the material evidence.
The target is at most 100 ms a bag on two CPU cores (36,000 items/hour, 5x the call's 7,200).
A bag that comes as a DICOS scan is read first: ``dicos_read_ms`` times parsing its two DX
files and resampling them from a 1.0 mm pitch to the detector's 1.5 mm.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from yangcheng.security.dataset import STANDARD_TEST, XrayBaggageDataset
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.dicos_dx import dx_scan_files, read_scan, resample

__all__ = ["flat_metrics"]


def flat_metrics(quick: bool) -> dict[str, Any]:
    n = 20 if quick else 200
    dataset = XrayBaggageDataset(STANDARD_TEST.seed, n)
    bags = [dataset.scan(i)[0] for i in range(n)]
    detector = XrayDetector(threads=2)
    detector.detect(bags[0].low, bags[0].high)  # load the graph
    total, pre, net = [], [], []
    alarms = 0
    for bag in bags:
        t0 = time.perf_counter()
        result = detector.detect(bag.low, bag.high)
        total.append(time.perf_counter() - t0)
        pre.append(result.timings_ms["preprocess"])
        net.append(result.timings_ms["network"])
        alarms += result.alarm
    ms = np.array(total) * 1000
    dicos_ms = []
    for bag in bags[:20]:
        files = list(dx_scan_files(resample(bag, (1.5, 1.5), 1.0), ooi_id="bench", pixel_mm=1.0))
        t0 = time.perf_counter()
        read_scan(files, ["low", "high"]).to_reference()
        dicos_ms.append((time.perf_counter() - t0) * 1000)
    return {
        "bags": float(n),
        "size_px": 512.0,
        "threads": 2.0,
        "ms_per_bag_mean": float(ms.mean()),
        "ms_per_bag_p50": float(np.percentile(ms, 50)),
        "ms_per_bag_p99": float(np.percentile(ms, 99)),
        "preprocess_ms_mean": float(np.mean(pre)),
        "network_and_decode_ms_mean": float(np.mean(net)),
        "items_per_hour": 3_600_000 / float(ms.mean()),
        "alarm_share": alarms / n,
        "dicos_read_ms_mean": float(np.mean(dicos_ms)),
    }
