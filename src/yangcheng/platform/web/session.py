"""Who is looking at the console: the API key held in the ``yc_key`` cookie.

The cookie carries the raw key because the platform keeps only its hash; it is
HttpOnly (page scripts cannot read it), SameSite=Strict (other sites cannot
make the browser send it) and scoped to /console (API calls never see it).
The key is checked on every request, so revoking it signs the console out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from yangcheng.platform.auth import Principal
from yangcheng.platform.state import Platform
from yangcheng.platform.store.models import Developer
from yangcheng.platform.web.render import is_htmx

COOKIE = "yc_key"
COOKIE_PATH = "/console"
LOGIN_PATH = "/console/login"


@dataclass(frozen=True)
class Viewer:
    """The signed-in developer, with what the layout needs to greet them."""

    principal: Principal
    email: str
    organisation: str

    @property
    def is_admin(self) -> bool:
        return self.principal.allows("admin")

    def may(self, scope: str) -> bool:
        return self.principal.allows(scope)

    @property
    def owner_filter(self) -> int | None:
        """The developer id to filter by; None lets admins see everyone's."""
        return None if self.is_admin else self.principal.developer_id


class SignInRequired(Exception):
    """Raised by any console route reached without a valid key."""


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def authenticate(platform: Platform, raw_key: str | None) -> Viewer | None:
    if not raw_key:
        return None
    with platform.db.session() as s:
        principal = platform.authenticator.authenticate(s, raw_key)
        if principal is None:
            return None
        dev = s.get(Developer, principal.developer_id)
        if dev is None:
            return None
        return Viewer(principal=principal, email=dev.email, organisation=dev.organisation.name)


def current_viewer(request: Request) -> Viewer:
    viewer = authenticate(platform_of(request), request.cookies.get(COOKIE))
    if viewer is None:
        raise SignInRequired()
    request.state.principal = viewer.principal
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def safe_next(target: str | None) -> str:
    """Only console paths on this site: a login link must not become an open redirect."""
    if not target:
        return "/console"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console"):
        return "/console"
    if "\\" in target or ".." in parts.path or parts.path.startswith(LOGIN_PATH):
        return "/console"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def login_redirect(request: Request) -> Response:
    """Send the browser to the login page, then back to where it was going."""
    if is_htmx(request):
        # A fragment request must not swap the login page into a table cell:
        # htmx follows HX-Redirect with a full page load instead.
        current = request.headers.get("HX-Current-URL", "")
        target = safe_next(urlsplit(current).path if current else None)
        response: Response = Response(
            status_code=401,
            headers={"HX-Redirect": f"{LOGIN_PATH}?{urlencode({'next': target})}"},
        )
    else:
        target = safe_next(str(request.url.path) if request.method == "GET" else None)
        if request.method == "GET" and request.url.query:
            target = safe_next(f"{request.url.path}?{request.url.query}")
        url = LOGIN_PATH if target == "/console" else f"{LOGIN_PATH}?{urlencode({'next': target})}"
        response = RedirectResponse(url, status_code=303)
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def set_key_cookie(request: Request, response: Response, raw_key: str) -> None:
    response.set_cookie(
        COOKIE,
        raw_key,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_key_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
