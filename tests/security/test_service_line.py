"""The line's capabilities over one small real run: run, status, review, verdict, labels."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from yangcheng.platform.catalog import Caller, InvalidInput
from yangcheng.security import service_line
from yangcheng.security.service_line import CAPABILITIES

CAPS = {c.name: c for c in CAPABILITIES}
OPERATOR = Caller(email="op@airport.example", organisation="airport")


def run_in_own_home(
    factory: pytest.TempPathFactory, **request: object
) -> Iterator[dict[str, object]]:
    """A small ``security.line.run`` in a home of its own; afterwards the line folder that was
    configured before (another module's) is put back."""
    before = service_line._home
    service_line.configure(factory.mktemp("home"))
    out = CAPS["security.line.run"].invoke(
        {
            "items": 10,
            "rate_per_h": 20_000,
            "lanes": 3,
            "workers": 1,
            "realtime": False,
            "source": "simulated",
            "hard_fraction": 0.0,
            **request,
        }
    )
    yield out.model_dump()
    service_line._home = before


@pytest.fixture(scope="module")
def line_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    yield from run_in_own_home(tmp_path_factory, seed=4)


def test_a_run_decides_every_item_once_and_reports_the_line(line_run: dict) -> None:
    assert line_run["items"] == line_run["decided"] == 10
    assert line_run["duplicates"] == 0
    assert sum(line_run["routes"].values()) == 10
    truth = line_run["truth"]
    assert truth["threat_bags"] + truth["clean_bags"] == 10
    assert line_run["latency_p99_ms"] >= line_run["latency_p50_ms"] > 0


def test_status_draws_the_lanes_that_ran(line_run: dict) -> None:
    status = CAPS["security.line.status"].invoke({"window_min": 60})
    assert status.decided == 10
    assert {lane.lane for lane in status.lanes} <= {"L1", "L2", "L3"}
    assert sum(lane.decided for lane in status.lanes) == 10
    tiles = {t.label: t for t in status.dashboard.tiles}
    assert tiles["Queue"].value == 0
    assert tiles["Awaiting review"].value == status.pending_reviews
    titles = [c.title for c in status.dashboard.charts]
    assert "Items decided per minute" in titles
    assert len(status.dashboard.tables[0].rows) == len(status.lanes)


def test_an_operator_judges_an_alarm_once_and_it_becomes_a_label(line_run: dict) -> None:
    queue = CAPS["security.line.reviews"].invoke({"limit": 5})
    alarms = line_run["routes"]["divert"] + line_run["routes"]["stop_belt"]
    assert queue.pending == alarms > 0
    first = queue.items[0]
    item = CAPS["security.line.review_item"].invoke({"id": first.id})
    assert item.annotated_image is not None
    assert item.annotated_image["width"] == 512 and item.annotated_image["png_base64"]
    assert item.verdict is None
    verdict = CAPS["security.line.verdict"].invoke(
        {"id": first.id, "verdict": "reject", "reason": "benign look-alike"}, OPERATOR
    )
    assert verdict.operator == OPERATOR.email
    with pytest.raises(InvalidInput) as err:
        CAPS["security.line.verdict"].invoke(
            {"id": first.id, "verdict": "accept", "reason": "knife"}, OPERATOR
        )
    assert err.value.field == "id" and "already judged" in err.value.reason
    assert CAPS["security.line.reviews"].invoke({}).pending == alarms - 1
    judged = CAPS["security.line.review_item"].invoke({"id": first.id})
    assert judged.verdict == "reject" and judged.verdict_by == OPERATOR.email
    labels = CAPS["security.line.labels"].invoke({}).labels
    assert [row["tracking_id"] for row in labels] == [first.id]
    assert labels[0]["threat_present"] is False
    assert labels[0]["source"]["kind"] == "simulated"


def test_bad_requests_name_the_field(line_run: dict) -> None:
    with pytest.raises(InvalidInput) as err:
        CAPS["security.line.run"].invoke({"items": 5, "rate_per_h": 100_000, "lanes": 2})
    assert err.value.field == "rate_per_h"
    with pytest.raises(InvalidInput) as err:
        CAPS["security.line.review_item"].invoke({"id": "XR01-nope"})
    assert err.value.field == "id"
    with pytest.raises(InvalidInput):
        CAPS["security.line.verdict"].invoke({"id": "x", "verdict": "accept", "reason": "r"})
