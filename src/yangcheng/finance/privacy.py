"""Masking and salted hashing of card and ID numbers.

Decision logs, lists and audit records must not hold a raw card or ID number
(PCI DSS 3.4, China's PIPL); they hold a mask for people and a keyed hash for
joins.
"""

from __future__ import annotations

import hashlib
import hmac


def mask_number(value: str, keep_head: int = 4, keep_tail: int = 4) -> str:
    """'6222020200112233446' -> '6222***********3446'; short values are fully masked."""
    compact = "".join(value.split())
    if len(compact) <= keep_head + keep_tail:
        return "*" * len(compact)
    hidden = len(compact) - keep_head - keep_tail
    return compact[:keep_head] + "*" * hidden + compact[len(compact) - keep_tail :]


def keyed_hash(value: str, salt: bytes) -> str:
    """HMAC-SHA256 of the compacted value: equal numbers give equal hashes, per salt."""
    compact = "".join(value.split()).upper()
    return hmac.new(salt, compact.encode(), hashlib.sha256).hexdigest()


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
