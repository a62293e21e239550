"""`radiotherapy.plan` as a job, kept under its name, shown by the Treatment plans page."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pydicom
import pytest
from fastapi.testclient import TestClient

from tests.conftest import KeyMaker, wait_for_job
from yangcheng.platform.catalog import InvalidInput
from yangcheng.radiotherapy import service_plan
from yangcheng.radiotherapy.service_plan import (
    OverviewRequest,
    PlanRequest,
    configure,
    overview,
    run_plan,
)

SMALL = {"n_beams": 8, "max_iter": 60, "spacing_mm": 6.0, "bixel_mm": 8.0, "robot": False}


@pytest.fixture
def home(tmp_path: Path):
    configure(tmp_path)
    yield tmp_path
    configure(Path(tmp_path.parent / "unused"))


def test_a_plan_is_scored_kept_and_shown_by_name_and_as_the_latest(home: Path) -> None:
    first = run_plan(PlanRequest(name="robotic", **SMALL))
    assert first.beams == 8 and first.beamlets > 0 and first.nnz > 0
    assert {(g.structure, g.metric) for g in first.goals} == {
        ("PTV", "D95"),
        ("PTV", "D10"),
        ("Core", "D10"),
    }
    assert first.passed == all(g.passed for g in first.goals)
    assert first.metrics["core_d10_gy"] < first.metrics["ptv_d95_gy"]
    assert 0 < first.metrics["ptv_paddick_ci"] <= 1
    assert [c.structure for c in first.dvh] == ["PTV", "Core", "Body"]
    ptv = first.dvh[0]
    assert ptv.volume_pct[0] == pytest.approx(100.0) and ptv.volume_pct == sorted(
        ptv.volume_pct, reverse=True
    )
    assert base64.b64decode(first.dose_slice_png_base64).startswith(b"\x89PNG")
    kept = home / "radiotherapy/plans/robotic"
    assert (kept / "dose_gy.npy").is_file() and first.folder == str(kept)
    assert first.dicom_files == {"CT": first.grid[0], "RTSTRUCT": 1, "RTPLAN": 1, "RTDOSE": 1}
    rtplan = pydicom.dcmread(kept / "dicom/RP.dcm")
    assert len(rtplan.BeamSequence) == 8 and rtplan.BeamSequence[0].SourceAxisDistance == 800
    rtdose = pydicom.dcmread(kept / "dicom/RD.dcm")
    assert float(rtdose.pixel_array.max() * rtdose.DoseGridScaling) == pytest.approx(
        float(np.load(kept / "dose_gy.npy").max()), rel=1e-5
    )

    second = run_plan(PlanRequest(name="imrt", arrangement="imrt", **{**SMALL, "n_beams": 5}))
    latest = overview(OverviewRequest()).dashboard
    assert latest.title.startswith("Plan imrt") and "5 imrt beams" in latest.title
    kept = next(t for t in latest.tables if t.title == "Kept plans")
    assert [row[0] for row in kept.rows] == ["imrt", "robotic"]
    named = overview(OverviewRequest(name="robotic")).dashboard
    assert named.title.startswith("Plan robotic")
    assert named.charts[0].series[0].name == "PTV" and named.pictures
    assert second.created_at > first.created_at

    with pytest.raises(InvalidInput) as refused:
        overview(OverviewRequest(name="nothing-here"))
    assert refused.value.field == "name" and "imrt" in str(refused.value)


def test_a_robotic_plan_uses_only_nodes_the_arm_reaches_and_says_how_long_it_takes(
    home: Path,
) -> None:
    plan = run_plan(PlanRequest(name="with-robot", **{**SMALL, "robot": True, "n_beams": 10}))
    d = plan.delivery
    assert d is not None
    assert d.candidate_nodes >= d.reachable_nodes >= d.collision_free_nodes >= d.usable_nodes
    assert d.usable_nodes >= 10 and 0 < d.nodes_used <= 10 and len(d.order) == d.nodes_used
    assert d.travel_s > 0 and d.beam_on_s == pytest.approx(d.mu_per_fraction / 1000 * 60, 0.01)
    # total_min is rounded to 0.01 min (0.3 s), the parts to 0.1 s
    assert d.total_min * 60 == pytest.approx(d.travel_s + d.beam_on_s + d.imaging_s, abs=0.5)
    assert d.travel_s <= d.nearest_neighbour_travel_s + 0.1
    dash = overview(OverviewRequest(name="with-robot")).dashboard
    assert "Treatment time" in [t.label for t in dash.tiles]
    assert any(t.title.startswith("Robot") for t in dash.tables)


def test_a_plan_of_the_same_name_replaces_the_kept_one(home: Path) -> None:
    run_plan(PlanRequest(name="same", dicom=False, **SMALL))
    again = run_plan(PlanRequest(name="same", goals="easy", **SMALL))
    folder = home / "radiotherapy/plans"
    assert sorted(p.name for p in folder.iterdir()) == ["same"]
    shown = overview(OverviewRequest(name="same")).dashboard
    goal_table = next(t for t in shown.tables if t.title == "Goals")
    assert "<= 25" in [row[2] for row in goal_table.rows]
    assert again.goals[2].limit_gy == 25.0


def test_with_no_plan_kept_the_page_shows_a_demo_plan(home: Path, monkeypatch) -> None:
    monkeypatch.setattr(service_plan, "_demo", None)
    monkeypatch.setattr(service_plan, "_demo_thread", None)
    monkeypatch.setattr(service_plan, "_demo_error", "")
    waiting = overview(OverviewRequest()).dashboard
    assert "computing a demo plan" in waiting.title and "being computed" in waiting.note
    thread = service_plan._demo_thread
    assert thread is not None
    thread.join(timeout=300)
    assert service_plan._demo_error == ""
    dash = overview(OverviewRequest()).dashboard
    assert service_plan.DEMO_NAME in dash.title
    assert dash.tiles[0].label == "TG-119 goals met"


def test_a_cone_plan_is_kept_with_its_applicators(home: Path) -> None:
    cones = run_plan(
        PlanRequest(name="cones", collimator="cones", aims_per_node=3, **{**SMALL, "n_beams": 4})
    )
    assert cones.beams == 12 and cones.beamlets == 36
    rtplan = pydicom.dcmread(home / "radiotherapy/plans/cones/dicom/RP.dcm")
    assert 0 < len(rtplan.BeamSequence) <= 36
    assert "ApplicatorSequence" in rtplan.BeamSequence[0]
    with pytest.raises(InvalidInput) as refused:
        run_plan(PlanRequest(name="x", arrangement="imrt", collimator="cones", **SMALL))
    assert refused.value.field == "collimator"


def test_tg119_without_its_wheel_is_refused_naming_the_phantom(
    home: Path, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "nobody"))
    monkeypatch.delenv("YANGCHENG_PYRADPLAN_WHEEL", raising=False)
    with pytest.raises(InvalidInput) as refused:
        run_plan(PlanRequest(phantom="tg119"))
    assert refused.value.field == "phantom" and "pip download" in str(refused.value)


def test_plans_run_only_as_jobs_and_the_job_answers_the_plan(
    client: TestClient, make_key: KeyMaker
) -> None:
    auth = {"X-API-Key": make_key("radiotherapy,jobs")}
    sync = client.post(
        "/v1/capabilities/radiotherapy.plan:invoke", json={"name": "x", **SMALL}, headers=auth
    )
    assert sync.status_code == 409
    job = client.post(
        "/v1/jobs",
        json={"capability": "radiotherapy.plan", "items": [{"name": "by-job", **SMALL}]},
        headers=auth,
    ).json()
    done = wait_for_job(client, job["id"], auth, timeout_s=120)
    assert done["state"] == "succeeded" and done["progress"] == 1.0
    rows = client.get(f"/v1/jobs/{job['id']}/results", headers=auth).json()["rows"]
    assert rows[0]["ok"] and rows[0]["output"]["name"] == "by-job"
    page = client.post(
        "/v1/capabilities/radiotherapy.plan.overview:invoke",
        json={"name": "by-job"},
        headers=auth,
    )
    assert page.status_code == 200 and "by-job" in page.json()["dashboard"]["title"]
