"""Identity checks: document numbers and document-photo quality; liveness and voice to follow."""

from yangcheng.finance.identity.documents import (
    CheckResult,
    check_bank_card,
    check_mobile,
    check_resident_id,
    check_uscc,
)
from yangcheng.finance.identity.photo import FaceBox, PhotoQuality, assess_photo, decode_image

__all__ = [
    "CheckResult",
    "FaceBox",
    "PhotoQuality",
    "assess_photo",
    "check_bank_card",
    "check_mobile",
    "check_resident_id",
    "check_uscc",
    "decode_image",
]
