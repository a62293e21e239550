"""One simulated X-ray bag on request: images and its ground-truth boxes.

A developer building or checking a detector asks for bag ``index`` of a seed and gets what the
dataset would write to disk — the two 16-bit transmission images and the operator's
pseudo-colour picture — together with the prohibited items it contains. The console draws the
picture with the boxes (the response's ``annotated_image``), so a reviewer sees at a glance
what a detector should find.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from yangcheng.platform.catalog import Capability
from yangcheng.security.dataset import STANDARD_TEST, XrayBaggageDataset
from yangcheng.security.objects import CLASSES

_CLASS_BY_ID = {c.id: c for c in CLASSES}
MAX_SEED = 2**63 - 1


class SimulateRequest(BaseModel):
    """Which bag: the same seed, index, hard and size always give the same bytes."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(
        ge=0,
        le=MAX_SEED,
        description=f"The dataset's seed; {STANDARD_TEST.seed} is the standard test set's.",
    )
    index: int = Field(
        default=0,
        ge=0,
        le=MAX_SEED,
        description="Which bag of the seed (bag i is generated from (seed, i) alone).",
    )
    hard: bool = Field(
        default=False,
        description="Hard bags: heavy clutter, overlapping items, thin profiles.",
    )
    size: int = Field(default=512, ge=128, le=1024, description="Image width and height in pixels.")


class XrayObjectOut(BaseModel):
    """A prohibited item in the bag, as the dataset's labels record it."""

    class_id: int = Field(description="1..N over prohibited classes, as in the COCO export.")
    class_name: str
    category: str
    bbox_xywh: list[int] = Field(
        min_length=4, max_length=4, description="Tight box of the item's mask: x, y, w, h px."
    )
    material_ids: list[int]
    area_px: int = Field(description="Pixels of the item's mask (its visible footprint).")


class ImageBoxOut(BaseModel):
    x: float
    y: float
    w: float
    h: float
    label: str
    alarm: bool
    score: float | None = None


class AnnotatedImageOut(BaseModel):
    """A picture with boxes; the console draws any response's `annotated_image`."""

    png_base64: str
    width: int
    height: int
    boxes: list[ImageBoxOut]


class SimulateResponse(BaseModel):
    seed: int
    index: int
    hard: bool
    width: int
    height: int
    objects: list[XrayObjectOut]
    annotated_image: AnnotatedImageOut = Field(
        description="The pseudo-colour image (8-bit RGB PNG) with the objects' boxes."
    )
    high_png_base64: str = Field(
        description="High-energy transmission, 16-bit greyscale PNG: 0..65535 for 0..1."
    )
    low_png_base64: str = Field(
        description="Low-energy transmission, 16-bit greyscale PNG: 0..65535 for 0..1."
    )


def png_base64(image: np.ndarray) -> str:
    ok, buffer = cv2.imencode(".png", image)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8/uint16 array
        raise RuntimeError("OpenCV could not encode the PNG")
    return base64.b64encode(buffer.tobytes()).decode("ascii")


def _transmission_png(transmission: np.ndarray) -> str:
    """Same encoding as the dataset's ``_high.png``/``_low.png`` files."""
    return png_base64(np.round(transmission * 65535).astype(np.uint16))


def simulate(req: SimulateRequest) -> SimulateResponse:
    dataset = XrayBaggageDataset(req.seed, req.index + 1, size=(req.size, req.size), hard=req.hard)
    sample = dataset[req.index]
    height, width = sample.rgb.shape[:2]
    objects: list[XrayObjectOut] = []
    boxes: list[ImageBoxOut] = []
    for a in sample.annotations:
        cls = _CLASS_BY_ID[a.class_id]
        x, y, w, h = (int(v) for v in a.bbox_xywh)
        objects.append(
            XrayObjectOut(
                class_id=cls.id,
                class_name=cls.name,
                category=cls.category,
                bbox_xywh=[x, y, w, h],
                material_ids=[int(m) for m in a.material_ids],
                area_px=int(a.mask.sum()),
            )
        )
        boxes.append(ImageBoxOut(x=x, y=y, w=w, h=h, label=cls.name, alarm=cls.prohibited))
    return SimulateResponse(
        seed=req.seed,
        index=req.index,
        hard=req.hard,
        width=width,
        height=height,
        objects=objects,
        annotated_image=AnnotatedImageOut(
            png_base64=png_base64(cv2.cvtColor(sample.rgb, cv2.COLOR_RGB2BGR)),
            width=width,
            height=height,
            boxes=boxes,
        ),
        high_png_base64=_transmission_png(sample.image.high),
        low_png_base64=_transmission_png(sample.image.low),
    )


SIMULATE = Capability(
    name="security.xray.simulate",
    version="1.0.0",
    group="security",
    summary="One simulated dual-energy X-ray bag: images and its prohibited items' boxes",
    description=(
        "Generates bag index of the simulated X-ray baggage dataset with the seed, exactly as "
        "the dataset tools write it: the high- and low-energy transmission images (16-bit "
        "PNG, 0..65535 for 0..1, the input a detector takes), the operator's pseudo-colour "
        "picture (orange organic, green mixed, blue metal) and every prohibited item's class, "
        "tight box, mask area and materials. The picture comes back as annotated_image "
        "with the boxes, which the console draws. Use seed "
        f"{STANDARD_TEST.seed} (hard: false) to look at the standard test set's bags and "
        "feed them to a detector."
    ),
    request_model=SimulateRequest,
    response_model=SimulateResponse,
    handler=simulate,
    card={
        "generator": "yangcheng.security.dataset.XrayBaggageDataset (procedural objects, "
        "NIST attenuation data via xraydb, polychromatic dual-energy transmission)",
        "determinism": "bag i of a seed comes from the seed sequence (seed, i) alone: the same "
        "request gives the same bytes",
        "test_sets": "xray-test-v1 (seed 20261126, 2,000 bags) and xray-hard-v1 (seed "
        "20261127, hard, 500 bags) in the dataset catalog",
        "limitations": "Simulated bags: procedural shapes and a physics model, not scanner "
        "captures. Only prohibited items are annotated; benign clutter is unlabelled. A "
        "1024-px bag takes a few seconds to generate.",
    },
    examples=({"seed": STANDARD_TEST.seed, "index": 0},),
)

CAPABILITIES = (SIMULATE,)
