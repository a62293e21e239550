from __future__ import annotations

import pytest

from yangcheng.security.line import ItemEvent, LineStore, ReviewError, RoutedItem, Tip


def _events(n: int) -> list[ItemEvent]:
    return [
        ItemEvent("L1", "XR01", float(i), float(i), {"kind": "pool", "index": i}) for i in range(n)
    ]


def _routed(route: str = "divert") -> RoutedItem:
    return RoutedItem(
        route,
        ["test"],
        0.7,
        0.3,  # type: ignore[arg-type]
        [{"class_name": "knife", "score": 0.7, "box_xywh": [1, 2, 3, 4], "alarm": True}],
    )


def test_a_worker_that_lost_its_lease_cannot_decide_the_item_again(location: str) -> None:
    store = LineStore(location)
    store.enqueue(_events(1), now=100.0)
    (stale,) = store.claim("w1", 5, lease_s=2.0, now=100.0)
    assert store.claim("w2", 5, lease_s=2.0, now=101.0) == []  # lease still held
    (fresh,) = store.claim("w2", 5, lease_s=2.0, now=103.0)  # lease ran out: taken over
    assert fresh.tracking_id == stale.tracking_id and fresh.attempts == 2
    assert store.decide(fresh, _routed(), "w2", deadline_s=8, now=104.0) is not None
    assert store.decide(stale, _routed("clear"), "w1", deadline_s=8, now=105.0) is None
    (decision,) = store.decisions()
    assert decision.worker == "w2" and decision.route == "divert"
    assert store.claim_counts() == {stale.tracking_id: 2}
    assert store.backlog() == 0


def test_claims_take_the_oldest_items_of_the_lanes_asked_for(location: str) -> None:
    store = LineStore(location)
    events = _events(4)
    events[1] = ItemEvent("L2", "XR02", 1.0, 1.0, {"kind": "pool", "index": 1})
    ids = store.enqueue(events, now=10.0)
    got = store.claim("a", 2, lease_s=5, lanes=["L1"], now=10.0)
    assert [c.tracking_id for c in got] == [ids[0], ids[2]]
    assert [c.tracking_id for c in store.claim("b", 5, 5, lanes=["L2"], now=10.0)] == [ids[1]]


def test_a_decision_after_the_diverter_is_a_fail_safe_divert(location: str) -> None:
    store = LineStore(location)
    store.enqueue(_events(1), now=0.0)
    (item,) = store.claim("w", 1, 30, now=0.0)
    decision = store.decide(item, _routed("clear"), "w", deadline_s=8, now=9.0)
    assert decision is not None and decision.late and decision.route == "divert"
    assert decision.reasons[0].startswith("fail-safe")


def test_only_alarms_are_reviewed_once_with_a_reason_and_become_labels(location: str) -> None:
    store = LineStore(location)
    ids = store.enqueue(_events(2), now=0.0)
    a, b = store.claim("w", 2, 30, now=0.0)
    store.decide(a, _routed("divert"), "w", deadline_s=8, now=1.0)
    store.decide(b, _routed("clear"), "w", deadline_s=8, now=1.0)
    assert store.pending_reviews()[0] == 1
    with pytest.raises(ReviewError) as err:
        store.review(ids[1], "accept", "knife", "op@x")
    assert err.value.field == "id" and "cleared" in err.value.reason
    with pytest.raises(ReviewError) as err:
        store.review(ids[0], "reject", "  ", "op@x")
    assert err.value.field == "reason"
    with pytest.raises(ReviewError):
        store.review(ids[0], "maybe", "x", "op@x")
    store.review(ids[0], "reject", "water bottle", "op@x")
    with pytest.raises(ReviewError) as err:
        store.review(ids[0], "accept", "knife", "other@x")
    assert "already judged 'reject' by op@x" in err.value.reason
    assert store.pending_reviews()[0] == 0
    (label,) = store.labels()
    assert label["threat_present"] is False and label["source"] == {"kind": "pool", "index": 0}
    assert label["detections"][0]["class_name"] == "knife"


def test_two_feeders_sharing_a_store_do_not_close_each_others_feed(location: str) -> None:
    store = LineStore(location)
    assert not store.feed_open()
    store.open_feed()
    store.open_feed()
    store.close_feed()
    assert store.feed_open()  # the second feeder is still writing
    store.close_feed()
    store.close_feed()  # a feeder that failed after closing does not go negative
    assert not store.feed_open()
    store.open_feed()
    assert store.feed_open()


def _decided(store: LineStore, routes: list[tuple[str, float]]) -> list[str]:
    """Items scanned at 0 and decided on these routes at these times; their tracking ids."""
    ids = store.enqueue(_events(len(routes)), now=0.0)
    for item, (route, at) in zip(store.claim("w", len(routes), 30, now=0.0), routes, strict=True):
        store.decide(item, _routed(route), "w", deadline_s=8, now=at)
    return ids


def _tip(tip_id: str, of: str, at: float, route: str = "clear", **kw: object) -> Tip:
    fields: dict[str, object] = {
        "tip_id": tip_id,
        "of_tracking_id": of,
        "lane": "L1",
        "threat_class": "flour" if route == "clear" else "knife",
        "threat_box": [10.0, 20.0, 30.0, 40.0],
        "seed": 7,
        "projection": {"classes": None, "thin_share": 0.1},
        "route": route,
        "reasons": [f"alarm score 0.010 {'<' if route == 'clear' else '>='} 0.030"],
        "bag_score": 0.01,
        "threshold": 0.03,
        "detections": [],
        "latency_ms": 40.0,
        "worker": "w",
        "created_at": at,
    }
    fields.update(kw)
    return Tip(**fields)  # type: ignore[arg-type]


def test_projected_test_threats_wait_among_the_alarms_and_never_become_labels(
    location: str,
) -> None:
    store = LineStore(location)
    ids = _decided(store, [("divert", 1.0), ("clear", 1.0), ("divert", 3.0)])
    store.add_tip(_tip("XR01-tip000000001", ids[1], at=2.0))
    store.add_tip(_tip("XR01-tip000000002", ids[1], at=2.5, route="divert"))
    total, queue = store.pending_reviews()
    assert total == 4
    assert [d.tracking_id for d in queue] == [
        ids[0],
        "XR01-tip000000001",
        "XR01-tip000000002",
        ids[2],
    ]
    missed, boxed = queue[1], queue[2]
    # as the detector read them: one cleared (as a selected real bag shows), one alarmed
    assert missed.route == "clear" and missed.reasons == ["alarm score 0.010 < 0.030"]
    assert boxed.route == "divert" and boxed.reasons[0].startswith("alarm score")
    assert [d.tracking_id for d in store.pending_reviews(limit=2)[1]] == [
        ids[0],
        "XR01-tip000000001",
    ]
    store.review("XR01-tip000000001", "reject", "clothing", "op@x")
    with pytest.raises(ReviewError) as err:
        store.review("XR01-tip000000001", "accept", "flour", "other@x")
    assert "already judged 'reject' by op@x" in err.value.reason
    store.review("XR01-tip000000002", "accept", "knife", "op@x")
    store.review(ids[0], "accept", "knife", "op@x")
    judged = {t.tip_id: t for t in store.tips()}
    assert judged["XR01-tip000000001"].hit is False and judged["XR01-tip000000002"].hit is True
    assert not judged["XR01-tip000000001"].detector_alarmed
    assert store.review_of("XR01-tip000000002").verdict == "accept"  # type: ignore[union-attr]
    assert store.pending_reviews()[0] == 1
    assert [row["tracking_id"] for row in store.labels()] == [ids[0]]
    assert [r.tracking_id for r in store.reviews()] == [ids[0]]  # the line's own figures
    assert store.tips(since=2.2)[0].tip_id == "XR01-tip000000002"


def test_selected_cleared_bags_are_judged_like_alarms_and_kept_out_of_the_false_alarm_share(
    location: str,
) -> None:
    from yangcheng.security.line.metrics import line_figures

    store = LineStore(location)
    ids = _decided(store, [("divert", 1.0), ("clear", 2.0), ("clear", 3.0)])
    store.select(ids[1], now=2.0)
    total, queue = store.pending_reviews()
    assert total == 2 and [d.tracking_id for d in queue] == ids[:2]
    assert queue[1].route == "clear"
    with pytest.raises(ReviewError) as err:
        store.review(ids[2], "reject", "nothing", "op@x")
    assert "only alarms and selected bags" in err.value.reason
    store.review(ids[0], "reject", "umbrella", "op@x", now=4.0)
    store.review(ids[1], "accept", "razor blade in the lining", "op@x", now=5.0)
    assert [r.tracking_id for r in store.selected_reviews()] == [ids[1]]
    assert store.selected_count() == 1 and store.selected_count(since=2.5) == 0
    labels = {row["tracking_id"]: row for row in store.labels()}
    assert labels[ids[1]]["threat_present"] is True and labels[ids[1]]["route"] == "clear"
    assert [r.tracking_id for r in store.reviews(alarms_only=True)] == [ids[0]]
    figures = line_figures(store, window_s=100.0, now=10.0)
    assert figures.false_alarm_share == 1.0  # the one alarm judged was false
    assert figures.pending_reviews == 0
