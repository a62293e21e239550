"""Threat image projection through the line's capabilities: queue, item, verdict, report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from tests.security.test_service_line import run_in_own_home
from yangcheng.platform.catalog import Caller, InvalidInput
from yangcheng.security import service_line
from yangcheng.security.service_line import CAPABILITIES
from yangcheng.security.service_line_tips import CAPABILITIES as TIP_CAPABILITIES

CAPS = {c.name: c for c in (*CAPABILITIES, *TIP_CAPABILITIES)}
ANN = Caller(email="ann@airport.example", organisation="airport")
BO = Caller(email="bo@airport.example", organisation="airport")


@pytest.fixture(scope="module")
def tip_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    yield from run_in_own_home(tmp_path_factory, items=16, seed=11, tip_every=1, select_every=1)


def test_every_cleared_bag_lends_a_test_threat_to_the_queue(tip_run: dict) -> None:
    line = service_line.store()
    tips = line.tips()
    assert len(tips) >= 2 and len(tips) == tip_run["routes"]["clear"]
    alarms = tip_run["routes"]["divert"] + tip_run["routes"]["stop_belt"]
    queue = CAPS["security.line.reviews"].invoke({"limit": 50})
    assert line.selected_count() == 0  # each lent its picture, so none is shown as it is
    assert queue.pending == alarms + len(tips)
    assert {t.tip_id for t in tips} <= {i.id for i in queue.items}
    unalarmed = {t.tip_id for t in tips if not t.detector_alarmed}
    assert {i.id for i in queue.items if i.facts["route"] == "clear"} == unalarmed
    # the line's own figures and labels hold real bags only
    status = CAPS["security.line.status"].invoke({"window_min": 60})
    assert status.decided == 16


def test_an_operator_judges_a_test_threat_and_is_told_where_it_was(tip_run: dict) -> None:
    line = service_line.store()
    tip = line.tips()[0]
    shown = CAPS["security.line.review_item"].invoke({"id": tip.tip_id})
    real = CAPS["security.line.review_item"].invoke({"id": tip.of_tracking_id})
    assert shown.annotated_image and real.annotated_image
    assert shown.annotated_image["png_base64"] != real.annotated_image["png_base64"]
    assert shown.notice is None and shown.verdict is None
    assert not any(b["label"].startswith("TIP") for b in shown.annotated_image["boxes"])
    assert set(shown.facts) == set(real.facts)
    again = CAPS["security.line.review_item"].invoke({"id": tip.tip_id})
    assert again.annotated_image["png_base64"] == shown.annotated_image["png_base64"]

    answer = CAPS["security.line.verdict"].invoke(
        {"id": tip.tip_id, "verdict": "accept", "reason": "prohibited item found as shown"}, ANN
    )
    assert answer.tip is not None and answer.tip.hit is True
    assert answer.tip.threat_class == tip.threat_class
    assert answer.notice and "test" in answer.notice and "is a hit" in answer.notice
    revealed = CAPS["security.line.review_item"].invoke({"id": tip.tip_id})
    assert revealed.verdict == "accept" and revealed.verdict_by == ANN.email
    assert revealed.notice == answer.notice
    (box,) = [b for b in revealed.annotated_image["boxes"] if b["label"].startswith("TIP")]
    assert [box[k] for k in "xywh"] == tip.threat_box
    with pytest.raises(InvalidInput) as err:
        CAPS["security.line.verdict"].invoke(
            {"id": tip.tip_id, "verdict": "reject", "reason": "clutter"}, BO
        )
    assert err.value.field == "id" and "already judged" in err.value.reason
    assert tip.tip_id not in {
        row["tracking_id"] for row in CAPS["security.line.labels"].invoke({}).labels
    }


def test_the_report_counts_hits_per_operator_and_the_detector_s_catches(tip_run: dict) -> None:
    line = service_line.store()
    for tip in line.tips():
        if tip.verdict is None:
            CAPS["security.line.verdict"].invoke(
                {"id": tip.tip_id, "verdict": "reject", "reason": "nothing found"}, BO
            )
    tips = line.tips()
    report = CAPS["security.line.tips"].invoke({"window_days": 1})
    assert report.projected == len(tips) and report.pending == 0
    assert report.detector.k == sum(t.detector_alarmed for t in tips)
    assert report.operators.k == 1 and report.operators.n == len(tips)
    by = {o.operator: o for o in report.by_operator}
    assert by[ANN.email].hits.k == 1 and by[BO.email].hits.k == 0
    assert by[BO.email].hits.n == len(tips) - 1
    assert sum(c.projected for c in report.by_class) == len(tips)
    assert report.selected == 0 and report.found_in_selected.n == 0
    tiles = {t.label: t for t in report.dashboard.tiles}
    assert tiles["Test threats"].value == len(tips)
    with pytest.raises(InvalidInput, match="only alarms and selected bags"):
        CAPS["security.line.verdict"].invoke(
            {"id": tips[0].of_tracking_id, "verdict": "accept", "reason": "knife"}, BO
        )
    line.select(tips[0].of_tracking_id)
    CAPS["security.line.verdict"].invoke(
        {"id": tips[0].of_tracking_id, "verdict": "accept", "reason": "knife in the lining"}, BO
    )
    report = CAPS["security.line.tips"].invoke({"window_days": 1})
    assert (report.found_in_selected.k, report.found_in_selected.n) == (1, 1)
    assert report.operators.k == 1  # a real bag's verdict is no test's
    tiles = {t.label: t for t in report.dashboard.tiles}
    assert (
        tiles["Found in cleared bags"].value == 1
        and tiles["Found in cleared bags"].level == "alarm"
    )
    labels = CAPS["security.line.labels"].invoke({}).labels
    assert [row["tracking_id"] for row in labels] == [tips[0].of_tracking_id]
    judged = CAPS["security.line.tips"].invoke({"window_days": 1, "target_hit_rate": 0.9})
    flags = {o.operator: o.below_target for o in judged.by_operator}
    assert flags[ANN.email] is False  # 1 of 1
    assert flags[BO.email] is (len(tips) - 1 >= 2)  # 0 of n: below 90 % once n >= 2
    tiles = {t.label: t for t in judged.dashboard.tiles}
    assert tiles["Below target"].value == int(flags[BO.email])
    assert judged.dashboard.tables[0].columns[-1] == "below 90 %"
    assert report.by_operator[0].below_target is None  # no target asked
    assert len(report.dashboard.tables[0].rows) == 2


def test_bad_projection_settings_name_the_field(tip_run: dict) -> None:
    with pytest.raises(InvalidInput) as err:
        CAPS["security.line.run"].invoke({"items": 2, "tip_every": 1, "tip_classes": ["shoe"]})
    assert err.value.field == "tip_classes" and "shoe" in err.value.reason
    with pytest.raises(InvalidInput) as err:
        CAPS["security.line.run"].invoke({"items": 2, "tip_every": 1, "tip_library": True})
    assert err.value.field == "tip_library" and "threat-library holds no threat" in err.value.reason
    with pytest.raises(ValidationError, match="tip_every"):
        CAPS["security.line.run"].invoke({"items": 2, "tip_every": -3})
