"""Masking and salted hashing of card and ID numbers.

Decision logs, lists and audit records must not hold a raw card or ID number
(PCI DSS 3.4, China's PIPL); they hold a mask for people and a keyed hash for
joins.
"""

from __future__ import annotations

import hashlib
import hmac


def normalise_number(value: str) -> str:
    """Spaces and dashes are how people write card and ID numbers, not part of them."""
    return "".join(value.split()).replace("-", "").upper()


def mask_number(value: str, keep_start: int = 4, keep_end: int = 4) -> str:
    """'6222021234563446' -> '6222********3446'; short values keep less so most is hidden."""
    text = normalise_number(value)
    if len(text) <= keep_start + keep_end:
        keep_start, keep_end = 0, min(2, len(text) // 3)
    hidden = len(text) - keep_start - keep_end
    return text[:keep_start] + "*" * hidden + (text[len(text) - keep_end :] if keep_end else "")


def keyed_hash(value: str, salt: bytes) -> str:
    """HMAC-SHA256 of the compacted value: equal numbers give equal hashes, per salt."""
    return hmac.new(salt, normalise_number(value).encode(), hashlib.sha256).hexdigest()


SENSITIVE_FIELDS = frozenset(
    {"card_number", "pan", "resident_id", "id_number", "bank_card", "account_number"}
)


def redact(record: dict[str, object], salt: bytes) -> dict[str, object]:
    """A copy safe to log: sensitive fields become {'mask': ..., 'hash': ...}."""
    out: dict[str, object] = {}
    for key, value in record.items():
        if key in SENSITIVE_FIELDS and isinstance(value, str):
            out[key] = {"mask": mask_number(value), "hash": keyed_hash(value, salt)}
        else:
            out[key] = value
    return out
