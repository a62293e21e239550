"""`security.xray.detect`: a bag's two energies in, prohibited items and the alarm out.

The images come as 16-bit PNG (or TIFF) transmission, as scanners export them and as
``security.xray.simulate`` returns them; as a DICOS scan's two DX files, the security
scanners' standard format (``dicos_dx``), with the answer also as a DICOS Threat Detection
Report on request (``dicos_tdr``); or the request names a simulated bag, so the detector can be
tried from the console without files at hand. Batch detection is the same capability run as a
platform job.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from yangcheng.cards import ModelCard
from yangcheng.platform.catalog import Capability, InvalidInput
from yangcheng.security import service_scanner
from yangcheng.security.dataset import STANDARD_TEST, XrayBaggageDataset
from yangcheng.security.detect.infer import BagResult, XrayDetector, box_alarm, box_limit
from yangcheng.security.detect.inputs import DetectorInputError, transmission
from yangcheng.security.detect.model_files import DEFAULT_MODEL
from yangcheng.security.detect.overlap import fold_overlaps
from yangcheng.security.dicos_dx import DicosInputError, DxScan, read_scan
from yangcheng.security.dicos_tdr import ThreatObject, threat_detection_report
from yangcheng.security.physics import DualEnergyImage, pseudo_colour
from yangcheng.security.scanner_profile import PROFILE_NAME, ScannerProfile
from yangcheng.security.service_simulate import (
    MAX_SEED,
    AnnotatedImageOut,
    ImageBoxOut,
    png_base64,
)

MAX_IMAGE_BYTES = 32 * 1024 * 1024


class SimulatedBag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = Field(ge=0, le=MAX_SEED)
    index: int = Field(default=0, ge=0, le=MAX_SEED)
    hard: bool = False


class DetectRequest(BaseModel):
    """Both energies of one bag, or a simulated bag to scan."""

    model_config = ConfigDict(extra="forbid")

    low_png_base64: str | None = Field(
        default=None,
        description="Low-energy transmission: 16-bit greyscale PNG or TIFF (0..65535 = 0..1), "
        "1.5 mm pixels.",
    )
    high_png_base64: str | None = Field(
        default=None, description="High-energy transmission, same size and encoding as low."
    )
    dicos_base64: list[str] | None = Field(
        default=None,
        min_length=1,
        max_length=2,
        description="Instead of PNG: the scan's two DICOS (or DICOM) DX files For Processing, "
        "one per energy, in either order (Image Type HIGH ENERGY / LOW ENERGY, else the lower "
        "KVP is the low energy); linear counts, full scale of the stored bits = open beam; "
        "resampled to 1.5 mm from the file's pixel spacing (the response's boxes are in the "
        "resampled image's pixels, the TDR's in the files').",
    )
    simulated: SimulatedBag | None = Field(
        default=None, description="Instead of images: scan this bag of the simulator."
    )
    tdr: bool = Field(
        default=False,
        description="Also answer with a DICOS Threat Detection Report (tdr_dicos_base64): the "
        "alarm decision and one potential threat object per detection, its box in the sent "
        "images' pixels.",
    )
    threshold: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Alarm threshold; default the model's own."
    )
    scanner: str | None = Field(
        default=None,
        pattern=PROFILE_NAME,
        description="A scanner profile fitted on this installation (yangcheng security "
        "scanner fit, from the scanner's step-wedge readings): the images are then that "
        "scanner's raw counts, read as the reference scanner's transmission and resampled to "
        "1.5 mm before detection; boxes are in the resampled image's pixels.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> DetectRequest:
        images = (self.low_png_base64 is not None, self.high_png_base64 is not None)
        given = [
            name
            for name, present in (
                ("the PNG images", any(images)),
                ("dicos_base64", self.dicos_base64 is not None),
                ("simulated", self.simulated is not None),
            )
            if present
        ]
        if len(given) > 1:
            raise ValueError(f"give one source of the bag, not {' and '.join(given)}")
        if self.simulated is not None and self.scanner is not None:
            raise ValueError(
                "a simulated bag is the reference scanner's already: scanner applies to images"
            )
        if not given or (given == ["the PNG images"] and images != (True, True)):
            missing = "high_png_base64" if images[0] else "low_png_base64"
            raise ValueError(
                f"{missing} is missing: the detector needs both energies (low and high); "
                "a single-energy image cannot separate materials"
            )
        return self


class DetectionOut(BaseModel):
    class_id: int
    class_name: str
    category: str
    score: float
    box_xywh: list[float] = Field(min_length=4, max_length=4)
    z_eff: float | None = Field(description="Effective atomic number inside the box.")
    attenuation: float = Field(description="High-energy -ln(T) of the object's pixels.")
    material: str = Field(description="organic (Z<10), inorganic (10-18), metal (>18).")
    material_consistent: bool = Field(
        description="False when a material-defined class (liquid, powder, drug, explosive) "
        "does not read as organic; such a box does not raise the alarm alone."
    )
    alarm: bool = Field(
        description="Shown as an alarm: the material does not contradict the class and the "
        "score reaches box_threshold."
    )
    also_possible: list[str] = Field(
        default_factory=list,
        description="Other classes the detector saw at the same place, less confidently.",
    )


class DetectResponse(BaseModel):
    alarm: bool
    bag_score: float = Field(description="The alarm score under alarm_rule.")
    bag_probability: float | None = Field(
        description="The network's bag head: probability that anything prohibited is inside."
    )
    alarm_rule: str = Field(
        description="detections (best box the material does not contradict), bag_head, or "
        "mean (of the two), as fixed on the validation split."
    )
    threshold: float
    threshold_from: str = Field(
        description="model (fixed on the reference scanner's validation bags), scanner NAME "
        "(fixed on that scanner's own known bags: yangcheng security scanner calibrate), or "
        "request."
    )
    box_threshold: float = Field(
        description="The score from which a box is shown as an alarm, fixed on the validation "
        "split (a box at it, as its bag's best, flags at most 15 % of clean bags); under the "
        "detections rule, the bag threshold. A bag the bag head alarms may have no such box."
    )
    scanner: str | None = Field(
        description="The scanner profile the images were read through; null: the reference "
        "scanner's transmission, as sent."
    )
    views: list[str] = Field(
        description="The mirrored views of the bag (none, left_right, up_down, both) the bag "
        "head was averaged over; boxes are the first view's."
    )
    width: int
    height: int
    detections: list[DetectionOut]
    model: str
    timings_ms: dict[str, float]
    annotated_image: AnnotatedImageOut
    tdr_dicos_base64: str | None = Field(
        default=None,
        description="With tdr: the DICOS Threat Detection Report, in the DICOS scan's study "
        "when the bag came as DICOS.",
    )


_lock = threading.Lock()
_detector: XrayDetector | None = None


def detector() -> XrayDetector:
    """One ONNX session per process, loaded on first use."""
    global _detector
    with _lock:
        if _detector is None:
            _detector = XrayDetector(DEFAULT_MODEL)
        return _detector


def _bytes(field: str, data: str) -> bytes:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(field, "is not valid base64") from None
    if len(raw) > MAX_IMAGE_BYTES:
        raise InvalidInput(field, f"is {len(raw)} bytes; at most {MAX_IMAGE_BYTES}")
    return raw


def _decode(field: str, data: str) -> np.ndarray:
    raw = _bytes(field, data)
    image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InvalidInput(field, "is not a readable PNG or TIFF image (corrupt or other format)")
    return np.asarray(image)


def _dicos(
    files: list[str], profile: ScannerProfile | None
) -> tuple[DualEnergyImage, DxScan, tuple[float, float]]:
    fields = [f"dicos_base64[{i}]" for i in range(len(files))]
    try:
        scan = read_scan([_bytes(f, d) for f, d in zip(fields, files, strict=True)], fields)
    except DicosInputError as exc:
        raise InvalidInput(exc.field, exc.reason) from None
    try:
        image, scale = scan.to_reference(profile)
    except DicosInputError as exc:
        raise InvalidInput(exc.field, exc.reason) from None
    except DetectorInputError as exc:  # the profile's reading of one energy's counts
        field = (scan.low if exc.field == "low" else scan.high).field
        raise InvalidInput(field, exc.reason) from None
    return image, scan, scale


def _images(req: DetectRequest, profile: ScannerProfile | None) -> tuple[np.ndarray, np.ndarray]:
    if req.simulated is not None:
        bag = req.simulated
        image, _ = XrayBaggageDataset(bag.seed, bag.index + 1, hard=bag.hard).scan(bag.index)
        return image.low, image.high
    assert req.low_png_base64 is not None and req.high_png_base64 is not None
    low = _decode("low_png_base64", req.low_png_base64)
    high = _decode("high_png_base64", req.high_png_base64)
    if profile is None:
        return low, high
    try:
        image = profile.to_reference(low, high)
    except DetectorInputError as exc:
        raise InvalidInput(f"{exc.field}_png_base64", exc.reason) from None
    return image.low, image.high


def operator_picture(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The operator's pseudo-colour of images ``detect`` has already accepted."""
    image = DualEnergyImage(low=transmission(low, "low"), high=transmission(high, "high"))
    return cv2.cvtColor(pseudo_colour(image), cv2.COLOR_RGB2BGR)


def _one_per_object(detections: list[DetectionOut]) -> list[DetectionOut]:
    """One label per object; lower-scored classes at the same place become ``also_possible``."""
    kept = []
    for head, folded in fold_overlaps(detections, lambda d: d.box_xywh, lambda d: d.score):
        for d in folded:
            if d.class_name != head.class_name and d.class_name not in head.also_possible:
                head.also_possible.append(d.class_name)
            head.alarm = head.alarm or d.alarm
        kept.append(head)
    return kept


def detect(req: DetectRequest) -> DetectResponse:
    start = time.perf_counter()
    profile = service_scanner.profile(req.scanner) if req.scanner else None
    scan: DxScan | None = None
    scale = (1.0, 1.0)
    if req.dicos_base64 is not None:
        image, scan, scale = _dicos(req.dicos_base64, profile)
        low, high = image.low, image.high
        fields = {"low": scan.low.field, "high": scan.high.field}
    else:
        low, high = _images(req, profile)
        fields = {"low": "low_png_base64", "high": "high_png_base64"}
    model = detector()
    try:
        result: BagResult = model.detect(low, high)
    except DetectorInputError as exc:
        raise InvalidInput(fields[exc.field], exc.reason) from None
    own = profile.thresholds if profile is not None else None
    box_threshold = own[1] if own is not None else result.box_threshold
    if req.threshold is not None:
        threshold, source = req.threshold, "request"
    elif own is not None:
        threshold, source = own[0], f"scanner {req.scanner}"
    else:
        threshold, source = result.threshold, "model"
    out = _one_per_object(
        [
            DetectionOut(
                class_id=d.class_id,
                class_name=d.class_name,
                category=d.category,
                score=round(d.score, 4),
                box_xywh=[round(v, 1) for v in d.box_xywh],
                z_eff=d.z_eff,
                attenuation=d.attenuation,
                material=d.material,
                material_consistent=d.material_consistent,
                alarm=box_alarm(d, model.rule, threshold, box_threshold),
            )
            for d in result.detections
            if d.score >= min(threshold, 0.2)
        ]
    )
    height, width = low.shape[:2]
    alarm = result.bag_score >= threshold
    tdr = None
    if req.tdr:
        tdr = _report(alarm, out, model.files.onnx.stem, scan, scale, start)
    return DetectResponse(
        alarm=alarm,
        bag_score=round(result.bag_score, 4),
        bag_probability=None
        if result.bag_probability is None
        else round(result.bag_probability, 4),
        alarm_rule=model.rule,
        threshold=threshold,
        box_threshold=box_limit(model.rule, threshold, box_threshold),
        threshold_from=source,
        scanner=req.scanner,
        views=list(model.flips),
        width=width,
        height=height,
        detections=out,
        model=f"{model.files.onnx.stem}",
        timings_ms={k: round(v, 1) for k, v in result.timings_ms.items()},
        annotated_image=AnnotatedImageOut(
            png_base64=png_base64(operator_picture(low, high)),
            width=width,
            height=height,
            boxes=[
                ImageBoxOut(
                    x=d.box_xywh[0],
                    y=d.box_xywh[1],
                    w=d.box_xywh[2],
                    h=d.box_xywh[3],
                    label=d.class_name,
                    alarm=d.alarm,
                    score=d.score,
                )
                for d in out
            ],
        ),
        tdr_dicos_base64=tdr,
    )


def _report(
    alarm: bool,
    detections: list[DetectionOut],
    model: str,
    scan: DxScan | None,
    scale: tuple[float, float],
    start: float,
) -> str:
    """The TDR, with boxes carried back from the detector's 1.5 mm pixels to the sent ones."""
    sx, sy = scale
    objects = [
        ThreatObject(
            class_name=d.class_name,
            category=d.category,
            score=d.score,
            box_xywh=(
                round(d.box_xywh[0] * sx, 1),
                round(d.box_xywh[1] * sy, 1),
                round(d.box_xywh[2] * sx, 1),
                round(d.box_xywh[3] * sy, 1),
            ),
            z_eff=d.z_eff,
            alarm=d.alarm,
        )
        for d in detections
    ]
    elapsed_ms = (time.perf_counter() - start) * 1000.0
    data = threat_detection_report(
        alarm=alarm, objects=objects, model=model, processing_ms=elapsed_ms, scan=scan
    )
    return base64.b64encode(data).decode()


def model_card() -> ModelCard:
    card = DEFAULT_MODEL.card()
    operating = card["operating_point"]
    metrics: dict[str, float] = {}
    for name, report in card.get("test", {}).items():
        key = name.replace("-", "_")
        metrics[f"{key}_map50"] = round(report["map50"], 4)
        metrics[f"{key}_miss_rate"] = report["operating"]["miss_rate"]
        metrics[f"{key}_false_alarm_rate"] = report["operating"]["false_alarm_rate"]
    return ModelCard(
        name=card["name"],
        version=card["version"],
        task=card["task"],
        description=f"{card['architecture']}; inputs: {', '.join(card['inputs'])}. Alarm "
        f"threshold {operating['threshold']:.4f} ({operating['rule']}), bag head averaged "
        f"over the views {', '.join(DEFAULT_MODEL.flips)}.",
        licence="Apache-2.0 (weights trained here on simulated data)",
        training_data=f"simulated bags: {card['training']['train_split']}",
        metrics=metrics,
        limitations="Trained on simulated bags only (procedural shapes, physics model); a "
        "real scanner's images go through its scanner profile (fitted on its step-wedge "
        "readings: spectra and pitch), and may still need fine-tuning on its own captures "
        "for what the physics model leaves out. Liquids, powders, drugs and explosives rely "
        "on effective-Z evidence, which overlapping metal can mask.",
        artifact=f"yangcheng/security/detect/weights/{DEFAULT_MODEL.onnx.name}",
    )


DETECT = Capability(
    name="security.xray.detect",
    version="1.0.0",
    group="security",
    summary="Detect prohibited items in a dual-energy X-ray bag: boxes, classes, materials, alarm",
    description=(
        "Runs the shipped detector (a compact CenterNet over both energies' attenuation and the "
        "effective-Z map, served with ONNX Runtime) on one bag. Each detection has its class, "
        "score, box, the effective Z and attenuation inside the box and its material band; a "
        "liquid, powder, drug or explosive that does not read as organic does not raise the "
        "alarm alone. The bag alarms when its score under the model's alarm rule (the "
        "network's bag head, averaged over four mirrored views, for the shipped weights) "
        "reaches the threshold fixed on the validation split for a miss rate within 1 per "
        "mille; a box is marked as an alarm from its own, stricter threshold, so the faint "
        "boxes of an alarmed bag are drawn but not marked. Send both energies as 16-bit PNG "
        "or as the scan's two DICOS DX files (another scanner's raw counts with its scanner "
        "profile), or name a simulated bag; ask for tdr to get the answer as a DICOS Threat "
        "Detection Report too. Run it as a job for a batch."
    ),
    request_model=DetectRequest,
    response_model=DetectResponse,
    handler=detect,
    card={
        "model": f"security/detect/weights/{DEFAULT_MODEL.onnx.name} with its card",
        "input": "two single-channel transmission images of the same size, 64..4096 px a side, "
        "1.5 mm pixels (PNG/TIFF, or DICOS DX For Processing at any pitch), or another "
        "scanner's raw counts with its scanner profile; colour pictures and DX images For "
        "Presentation are refused (they lost the energies' values)",
        "output": "boxes, classes, materials, the alarm; on request a DICOS TDR",
        "limitations": "Trained and measured on simulated bags only.",
    },
    examples=(
        {"simulated": {"seed": STANDARD_TEST.seed, "index": 3}},
        {"simulated": {"seed": STANDARD_TEST.seed, "index": 0, "hard": False}, "threshold": 0.5},
    ),
)

CAPABILITIES = (DETECT,)
