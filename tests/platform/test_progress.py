"""A long record reports its own stages; the job shows them while it runs."""

from __future__ import annotations

import time

from pydantic import BaseModel
from sqlalchemy import select

from yangcheng.platform.api.jobs import job_info
from yangcheng.platform.catalog import Capability, Registry
from yangcheng.platform.jobs import run_job
from yangcheng.platform.progress import MIN_INTERVAL_S, listening, report_progress
from yangcheng.platform.store import Database, Job, upgrade
from yangcheng.platform.store.models import JobResult


class Steps(BaseModel):
    n: int


class Seen(BaseModel):
    seen: list[list[float | str | None]]


def test_reports_outside_a_job_go_nowhere_and_inside_are_clamped_and_throttled() -> None:
    report_progress(0.5, "nobody listens")  # no error, no effect
    heard: list[tuple[float, str]] = []
    with listening(lambda f, s: heard.append((f, s))):
        report_progress(-1.0, "a")
        report_progress(0.2, "a")  # same stage, too soon: dropped
        report_progress(float("nan"), "b")  # a new stage always goes
        report_progress(7.0, "c")
    report_progress(0.9, "after the block")
    assert heard == [(0.0, "a"), (0.0, "b"), (1.0, "c")]
    heard.clear()
    with listening(lambda f, s: heard.append((f, s))):
        report_progress(0.1, "a")
        time.sleep(MIN_INTERVAL_S * 1.2)
        report_progress(0.3, "a")
    assert heard == [(0.1, "a"), (0.3, "a")]


def test_the_job_records_the_stage_of_the_record_in_flight(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    upgrade(url)
    db = Database(url)

    def handler(req: Steps) -> Seen:
        seen: list[list[float | str | None]] = []
        for i in range(req.n):
            report_progress(i / req.n, f"step {i}")
            with db.session() as s:
                job = s.scalars(select(Job)).one()
                info = job_info(job)
                seen.append([info.progress, job.result.get("stage")])
        return Seen(seen=seen)

    registry = Registry()
    registry.add_capability(
        Capability("radiotherapy.steps", "1", "radiotherapy", "s", Steps, Seen, handler)
    )
    with db.session() as s:
        s.add(
            Job(
                id="j",
                kind="batch",
                capability="radiotherapy.steps",
                params={"items": [{"n": 2}, {"n": 4}]},
                total=2,
            )
        )
    assert run_job(url, "j", 1, registry=registry) == "succeeded"
    with db.session() as s:
        job = s.get(Job, "j")
        assert job is not None
        final = job_info(job)
        rows = s.scalars(select(JobResult).order_by(JobResult.index)).all()
        outputs = [r.output for r in rows]
    assert final.progress == 1.0 and final.result == {"records": 2, "ok": 2, "failed": 0}
    # record 0 of 2 at 0 and 1/2 of its way; record 1 starts from 1 done
    assert outputs[0] == {"seen": [[0.0, "step 0"], [0.25, "step 1"]]}
    assert outputs[1]["seen"][0] == [0.5, "step 0"]
    assert outputs[1]["seen"][3] == [0.5 + 0.75 / 2, "step 3"]
    db.dispose()


def test_the_console_shows_the_stage_of_a_running_job_and_its_partial_progress() -> None:
    from yangcheng.platform.web.render import _environment

    macro = _environment().get_template("_macros.html").module.progress  # type: ignore[attr-defined]
    running = {
        "state": "running",
        "total": 2,
        "done": 1,
        "progress": 0.75,
        "result": {"record": 1, "record_progress": 0.5, "stage": "influence: beam 3/30"},
    }
    html = str(macro(type("J", (), running)))
    assert "influence: beam 3/30" in html and 'value="1.5"' in html and "75%" in html
    finished = {**running, "state": "succeeded", "done": 2, "progress": 1.0, "result": {}}
    html = str(macro(type("J", (), finished)))
    assert "beam" not in html and 'value="2"' in html
