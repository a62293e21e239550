"""Where an item goes after the detector: clear lane, manual inspection, or stop the belt.

Three routes, as sorting lines at airports and freight hubs have them. A bag whose alarm
score reaches the threshold is *diverted* to a manual-inspection lane. Some classes are too
dangerous to let the belt carry on to a crowded search area (firearms, explosives): a
confident, material-consistent detection of one *stops the belt* and calls an officer. A
decision that reaches the diverter after the item has passed it is treated as a divert:
the line fails safe, never clear.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from yangcheng.security.detect.infer import BagResult, box_alarm
from yangcheng.security.detect.overlap import fold_overlaps

Route = Literal["clear", "divert", "stop_belt"]
ROUTES: tuple[Route, ...] = ("clear", "divert", "stop_belt")

STOP_BELT_CLASSES = frozenset({"gun", "gun_part", "ammunition", "explosive_block", "firework"})
"""Firearms and explosives: a confident detection halts the belt for an officer."""


@dataclass(frozen=True)
class RoutedItem:
    route: Route
    reasons: list[str]
    bag_score: float
    threshold: float
    detections: list[dict[str, Any]] = field(default_factory=list)
    """The boxes an operator sees: class, score, box, material, alarm."""


@dataclass(frozen=True)
class RoutingPolicy:
    """The line's operating point. ``threshold=None`` keeps the model's validated one."""

    threshold: float | None = None
    stop_belt_score: float = 0.5
    stop_belt_classes: frozenset[str] = STOP_BELT_CLASSES
    show_score: float = 0.2
    """Boxes at or above min(threshold, show_score) are kept for the operator."""

    max_boxes: int = 8

    def route(self, result: BagResult, rule: str) -> RoutedItem:
        threshold = self.threshold if self.threshold is not None else result.threshold
        score = result.bag_score
        candidates = []
        stop: list[str] = []
        for d in result.detections:
            if d.score < min(threshold, self.show_score):
                continue
            alarm = box_alarm(d, rule, threshold, result.box_threshold)
            candidates.append(
                {
                    "class_name": d.class_name,
                    "score": round(d.score, 4),
                    "box_xywh": [round(v, 1) for v in d.box_xywh],
                    "material": d.material,
                    "z_eff": None if d.z_eff is None else round(d.z_eff, 2),
                    "alarm": alarm,
                    "also_possible": [],
                }
            )
            if (
                d.class_name in self.stop_belt_classes
                and d.material_consistent
                and d.score >= self.stop_belt_score
            ):
                stop.append(f"{d.class_name} {d.score:.2f}")
        objects = one_per_object(candidates)
        # The operator sees the confident objects; a bag that alarmed on faint evidence
        # alone still shows its best box, so there is always something to look at.
        shown = [o for o in objects if o["score"] >= self.show_score] or objects[:1]
        shown = shown[: self.max_boxes]
        if stop:
            reasons = [f"stop-belt class: {s}" for s in stop]
            return RoutedItem("stop_belt", reasons, score, threshold, shown)
        if score >= threshold:
            named = [f"{d['class_name']} {d['score']:.2f}" for d in shown if d["alarm"]]
            reasons = [f"alarm score {score:.3f} >= {threshold:.3f}", *named[:3]]
            return RoutedItem("divert", reasons, score, threshold, shown)
        reasons = [f"alarm score {score:.3f} < {threshold:.3f}"]
        return RoutedItem("clear", reasons, score, threshold, shown)


def one_per_object(boxes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = []
    for head, folded in fold_overlaps(boxes, lambda b: b["box_xywh"], lambda b: b["score"]):
        for b in folded:
            if b["class_name"] not in (head["class_name"], *head["also_possible"]):
                head["also_possible"].append(b["class_name"])
            head["alarm"] = head["alarm"] or b["alarm"]
        kept.append(head)
    return kept


def fail_safe(reason: str, threshold: float) -> RoutedItem:
    """An item the line could not judge goes to a person, never to the clear lane."""
    return RoutedItem("divert", [f"fail-safe: {reason}"], 1.0, threshold, [])
