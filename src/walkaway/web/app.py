"""The app factory: ``create_app(settings)`` builds the API and the dashboard.

Nothing is created at import time: the store, the review cache and the templates belong
to the app that ``create_app`` returns.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from walkaway import __version__
from walkaway.service import open_store
from walkaway.web import api, pages
from walkaway.web.apidocs import form_fields_without_null, page_list
from walkaway.web.batch import DecisionBatch
from walkaway.web.cache import ReviewCache
from walkaway.web.context import default_as_of
from walkaway.web.detail import prebuild
from walkaway.web.errors import error_body, install_error_handlers
from walkaway.web.render import make_templates
from walkaway.web.security import SecurityHeaders, SignInThrottle, answer_with_headers
from walkaway.web.settings import WebSettings

STATIC = Path(__file__).with_name("static")
SESSION_COOKIE = "walkaway_session"
SESSION_DAYS = 14
logger = logging.getLogger("walkaway.web")

DESCRIPTION = """Deal by deal: keep pursuing, re-qualify or walk away.

Every error is `{"error": code, "detail": message, "problems": [...]}` with the status
that fits: 404 unknown deal, 422 invalid input, 401 not signed in, 403 not allowed.
In team mode send `Authorization: Bearer TOKEN` (`walkaway user token NAME`).
"""


def host_name(host: str) -> str:
    """``127.0.0.1:8000`` -> ``127.0.0.1``; ``[::1]:8000`` -> ``::1``."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.split(":", 1)[0]


class HostGuard:
    """Answer only to the expected Host names (DNS rebinding cannot reach a local server)."""

    def __init__(self, app: ASGIApp, allowed: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = {h.lower() for h in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            host = Headers(scope=scope).get("host", "").lower()
            if host_name(host) not in self.allowed:
                detail = f"this server does not answer to the host {host!r}"
                response = JSONResponse(error_body("bad_host", detail), status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ServerTiming:
    """``Server-Timing: app;dur=MS`` on every answer: the time spent in the app, which a
    browser's developer tools and the benchmark read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        def timing() -> list[tuple[bytes, bytes]]:
            spent = (time.perf_counter() - began) * 1000
            return [(b"server-timing", f"app;dur={spent:.1f}".encode())]

        await answer_with_headers(self.app, scope, receive, send, timing)


def _warm(app: FastAPI) -> None:
    """Assess the pipeline once in the background, then build every open deal's JSON, so
    the first board and the first look at a deal are quick."""
    settings: WebSettings = app.state.settings

    def run() -> None:
        try:
            prebuild(app.state.cache, default_as_of(settings))
        except Exception:  # a broken store shows on the first request, with its reason
            logger.exception("warming the review cache failed")

    threading.Thread(target=run, name="walkaway-warm", daemon=True).start()


def create_app(settings: WebSettings, *, warm: bool = False) -> FastAPI:
    """The Walkaway web app (JSON API under /api, dashboard pages, /docs)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            _warm(app)
        yield
        app.state.store.close()

    app = FastAPI(
        title="Walkaway",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served by the pages' router, behind the sign-in in team mode
        lifespan=lifespan,
    )
    store = open_store(settings.db_url, copy_dir=settings.copy_dir)
    app.state.settings = settings
    app.state.store = store
    app.state.cache = ReviewCache(store, settings.cache_check_seconds)
    app.state.decision_batch = DecisionBatch()
    app.state.templates = make_templates()
    app.state.sign_in_throttle = SignInThrottle()
    install_error_handlers(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_DAYS * 86_400,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    if "*" not in settings.allowed_hosts:
        app.add_middleware(HostGuard, allowed=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ServerTiming)
    if settings.forwarded_allow_ips:  # outermost: the client is known before anything
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (*api.ROUTERS, *pages.ROUTERS):
        app.include_router(router)
    app.openapi = _with_pages(app)  # type: ignore[method-assign]
    return app


def _with_pages(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """FastAPI's schema of the API, with the routes that are not API (the pages) listed
    as such under ``x-pages``: every route the app serves is in the document; a form's
    optional field is never null (:func:`walkaway.web.apidocs.form_fields_without_null`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = form_fields_without_null(build())
            schema["x-pages"] = page_list(app.routes)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi
