"""The web console under /console: sign-in here, each page group in its own module."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from yangcheng.platform.web import (
    catalog_pages,
    dashboard_pages,
    document_pages,
    jobs_pages,
    review_pages,
    usage_pages,
)
from yangcheng.platform.web.render import STATIC_DIR, render
from yangcheng.platform.web.session import (
    COOKIE,
    SignInRequired,
    ViewerDep,
    authenticate,
    clear_key_cookie,
    login_redirect,
    platform_of,
    safe_next,
    set_key_cookie,
)

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    if authenticate(platform_of(request), request.cookies.get(COOKIE)) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"error": None, "next": safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/console",
) -> Response:
    # No length limit in the signature: a bad paste must get this page, not a JSON 422.
    key = key.strip()[:300]
    viewer = authenticate(platform_of(request), key)
    if viewer is None:
        # Never echo the key back: the field is re-shown empty.
        error = "That key is invalid or revoked." if key else "Enter your API key."
        return render(
            request, "login.html", {"error": error, "next": safe_next(next)}, status_code=400
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    set_key_cookie(request, response, key)
    return response


@router.api_route("/logout", methods=["GET", "POST"])
def logout() -> Response:
    response = RedirectResponse("/console/login", status_code=303)
    clear_key_cookie(response)
    return response


def _not_found_page(request: Request, viewer: ViewerDep, path: str) -> Response:
    if path == "":
        return RedirectResponse("/console", status_code=307)
    return render(
        request,
        "not_found.html",
        {"viewer": viewer, "what": "page", "name": "/console/" + path},
        status_code=404,
    )


def mount_console(app: FastAPI) -> None:
    """Called by `create_app`: the console is one more client of the app's `Platform`.

    It reuses the API's keys, scopes, quotas, metering and job service rather
    than keeping state of its own, so the two can never disagree.
    """

    async def _sign_in(request: Request, _: Exception) -> Response:
        return await run_in_threadpool(login_redirect, request)

    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(router)
    app.include_router(catalog_pages.router)
    app.include_router(jobs_pages.router)
    app.include_router(usage_pages.router)
    app.include_router(document_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(review_pages.router)
    # Last, so that it only catches what no page above claimed.
    app.add_api_route(
        "/console/{path:path}", _not_found_page, methods=["GET"], include_in_schema=False
    )
    app.add_exception_handler(SignInRequired, _sign_in)
