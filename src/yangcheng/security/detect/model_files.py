"""Which detector weights: the shipped ONNX graph and its card (threshold, figures, provenance)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yangcheng.security.detect.inputs import INPUT_CHANNELS, takes_detail

__all__ = ["DEFAULT_MODEL", "WEIGHTS_DIR", "ModelFiles"]

WEIGHTS_DIR = Path(__file__).parent / "weights"


@dataclass(frozen=True)
class ModelFiles:
    """An ONNX graph and the JSON card written beside it by ``yangcheng security train``."""

    onnx: Path
    card_path: Path

    @classmethod
    def at(cls, onnx: Path) -> ModelFiles:
        return cls(onnx, onnx.with_suffix(".json"))

    def card(self) -> dict[str, Any]:
        if not self.card_path.exists():
            raise FileNotFoundError(
                f"{self.card_path} is missing: a detector needs the card written beside its "
                "ONNX file by 'yangcheng security train'"
            )
        data: dict[str, Any] = json.loads(self.card_path.read_text())
        return data

    @property
    def alarm_rule(self) -> str:
        """How the alarm score is made (``infer.ALARM_RULES``); older cards: detections."""
        return str(self.card()["operating_point"].get("alarm_rule", "detections"))

    @property
    def flips(self) -> tuple[str, ...]:
        """The test-time views (``infer.FLIPS``) the threshold was fixed with; older cards:
        the bag as scanned only."""
        return tuple(self.card().get("test_time_flips", ["none"]))

    @property
    def detail(self) -> bool:
        """Whether the model takes the detail channel (``inputs.DETAIL_CHANNEL``)."""
        return takes_detail(self.card().get("inputs", list(INPUT_CHANNELS)))

    @property
    def threshold(self) -> float:
        """The bag-alarm operating threshold chosen on the validation split."""
        return float(self.card()["operating_point"]["threshold"])

    @property
    def box_threshold(self) -> float:
        """The score from which a box is shown as an alarm (``evaluate.choose_box_threshold``);
        older cards: the bag threshold."""
        point = self.card()["operating_point"]
        return float(point.get("box_threshold", point["threshold"]))


DEFAULT_MODEL = ModelFiles.at(WEIGHTS_DIR / "xray-centernet-v1.onnx")
