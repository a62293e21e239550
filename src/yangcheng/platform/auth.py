"""Organisations, developers and API keys.

A key is ``yc_<prefix>_<secret>``: the prefix finds the row, the secret is
checked against a scrypt hash. The raw key is returned once, at creation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from yangcheng.platform.catalog import SCOPE_GROUPS
from yangcheng.platform.store.models import ApiKey, Developer, Organisation

ALL_SCOPES = (*SCOPE_GROUPS, "jobs", "admin")
_KEY_RE = re.compile(r"^yc_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvalidScope(ValueError):
    def __init__(self, scope: str) -> None:
        super().__init__(f"unknown scope {scope!r}; choose from {', '.join(ALL_SCOPES)} or '*'")
        self.scope = scope


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved once per request from the key."""

    key_id: int
    key_prefix: str
    developer_id: int
    organisation_id: int
    scopes: frozenset[str]
    daily_quota: int | None
    rate_limit_per_minute: int | None
    developer_email: str = ""
    organisation_name: str = ""

    def allows(self, scope: str) -> bool:
        return "*" in self.scopes or scope in self.scopes


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    if algo != "scrypt":
        return False
    digest = hashlib.scrypt(
        secret.encode(),
        salt=base64.b64decode(salt_b64),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=32,
        maxmem=2**26,
    )
    return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def normalise_scopes(scopes: list[str] | str) -> list[str]:
    items = scopes.split(",") if isinstance(scopes, str) else scopes
    out: list[str] = []
    for raw in items:
        scope = raw.strip()
        if not scope:
            continue
        if scope != "*" and scope not in ALL_SCOPES:
            raise InvalidScope(scope)
        if scope not in out:
            out.append(scope)
    return out


def get_or_create_developer(
    session: Session, *, email: str, organisation: str, name: str = ""
) -> Developer:
    email = email.strip().lower()
    if not _EMAIL_RE.match(email):
        raise ValueError(f"email: {email!r} is not an e-mail address")
    organisation = organisation.strip()
    if not organisation:
        raise ValueError("organisation: must not be empty")
    dev = session.scalar(select(Developer).where(Developer.email == email))
    if dev is not None:
        return dev
    org = session.scalar(select(Organisation).where(Organisation.name == organisation))
    if org is None:
        org = Organisation(name=organisation)
        session.add(org)
        session.flush()
    dev = Developer(email=email, name=name, organisation_id=org.id)
    session.add(dev)
    session.flush()
    return dev


def create_key(
    session: Session,
    *,
    email: str,
    organisation: str,
    scopes: list[str] | str,
    name: str = "",
    daily_quota: int | None = None,
    rate_limit_per_minute: int | None = None,
) -> tuple[str, ApiKey]:
    """Create a key; the raw key in the result is the only copy there will ever be."""
    scope_list = normalise_scopes(scopes)
    if not scope_list:
        raise InvalidScope("")
    dev = get_or_create_developer(session, email=email, organisation=organisation)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        prefix=prefix,
        key_hash=hash_secret(secret),
        name=name,
        scopes=",".join(scope_list),
        developer_id=dev.id,
        daily_quota=daily_quota,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    session.add(key)
    session.flush()
    return f"yc_{prefix}_{secret}", key


def revoke_key(session: Session, key_id_or_prefix: str | int) -> ApiKey | None:
    key = _find_key(session, key_id_or_prefix)
    if key is not None and key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
    return key


def _find_key(session: Session, key_id_or_prefix: str | int) -> ApiKey | None:
    """By prefix first: a prefix is 12 hex digits, and about 1 in 280 has no letter in it, so
    a string of digits is an id only where no key has it as its prefix."""
    if isinstance(key_id_or_prefix, int):
        return session.get(ApiKey, key_id_or_prefix)
    found = session.scalar(select(ApiKey).where(ApiKey.prefix == key_id_or_prefix))
    if found is None and key_id_or_prefix.isdigit():
        return session.get(ApiKey, int(key_id_or_prefix))
    return found


class Authenticator:
    """Checks raw keys; remembers recent successes so scrypt runs once per key.

    The cache holds a SHA-256 of the raw key, never the key, and revocation is
    still read from the database on every call.
    """

    def __init__(self, ttl_s: float = 300.0, max_failures_per_minute: int = 10) -> None:
        self._ttl_s = ttl_s
        self._verified: dict[str, tuple[int, float]] = {}
        self._failures: dict[str, list[float]] = {}
        self._max_failures = max_failures_per_minute
        self._lock = threading.Lock()

    def _throttled(self, prefix: str, now: float) -> bool:
        """Wrong secrets for one prefix beyond the limit are refused without scrypt.

        The prefix is public (it is listed with the key), so without this anyone
        could make every request cost a full scrypt computation.
        """
        with self._lock:
            recent = [t for t in self._failures.get(prefix, []) if now - t < 60.0]
            self._failures[prefix] = recent
            return len(recent) >= self._max_failures

    def _fail(self, prefix: str, now: float) -> None:
        with self._lock:
            self._failures.setdefault(prefix, []).append(now)

    def authenticate(self, session: Session, raw_key: str) -> Principal | None:
        match = _KEY_RE.match(raw_key.strip())
        if match is None:
            return None
        prefix, secret = match.groups()
        key = session.scalar(
            select(ApiKey)
            .where(ApiKey.prefix == prefix)
            .options(joinedload(ApiKey.developer).joinedload(Developer.organisation))
        )
        if key is None or key.revoked_at is not None:
            return None
        fingerprint = hashlib.sha256(raw_key.encode()).hexdigest()
        now = time.monotonic()
        with self._lock:
            cached = self._verified.get(fingerprint)
        if cached is None or cached[0] != key.id or now - cached[1] > self._ttl_s:
            if self._throttled(prefix, now) or not verify_secret(secret, key.key_hash):
                self._fail(prefix, now)
                return None
            with self._lock:
                self._verified[fingerprint] = (key.id, now)
        dev = key.developer
        return Principal(
            key_id=key.id,
            key_prefix=key.prefix,
            developer_id=dev.id,
            organisation_id=dev.organisation_id,
            scopes=frozenset(key.scope_list),
            daily_quota=key.daily_quota,
            rate_limit_per_minute=key.rate_limit_per_minute,
            developer_email=dev.email,
            organisation_name=dev.organisation.name,
        )
