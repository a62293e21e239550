from __future__ import annotations

from yangcheng.security.detect.infer import BagResult, Detection
from yangcheng.security.line import RoutingPolicy, fail_safe


def _det(name: str, score: float, material_consistent: bool = True) -> Detection:
    return Detection(
        1, name, "x", score, (10.0, 10.0, 40.0, 30.0), 8.0, 1.0, "organic", material_consistent
    )


def _bag(dets: list[Detection], threshold: float = 0.3) -> BagResult:
    score = max((d.score for d in dets if d.material_consistent), default=0.0)
    return BagResult(dets, score, score >= threshold, threshold, None)


def test_a_bag_below_the_threshold_is_cleared_and_one_above_is_diverted() -> None:
    policy = RoutingPolicy()
    assert policy.route(_bag([_det("knife", 0.1)]), "detections").route == "clear"
    routed = policy.route(_bag([_det("knife", 0.45)]), "detections")
    assert routed.route == "divert"
    assert any("knife" in r for r in routed.reasons)
    assert routed.detections[0]["alarm"] is True


def test_a_confident_firearm_stops_the_belt_but_a_faint_one_only_diverts() -> None:
    policy = RoutingPolicy(stop_belt_score=0.5)
    assert policy.route(_bag([_det("gun", 0.8)]), "detections").route == "stop_belt"
    assert policy.route(_bag([_det("gun", 0.4)]), "detections").route == "divert"
    assert policy.route(_bag([_det("knife", 0.9)]), "detections").route == "divert"


def test_an_explosive_the_material_contradicts_does_not_stop_the_belt() -> None:
    routed = RoutingPolicy().route(_bag([_det("explosive_block", 0.9, False)]), "detections")
    assert routed.route == "clear"
    assert routed.detections[0]["alarm"] is False


def test_the_line_threshold_overrides_the_models() -> None:
    bag = _bag([_det("knife", 0.45)], threshold=0.3)
    assert RoutingPolicy(threshold=0.6).route(bag, "detections").route == "clear"


def test_fail_safe_never_clears() -> None:
    assert fail_safe("scanner offline", 0.3).route == "divert"


def test_overlapping_classes_fold_into_one_object_and_faint_boxes_are_hidden() -> None:
    dets = [
        _det("gun", 0.6),
        _det("gun_part", 0.3),  # same box: another reading of the same object
        Detection(2, "knife", "x", 0.25, (200.0, 200.0, 30.0, 10.0), 20.0, 1.0, "metal", True),
        Detection(3, "baton", "x", 0.1, (300.0, 300.0, 30.0, 10.0), 20.0, 1.0, "metal", True),
    ]
    routed = RoutingPolicy(show_score=0.2).route(_bag(dets, threshold=0.05), "detections")
    assert [d["class_name"] for d in routed.detections] == ["gun", "knife"]
    assert routed.detections[0]["also_possible"] == ["gun_part"]


def test_under_the_bag_head_only_boxes_at_the_box_threshold_are_named_as_alarms() -> None:
    """The bag head alarmed; the faint box is shown but not named as the reason."""
    dets = [
        _det("knife", 0.4),
        Detection(2, "lighter", "x", 0.25, (200.0, 200.0, 30.0, 10.0), 20.0, 1.0, "metal", True),
    ]
    bag = BagResult(dets, 0.9, True, 0.05, 0.9, box_threshold=0.3)
    routed = RoutingPolicy(show_score=0.2).route(bag, "bag_head")
    assert routed.route == "divert"
    assert [(d["class_name"], d["alarm"]) for d in routed.detections] == [
        ("knife", True),
        ("lighter", False),
    ]
    assert any("knife" in r for r in routed.reasons)
    assert not any("lighter" in r for r in routed.reasons)
