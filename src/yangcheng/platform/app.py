"""The FastAPI app factory: `create_app(settings)`."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yangcheng import __version__
from yangcheng.config import Settings
from yangcheng.platform.api import catalog, invoke, jobs, keys, stats
from yangcheng.platform.catalog import Registry, UnknownCapability, discover
from yangcheng.platform.compute import Executor, make_executor
from yangcheng.platform.jobs import JobService
from yangcheng.platform.state import Platform
from yangcheng.platform.store.db import Database
from yangcheng.platform.usage_log import UsageRecorder

log = logging.getLogger(__name__)

METERED_PREFIXES = ("/v1/", "/console/try/")
_INVOKE_PATH = re.compile(r"^/v1/capabilities/(?P<name>[^/]+):invoke$")


def create_app(
    settings: Settings | None = None,
    *,
    registry: Registry | None = None,
    executor: Executor | None = None,
) -> FastAPI:
    """Build the platform. The database must already be migrated (`yangcheng db upgrade`)."""
    settings = settings or Settings()
    registry = registry if registry is not None else discover()
    registry.configure(settings.home)
    db = Database(settings.resolved_database_url)
    executor = executor or make_executor(settings)
    platform = Platform(
        settings=settings,
        db=db,
        registry=registry,
        jobs=JobService(db, registry, executor, settings),
        usage=UsageRecorder(db),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(platform.jobs.recover)
        if settings.demo_data:
            from yangcheng.platform.demo import seed_demo

            await run_in_threadpool(seed_demo, platform)
        yield
        await run_in_threadpool(executor.shutdown)
        await run_in_threadpool(platform.usage.close)
        db.dispose()

    app = FastAPI(
        title="Yangcheng",
        version=__version__,
        description="Open AI platform: finance risk control, X-ray security, education, "
        "radiotherapy. Authenticate with `Authorization: Bearer <key>`.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.platform = platform
    _mount_offline_docs(app)
    app.include_router(stats.router)
    app.include_router(catalog.router)
    app.include_router(invoke.build_router(registry))
    app.include_router(jobs.router)
    app.include_router(keys.router)

    from yangcheng.platform.web.routes import mount_console

    mount_console(app)

    @app.exception_handler(UnknownCapability)
    async def _unknown(_: Request, exc: UnknownCapability) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    app.add_middleware(MeteringMiddleware, platform=platform)

    return app


def _mount_offline_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from files shipped in a package: nothing from a CDN."""
    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    static = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-static", StaticFiles(directory=static), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Yangcheng API",
            swagger_js_url="/docs-static/swagger-ui-bundle.js",
            swagger_css_url="/docs-static/swagger-ui.css",
            swagger_favicon_url="/docs-static/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="Yangcheng API",
            redoc_js_url="/docs-static/redoc.standalone.js",
            redoc_favicon_url="/docs-static/favicon.png",
            with_google_fonts=False,
        )


class MeteringMiddleware:
    """Records every API call (who, capability, status, latency) without delaying it."""

    def __init__(self, app: ASGIApp, platform: Platform) -> None:
        self.app = app
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            state = scope.get("state") or {}
            path = scope["path"]
            if path.startswith(METERED_PREFIXES) or "capability" in state:
                latency_ms = (time.perf_counter() - start) * 1000.0
                self.platform.usage.submit(
                    _event(self.platform, scope["method"], path, state, status, latency_ms)
                )


def _event(
    platform: Platform,
    method: str,
    path: str,
    state: dict[str, Any],
    status_code: int,
    latency_ms: float,
) -> dict[str, Any]:
    principal = state.get("principal")
    capability = state.get("capability")
    match = _INVOKE_PATH.match(path)
    if capability is None and match and match["name"] in platform.registry.capabilities:
        capability = match["name"]
    return {
        "api_key_id": principal.key_id if principal else None,
        "developer_id": principal.developer_id if principal else None,
        "organisation_id": principal.organisation_id if principal else None,
        "method": method,
        "path": path[:500],
        "capability": capability,
        "status_code": status_code,
        "latency_ms": latency_ms,
        "created_at": datetime.now(UTC),
    }
