"""Request dependencies: who is calling, and may they."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, HTTPException, Request

from yangcheng.platform.auth import Principal
from yangcheng.platform.state import Platform


async def get_platform(request: Request) -> Platform:
    # async on purpose: a plain attribute read needs no trip to the thread pool
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def raw_key_from(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


def resolve_principal(platform: Platform, request: Request, raw_key: str | None) -> Principal:
    if not raw_key:
        raise HTTPException(
            401,
            "missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with platform.db.session() as s:
        principal = platform.authenticator.authenticate(s, raw_key)
    if principal is None:
        raise HTTPException(
            401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"}
        )
    request.state.principal = principal
    return principal


def current_principal(
    request: Request,
    platform: PlatformDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    return resolve_principal(platform, request, raw_key_from(authorization, x_api_key))


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def admit(platform: Platform, principal: Principal, *scopes: str | None) -> None:
    """Scopes, then rate limit, then daily quota; refusals say which and when to retry.

    Call it once per request: each call takes one unit of rate limit and quota.
    """
    for scope in scopes:
        if scope is not None and not principal.allows(scope):
            raise HTTPException(403, f"this key lacks the '{scope}' scope")
    limit = principal.rate_limit_per_minute
    if limit is None:
        limit = platform.settings.rate_limit_per_minute
    refusal = platform.rate_limiter.check(principal.key_id, limit)
    if refusal is None:
        quota = principal.daily_quota
        if quota is None:
            quota = platform.settings.default_daily_quota
        with platform.db.session() as s:
            refusal = platform.quotas.check(s, principal.key_id, quota, platform.usage.flush)
    if refusal is not None:
        raise HTTPException(
            429,
            f"{refusal.reason} exceeded; retry after {refusal.retry_after_s} s",
            headers={"Retry-After": str(refusal.retry_after_s)},
        )


def scoped(scope: str | None) -> Any:
    """Dependency: an admitted principal holding ``scope`` (None: any valid key)."""

    # One synchronous dependency (one thread-pool hop) resolves the key and admits it.
    def dependency(
        request: Request,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
        x_api_key: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Principal:
        platform: Platform = request.app.state.platform
        principal = resolve_principal(platform, request, raw_key_from(authorization, x_api_key))
        admit(platform, principal, scope)
        return principal

    return Depends(dependency)
