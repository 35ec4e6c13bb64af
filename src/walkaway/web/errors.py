"""The web edge's one error shape: ``{"error": code, "detail": message, "problems": [...]}``.

Walkaway's errors are translated here, once: an unknown deal is 404, invalid input
(a bad query parameter, a bad policy, import rows that fail validation) 422 with one
line per problem in ``problems``, not signed in 401, not allowed 403. API paths answer
in JSON; pages answer with an HTML page of the same status (401: the sign-in page).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from walkaway.errors import (
    Conflict,
    ImportFailed,
    InputError,
    NotFound,
    StoreError,
    WalkawayError,
)
from walkaway.wording import printable

logger = logging.getLogger("walkaway.web")
MAX_PROBLEMS = 200
# A busy store (503) is worth asking again after this long.
BUSY_RETRY_SECONDS = 5


class NotSignedIn(WalkawayError):
    """No valid session or API token (team mode)."""

    code = "not_signed_in"


class Forbidden(WalkawayError):
    """Signed in, but this is someone else's deal or a manager's action."""

    code = "forbidden"


STATUS: dict[type[WalkawayError], int] = {
    NotFound: 404,
    Conflict: 409,
    InputError: 422,
    NotSignedIn: 401,
    Forbidden: 403,
    StoreError: 503,
}
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}


def status_of(error: WalkawayError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def error_body(code: str, detail: str, problems: list[str] | None = None) -> dict[str, Any]:
    """The one error shape; a control character a file or a name put in a message is
    shown escaped, as on the command line."""
    shown = [printable(p) for p in (problems or [])[:MAX_PROBLEMS]]
    return {"error": code, "detail": printable(detail), "problems": shown}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _respond(
    request: Request, status: int, body: dict[str, Any], kept: Mapping[str, str] | None = None
) -> Response:
    """The error as JSON (API) or a page; ``kept``: headers the error carries (a 405's
    ``Allow``)."""
    headers = dict(kept or {})
    if status == 503:
        headers["Retry-After"] = str(BUSY_RETRY_SECONDS)
    if wants_json(request):
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(body, status_code=status, headers=headers)
    if status == 401:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    context = {
        "status": status,
        "error": body,
        "user": getattr(request.state, "user", None),
        "team_mode": request.app.state.settings.auth,
        "csrf_token": "",
        "as_of": None,
        "as_of_text": "",
        "as_of_label": "",
        "as_of_date": "",
        "as_of_iso": "",
        "path": request.url.path,
    }
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )


async def on_walkaway_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, WalkawayError)
    problems = error.problems if isinstance(error, ImportFailed) else []
    return _respond(request, status_of(error), error_body(error.code, str(error), problems))


def _location(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "request"


async def on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [f"{_location(e)}: {e.get('msg', 'invalid')}" for e in error.errors()]
    detail = problems[0] if len(problems) == 1 else f"{len(problems)} invalid fields"
    return _respond(request, 422, error_body("invalid_input", detail, problems))


async def on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    code = HTTP_CODES.get(error.status_code, "http_error")
    detail = str(error.detail) if error.detail else code.replace("_", " ")
    if error.status_code == 404 and detail == "Not Found":
        detail = f"nothing at {request.url.path}; the API is listed at /docs"
    headers = dict(error.headers or {})
    if error.status_code == 405:  # Starlette names the first route's methods only
        headers["Allow"] = ", ".join(sorted(_methods_at(request.app.routes, request.scope)))
        detail = (
            f"{request.method} is not answered at {request.url.path}; it answers {headers['Allow']}"
        )
    return _respond(request, error.status_code, error_body(code, detail), headers)


def _methods_at(routes: list[Any], scope: Scope) -> set[str]:
    """Every method some route answers at the request's path (whatever its method)."""
    found: set[str] = set()
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI keeps included routers whole
            found |= _methods_at(route.original_router.routes, scope)
        elif getattr(route, "methods", None) and route.matches(scope)[0] is not Match.NONE:
            found |= set(route.methods)
    return found


async def on_unexpected_error(request: Request, error: Exception) -> Response:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    body = error_body("internal_error", "something went wrong on the server; see its log")
    return _respond(request, 500, body)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WalkawayError, on_walkaway_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)
