"""Serving the detector: ONNX Runtime, no torch, boxes with material evidence and a bag alarm.

A detection carries what a screener would check next to the shape: the effective Z and the
attenuation inside its box, read from the two energies (orange/green/blue bands: organic
below Z 10, inorganic 10-18, metal above 18). For the classes a shape cannot give, liquids,
powders, drugs and explosives, the material must be organic: a "bottle" whose contents read
as metal or glass is kept in the list but does not raise the alarm alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from yangcheng.security.detect.inputs import (
    DOWNSAMPLE,
    OUTPUT_STRIDE,
    input_channels,
    network_input,
)
from yangcheng.security.detect.model_files import DEFAULT_MODEL, ModelFiles
from yangcheng.security.objects import PROHIBITED

__all__ = [
    "ALARM_RULES",
    "FLIPS",
    "MATERIAL_CLASSES",
    "BagResult",
    "Detection",
    "XrayDetector",
    "box_alarm",
    "box_limit",
    "check_flips",
    "material_band",
    "merge_views",
]

_PAD = 32
MATERIAL_CLASSES = frozenset({"flammable_liquid", "powder", "drug_package", "explosive_block"})
"""Classes defined by what they are made of: their alarm needs organic material evidence."""


def material_band(z_eff: float | None) -> str:
    if z_eff is None or not np.isfinite(z_eff):
        return "unknown"
    return "organic" if z_eff < 10 else "inorganic" if z_eff <= 18 else "metal"


@dataclass(frozen=True)
class Detection:
    class_id: int
    class_name: str
    category: str
    score: float
    box_xywh: tuple[float, float, float, float]
    """In the input image's pixels."""
    z_eff: float | None
    attenuation: float
    """Median high-energy attenuation (-ln T) over the object's pixels in the box."""
    material: str
    material_consistent: bool
    """False for a material-defined class whose material evidence is not organic."""


FLIPS: dict[str, tuple[int, ...]] = {
    "none": (),
    "left_right": (2,),
    "up_down": (1,),
    "both": (1, 2),
}
"""Test-time views of a bag, as the ``(channel, row, column)`` axes each one mirrors.

A bag has no up or down on the belt, so a mirrored bag is as real as the original, and the
bag head errs differently on each: averaging it over the views (one batched ONNX call) cuts
the bags missed at 15 % false alarms (on the 26,800-bag weights: validation 9 -> 7 of 748,
test-standard 9 -> 7 of 1,522, test-hard 13 -> 12 of 356; on earlier weights validation
13 -> 9, 14 -> 13, 18 -> 11 and 29 -> 18; network 4 -> 14 ms, 17 -> 26 ms a bag on two
cores). The card names the views its threshold was fixed with."""


def check_flips(flips: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [f for f in flips if f not in FLIPS]
    if unknown or not flips:
        raise ValueError(f"test-time flips {unknown or 'none given'}: use some of {list(FLIPS)}")
    return flips


ALARM_RULES = ("detections", "bag_head", "mean")
"""How a bag's alarm score is made: the most confident detection the material evidence does
not contradict, the network's own bag head (trained on "is anything prohibited here"), or
the mean of the two (two views of the bag that err on different bags)."""


@dataclass
class BagResult:
    detections: list[Detection]
    bag_score: float
    """The alarm score, by the model's alarm rule."""
    alarm: bool
    threshold: float
    bag_probability: float | None = None
    """The bag head's threat probability, for graphs that have one."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    box_threshold: float | None = None
    """The card's score from which a box is shown as an alarm; None: the bag threshold."""


class XrayDetector:
    """Loads the ONNX graph once; ``detect(low, high)`` per bag, thread-safe."""

    def __init__(
        self,
        model: ModelFiles = DEFAULT_MODEL,
        *,
        threshold: float | None = None,
        min_score: float = 0.05,
        threads: int = 2,
        max_detections: int = 50,
        rule: str | None = None,
        flips: tuple[str, ...] | None = None,
    ) -> None:
        self.files = model
        self.flips = check_flips(tuple(flips if flips is not None else model.flips))
        self.threshold = float(threshold if threshold is not None else model.threshold)
        # A detector given its own threshold (before a card has one) marks boxes at it.
        self.box_threshold = model.box_threshold if threshold is None else None
        self.rule = rule if rule is not None else model.alarm_rule
        if self.rule not in ALARM_RULES:
            raise ValueError(f"alarm rule {self.rule!r} is not one of {ALARM_RULES}")
        self.min_score = min_score
        self.threads = threads
        self.max_detections = max_detections
        self.detail = model.detail
        self.channels = len(input_channels(self.detail))

    @cached_property
    def _session(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        return ort.InferenceSession(
            str(self.files.onnx), options, providers=["CPUExecutionProvider"]
        )

    def warm_up(self) -> None:
        """Load the graph now, so the first bag is not the one that waits for it."""
        _ = self._session

    def detect(self, low: np.ndarray, high: np.ndarray) -> BagResult:
        """Detections for one bag, given each energy's transmission image (same size)."""
        t0 = time.perf_counter()
        x = network_input(low, high, self.detail)
        t1 = time.perf_counter()
        outputs = self._run(x)
        detections = self._decode(x, outputs)
        t2 = time.perf_counter()
        probability = bag_probability(outputs)
        score = alarm_score(detections, probability, self.rule)
        return BagResult(
            detections,
            score,
            score >= self.threshold,
            self.threshold,
            probability,
            {"preprocess": 1000 * (t1 - t0), "network": 1000 * (t2 - t1)},
            self.box_threshold,
        )

    def detect_input(self, x: np.ndarray) -> tuple[list[Detection], float | None]:
        """Detections and bag probability from a prepared network input ``x[c, h, w]``
        (evaluation on shards), ``c`` the card's input channels."""
        if x.ndim != 3 or x.shape[0] != self.channels:
            raise ValueError(
                f"network input of shape {x.shape}: {self.files.onnx.name} takes "
                f"{self.channels} channels"
            )
        outputs = self._run(x)
        return self._decode(x, outputs), bag_probability(outputs)

    def _run(self, x: np.ndarray) -> list[np.ndarray]:
        _, h, w = x.shape
        ph, pw = -h % _PAD, -w % _PAD
        padded = np.pad(x, ((0, 0), (0, ph), (0, pw))) if ph or pw else x
        views = np.stack([np.flip(padded, FLIPS[f]) for f in self.flips]).astype(np.float32)
        outputs: list[np.ndarray] = self._session.run(None, {"x": views})
        return merge_views(outputs, self.flips)

    def _decode(self, x: np.ndarray, outputs: list[np.ndarray]) -> list[Detection]:
        scores, size, offset = (o[0] for o in outputs[:3])
        _, oh, ow = scores.shape
        _, h, w = x.shape
        flat = scores.reshape(-1)
        k = min(self.max_detections, flat.size)
        top = np.argpartition(-flat, k - 1)[:k]
        top = top[flat[top] >= self.min_score]
        top = top[np.argsort(-flat[top])]
        out = []
        for idx in top:
            cls, cell = divmod(int(idx), oh * ow)
            row, col = divmod(cell, ow)
            cx = (col + offset[0, row, col]) * OUTPUT_STRIDE
            cy = (row + offset[1, row, col]) * OUTPUT_STRIDE
            bw = np.exp(size[0, row, col]) * OUTPUT_STRIDE
            bh = np.exp(size[1, row, col]) * OUTPUT_STRIDE
            x0, y0 = max(cx - bw / 2, 0.0), max(cy - bh / 2, 0.0)
            x1, y1 = min(cx + bw / 2, float(w)), min(cy + bh / 2, float(h))
            if x1 <= x0 or y1 <= y0:
                continue
            z, att = _material_evidence(x, x0, y0, x1, y1)
            band = material_band(z)
            name = PROHIBITED[cls].name
            out.append(
                Detection(
                    class_id=PROHIBITED[cls].id,
                    class_name=name,
                    category=PROHIBITED[cls].category,
                    score=float(flat[idx]),
                    box_xywh=(
                        float(x0 * DOWNSAMPLE),
                        float(y0 * DOWNSAMPLE),
                        float((x1 - x0) * DOWNSAMPLE),
                        float((y1 - y0) * DOWNSAMPLE),
                    ),
                    z_eff=z,
                    attenuation=att,
                    material=band,
                    material_consistent=name not in MATERIAL_CLASSES or band == "organic",
                )
            )
        return out


def merge_views(outputs: list[np.ndarray], flips: tuple[str, ...]) -> list[np.ndarray]:
    """One bag's outputs (batch of one) from the outputs of its mirrored views.

    The bag head is averaged over the views. The boxes come from the first view, mirrored
    back: the graph's heatmaps are already peak-suppressed, and averaging them splits a peak
    that two views put one cell apart into two half-height ones (validation mAP 0.75 -> 0.71).
    An offset ``o`` within its cell on a mirrored axis reads ``1 - o`` in the original: the
    input is padded to whole cells before the flip, so a cell maps exactly to its mirror.
    """
    flip = FLIPS[flips[0]]
    scores, size, offset = (np.flip(o[0], flip) for o in outputs[:3])
    if flip:
        offset = offset.copy()
        for axis in flip:
            channel = 0 if axis == 2 else 1  # offset channels are (x, y)
            offset[channel] = 1.0 - offset[channel]
    merged = [scores[None], size[None], offset[None]]
    if len(outputs) > 3:
        merged.append(outputs[3].reshape(len(flips), -1).mean(axis=0).reshape(1, -1))
    return merged


def bag_probability(outputs: list[np.ndarray]) -> float | None:
    return float(outputs[3].reshape(-1)[0]) if len(outputs) > 3 else None


def alarm_score(
    detections: list[Detection], bag_probability: float | None, rule: str = "detections"
) -> float:
    """The bag's alarm score under ``rule`` (one of ``ALARM_RULES``)."""
    best_box = max((d.score for d in detections if d.material_consistent), default=0.0)
    if rule == "detections":
        return best_box
    if bag_probability is None:
        raise ValueError(f"the alarm rule is {rule} but the graph has no bag output")
    return bag_probability if rule == "bag_head" else (best_box + bag_probability) / 2


def box_limit(rule: str, threshold: float, box_threshold: float | None) -> float:
    """The score from which the operator is shown a box as an alarm.

    Under the detections rule the bag alarms on its best box, so a box alarms at the bag
    threshold. Under the bag-head rules the bag's score is no one box's: a box alarms from the
    card's box threshold, which keeps the faint boxes of an alarmed bag unmarked.
    """
    return threshold if rule == "detections" or box_threshold is None else box_threshold


def box_alarm(
    detection: Detection, rule: str, threshold: float, box_threshold: float | None
) -> bool:
    return detection.material_consistent and detection.score >= box_limit(
        rule, threshold, box_threshold
    )


def _material_evidence(
    x: np.ndarray, x0: float, y0: float, x1: float, y1: float
) -> tuple[float | None, float]:
    """Median Zeff and high-energy attenuation over the box's most attenuating pixels.

    Clothing and the bag shell lie under everything; the object is what attenuates most in
    its own box, so the upper half of the attenuation values inside the box's central part
    speaks for it.
    """
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    r0, r1 = int(cy - 0.7 * hh), int(np.ceil(cy + 0.7 * hh))
    c0, c1 = int(cx - 0.7 * hw), int(np.ceil(cx + 0.7 * hw))
    r0, c0 = max(r0, 0), max(c0, 0)
    att = x[1, r0 : max(r1, r0 + 1), c0 : max(c1, c0 + 1)].astype(np.float32) * 5.0
    zc = x[2, r0 : max(r1, r0 + 1), c0 : max(c1, c0 + 1)].astype(np.float32)
    if att.size == 0:
        return None, 0.0
    keep = att >= np.median(att)
    keep &= zc > 0
    if not keep.any():
        return None, float(np.median(att))
    z = float(np.median(zc[keep]) * 25.0 + 5.0)
    return round(z, 2), round(float(np.median(att[keep])), 3)
