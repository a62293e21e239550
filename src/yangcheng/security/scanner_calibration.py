"""A scanner's own alarm thresholds, fixed on bags it scanned whose contents are known.

Through its profile another scanner's images read as the reference scanner's, but their noise
and sharpness stay its own, and the network's bag head, trained on one scanner's texture,
alarms more clean bags at the model's threshold: 58 % and 69 % against 52 % on two simulated
scanners, while missing no more (`benchmarks/security/scanner_transfer.py`). A site that puts
known bags through its scanner (test kits that hold threats, and cleared bags) fixes the
thresholds the way validation fixed the model's: the highest bag threshold that misses at
most 1 per mille of the threat bags (with fewer than 1,000 of them, that is missing none), and
the box threshold at which a box, as its bag's best, flags at most 15 % of the clean ones.

The bags are listed in a CSV file: ``low``, ``high`` (the scanner's raw 16-bit images, paths
relative to the file) and ``threat`` (1 or 0).

A site has few threat bags and many clean ones, and 1 per mille needs thousands of threats.
With ``projected`` each clean bag also lends itself to that many threat bags: a library threat
projected into it (`threat_projection`, in the reference scanner's terms after the profile),
each one counted as a threat bag the detector must alarm.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from yangcheng.security.csv_rows import InvalidTable, table_rows
from yangcheng.security.detect.evaluate import (
    MAX_FALSE_ALARM_RATE,
    MAX_MISS_RATE,
    ImageResult,
    bag_figures,
    choose_box_threshold,
    choose_threshold,
)
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.detect.inputs import DetectorInputError
from yangcheng.security.physics import DualEnergyImage
from yangcheng.security.scanner_profile import ScannerProfile
from yangcheng.security.threat_library import ThreatLibrary, project_some_threat

__all__ = [
    "MIN_BAGS",
    "Capture",
    "InvalidCaptures",
    "calibrate_operating_point",
    "operating_point",
    "read_capture_image",
    "read_captures",
]

MIN_BAGS = 50
"""Threat bags and clean bags each, at the least: fewer fix a threshold on a handful of bags."""
THIN_SHARE = 0.1
"""Projected threats turned nearly edge-on: as on the validation split the model's threshold
was fixed on (a fifth of its bags hard, half of those items edge-on)."""


class InvalidCaptures(InvalidTable):
    """A capture list or capture that cannot be used, naming the line and what is wrong."""


@dataclass(frozen=True)
class Capture:
    """One known bag through the scanner."""

    low: Path
    high: Path
    threat: bool
    line: int


def read_captures(path: Path) -> list[Capture]:
    header_where, header, rows = table_rows(path, InvalidCaptures)
    if sorted(header) != ["high", "low", "threat"]:
        raise InvalidCaptures(header_where, f"header must be low,high,threat: {header}")
    out = []
    for line, where, row in rows:
        if row["threat"] not in ("0", "1"):
            raise InvalidCaptures(where, f"threat is {row['threat']!r}: 1 (holds a threat) or 0")
        out.append(
            Capture(path.parent / row["low"], path.parent / row["high"], row["threat"] == "1", line)
        )
    return out


def read_capture_image(capture: Capture, path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InvalidCaptures(f"captures line {capture.line}", f"{path} is missing or unreadable")
    return np.asarray(image)


def calibrate_operating_point(
    profile: ScannerProfile,
    captures: list[Capture],
    detector: XrayDetector,
    progress: Callable[[int], None] | None = None,
    *,
    projected: int = 0,
    seed: int = 0,
    library: ThreatLibrary | None = None,
) -> tuple[ScannerProfile, dict[str, Any]]:
    """The profile with thresholds of its own, and the figures at them and at the model's.

    ``projected``: threat bags made from each clean capture by threat image projection, of
    the site's own captured threats where ``library`` is given, else the simulator's.
    """
    if projected < 0:
        raise ValueError(f"projected must be 0 or more, got {projected}")
    clean = sum(not c.threat for c in captures)
    threats = len(captures) - clean + projected * clean
    if min(threats, clean) < MIN_BAGS:
        raise InvalidCaptures(
            "captures",
            f"{threats} threat and {clean} clean bags: at least {MIN_BAGS} "
            "of each are needed to fix a threshold"
            + ("" if projected else " (--project makes threat bags from the clean ones)"),
        )
    bags = (
        (
            f"captures line {c.line}",
            read_capture_image(c, c.low),
            read_capture_image(c, c.high),
            c.threat,
        )
        for c in captures
    )
    return operating_point(
        profile, bags, detector, progress, projected=projected, seed=seed, library=library
    )


def operating_point(
    profile: ScannerProfile,
    bags: Iterable[tuple[str, np.ndarray, np.ndarray, bool]],
    detector: XrayDetector,
    progress: Callable[[int], None] | None = None,
    *,
    projected: int = 0,
    seed: int = 0,
    library: ThreatLibrary | None = None,
) -> tuple[ScannerProfile, dict[str, Any]]:
    """``calibrate_operating_point`` on bags in memory: (where, raw low, raw high, threat)."""
    results = []
    rng = np.random.default_rng(seed)

    def score(where: str, image: DualEnergyImage, threat: bool) -> ImageResult:
        try:
            r = detector.detect(image.low, image.high)
        except DetectorInputError as exc:
            raise InvalidCaptures(where, str(exc)) from None
        gt = np.zeros((1 if threat else 0, 5), np.float32)
        return ImageResult(gt, r.detections, r.bag_probability, detector.rule)

    for where, low, high, threat in bags:
        try:
            image = profile.to_reference(low, high)
        except DetectorInputError as exc:
            raise InvalidCaptures(where, str(exc)) from None
        results.append(score(where, image, threat))
        for _ in range(0 if threat else projected):
            try:
                tip = project_some_threat(image, rng, library, thin_share=THIN_SHARE).image
            except ValueError as exc:  # an empty belt image: nothing to project into
                raise InvalidCaptures(where, f"cannot project a threat into it: {exc}") from None
            results.append(score(where, tip, True))
        if progress is not None:
            progress(1)
    threshold = choose_threshold(results, MAX_MISS_RATE)
    box_threshold = choose_box_threshold(results, MAX_FALSE_ALARM_RATE)
    own, model = bag_figures(results, threshold), bag_figures(results, detector.threshold)
    point = {
        "threshold": threshold,
        "box_threshold": box_threshold,
        "rule": detector.rule,
        "model": detector.files.onnx.name,
        "threat_bags": own.threat_bags,
        "projected_threat_bags": projected * own.clean_bags,
        "projected_from": None
        if not projected
        else (str(library.folder) if library is not None else "simulator"),
        "clean_bags": own.clean_bags,
        "missed": own.missed,
        "false_alarm_rate": round(own.false_alarm_rate, 4),
        "per_mille_resolved": own.threat_bags >= 1000,
        "fixed_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    figures = {
        "scanner": {"threshold": threshold, "missed": own.missed,
                    "false_alarm_rate": own.false_alarm_rate},
        "model": {"threshold": detector.threshold, "missed": model.missed,
                  "false_alarm_rate": model.false_alarm_rate},
        "threat_bags": own.threat_bags,
        "projected_threat_bags": projected * own.clean_bags,
        "clean_bags": own.clean_bags,
    }  # fmt: skip
    return replace(profile, operating_point=point), figures
