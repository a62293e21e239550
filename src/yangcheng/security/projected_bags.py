"""Threat bags made from a scanner's clean bags, written as a dataset.

Screeners are trained and tested on libraries of threat bags (computer-based training), and a
site's own bags look like what they will screen. Each clean capture (a ``threat`` 0 row of a
capture list) is read through the scanner's profile, or without one as the reference
scanner's transmission (the layout `security generate` writes), and lends ``per_clean`` bags
with ``threats`` library threats projected into each (`threat_projection`). They are written
in `security generate`'s layout (``images/NNNNNNN_{low,high,rgb}.png``, ``labels/NNNNNNN.json``
with boxes, outlines and materials), each label naming the capture it was made from, so
whatever reads a generated dataset reads these. Bag ``i`` draws from its own seed, so a re-run
skips the bags on disk and writes the same ones that are missing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from yangcheng.security.dataset import Sample, label_path, write_sample
from yangcheng.security.detect.inputs import DetectorInputError, transmission
from yangcheng.security.physics import DualEnergyImage, pseudo_colour
from yangcheng.security.scanner_calibration import (
    THIN_SHARE,
    Capture,
    InvalidCaptures,
    read_capture_image,
)
from yangcheng.security.scanner_profile import ScannerProfile
from yangcheng.security.threat_library import ThreatLibrary, project_some_threat

__all__ = ["write_projected_bags"]


def _reference(capture: Capture, profile: ScannerProfile | None) -> DualEnergyImage:
    low, high = read_capture_image(capture, capture.low), read_capture_image(capture, capture.high)
    try:
        if profile is not None:
            return profile.to_reference(low, high)
        return DualEnergyImage(low=transmission(low, "low"), high=transmission(high, "high"))
    except DetectorInputError as exc:
        raise InvalidCaptures(f"captures line {capture.line}", str(exc)) from None


def write_projected_bags(
    captures: list[Capture],
    out: Path,
    per_clean: int,
    *,
    threats: int = 1,
    profile: ScannerProfile | None = None,
    classes: tuple[str, ...] | None = None,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    library: ThreatLibrary | None = None,
) -> int:
    """Write the projected bags not yet under ``out``; returns how many were written."""
    if per_clean < 1 or threats < 1:
        raise ValueError(f"per_clean and threats must be 1 or more, got {per_clean}, {threats}")
    clean = [c for c in captures if not c.threat]
    if not clean:
        raise InvalidCaptures("captures", "hold no clean bag (threat 0) to project threats into")
    written = 0
    for k, capture in enumerate(clean):
        image: DualEnergyImage | None = None
        for j in range(per_clean):
            index = k * per_clean + j
            if label_path(out, index).exists():
                continue
            image = image if image is not None else _reference(capture, profile)
            rng = np.random.default_rng([seed, k, j])
            bag, annotations = image, []
            for _ in range(threats):
                try:
                    tip = project_some_threat(
                        bag, rng, library, classes=classes, thin_share=THIN_SHARE
                    )
                except ValueError as exc:
                    where = f"captures line {capture.line}"
                    raise InvalidCaptures(
                        where, f"cannot project a threat into it: {exc}"
                    ) from None
                bag = tip.image
                annotations.append(tip.annotation)
            source = {"low": str(capture.low), "high": str(capture.high), "line": capture.line}
            write_sample(
                out,
                Sample(index, bag, pseudo_colour(bag), annotations),
                {"projected_into": source, "scanner": profile.name if profile else None},
            )
            written += 1
        if progress is not None:
            progress(1)
    return written
