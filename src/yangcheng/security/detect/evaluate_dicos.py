"""The detector on a site's own labelled scans: a folder of DICOS scans with ground-truth TDRs.

A site accepts a detector on its own bags, not on the simulator's: the scans its scanners
made, each labelled by what was really in it (a ``GROUND TRUTH`` TDR, `dicos_tdr`). This reads
such a folder (any layout: files are grouped by their Study Instance UID), runs every scan
through the detector as `security.xray.detect` would (its pitch, or a scanner profile), and
reports what the simulated test sets report (`evaluate.report`): bag miss and false-alarm rates
with exact intervals at the operating threshold and at 15 % false alarms, and AP per class.

A label's class is matched to the detector's by name; a threat of a class the detector does
not know counts for the bag (it must alarm) but has no AP, and its misses are listed under
its own name. A study without a label, without both energies, or that cannot be read is
left out with the reason, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.errors import InvalidDicomError

from yangcheng.security.detect.evaluate import ImageResult, Report, report
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.detect.model_files import ModelFiles
from yangcheng.security.dicos_dx import read_scan
from yangcheng.security.dicos_tdr import read_ground_truth
from yangcheng.security.objects import PROHIBITED
from yangcheng.security.scanner_profile import ScannerProfile

__all__ = ["LabelledStudy", "evaluate_folder", "labelled_studies"]

_SUFFIXES = (".dcs", ".dcm")
_IDS = {c.name: c.id for c in PROHIBITED}


@dataclass(frozen=True)
class LabelledStudy:
    study_uid: str
    images: tuple[Path, ...]
    labels: tuple[Path, ...]


def labelled_studies(folder: Path) -> tuple[list[LabelledStudy], list[tuple[str, str]]]:
    """The studies under ``folder`` with two DX images and one label, and (what, why) for
    every file or study left out."""
    images: dict[str, list[Path]] = defaultdict(list)
    labels: dict[str, list[Path]] = defaultdict(list)
    skipped: list[tuple[str, str]] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in _SUFFIXES:
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError) as exc:
            skipped.append((str(path), f"not a readable DICOS file ({exc})"))
            continue
        study = str(ds.get("StudyInstanceUID", "") or "")
        kind = str(ds.get("Modality", "")).upper()
        if not study:
            skipped.append((str(path), "has no Study Instance UID"))
        elif kind == "DX":
            images[study].append(path)
        elif kind == "TDR":
            labels[study].append(path)
        else:
            skipped.append((str(path), f"is a {kind or 'modality-less'} object"))
    studies = []
    for study in sorted(set(images) | set(labels)):
        found, label = images.get(study, []), labels.get(study, [])
        if len(found) != 2:
            noun = "image" if len(found) == 1 else "images"
            skipped.append((study, f"has {len(found)} DX {noun}; a scan is two"))
        elif not label:
            skipped.append((study, "has no ground-truth TDR"))
        else:
            studies.append(LabelledStudy(study, tuple(found), tuple(label)))
    return studies, skipped


def _truth(study: LabelledStudy) -> list[tuple[str, tuple[float, float, float, float]]]:
    """The ground truth among the study's reports (a machine's own TDR may sit beside it)."""
    reasons = []
    for path in study.labels:
        try:
            return list(read_ground_truth(pydicom.dcmread(path), str(path)).objects)
        except ValueError as exc:
            reasons.append(str(exc))
    raise ValueError("; ".join(reasons))


def evaluate_folder(
    folder: Path,
    files: ModelFiles,
    *,
    profile: ScannerProfile | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Report, list[tuple[str, str]]]:
    """The report on the labelled scans under ``folder``, and what was left out and why.
    Thresholds: the scanner profile's own where it has them, else the model's."""
    studies, skipped = labelled_studies(folder)
    detector = XrayDetector(files, threads=2)
    results = []
    unknown: dict[str, int] = {}
    for n, study in enumerate(studies, start=1):
        try:
            truth = _truth(study)
            scan = read_scan([p.read_bytes() for p in study.images], [str(p) for p in study.images])
            image, (sx, sy) = scan.to_reference(profile)
            bag = detector.detect(image.low, image.high)
        except (ValueError, OSError, InvalidDicomError) as exc:  # DicosInputError too
            skipped.append((study.study_uid, str(exc)))
            continue
        rows = []
        for name, (x, y, w, h) in truth:
            # A class the detector does not know is a threat all the same, under an id of
            # its own (negative: no AP, but its misses are counted).
            class_id = _IDS.get(name) or unknown.setdefault(name, -1 - len(unknown))
            rows.append([class_id, x / sx, y / sy, (x + w) / sx, (y + h) / sy])
        gt = np.array(rows, np.float32).reshape(-1, 5)
        results.append(ImageResult(gt, bag.detections, bag.bag_probability, detector.rule))
        if progress is not None:
            progress(n, len(studies))
    if not results:
        raise ValueError(f"{folder}: no labelled scan could be read")
    own = profile.thresholds if profile is not None else None
    threshold, box_threshold = own if own is not None else (files.threshold, files.box_threshold)
    out = report(results, folder.name or str(folder), threshold, box_threshold)
    for name, class_id in unknown.items():  # name the site's own classes in the miss table
        if str(class_id) in out.missed_by_class:
            out.missed_by_class[name] = out.missed_by_class.pop(str(class_id))
    return out, skipped
