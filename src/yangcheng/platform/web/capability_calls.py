"""Console pages calling capabilities exactly as the API would.

A page a scenario declares as data (documents, dashboards, review queues) reads and
writes only through the capabilities it names: one ``admit`` per request (scope, rate
limit, quota), metered under the capability, the signed-in developer passed on as the
caller, and the capability's own refusals shown with the words and status the API uses.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from pydantic import BaseModel, ValidationError

from yangcheng.platform.api.deps import admit
from yangcheng.platform.api.invoke import caller_of
from yangcheng.platform.catalog import Capability, InvalidInput
from yangcheng.platform.web import forms
from yangcheng.platform.web.session import Viewer, platform_of

__all__ = ["Refused", "admit_call", "call", "call_shielded", "capability_for", "shaped"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class Refused(Exception):
    """A call the platform or the capability turned down, with what to show."""

    def __init__(self, status: int, errors: list[forms.FieldError]) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors


def capability_for(request: Request, name: str) -> Capability:
    """The installed capability ``name``; a page naming a missing one is refused with 503."""
    cap = platform_of(request).registry.capabilities.get(name)
    if cap is None:
        raise Refused(
            503, [forms.FieldError("(page)", f"this page needs {name!r}, which is not installed")]
        )
    return cap


def admit_call(request: Request, viewer: Viewer, cap: Capability) -> None:
    """Scope, rate limit and quota: once per request, metered under ``cap``."""
    request.state.principal = viewer.principal
    request.state.capability = cap.name
    try:
        admit(platform_of(request), viewer.principal, cap.group)
    except HTTPException as exc:
        raise Refused(exc.status_code, [forms.FieldError("(request)", str(exc.detail))]) from exc


def call(viewer: Viewer, cap: Capability, payload: dict[str, Any]) -> dict[str, Any]:
    """Invoke ``cap`` as ``viewer``; its refusals become ``Refused(422, ...)`` naming fields."""
    try:
        response = cap.invoke(payload, caller_of(viewer.principal))
    except ValidationError as exc:
        raise Refused(422, forms.validation_field_errors(exc)) from exc
    except InvalidInput as exc:
        raise Refused(422, forms.invalid_input_errors(exc)) from exc
    result: dict[str, Any] = response.model_dump(mode="json")
    return result


def call_shielded(viewer: Viewer, cap: Capability, payload: dict[str, Any]) -> dict[str, Any]:
    """`call`, and a capability that fails outright is a 500 with a message, not a traceback.

    For pages an operator keeps open (a live dashboard, a review queue): the failure is
    logged with its traceback and the page says which capability failed.
    """
    try:
        return call(viewer, cap, payload)
    except Refused:
        raise
    except Exception as exc:
        log.exception("capability %s failed", cap.name)
        raise Refused(
            500,
            [forms.FieldError("(page)", f"{cap.name} failed ({type(exc).__name__}); see the log")],
        ) from exc


def shaped(model: type[M], answer: Any, cap: Capability, where: str = "") -> M:
    """``answer`` (or its ``where`` field) read as ``model``; anything else is a 500 naming why.

    The console draws a dashboard or a review item from what a capability returns; a
    capability whose response does not have the shape its page promises is a bug in the
    scenario, reported as such rather than as a traceback.
    """
    data = answer.get(where) if where and isinstance(answer, dict) else answer
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        why = f"{cap.name} did not answer with the {model.__name__} this page draws"
        errors = [forms.FieldError("(page)", why)]
        for e in forms.validation_field_errors(exc):
            if not where:
                field = e.field
            elif e.field.startswith("("):  # the whole field is missing or not an object
                field = where
            else:
                field = f"{where}.{e.field}"
            errors.append(forms.FieldError(field, e.message))
        raise Refused(500, errors) from exc
