"""Identity capabilities of the finance scenario: document numbers and document photos."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from yangcheng.finance.identity import (
    CheckResult,
    assess_photo,
    check_bank_card,
    check_mobile,
    check_resident_id,
    check_uscc,
    decode_image,
)
from yangcheng.platform.catalog import Capability, InvalidInput


class DocumentCheckRequest(BaseModel):
    """Identity numbers a customer presented, and what they declared about themselves."""

    model_config = ConfigDict(extra="forbid")

    resident_id: str | None = Field(
        default=None, max_length=40, description="18-character resident ID (GB 11643)."
    )
    declared_birth_date: date | None = Field(default=None, description="As the customer stated.")
    declared_sex: Literal["male", "female"] | None = None
    min_age: int | None = Field(default=None, ge=0, le=150, description="E.g. 18 for credit.")
    uscc: str | None = Field(
        default=None, max_length=40, description="Unified social credit code (GB 32100)."
    )
    bank_card: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _something_to_check(self) -> DocumentCheckRequest:
        if not any((self.resident_id, self.uscc, self.bank_card, self.mobile)):
            raise ValueError("give at least one of resident_id, uscc, bank_card, mobile")
        if self.resident_id is None and (self.declared_birth_date or self.declared_sex):
            raise ValueError("declared_birth_date/declared_sex need a resident_id to compare with")
        return self


class DocumentCheck(BaseModel):
    kind: str
    number: str
    valid: bool
    failures: list[str]
    facts: dict[str, str]


class DocumentCheckResponse(BaseModel):
    all_valid: bool
    checks: list[DocumentCheck]


def check_documents(req: DocumentCheckRequest) -> DocumentCheckResponse:
    results: list[CheckResult] = []
    if req.resident_id is not None:
        results.append(
            check_resident_id(
                req.resident_id,
                declared_birth_date=req.declared_birth_date,
                declared_sex=req.declared_sex,
                min_age=req.min_age,
            )
        )
    if req.uscc is not None:
        results.append(check_uscc(req.uscc))
    if req.bank_card is not None:
        results.append(check_bank_card(req.bank_card))
    if req.mobile is not None:
        results.append(check_mobile(req.mobile))
    checks = [DocumentCheck(**r.__dict__) for r in results]
    return DocumentCheckResponse(all_valid=all(c.valid for c in checks), checks=checks)


DOCUMENTS = Capability(
    name="finance.identity.documents",
    version="1.0.0",
    group="finance",
    summary="Check resident ID, company credit code, bank card and mobile numbers",
    description=(
        "Validates each number against its national standard (GB 11643, GB 32100, "
        "ISO/IEC 7812 Luhn) and compares the resident ID with the declared birth date, "
        "sex and minimum age. Every failure is named."
    ),
    request_model=DocumentCheckRequest,
    response_model=DocumentCheckResponse,
    handler=check_documents,
    card={
        "standards": ["GB 11643-1999", "GB 32100-2015", "ISO/IEC 7812-1"],
        "implementation": "python-stdnum (region table of GB/T 2260)",
        "limitations": "Checks numbers, not that they were issued to this person.",
    },
    examples=(
        {
            "resident_id": "11010519491231002X",
            "declared_birth_date": "1949-12-31",
            "declared_sex": "female",
            "min_age": 18,
            "bank_card": "6222020200112233446",
            "mobile": "+86 138 0013 8000",
        },
        {
            "resident_id": "440304199003071248",
            "declared_sex": "female",
            "uscc": "91110000600037341L",
        },
    ),
)

MAX_IMAGE_BYTES = 8 * 1024 * 1024
_MAX_BASE64_CHARS = 4 * -(-MAX_IMAGE_BYTES // 3)

# A 64x64 plain grey PNG: small enough for the docs, and it shows what failures look like.
_GREY_PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAAAAACPAi4CAAAAfUlEQVRYCaXBAQEAAACCIH3u9EYExsf4GB/jY3yM"
    "j/ExPsbH+Bgf42N8jI/xMT7Gx/gYH+NjfIyP8TE+xsf4GB/jY3yMj/ExPsbH+Bgf42N8jI/xMT7Gx/gYH+NjfIyP"
    "8TE+xsf4GB/jY3yMj/ExPsbH+Bgf42N8jI/xMT4DH/YgQfCxph4AAAAASUVORK5CYII="
)


class PhotoCheckRequest(BaseModel):
    """A document photo, base64-encoded, and optionally stricter or looser thresholds."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    image_base64: str = Field(
        min_length=1,
        max_length=_MAX_BASE64_CHARS,
        description="JPEG or PNG bytes, base64 (a data: URL prefix is accepted); at most 8 MiB.",
    )
    min_long_side: int | None = Field(default=None, ge=1, le=20_000, description="Default 480.")
    min_short_side: int | None = Field(default=None, ge=1, le=20_000, description="Default 360.")
    min_sharpness: float | None = Field(
        default=None, ge=0, le=1e6, description="Variance of the Laplacian; default 60."
    )
    max_glare_fraction: float | None = Field(
        default=None, ge=0, le=1, description="Share of near-saturated pixels; default 0.05."
    )
    min_brightness: float | None = Field(default=None, ge=0, le=255, description="Default 40.")
    max_brightness: float | None = Field(default=None, ge=0, le=255, description="Default 220.")
    min_face_fraction: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Smallest face searched for, as a share of the shorter side; default 0.1.",
    )


class FaceBoxOut(BaseModel):
    x: int
    y: int
    w: int
    h: int


class PhotoCheckResponse(BaseModel):
    ok: bool
    width: int
    height: int
    sharpness: float = Field(description="Variance of the Laplacian of the grey image.")
    glare_fraction: float = Field(description="Share of pixels with HSV value >= 250.")
    brightness: float = Field(description="Mean grey level, 0-255.")
    faces: list[FaceBoxOut]
    failures: list[str]


def decode_base64_field(text: str, field: str, max_bytes: int) -> bytes:
    """Bytes of a base64 request field (a data: URL prefix is accepted), or InvalidInput."""
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    text = "".join(text.split())
    if not text:
        raise InvalidInput(field, "empty")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(field, f"not valid base64 ({exc})") from None
    if not data:
        raise InvalidInput(field, "empty")
    if len(data) > max_bytes:
        raise InvalidInput(field, f"over {max_bytes // 2**20} MiB")
    return data


def decode_image_field(text: str, field: str) -> np.ndarray:
    """An RGB image from a base64 request field, or InvalidInput naming the field."""
    try:
        return decode_image(decode_base64_field(text, field, MAX_IMAGE_BYTES))
    except InvalidInput:
        raise
    except ValueError as exc:
        raise InvalidInput(field, str(exc)) from None


def check_photo(req: PhotoCheckRequest) -> PhotoCheckResponse:
    image = decode_image_field(req.image_base64, "image_base64")
    thresholds = req.model_dump(exclude={"image_base64"}, exclude_none=True)
    if thresholds.get("min_brightness", 40.0) > thresholds.get("max_brightness", 220.0):
        raise InvalidInput("min_brightness", "must not exceed max_brightness")
    q = assess_photo(image, **thresholds)
    return PhotoCheckResponse(
        ok=q.ok,
        width=q.width,
        height=q.height,
        sharpness=q.sharpness,
        glare_fraction=q.glare_fraction,
        brightness=q.brightness,
        faces=[FaceBoxOut(**f.__dict__) for f in q.faces],
        failures=q.failures,
    )


PHOTO = Capability(
    name="finance.identity.photo",
    version="1.0.0",
    group="finance",
    summary="Check a document photo for size, blur, glare, exposure and exactly one face",
    description=(
        "Decodes a JPEG or PNG and measures its size, sharpness (variance of the "
        "Laplacian), glare (share of near-saturated pixels), brightness and the faces "
        "OpenCV's frontal-face Haar cascade finds. Every reason the photo is unusable "
        "is named; thresholds can be set per call."
    ),
    request_model=PhotoCheckRequest,
    response_model=PhotoCheckResponse,
    handler=check_photo,
    card={
        "method": (
            "Sharpness: variance of the Laplacian of the grey image. Glare: share of "
            "pixels with HSV value >= 250. Brightness: mean grey level. Faces: OpenCV "
            "haarcascade_frontalface_default (Viola-Jones), scaleFactor 1.1, "
            "minNeighbors 5, smallest face 10% of the shorter side, searched on a copy "
            "at most 1024 px long."
        ),
        "implementation": "opencv-python-headless (bundled Haar cascade; nothing downloaded)",
        "defaults": {
            "min_size_px": "480x360 (either orientation)",
            "min_sharpness": 60,
            "max_glare_fraction": 0.05,
            "brightness": "40-220",
        },
        "limitations": (
            "Haar cascades find upright, roughly frontal faces only: profiles, tilted "
            "heads and heavy occlusion are missed, and false detections on textured "
            "backgrounds are possible. No anti-spoofing or liveness: a photo of a photo "
            "or of a screen passes. Sharpness depends on resolution and content, so the "
            "threshold is a heuristic. Does not compare the face with anyone."
        ),
    },
    examples=({"image_base64": _GREY_PNG_BASE64},),
)

CAPABILITIES = (DOCUMENTS, PHOTO)
