from __future__ import annotations

import numpy as np
import pytest

from yangcheng.security.detect.evaluate import (
    ImageResult,
    average_precision,
    bag_figures,
    bag_misses_by_class,
    box_figures,
    choose_box_threshold,
    choose_threshold,
    miss_rate_threshold,
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


def test_one_per_mille_of_3000_threat_bags_may_be_missed() -> None:
    scores = np.random.default_rng(0).permutation(np.arange(3000) / 3000)
    threshold = miss_rate_threshold(scores)
    assert threshold == pytest.approx(3 / 3000)  # the three lowest fall below it
    assert np.sum(scores < threshold) == 3
    assert miss_rate_threshold(scores[:999]) == pytest.approx(scores[:999].min())  # < 1,000: none
    with pytest.raises(ValueError, match="no threat bag"):
        miss_rate_threshold(np.array([]))


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


def test_the_box_threshold_keeps_best_boxes_of_clean_bags_within_the_false_alarm_budget() -> None:
    def bag(gt: list[list[float]], det: float, head: float) -> ImageResult:
        return ImageResult(
            np.array(gt, np.float32).reshape(-1, 5), [_det(1, (0, 0, 9, 9), det)], head, "bag_head"
        )

    threat = [[1, 0, 0, 9, 9]]
    clean = [bag([], s, 0.5) for s in (0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.1, 0.1, 0.1, 0.1)]
    results = [bag(threat, 0.9, 0.5), *clean]
    limit = choose_box_threshold(results, 0.2)
    # Two of ten clean bags may carry a marked box: 0.8 and 0.6; 0.4 must stay unmarked.
    assert 0.4 < limit <= 0.6
    assert sum(r.detections[0].score >= limit for r in clean) == 2
    assert choose_box_threshold(results, 0.0) > 0.8
    assert all(r.rule == "bag_head" for r in results)  # the bags' own rule is left as it was


def test_box_figures_count_marked_boxes_on_and_off_the_items() -> None:
    def bag(gt: list[list[float]], dets: list[Detection], head: float) -> ImageResult:
        return ImageResult(np.array(gt, np.float32).reshape(-1, 5), dets, head, "bag_head")

    item = [[1, 0, 0, 10, 10]]
    results = [
        # alarmed, its item marked, one faint box unmarked
        bag(item, [_det(1, (0, 0, 10, 10), 0.6), _det(2, (50, 50, 9, 9), 0.1)], 0.9),
        # alarmed by the head alone: a marked box, but beside the item
        bag(item, [_det(1, (40, 40, 10, 10), 0.5)], 0.8),
        bag(item, [_det(1, (0, 0, 10, 10), 0.9)], 0.01),  # not alarmed: not counted as located
        bag([], [_det(3, (5, 5, 9, 9), 0.7)], 0.5),  # a clean bag with a marked box
        bag([], [_det(3, (5, 5, 9, 9), 0.7, ok=False)], 0.5),  # the material says no
    ]
    figures = box_figures(results, 0.05, 0.3)
    assert figures.box_threshold == 0.3
    assert figures.marked_per_bag == pytest.approx(4 / 5)
    assert figures.false_marked_per_bag == pytest.approx(2 / 5)
    assert figures.clean_bags_marked == pytest.approx(1 / 2)
    assert (figures.alarmed_threat_bags, figures.located) == (2, pytest.approx(1 / 2))
    # Under the detections rule a box is marked at the bag threshold.
    for r in results:
        r.rule = "detections"
    assert box_figures(results, 0.05, 0.3).marked_per_bag == pytest.approx(5 / 5)


def test_bag_misses_are_counted_for_every_class_a_bag_holds() -> None:
    results = [
        _image([[1, 0, 0, 9, 9], [2, 20, 20, 29, 29]], [_det(1, (0, 0, 9, 9), 0.2)]),
        _image([[1, 0, 0, 9, 9], [1, 20, 20, 29, 29]], [_det(1, (0, 0, 9, 9), 0.8)]),
        _image([[11, 0, 0, 9, 9]], [_det(11, (0, 0, 9, 9), 0.4)]),
        _image([], [_det(1, (0, 0, 9, 9), 0.9)]),  # clean bags hold no class
    ]
    assert bag_misses_by_class(results, 0.5) == {"knife": [1, 2], "gun": [1, 1], "powder": [1, 1]}
    assert bag_misses_by_class(results, 0.1) == {"knife": [0, 2], "gun": [0, 1], "powder": [0, 1]}
