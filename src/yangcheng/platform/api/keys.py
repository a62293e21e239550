"""Key management (admin scope) and `GET /v1/me`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import func, select

from yangcheng.platform import auth
from yangcheng.platform.api.deps import PlatformDep, scoped
from yangcheng.platform.auth import InvalidScope, Principal
from yangcheng.platform.schemas import KeyCreate, KeyCreated, KeyInfo, Me
from yangcheng.platform.store.models import ApiKey, Developer, UsageEvent

router = APIRouter(prefix="/v1", tags=["keys"])


def key_info(key: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        prefix=key.prefix,
        name=key.name,
        scopes=key.scope_list,
        developer_email=key.developer.email,
        organisation=key.developer.organisation.name,
        daily_quota=key.daily_quota,
        rate_limit_per_minute=key.rate_limit_per_minute,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
    )


@router.get("/me", response_model=Me, summary="The calling key and its usage today")
def me(platform: PlatformDep, principal: Principal = scoped(None)) -> Me:
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    platform.usage.flush()
    with platform.db.session() as s:
        dev = s.get(Developer, principal.developer_id)
        assert dev is not None
        calls = s.scalar(
            select(func.count(UsageEvent.id)).where(
                UsageEvent.api_key_id == principal.key_id, UsageEvent.created_at >= start
            )
        )
        return Me(
            key_prefix=principal.key_prefix,
            developer_email=dev.email,
            organisation=dev.organisation.name,
            scopes=sorted(principal.scopes),
            daily_quota=principal.daily_quota
            if principal.daily_quota is not None
            else platform.settings.default_daily_quota,
            calls_today=calls or 0,
        )


@router.get("/keys", response_model=list[KeyInfo], summary="All keys (admin)")
def list_keys(platform: PlatformDep, _admin: Principal = scoped("admin")) -> list[KeyInfo]:
    with platform.db.session() as s:
        return [key_info(k) for k in s.scalars(select(ApiKey).order_by(ApiKey.id))]


@router.post(
    "/keys",
    response_model=KeyCreated,
    status_code=201,
    summary="Create a key (admin); the raw key is in this response only",
)
def create_key(
    body: KeyCreate, platform: PlatformDep, _admin: Principal = scoped("admin")
) -> KeyCreated:
    try:
        with platform.db.session() as s:
            raw, key = auth.create_key(
                s,
                email=body.email,
                organisation=body.organisation,
                scopes=body.scopes,
                name=body.name,
                daily_quota=body.daily_quota,
                rate_limit_per_minute=body.rate_limit_per_minute,
            )
            return KeyCreated(key=raw, **key_info(key).model_dump())
    except InvalidScope as exc:
        raise HTTPException(
            422, [{"loc": ["body", "scopes"], "msg": str(exc), "type": "invalid_scope"}]
        ) from exc
    except ValueError as exc:
        field, _, msg = str(exc).partition(": ")
        raise HTTPException(
            422, [{"loc": ["body", field], "msg": msg or str(exc), "type": "value_error"}]
        ) from exc


@router.delete(
    "/keys/{key_id}",
    response_model=KeyInfo,
    summary="Revoke a key (admin)",
    responses={404: {"description": "No such key"}},
)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    platform: PlatformDep,
    _admin: Principal = scoped("admin"),
) -> KeyInfo:
    with platform.db.session() as s:
        key = auth.revoke_key(s, key_id)
        if key is None:
            raise HTTPException(404, f"no key with id {key_id}")
        return key_info(key)
