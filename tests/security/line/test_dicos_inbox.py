"""A scanner's DICOS inbox: pairs taken whole, everything else refused with its reason, each
bag fed at least once, and decided with a Threat Detection Report beside the decision."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest

from yangcheng.security.dataset import STANDARD_TEST, XrayBaggageDataset
from yangcheng.security.dicos_dx import dx_scan_files
from yangcheng.security.dicos_tdr import threat_detection_report
from yangcheng.security.line import LineStore, LineWorker, WorkerConfig
from yangcheng.security.line.dicos_inbox import Inbox, inbox_feed
from yangcheng.security.physics import DualEnergyImage


@pytest.fixture(scope="module")
def scans() -> list[tuple[bytes, bytes]]:
    dataset = XrayBaggageDataset(STANDARD_TEST.seed, 3)
    return [dx_scan_files(dataset.scan(i)[0], ooi_id=f"BAG-{i}") for i in range(3)]


def _drop(folder: Path, name: str, data: bytes, age_s: float = 5.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def _reason(inbox: Inbox, name: str) -> str:
    return (inbox.refused / f"{name}.reason.txt").read_text()


def test_a_sweep_takes_whole_pairs_and_refuses_the_rest(
    tmp_path: Path, scans: list[tuple[bytes, bytes]]
) -> None:
    inbox = Inbox(tmp_path / "in", outbox=tmp_path / "out", scanner="xr01")
    _drop(inbox.folder, "a_low.dcs", scans[0][0])
    _drop(inbox.folder, "a_high.dcs", scans[0][1])
    _drop(inbox.folder, "b_low.dcs", scans[1][0], age_s=0.0)  # still being written
    _drop(inbox.folder, "b_high.dcs", scans[1][1])
    _drop(inbox.folder, "c_low.dcs", scans[2][0], age_s=600.0)  # its partner never came
    _drop(inbox.folder, "junk.dcs", b"not dicos")
    report = threat_detection_report(alarm=False, objects=[], model="m", processing_ms=1.0)
    _drop(inbox.folder, "old_tdr.dcs", report)
    _drop(inbox.folder, "notes.txt", b"left alone: not a DICOS name")
    (source,) = inbox.sweep()
    assert source["kind"] == "dicos" and source["scanner"] == "xr01"
    assert source["tdr_dir"] == str(tmp_path / "out")
    assert sorted(Path(f).name for f in source["files"]) == ["a_high.dcs", "a_low.dcs"]
    assert all(Path(f).parent.parent == inbox.taken for f in source["files"])
    assert "did not arrive within 120 s" in _reason(inbox, "c_low.dcs")
    assert "not a DICOS/DICOM file" in _reason(inbox, "junk.dcs")
    assert "a TDR object, not a DX image" in _reason(inbox, "old_tdr.dcs")
    assert sorted(p.name for p in inbox.folder.iterdir() if p.is_file()) == [
        "b_high.dcs", "b_low.dcs", "notes.txt"
    ]  # fmt: skip
    (later,) = inbox.sweep(now=time.time() + 5)
    assert sorted(Path(f).name for f in later["files"]) == ["b_high.dcs", "b_low.dcs"]


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")  # the point of the test
def test_a_study_uid_that_is_not_a_uid_never_names_a_folder(
    tmp_path: Path, scans: list[tuple[bytes, bytes]]
) -> None:
    inbox = Inbox(tmp_path / "in")
    for name, data in (("low.dcs", scans[0][0]), ("high.dcs", scans[0][1])):
        ds = pydicom.dcmread(io.BytesIO(data))
        ds.StudyInstanceUID = "../../escaped"
        ds.save_as(_drop(inbox.folder, name, b""))
        then = time.time() - 5
        os.utime(inbox.folder / name, (then, then))
    assert inbox.sweep() == []
    assert "that is not a UID" in _reason(inbox, "low.dcs")
    assert not (tmp_path / "escaped").exists() and not inbox.taken.exists()


def test_a_study_with_more_than_two_images_is_refused_whole(
    tmp_path: Path, scans: list[tuple[bytes, bytes]]
) -> None:
    inbox = Inbox(tmp_path / "in")
    for name in ("v1_low.dcs", "v1_high.dcs", "v2_low.dcs"):
        _drop(inbox.folder, name, scans[0][0] if "low" in name else scans[0][1])
    assert inbox.sweep() == []
    assert "holds 3 DX images" in _reason(inbox, "v2_low.dcs")
    assert not any(inbox.folder.glob("*.dcs"))


def test_the_feed_stops_at_its_count_and_a_taken_scan_never_fed_comes_first(
    tmp_path: Path, scans: list[tuple[bytes, bytes]]
) -> None:
    inbox = Inbox(tmp_path / "in", settle_s=0.0)
    for i, (low, high) in enumerate(scans):
        _drop(inbox.folder, f"{i}_low.dcs", low)
        _drop(inbox.folder, f"{i}_high.dcs", high)
    feed = inbox_feed(inbox, items=1)
    first = next(feed)
    # The feed is dropped before it hears that the item was queued: the scan stays unfed.
    feed.close()
    assert not (Path(first.source["files"][0]).parent / ".fed").exists()
    events = list(inbox_feed(inbox, items=3, idle_exit_s=1.0))
    assert events[0].source == first.source
    assert len(events) == 3 and len({e.source["files"][0] for e in events}) == 3
    assert all((Path(e.source["files"][0]).parent / ".fed").exists() for e in events)
    assert not any(inbox.folder.glob("*.dcs"))
    assert list(inbox_feed(inbox, idle_exit_s=0.0)) == []


def test_a_worker_decides_an_inbox_scan_and_writes_its_report(
    tmp_path: Path, scans: list[tuple[bytes, bytes]]
) -> None:
    inbox = Inbox(tmp_path / "in", outbox=tmp_path / "out", settle_s=0.0)
    _drop(inbox.folder, "bag_low.dcs", scans[1][0])
    _drop(inbox.folder, "bag_high.dcs", scans[1][1])
    broken = dx_scan_files(
        DualEnergyImage(low=np.full((64, 64), 0.5), high=np.full((64, 64), 0.7)), ooi_id="x"
    )
    _drop(inbox.folder, "cut_low.dcs", broken[0][:-1000])  # its pixels cut short
    _drop(inbox.folder, "cut_high.dcs", broken[1])
    config = WorkerConfig(store_location=str(tmp_path / "line.db"), batch=2)
    store = LineStore(config.store_location)
    store.enqueue(list(inbox_feed(inbox, items=2)))
    worker = LineWorker(config, "w1")
    assert worker.step() == 2
    decisions = {d.tracking_id: d for d in store.decisions()}
    reports = {p.stem: pydicom.dcmread(p) for p in (tmp_path / "out").glob("*.dcs")}
    assert set(reports) == set(decisions)
    assert not list((tmp_path / "out").glob(".*"))  # no partial files left behind
    for tracking_id, decision in decisions.items():
        tdr = reports[tracking_id]
        assert tdr.AlarmDecision == ("CLEAR" if decision.route == "clear" else "ALARM")
        if decision.reasons[0].startswith("fail-safe"):
            assert (tdr.AbortFlag, tdr.AbortReason) == ("ABORT", "UNKNOWN_DATATYPE")
            assert "cut_low.dcs" in decision.reasons[0] and tdr.ThreatSequence == []
        else:
            assert tdr.AbortFlag == "SUCCESS" and tdr.PatientID == "BAG-1"
            boxes = [list(p.PTORepresentationSequence[0].ThreatROIBase)[:2]
                     for p in tdr.ThreatSequence]  # fmt: skip
            assert boxes == [pytest.approx(d["box_xywh"][:2], abs=0.05)
                             for d in decision.detections]  # fmt: skip
    assert sorted(d.route for d in decisions.values()) == ["divert", "divert"]
    store.close()
