from __future__ import annotations

import pytest

from tests.security.line.test_store import _tip
from yangcheng.security.line.tip_figures import Rate, tip_figures


def test_hit_rates_are_split_by_operator_class_and_whether_the_detector_alarmed() -> None:
    tips = [
        _tip("t1", "b", 1.0, route="divert", verdict="accept", operator="ann"),
        _tip("t2", "b", 2.0, route="divert", verdict="accept", operator="ann"),
        _tip("t3", "b", 3.0, route="clear", verdict="reject", operator="ann"),
        _tip("t4", "b", 4.0, route="clear", verdict="accept", operator="bo"),
        _tip("t5", "b", 5.0, route="divert"),  # not judged yet
    ]
    f = tip_figures(tips)
    assert (f.projected, f.pending) == (5, 1)
    assert (f.detector.k, f.detector.n) == (3, 5)
    assert (f.operators.k, f.operators.n) == (3, 4)
    assert (f.operators_where_detector_missed.k, f.operators_where_detector_missed.n) == (1, 2)
    ann, bo = f.by_operator
    assert ann.operator == "ann" and (ann.hits.k, ann.hits.n) == (2, 3)
    assert (ann.hits_where_detector_alarmed.k, ann.hits_where_detector_alarmed.n) == (2, 2)
    assert (ann.hits_where_detector_missed.k, ann.hits_where_detector_missed.n) == (0, 1)
    assert bo.operator == "bo" and bo.hits.share == 1.0
    classes = {c.threat_class: c for c in f.by_class}
    assert classes["knife"].projected == 3 and classes["knife"].detector.share == 1.0
    assert classes["flour"].detector.k == 0 and classes["flour"].operators.k == 1


def test_a_rate_s_interval_is_exact_and_wide_for_few_tests() -> None:
    assert Rate(0, 0).share is None and Rate(0, 0).interval is None
    lo, hi = Rate(9, 10).interval  # type: ignore[misc]
    assert lo == pytest.approx(0.555, abs=0.001) and hi == pytest.approx(0.9975, abs=0.001)
    assert Rate(10, 10).interval == (pytest.approx(0.6915, abs=0.001), 1.0)


def test_an_operator_is_flagged_below_target_only_beyond_chance() -> None:
    assert not Rate(7, 10).below(0.8)  # 70 % of 10: the interval reaches 93 %
    assert Rate(70, 100).below(0.8)  # 70 % of 100: the interval stops at 79 %
    assert not Rate(0, 0).below(0.8)
    assert not Rate(95, 100).below(0.9)
