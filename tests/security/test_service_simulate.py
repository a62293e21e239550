"""`security.xray.simulate`: one bag of the dataset, its boxes and its images, over the registry."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from yangcheng.platform.catalog import Capability, Registry
from yangcheng.security.dataset import XrayBaggageDataset
from yangcheng.security.objects import CLASSES
from yangcheng.security.service import register

NAME = "security.xray.simulate"
SEED = 20261126


@pytest.fixture(scope="module")
def capability() -> Capability:
    registry = Registry()
    register(registry)
    return registry.get(NAME)


def _invoke(capability: Capability, payload: dict[str, Any]) -> dict[str, Any]:
    return capability.invoke(payload).model_dump(mode="json")


def _decode(png_base64: str) -> np.ndarray:
    data = base64.b64decode(png_base64, validate=True)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert image is not None
    return image


@pytest.mark.parametrize(("index", "hard"), [(3, False), (1, True)])
def test_the_bag_and_its_boxes_are_the_datasets(
    capability: Capability, index: int, hard: bool
) -> None:
    out = _invoke(capability, {"seed": SEED, "index": index, "hard": hard, "size": 256})
    sample = XrayBaggageDataset(SEED, index + 1, size=(256, 256), hard=hard)[index]
    assert (out["seed"], out["index"], out["hard"]) == (SEED, index, hard)
    assert (out["width"], out["height"]) == (256, 256)
    assert sample.annotations, "pick a bag with prohibited items"
    by_id = {c.id: c for c in CLASSES}
    assert out["objects"] == [
        {
            "class_id": a.class_id,
            "class_name": by_id[a.class_id].name,
            "category": by_id[a.class_id].category,
            "bbox_xywh": list(a.bbox_xywh),
            "material_ids": list(a.material_ids),
            "area_px": int(a.mask.sum()),
        }
        for a in sample.annotations
    ]
    drawn = out["annotated_image"]
    assert (drawn["width"], drawn["height"]) == (256, 256)
    assert [(b["x"], b["y"], b["w"], b["h"]) for b in drawn["boxes"]] == [
        tuple(float(v) for v in a.bbox_xywh) for a in sample.annotations
    ]
    assert [b["label"] for b in drawn["boxes"]] == [o["class_name"] for o in out["objects"]]
    assert [b["alarm"] for b in drawn["boxes"]] == [
        by_id[a.class_id].prohibited for a in sample.annotations
    ]

    rgb = _decode(drawn["png_base64"])
    assert rgb.shape == (256, 256, 3) and rgb.dtype == np.uint8
    assert np.array_equal(cv2.cvtColor(rgb, cv2.COLOR_BGR2RGB), sample.rgb)  # not BGR-swapped
    for key, channel in (
        ("high_png_base64", sample.image.high),
        ("low_png_base64", sample.image.low),
    ):
        image = _decode(out[key])
        assert image.shape == (256, 256) and image.dtype == np.uint16
        assert np.abs(image / 65535 - channel).max() <= 0.5 / 65535 + 1e-12


def test_the_same_request_gives_the_same_bytes(capability: Capability) -> None:
    request = {"seed": 7, "index": 2, "size": 128}
    assert _invoke(capability, request) == _invoke(capability, request)
    assert _invoke(capability, {**request, "index": 3}) != _invoke(capability, request)


def test_the_example_is_a_valid_request_for_a_512_px_bag(capability: Capability) -> None:
    (example,) = capability.examples
    assert example == {"seed": SEED, "index": 0}
    request = capability.request_model.model_validate(example)
    assert request.model_dump() == {"seed": SEED, "index": 0, "hard": False, "size": 512}
    assert capability.group == "security" and capability.card


@pytest.mark.parametrize(
    "payload",
    [
        {"seed": SEED, "size": 64},
        {"seed": SEED, "size": 1025},
        {"seed": SEED, "index": -1},
        {"seed": -1},
        {"seed": 2**63},
        {"index": 0},
        {"seed": SEED, "images": 3},
        {"seed": SEED, "hard": "very"},
    ],
)
def test_bad_requests_are_refused_before_any_bag_is_made(
    capability: Capability, payload: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError):
        capability.invoke(payload)
