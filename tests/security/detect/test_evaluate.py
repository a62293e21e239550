from __future__ import annotations

import numpy as np
import pytest

from yangcheng.security.detect.evaluate import (
    ImageResult,
    average_precision,
    bag_figures,
    choose_threshold,
    proportion_interval,
    threshold_at_false_alarm,
)
from yangcheng.security.detect.infer import Detection


def _det(cls: int, box: tuple[float, float, float, float], score: float, ok: bool = True):
    return Detection(cls, "x", "x", score, box, 7.0, 1.0, "organic", ok)


def _image(gt: list[list[float]], dets: list[Detection]) -> ImageResult:
    return ImageResult(np.array(gt, np.float32).reshape(-1, 5), dets)


def test_average_precision_counts_matches_at_iou_half() -> None:
    results = [
        _image([[1, 0, 0, 10, 10]], [_det(1, (0, 0, 10, 10), 0.9)]),
        _image([[1, 20, 20, 40, 40]], [_det(1, (50, 50, 10, 10), 0.8)]),  # a miss + a false box
    ]
    # ranked: hit (P=1, R=.5), false (P=.5): recall never reaches 1 -> AP = 51/101
    assert average_precision(results, 1) == pytest.approx(51 / 101)
    assert average_precision(results, 2) is None
    perfect = [_image([[2, 0, 0, 10, 10]], [_det(2, (1, 1, 10, 10), 0.5)])]
    assert average_precision(perfect, 2) == pytest.approx(1.0)


def test_exact_intervals_match_the_rule_of_three() -> None:
    lo, hi = proportion_interval(0, 3000)
    assert lo == 0 and hi == pytest.approx(1 - 0.025 ** (1 / 3000), rel=1e-6)
    lo, hi = proportion_interval(15, 100)
    assert lo < 0.15 < hi and hi - lo < 0.2


def test_threshold_misses_no_threat_bag_on_validation_and_figures_follow() -> None:
    threat = [_image([[1, 0, 0, 9, 9]], [_det(1, (0, 0, 9, 9), s)]) for s in (0.3, 0.6, 0.9)]
    clean = [_image([], [_det(1, (0, 0, 9, 9), s)]) for s in (0.1, 0.5, 0.7)]
    clean.append(_image([], [_det(1, (0, 0, 9, 9), 0.95, ok=False)]))  # material says no
    results = threat + clean
    thr = choose_threshold(results, 0.001)
    assert thr == pytest.approx(0.3)
    figures = bag_figures(results, thr)
    assert (figures.missed, figures.false_alarms, figures.clean_bags) == (0, 2, 4)
    strict = threshold_at_false_alarm(results, 0.25)
    assert bag_figures(results, strict).false_alarms == 1


def test_the_alarm_rule_with_fewest_validation_false_alarms_is_chosen() -> None:
    from yangcheng.security.detect.evaluate import choose_rule

    def bag(gt: list[list[float]], det: float, head: float) -> ImageResult:
        return ImageResult(
            np.array(gt, np.float32).reshape(-1, 5), [_det(1, (0, 0, 9, 9), det)], head
        )

    threat = [[1, 0, 0, 9, 9]]
    results = [bag(threat, 0.9, 0.3), bag(threat, 0.3, 0.9), bag([], 0.8, 0.1), bag([], 0.1, 0.8)]
    rule, threshold = choose_rule(results)
    assert rule == "mean" and threshold == pytest.approx(0.6)
    assert bag_figures(results, threshold).false_alarms == 0
    no_head = [ImageResult(r.gt, r.detections) for r in results]
    assert choose_rule(no_head)[0] == "detections"
