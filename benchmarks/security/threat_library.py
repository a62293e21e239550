"""Does a threat captured alone project as the threat itself? (`security.threat_library`)

For each of ``--per-class`` threats of every prohibited class, the simulator renders the
threat alone on an empty tray, as a site scans its test kit (detector blur and, with noise,
Poisson counts); `threat_library.sprite_from_capture` reads it back as basis-material paths.
Both the simulator's own threat and the captured one are then projected, noise-free, into a
clean bag at the same place, and the captured one is scored inside the threat against the
simulator's: effective Z and high-channel attenuation. It also scores commercial TIP's product
of transmissions (the bag's times the capture's) the same way.

    .venv/bin/python benchmarks/security/threat_library.py [--per-class 8]
        [--out benchmarks/reference/security-threat-library.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from yangcheng.bench import git_revision, machine_info
from yangcheng.security.objects import PROHIBITED, make_sprite
from yangcheng.security.physics import DualEnergyImage, estimate_z_eff, transmit
from yangcheng.security.scene import Placement, Scene, _compose, generate_scene
from yangcheng.security.threat_library import sprite_from_capture
from yangcheng.security.threat_projection import project_sprite

SEED = 20261206
TRAY_PX = 20
"""Empty tray around the threat in its capture."""


def _clean_bag(rng: np.random.Generator) -> Scene:
    return generate_scene(rng, n_prohibited=0)


def _errors(got: DualEnergyImage, ref: DualEnergyImage, mask: np.ndarray) -> tuple[float, float]:
    z = np.abs(estimate_z_eff(got)[mask] - estimate_z_eff(ref)[mask])
    a = np.abs(np.log(got.high[mask]) / np.log(ref.high[mask]) - 1)
    return float(np.nanmedian(z)), float(np.median(a))


def run(per_class: int) -> dict[str, object]:
    rows: dict[str, list[tuple[float, float, float, float]]] = defaultdict(list)
    for k, cls in enumerate(PROHIBITED):
        for i in range(per_class):
            rng = np.random.default_rng([SEED, k, i])
            sprite = make_sprite(cls.name, rng)
            sh, sw = sprite.shape
            size = (sh + 2 * TRAY_PX, sw + 2 * TRAY_PX)
            cm, materials = _compose([Placement(sprite, TRAY_PX, TRAY_PX)], size)
            capture = transmit(cm, materials, rng=rng)
            captured = sprite_from_capture(capture, cls.name)
            scene = _clean_bag(rng)
            bag = transmit(scene.thickness_cm, scene.materials)
            top = int(rng.integers(40, 512 - 40 - sh)) if sh < 432 else 0
            left = int(rng.integers(40, 512 - 40 - sw)) if sw < 432 else 0
            ref = project_sprite(bag, sprite, top, left)
            got = project_sprite(
                bag,
                captured.sprite,
                top + captured.top - TRAY_PX,
                left + captured.left - TRAY_PX,
                blur_px=0.0,
            )
            window = (slice(top, top + sh), slice(left, left + sw))
            alone = DualEnergyImage(low=np.ones(bag.low.shape), high=np.ones(bag.high.shape))
            alone.low[window] = capture.low[TRAY_PX : TRAY_PX + sh, TRAY_PX : TRAY_PX + sw]
            alone.high[window] = capture.high[TRAY_PX : TRAY_PX + sh, TRAY_PX : TRAY_PX + sw]
            product = DualEnergyImage(low=bag.low * alone.low, high=bag.high * alone.high)
            mask = ref.annotation.mask
            rows[cls.name].append(
                (*_errors(got.image, ref.image, mask), *_errors(product, ref.image, mask))
            )
    per_class_out = {
        name: {
            "captured_z_error_median": round(float(np.median([r[0] for r in v])), 3),
            "captured_attenuation_error_median": round(float(np.median([r[1] for r in v])), 4),
            "product_z_error_median": round(float(np.median([r[2] for r in v])), 3),
            "product_attenuation_error_median": round(float(np.median([r[3] for r in v])), 4),
        }
        for name, v in rows.items()
    }
    every = [r for v in rows.values() for r in v]
    return {
        "threats": len(every),
        "captured_z_error_median": round(float(np.median([r[0] for r in every])), 3),
        "captured_z_error_p95": round(float(np.percentile([r[0] for r in every], 95)), 3),
        "captured_attenuation_error_median": round(float(np.median([r[1] for r in every])), 4),
        "product_z_error_median": round(float(np.median([r[2] for r in every])), 3),
        "product_z_error_p95": round(float(np.percentile([r[2] for r in every], 95)), 3),
        "product_attenuation_error_median": round(float(np.median([r[3] for r in every])), 4),
        "per_class": per_class_out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=8)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    t0 = time.perf_counter()
    result = run(args.per_class)
    report = {
        "benchmark": "security-threat-library",
        "revision": git_revision(),
        "machine": machine_info(),
        "wall_s": round(time.perf_counter() - t0, 1),
        **result,
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
