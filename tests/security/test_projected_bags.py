"""Threat bags made from clean captures and written as a dataset: the clean bags only, the
threats asked for, labels that name their capture, and a re-run that resumes to the same bags."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from yangcheng.security.dataset import XrayBaggageDataset
from yangcheng.security.objects import object_class
from yangcheng.security.projected_bags import write_projected_bags
from yangcheng.security.scanner_calibration import InvalidCaptures, read_captures


def reference_captures(folder: Path, bags: int, threat_rows: int = 1) -> Path:
    """Clean simulated bags as 16-bit reference transmission, plus ``threat_rows`` rows
    marked as threat bags (which must not be projected into)."""
    dataset = XrayBaggageDataset(778, bags)
    rows = ["low,high,threat"]
    for i in range(bags):
        image = dataset.scan(i)[0]
        for name, t in (("low", image.low), ("high", image.high)):
            cv2.imwrite(str(folder / f"{i}_{name}.png"), np.round(t * 65535).astype(np.uint16))
        rows.append(f"{i}_low.png,{i}_high.png,{int(i < threat_rows)}")
    path = folder / "captures.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_each_clean_capture_lends_its_bags_with_the_threats_asked_for(tmp_path: Path) -> None:
    captures = read_captures(reference_captures(tmp_path, 4))
    out = tmp_path / "tip"
    written = write_projected_bags(captures, out, 2, threats=2, classes=("knife", "powder"), seed=3)
    assert written == 6  # 3 clean captures x 2
    wanted = {object_class("knife").id, object_class("powder").id}
    for index in range(6):
        label = json.loads((out / "labels" / f"{index:07d}.json").read_text())
        assert label["index"] == index and len(label["annotations"]) == 2
        assert {a["class_id"] for a in label["annotations"]} <= wanted
        source = label["projected_into"]
        assert source["line"] == 3 + index // 2  # line 2 is the threat bag, left alone
        low = cv2.imread(str(out / "images" / f"{index:07d}_low.png"), cv2.IMREAD_UNCHANGED)
        original = cv2.imread(source["low"], cv2.IMREAD_UNCHANGED)
        assert low.dtype == np.uint16 and low.shape == original.shape
        x, y, w, h = label["annotations"][0]["bbox_xywh"]
        assert low[y : y + h, x : x + w].mean() < original[y : y + h, x : x + w].mean()
        assert (out / "images" / f"{index:07d}_rgb.png").exists()


def test_a_rerun_resumes_and_writes_the_same_bags(tmp_path: Path) -> None:
    captures = read_captures(reference_captures(tmp_path, 3))
    out = tmp_path / "tip"
    assert write_projected_bags(captures, out, 2, seed=5) == 4
    first = (out / "images" / "0000003_high.png").read_bytes()
    label = out / "labels" / "0000003.json"
    label.unlink()
    assert write_projected_bags(captures, out, 2, seed=5) == 1
    assert (out / "images" / "0000003_high.png").read_bytes() == first


def test_captures_without_a_clean_bag_are_refused(tmp_path: Path) -> None:
    captures = read_captures(reference_captures(tmp_path, 2, threat_rows=2))
    with pytest.raises(InvalidCaptures, match="no clean bag"):
        write_projected_bags(captures, tmp_path / "tip", 1)


def test_a_colour_capture_is_named_by_line(tmp_path: Path) -> None:
    path = reference_captures(tmp_path, 2, threat_rows=0)
    cv2.imwrite(str(tmp_path / "1_low.png"), np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(InvalidCaptures, match="line 3: low: is a colour image"):
        write_projected_bags(read_captures(path), tmp_path / "tip", 1)
