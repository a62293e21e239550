"""`yangcheng bench security-data`: simulated bags per hour per core, and what they contain.

Timed in one process (one core): building the scene, the dual-energy transmission with noise,
the pseudo-colour, and writing PNGs and labels to disk. The target is 10,000 images per hour per
core at 512x512, i.e. at most 0.36 s a bag.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.security.dataset import XrayBaggageDataset, write_samples
from yangcheng.security.objects import PROHIBITED
from yangcheng.security.physics import pseudo_colour, transmit
from yangcheng.security.scene import generate_scene

__all__ = ["flat_metrics"]


def flat_metrics(quick: bool) -> dict[str, Any]:
    n = 40 if quick else 300
    metrics: dict[str, Any] = {"images": float(n), "size_px": 512.0}
    for hard in (False, True):
        tag = "hard_" if hard else ""
        scene_s = transmit_s = colour_s = 0.0
        classes: Counter[int] = Counter()
        objects = 0
        for i in range(n):
            rng = np.random.default_rng([7, int(hard), i])
            t0 = time.perf_counter()
            scene = generate_scene(rng, (512, 512), hard=hard)
            t1 = time.perf_counter()
            image = transmit(scene.thickness_cm, scene.materials, rng=rng)
            t2 = time.perf_counter()
            pseudo_colour(image)
            t3 = time.perf_counter()
            scene_s += t1 - t0
            transmit_s += t2 - t1
            colour_s += t3 - t2
            classes.update(a.class_id for a in scene.annotations)
            objects += len(scene.annotations)
        per_image = (scene_s + transmit_s + colour_s) / n
        metrics[f"{tag}scene_ms"] = scene_s / n * 1000
        metrics[f"{tag}transmit_ms"] = transmit_s / n * 1000
        metrics[f"{tag}pseudo_colour_ms"] = colour_s / n * 1000
        metrics[f"{tag}images_per_hour_per_core"] = 3600 / per_image
        metrics[f"{tag}prohibited_per_image"] = objects / n
        metrics[f"{tag}classes_seen"] = float(len(classes))
    metrics["prohibited_classes"] = float(len(PROHIBITED))
    with tempfile.TemporaryDirectory(prefix="yc-bench-xray-") as tmp:
        dataset = XrayBaggageDataset(11, n)
        t0 = time.perf_counter()
        write_samples(dataset, Path(tmp), range(n))
        metrics["written_images_per_hour_per_core"] = 3600 * n / (time.perf_counter() - t0)
    return metrics
