"""The `yangcheng` command, run in-process against a temporary home."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yangcheng.cli import app


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("YANGCHENG_HOME", str(tmp_path))
    monkeypatch.delenv("YANGCHENG_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    # An app built by an earlier test configured the line's folder in-process; a CLI run
    # starts without one and reads YANGCHENG_HOME.
    from yangcheng.security import service_line

    monkeypatch.setattr(service_line, "_home", None)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input)

    return invoke


def test_db_upgrade_creates_the_database(run, tmp_path: Path) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "yangcheng.db").exists()


def test_keys_create_list_revoke(run) -> None:
    created = run(
        "keys",
        "create",
        "--email",
        "a@bank.example.cn",
        "--organisation",
        "Bank",
        "--scopes",
        "finance,jobs",
    )
    assert created.exit_code == 0, created.output
    raw = created.output.strip().splitlines()[-1]
    assert re.fullmatch(r"yc_[0-9a-f]{12}_[A-Za-z0-9_-]+", raw)
    listed = run("keys", "list")
    assert "a@bank.example.cn" in listed.output and "active" in listed.output
    assert raw not in listed.output
    prefix = raw.split("_")[1]
    assert run("keys", "revoke", prefix).exit_code == 0
    assert "revoked" in run("keys", "list").output
    missing = run("keys", "revoke", "424242")
    assert missing.exit_code == 2 and "no key" in missing.output


def test_keys_create_names_a_bad_scope(run) -> None:
    bad = run("keys", "create", "--email", "a@b.cn", "--organisation", "O", "--scopes", "weather")
    assert bad.exit_code == 2
    assert "weather" in bad.output and "--scopes" in bad.output


def test_invoke_and_finance_check_id(run, tmp_path: Path) -> None:
    out = run("invoke", "finance.identity.documents", '{"bank_card": "6222020200112233445"}')
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["checks"][0]["failures"] == [
        "Luhn check digit is wrong (mistyped number?)"
    ]
    request = tmp_path / "req.json"
    request.write_text('{"mobile": "13800138000"}')
    assert json.loads(run("invoke", "finance.identity.documents", f"@{request}").output)[
        "all_valid"
    ]
    assert (
        json.loads(
            run("invoke", "finance.identity.documents", "-", input='{"mobile": "1"}').output
        )["all_valid"]
        is False
    )
    checked = run(
        "finance",
        "check-id",
        "--resident-id",
        "11010519491231002X",
        "--sex",
        "female",
        "--min-age",
        "18",
    )
    assert checked.exit_code == 0 and json.loads(checked.output)["all_valid"] is True


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("invoke", "finance.nothing", "{}"), "no capability"),
        (("invoke", "finance.identity.documents", "{not json"), "not JSON"),
        (("invoke", "finance.identity.documents", "[1]"), "JSON object"),
        (("invoke", "finance.identity.documents", '{"mobile": 5}'), "mobile"),
        (("invoke", "finance.identity.documents", "@/no/such/file.json"), "no file"),
        (("finance", "check-id", "--sex", "female"), "resident_id"),
    ],
)
def test_bad_input_is_a_clear_error_not_a_traceback(run, args, words) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output


def test_jobs_list_and_show(run, tmp_path: Path) -> None:
    from yangcheng.config import Settings
    from yangcheng.platform.catalog import discover
    from yangcheng.platform.compute import LocalExecutor
    from yangcheng.platform.jobs import JobService
    from yangcheng.platform.store import Database, upgrade

    settings = Settings(home=tmp_path)
    upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    executor = LocalExecutor("thread", 1)
    job = JobService(db, discover(), executor, settings).submit(
        "finance.identity.documents", [{"mobile": "13800138000"}] * 3
    )
    executor.shutdown()
    listed = run("jobs", "list")
    assert job.id in listed.output and "3/3" in listed.output
    shown = run("jobs", "show", job.id)
    assert json.loads(shown.output)["state"] == "succeeded"
    assert run("jobs", "show", "nope").exit_code == 2
    db.dispose()


def test_catalog_and_scenario_groups(run) -> None:
    assert "finance.identity.documents" in run("catalog").output
    for group in ("finance", "security", "education", "radiotherapy"):
        assert run(group, "--help").exit_code == 0


def test_bench_rejects_an_unknown_scenario(run) -> None:
    result = run("bench", "weather")
    assert result.exit_code == 2 and "no benchmark" in result.output


def test_security_line_run_status_and_labels(run, tmp_path: Path) -> None:
    result = run(
        "security",
        "line",
        "run",
        "--items",
        "12",
        "--rate",
        "20000",
        "--lanes",
        "3",
        "--workers",
        "1",
        "--source",
        "pool",
        "--pool-bags",
        "4",
        "--no-realtime",
        "--tip-every",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"decided\s+│\s+12\s", result.output)
    cleared = re.search(r"routes\s+│\s+\{'clear': (\d+)", result.output)
    projected = re.search(r"tips\s+│\s+(\d+)\s", result.output)
    assert cleared and projected and cleared.group(1) == projected.group(1)
    tips = run("security", "line", "tips", "--window-days", "1")
    assert tips.exit_code == 0, tips.output
    assert tips.output.startswith(f"{projected.group(1)} test threats")
    targeted = run("security", "line", "tips", "--window-days", "1", "--target", "0.8")
    assert targeted.exit_code == 0 and targeted.output.startswith(f"{projected.group(1)} test")
    status = run("security", "line", "status", "--window-min", "30")
    assert status.exit_code == 0, status.output
    assert status.output.startswith("12 decided")
    out = tmp_path / "labels.jsonl"
    labels = run("security", "line", "labels", "--out", str(out))
    assert labels.exit_code == 0 and out.read_text() == ""  # nobody has judged anything yet
    bad = run("security", "line", "run", "--items", "5", "--rate", "90000", "--lanes", "2")
    assert bad.exit_code != 0 and "add lanes" in bad.output
    bad = run("security", "line", "run", "--items", "5", "--tip-every", "3", "--tip-classes", "pen")
    assert bad.exit_code != 0 and "--tip-classes" in bad.output and "pen" in bad.output


def test_security_scanner_wedges_fit_list_and_detect(run, tmp_path: Path) -> None:
    """A 140 kVp scanner's wedge readings fit a profile, and a bag's raw counts from that
    scanner are detected through it; a wrong air level or name is a clear error."""
    import cv2
    import numpy as np

    from yangcheng.security.dataset import XrayBaggageDataset
    from yangcheng.security.physics import Channel, transmit

    table = tmp_path / "wedges.csv"
    spectra = ["--low-kvp", "70", "--high-kvp", "140", "--high-cu-mm", "0.6"]
    result = run("security", "scanner", "wedges", "--out", str(table), *spectra, "--air", "60000")
    assert result.exit_code == 0, result.output
    result = run("security", "scanner", "fit", "--table", str(table), "--name", "lane-2",
                 "--air", "60000", "--pixel-mm", "1.5")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "lane-2.json" in result.output and "unmapped" in result.output
    assert "lane-2" in run("security", "scanner", "list").output
    bad = run("security", "scanner", "fit", "--table", str(table), "--name", "x", "--air", "1000")
    assert bad.exit_code == 2 and "outside dark 0 .. air 1000" in bad.output

    _, scene = XrayBaggageDataset(20261126, 4).scene(3)
    other = (
        Channel("low", 70.0, 2.5, 0.0, 0.5, 2e4),
        Channel("high", 140.0, 2.5, 0.6, 4.0, 2e4),
    )
    image = transmit(scene.thickness_cm, scene.materials, channels=other)
    paths = []
    for name, t in (("low", image.low), ("high", image.high)):
        paths.append(tmp_path / f"{name}.png")
        cv2.imwrite(str(paths[-1]), np.round(60000 * t).astype(np.uint16))
    args = ("security", "detect", "--low", str(paths[0]), "--high", str(paths[1]))
    result = run(*args, "--scanner", "lane-2")
    assert result.exit_code == 0, result.output
    assert "ALARM" in result.output and "read through scanner lane-2" in result.output
    assert "battery_cell" in result.output and "handcuffs" in result.output
    missing = run(*args, "--scanner", "lane-9")
    assert missing.exit_code == 2 and "no scanner profile 'lane-9'" in missing.output


def test_security_export_dicos_and_detect_a_dicos_scan(run, tmp_path: Path) -> None:
    import pydicom

    out = tmp_path / "dicos"
    result = run("security", "export-dicos", "--out", str(out), "--bags", "2", "--pixel-mm", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "0000000_high.dcs", "0000000_low.dcs", "0000001_high.dcs", "0000001_low.dcs"
    ]  # fmt: skip
    assert pydicom.dcmread(out / "0000001_low.dcs").PixelSpacing == [1.0, 1.0]
    tdr = tmp_path / "bag1-tdr.dcs"
    scan = ("--dicos", str(out / "0000001_high.dcs"), "--dicos", str(out / "0000001_low.dcs"))
    result = run("security", "detect", *scan, "--tdr", str(tdr))
    assert result.exit_code == 0, result.output
    decision = "ALARM" if "ALARM:" in result.output else "CLEAR"
    report = pydicom.dcmread(tdr)
    assert report.AlarmDecision == decision and report.PatientID == "20261126-1"
    alone = run("security", "detect", "--dicos", str(out / "0000001_high.dcs"))
    assert alone.exit_code == 2 and "only the high energy image" in alone.output
    assert "0000001_high.dcs" in alone.output


def test_security_line_watch_decides_the_scans_dropped_in_its_inbox(run, tmp_path: Path) -> None:
    import pydicom

    inbox, outbox = tmp_path / "inbox", tmp_path / "out"
    assert run("security", "export-dicos", "--out", str(inbox), "--bags", "2").exit_code == 0
    (inbox / "junk.dcs").write_bytes(b"junk")
    result = run("security", "line", "watch", "--inbox", str(inbox), "--outbox", str(outbox),
                 "--settle", "0", "--idle-exit", "1", "--workers", "1")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 bags decided" in result.output
    reports = [pydicom.dcmread(p) for p in outbox.glob("*.dcs")]
    assert sorted(r.PatientID for r in reports) == ["20261126-0", "20261126-1"]
    assert (inbox / "refused" / "junk.dcs.reason.txt").exists()
    assert run("security", "line", "status").exit_code == 0


def test_security_scanner_steps_reads_a_wedge_image(run, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    low = np.full((64, 128), 30000, np.uint16)
    high = np.full((64, 128), 50000, np.uint16)
    low[:, 64:], high[:, 64:] = 20000, 45000
    for name, image in (("low", low), ("high", high)):
        cv2.imwrite(str(tmp_path / f"{name}.png"), image)
    regions = tmp_path / "regions.csv"
    regions.write_text("x,y,w,h,aluminium_cm\n8,8,48,48,0.5\n72,8,48,48,1.0\n")
    args = ["security", "scanner", "steps", "--low", str(tmp_path / "low.png"),
            "--high", str(tmp_path / "high.png"), "--regions", str(regions)]  # fmt: skip
    result = run(*args, "--out", str(tmp_path / "w.csv"))
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "w.csv").read_text().splitlines()
    assert rows[1:] == ["aluminium_cm,low,high", "0.5,30000,50000", "1,20000,45000"]
    regions.write_text("x,y,w,h,aluminium_cm\n40,8,48,48,0.5\n")
    bad = run(*args, "--out", str(tmp_path / "w2.csv"))
    assert bad.exit_code == 2 and "straddles an edge" in bad.output


def test_security_scanner_calibrate_keeps_the_scanners_own_threshold(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.security.test_scanner_calibration import _captures
    from yangcheng.security import scanner_calibration

    monkeypatch.setattr(scanner_calibration, "MIN_BAGS", 2)
    table = tmp_path / "wedges.csv"
    spectra = [
        "--low-kvp",
        "70",
        "--high-kvp",
        "140",
        "--low-al-mm",
        "1.5",
        "--high-al-mm",
        "1.5",
        "--high-cu-mm",
        "0.6",
        "--low-csi-mm",
        "0.3",
        "--high-csi-mm",
        "3",
    ]
    levels = ["--dark", "300", "--air", "60000"]
    assert (
        run("security", "scanner", "wedges", "--out", str(table), *spectra, *levels).exit_code == 0
    )
    fit = run("security", "scanner", "fit", "--table", str(table), "--name", "b", *levels)
    assert fit.exit_code == 0, fit.output
    captures = _captures(tmp_path, 8)
    result = run("security", "scanner", "calibrate", "--name", "b", "--captures", str(captures))
    assert result.exit_code == 0, result.output
    assert "Scanner b's own threshold" in result.output and "cannot be resolved" in result.output
    assert "(0 projected)" in result.output
    projected = run("security", "scanner", "calibrate", "--name", "b", "--captures",
                    str(captures), "--project", "2")  # fmt: skip
    assert projected.exit_code == 0, projected.output
    clean = sum(line.endswith(",0") for line in captures.read_text().splitlines())
    assert f"({2 * clean} projected)" in projected.output
    listed = run("security", "scanner", "list").output
    assert "model's" not in listed and re.search(r"0\.\d{4}", listed)
    missing = run("security", "scanner", "calibrate", "--name", "x", "--captures", str(captures))
    assert missing.exit_code == 2 and "no scanner profile 'x'" in missing.output


def test_security_scanner_project_writes_threat_bags_from_clean_ones(run, tmp_path: Path) -> None:
    from tests.security.test_projected_bags import reference_captures

    captures = str(reference_captures(tmp_path, 3))
    out = tmp_path / "tip"
    args = ["security", "scanner", "project", "--captures", captures, "--out", str(out)]
    result = run(*args, "--per-clean", "2", "--classes", "gun,razor_blade")
    assert result.exit_code == 0, result.output
    assert "4 bags written" in result.output and "(0 already there)" in result.output
    assert len(list((out / "labels").glob("*.json"))) == 4
    again = run(*args, "--per-clean", "2", "--classes", "gun,razor_blade")
    assert "0 bags written" in again.output and "(4 already there)" in again.output
    bad = run(*args, "--classes", "gun,umbrella")
    assert bad.exit_code == 2 and "umbrella" in bad.output
    missing = run(*args, "--name", "nowhere")
    assert missing.exit_code == 2 and "no scanner profile 'nowhere'" in missing.output
    from tests.security.test_threat_library import _capture
    from yangcheng.security.objects import object_class
    from yangcheng.security.threat_library import ThreatLibrary

    empty = run(*args[:-1], str(tmp_path / "kit"), "--library", str(tmp_path / "lib"))
    assert empty.exit_code == 2 and "holds no threat" in empty.output
    ThreatLibrary(tmp_path / "lib").add(_capture("knife", 5)[0], "knife", "kit-knife")
    kit = run(*args[:-1], str(tmp_path / "kit"), "--library", str(tmp_path / "lib"))
    assert kit.exit_code == 0, kit.output
    labels = [json.loads(p.read_text()) for p in (tmp_path / "kit" / "labels").glob("*.json")]
    knife = object_class("knife").id
    ids = [a["class_id"] for label in labels for a in label["annotations"]]
    assert ids and set(ids) == {knife}


def test_security_threats_add_list_remove_and_a_line_that_projects_them(
    run, tmp_path: Path
) -> None:
    import cv2
    import numpy as np

    from tests.security.test_threat_library import _capture

    capture, _ = _capture("knife", 2)
    for name, channel in (("low", capture.low), ("high", capture.high)):
        cv2.imwrite(str(tmp_path / f"{name}.png"), np.round(channel * 65535).astype(np.uint16))
    add = ["security", "threats", "add", "--low", str(tmp_path / "low.png")]
    add += ["--high", str(tmp_path / "high.png"), "--class", "knife", "--id", "kit-knife"]
    result = run(*add)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("kit-knife: a knife of")
    again = run(*add)
    assert again.exit_code != 0 and "already holds" in again.output
    listed = run("security", "threats", "list")
    assert "kit-knife" in listed.output and "low.png, high.png, reference" in listed.output
    cv2.imwrite(str(tmp_path / "rgb.png"), np.zeros((40, 40, 3), np.uint8))
    bad = run(*add[:4], str(tmp_path / "rgb.png"), *add[5:])
    assert bad.exit_code != 0 and "not a one-channel 16-bit" in bad.output
    line = run(
        "security", "line", "run", "--items", "6", "--rate", "20000", "--lanes", "3",
        "--workers", "1", "--source", "pool", "--pool-bags", "4", "--no-realtime",
        "--tip-every", "1", "--tip-library", str(tmp_path / "home-lib"),
    )  # fmt: skip
    assert line.exit_code != 0 and "--tip-library" in line.output
    removed = run("security", "threats", "remove", "kit-knife")
    assert removed.exit_code == 0 and "no threats in" in run("security", "threats", "list").output
    assert run("security", "threats", "remove", "kit-knife").exit_code != 0
