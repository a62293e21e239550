"""The detector on a folder of labelled DICOS scans: the same figures as on the simulator's
own images of the same bags, and every study it cannot use named with the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from typer.testing import CliRunner

from yangcheng.cli import app
from yangcheng.security.dataset import STANDARD_TEST, XrayBaggageDataset
from yangcheng.security.detect.evaluate import ImageResult, report
from yangcheng.security.detect.evaluate_dicos import evaluate_folder, labelled_studies
from yangcheng.security.detect.infer import XrayDetector
from yangcheng.security.detect.model_files import DEFAULT_MODEL
from yangcheng.security.objects import PROHIBITED

BAGS = 12
PROHIBITED_IDS = {c.id for c in PROHIBITED}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("labelled")
    result = CliRunner().invoke(
        app,
        ["security", "export-dicos", "--out", str(out), "--bags", str(BAGS), "--truth"],
    )
    assert result.exit_code == 0, result.output
    return out


def test_labelled_scans_give_the_figures_of_the_simulators_own_images(folder: Path) -> None:
    out, skipped = evaluate_folder(folder, DEFAULT_MODEL)
    assert skipped == []
    dataset = XrayBaggageDataset(STANDARD_TEST.seed, BAGS)
    detector = XrayDetector(DEFAULT_MODEL, threads=2)
    direct = []
    for i in range(BAGS):
        image, annotations = dataset.scan(i)
        rows = [(a.class_id, *a.bbox_xywh) for a in annotations if a.class_id in PROHIBITED_IDS]
        gt = np.array([(c, x, y, x + w, y + h) for c, x, y, w, h in rows], np.float32)
        gt = gt.reshape(-1, 5)
        bag = detector.detect(image.low, image.high)
        direct.append(ImageResult(gt, bag.detections, bag.bag_probability, detector.rule))
    expected = report(direct, "direct", DEFAULT_MODEL.threshold, DEFAULT_MODEL.box_threshold)
    assert out.images == BAGS and out.split == folder.name
    assert out.operating.threat_bags == expected.operating.threat_bags > 0
    assert out.operating.clean_bags == expected.operating.clean_bags > 0
    assert out.operating.missed == expected.operating.missed
    assert out.operating.false_alarms == expected.operating.false_alarms
    assert set(out.ap50) == set(expected.ap50)
    for name, value in expected.ap50.items():
        assert out.ap50[name] == pytest.approx(value, abs=0.05)


def test_studies_it_cannot_use_are_left_out_with_the_reason(folder: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(folder, site)
    (site / "0000000_truth.dcs").unlink()  # an unlabelled scan
    (site / "0000001_high.dcs").unlink()  # a scan missing an energy
    (site / "notes.dcs").write_bytes(b"not dicos")
    label = pydicom.dcmread(site / "0000002_truth.dcs")
    label.ThreatSequence[0].ATDAssessmentSequence[0].ThreatCategoryDescription = "taser"
    label.save_as(site / "0000002_truth.dcs")
    studies, skipped = labelled_studies(site)
    assert len(studies) == BAGS - 2
    reasons = " | ".join(why for _, why in skipped)
    assert "has no ground-truth TDR" in reasons and "has 1 DX image;" in reasons
    assert "not a readable DICOS file" in reasons
    out, _ = evaluate_folder(site, DEFAULT_MODEL)
    assert out.images == BAGS - 2
    assert "taser" in out.missed_by_class and "taser" not in out.ap50  # the site's own class


def test_security_evaluate_reads_a_labelled_folder(folder: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["security", "evaluate", "--dicos", str(folder), "--out", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0, result.output
    assert f"{folder.name}: {BAGS} bags" in result.output
    assert (tmp_path / "r.json").exists()
    missing = CliRunner().invoke(app, ["security", "evaluate", "--dicos", str(tmp_path / "no")])
    assert missing.exit_code == 2 and "no such folder" in missing.output
