"""`POST /v1/capabilities/{name}:invoke`: one typed route per capability, plus a 404 for the rest.

This module deliberately has no ``from __future__ import annotations``: the
endpoint signatures are built at run time from each capability's models, and
FastAPI must see the real classes, not strings.
"""

from typing import Any

from fastapi import APIRouter, Body, HTTPException
from pydantic import BaseModel

from yangcheng.platform.api.deps import scoped
from yangcheng.platform.auth import Principal
from yangcheng.platform.catalog import Caller, Capability, InvalidInput, Registry


def caller_of(principal: Principal) -> Caller:
    return Caller(principal.developer_email, principal.organisation_name, principal.key_prefix)


def jobs_only_message(cap: Capability) -> str:
    return (
        f"{cap.name} runs for minutes or more, so it runs as a job: POST /v1/jobs with "
        f'{{"capability": "{cap.name}", "items": [<this request>]}} and follow the job'
    )


def _endpoint_for(cap: Capability) -> Any:
    request_model = cap.request_model

    def invoke(
        body: request_model = Body(...),  # type: ignore[valid-type]
        principal: Principal = scoped(cap.group),
    ) -> BaseModel:
        # Admission (scope, rate limit, quota) is a dependency, so it is
        # decided before the body is judged: malformed calls count too.
        if cap.jobs_only:
            raise HTTPException(409, jobs_only_message(cap))
        try:
            return cap.invoke(body, caller_of(principal))
        except InvalidInput as exc:
            raise HTTPException(
                422,
                [
                    {
                        "loc": ["body", *exc.field.split(".")],
                        "msg": exc.reason,
                        "type": "invalid_input",
                    }
                ],
            ) from exc

    invoke.__name__ = "invoke_" + cap.name.replace(".", "_").replace("-", "_")
    return invoke


def build_router(registry: Registry) -> APIRouter:
    router = APIRouter(prefix="/v1/capabilities")
    for cap in registry.capabilities.values():
        router.add_api_route(
            f"/{cap.name}:invoke",
            _endpoint_for(cap),
            methods=["POST"],
            response_model=cap.response_model,
            summary=cap.summary,
            description=cap.description,
            tags=[cap.group],
            responses={
                401: {"description": "Missing or invalid key"},
                403: {"description": "Key lacks the scope"},
                429: {"description": "Rate limit or quota exceeded"},
                **(
                    {409: {"description": "Runs only as a job: POST /v1/jobs"}}
                    if cap.jobs_only
                    else {}
                ),
            },
        )

    @router.post(
        "/{name}:invoke",
        tags=["catalog"],
        summary="Invoke a capability by name (404 when unknown)",
        responses={404: {"description": "No such capability"}},
        include_in_schema=False,
    )
    def unknown(name: str) -> None:
        raise HTTPException(404, f"no capability named {name!r}")

    return router
