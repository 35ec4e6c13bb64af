"""Signing in and out (team mode), and the API's list of endpoints."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from walkaway.service.users import check_password
from walkaway.web.apidocs import endpoints
from walkaway.web.auth import Csrf, check_form_csrf, sign_in, sign_out
from walkaway.web.context import CurrentUser, StoreDep, get_settings
from walkaway.web.render import render
from walkaway.web.security import SignInThrottle

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query()]


def _local_path(target: str | None) -> str:
    """Only a path on this site (no scheme, no //host) is followed after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse, response_model=None)
def login_page(request: Request, next: Text = None) -> Response:
    if not get_settings(request).auth:
        return RedirectResponse("/", status_code=303)
    context = {"next": _local_path(next), "login_error": None}
    return render(request, "login.html", context, public=True)


@router.post("/login", response_model=None)
def login_submit(
    request: Request,
    store: StoreDep,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    csrf_token: Csrf = "",
) -> Response:
    check_form_csrf(request, csrf_token)
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    address = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(name, address)
    if wait is not None:
        minutes = math.ceil(wait / 60)
        error = f"Too many failed sign-ins: try again in {minutes} minute(s)."
        context = {"next": _local_path(next), "login_error": error}
        page = render(request, "login.html", context, status=429, public=True)
        page.headers["Retry-After"] = str(wait)
        return page
    user = check_password(store, name, password)
    if user is None:
        throttle.failed(name, address)
        context = {"next": _local_path(next), "login_error": "Unknown name or wrong password."}
        return render(request, "login.html", context, status=401, public=True)
    throttle.succeeded(name)
    sign_in(request, user)
    return RedirectResponse(_local_path(next), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: Csrf = "") -> RedirectResponse:
    check_form_csrf(request, csrf_token)
    sign_out(request)
    return RedirectResponse("/login" if get_settings(request).auth else "/", status_code=303)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request, user: CurrentUser) -> HTMLResponse:
    """The API, listed from the OpenAPI schema (no JavaScript, nothing from a CDN); in
    team mode for those signed in, as everything but the sign-in and the health check."""
    context = {"endpoints": endpoints(request.app.openapi())}
    return render(request, "docs.html", context)


@router.get("/openapi.json")
def openapi_document(request: Request, user: CurrentUser) -> JSONResponse:
    """The API's contract (OpenAPI 3); in team mode for those signed in."""
    return JSONResponse(request.app.openapi())
