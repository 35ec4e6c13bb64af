"""Dashboard pages: the review board, a deal, import, policy, sign-in and the API list.

Every page works without JavaScript; forms post back with the session's CSRF token.
The journal, loss review, backtest and leadership pages live in ``pages_more``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from walkaway.errors import ImportFailed, InputError
from walkaway.importers import FORMATS
from walkaway.policy import default_policy_text
from walkaway.service import Store, save_policy, stored_policy_text
from walkaway.service.decisions import human_decisions, load_decisions
from walkaway.service.readiness import readiness_note
from walkaway.service.users import User, check_password
from walkaway.web import board
from walkaway.web.apidocs import endpoints
from walkaway.web.auth import check_form_csrf, require_manager, sign_in, sign_out
from walkaway.web.cache import filtered
from walkaway.web.charts import deal_history, forecast_bars, value_by_call
from walkaway.web.context import (
    TONES,
    AsOf,
    CacheDep,
    CurrentUser,
    StoreDep,
    deal_view,
    exit_message_for,
    get_settings,
    owner_filter,
)
from walkaway.web.history import WEEKS, probability_history
from walkaway.web.present import as_of_value
from walkaway.web.render import render
from walkaway.web.security import SignInThrottle
from walkaway.web.uploads import import_uploads

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query()]
Csrf = Annotated[str, Form()]
TIMELINE_ROWS = 15


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _board_link(as_of: datetime, filters: dict[str, str], page: int) -> Callable[..., str]:
    """A function for the template: this board's URL with some parameters changed."""

    def link(**changes: object) -> str:
        params: dict[str, object] = {"as_of": as_of_value(as_of), **filters, "page": page}
        params.update(changes)
        kept = {
            k: v
            for k, v in params.items()
            if k == "as_of" or (v not in ("", None) and not (k == "page" and v == 1))
        }
        return "/?" + urlencode(kept)

    return link


@router.get("/", response_class=HTMLResponse)
def board_page(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    cache: CacheDep,
    as_of: AsOf,
    owner: Text = None,
    stage: Text = None,
    call: Text = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    """The monthly review on one page: what to do with each deal, most urgent first."""
    cached = cache.get(as_of)
    owner, stage, call = owner_filter(user, _blank(owner)), _blank(stage), _blank(call)
    result = filtered(cached, owner, stage)
    summary = result.summary
    decided = human_decisions(store, as_of)
    shown = board.page_of(result.deals, call, page, get_settings(request).page_size, decided)
    filters = {"owner": owner or "", "stage": stage or "", "call": call or ""}
    context: dict[str, Any] = {
        "summary": summary,
        "page": shown,
        "filters": filters,
        "link": _board_link(as_of, filters, shown.number),
        "choices": board.choices(filtered(cached, owner_filter(user, None), None)),
        "per_rep": board.per_rep(result.deals),
        "per_stage": board.per_stage(result.deals),
        "value_chart": value_by_call(board.value_by_call(result.deals), summary["currency"]),
        "forecast_chart": forecast_bars(
            summary["forecast"], summary["forecast_without_walk_aways"], summary["currency"]
        ),
    }
    return render(request, "board.html", context, as_of=as_of)


def deal_context(
    request: Request, deal_id: str, user: User, as_of: datetime, tone: str = "warm"
) -> dict[str, Any]:
    """Everything the deal page shows (also used to show the page again after a bad form)."""
    store, cache = request.app.state.store, request.app.state.cache
    cached = cache.get(as_of)
    view = deal_view(store, cached, deal_id, as_of, user)
    created = view.deal["created_at"]
    points = probability_history(cache, cached, deal_id, as_of, created)
    start = max(created, as_of - timedelta(weeks=WEEKS))
    timeline = view.timeline.to_dicts()
    tone = tone if tone in TONES else "warm"
    return {
        "a": view.assessment,
        "e": view.assessment.economics,
        "readiness": readiness_note(view.readiness, view.assessment),
        "deal": view.deal,
        "timeline": list(reversed(timeline[-TIMELINE_ROWS:])),
        "activity_total": len(timeline),
        "chart": deal_history(points, timeline, start, as_of),
        "tone": tone,
        "message": exit_message_for(view, cached, tone),
        "journal": decisions_on(store, deal_id),
        "decision_error": None,
        "decided": False,
    }


@router.get("/deals/{deal_id}", response_class=HTMLResponse)
def deal_page(
    request: Request,
    deal_id: str,
    user: CurrentUser,
    as_of: AsOf,
    tone: Annotated[str, Query()] = "warm",
) -> HTMLResponse:
    """One deal: the call and why, flags with evidence, economics, its history, the
    decision form and the exit message."""
    context = deal_context(request, deal_id, user, as_of, tone)
    return render(request, "deal.html", context, as_of=as_of)


def decisions_on(store: Store, deal_id: str) -> list[dict[str, Any]]:
    """The deal's recorded decisions, newest first."""
    frame = load_decisions(store).filter(pl.col("deal_id") == deal_id)
    return list(reversed(frame.drop("snapshot").to_dicts()))


@router.get("/import", response_class=HTMLResponse)
def import_page(request: Request, user: CurrentUser) -> HTMLResponse:
    return render(request, "import.html", {"formats": ["auto", *FORMATS], "result": None})


@router.post("/import", response_class=HTMLResponse)
def import_submit(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    deals: Annotated[UploadFile, File()],
    activities: Annotated[UploadFile | None, File()] = None,
    format: Annotated[str, Form()] = "auto",
    csrf_token: Csrf = "",
) -> HTMLResponse:
    """Upload a CRM export; any invalid row lists every problem and writes nothing."""
    check_form_csrf(request, csrf_token)
    require_manager(user, "import a pipeline")
    context: dict[str, Any] = {"formats": ["auto", *FORMATS], "result": None, "format": format}
    try:
        context["result"] = import_uploads(store, deals, activities, format, get_settings(request))
    except ImportFailed as error:
        context["problems"] = error.problems
        context["problem_total"] = error.total
        return render(request, "import.html", context, status=422)
    except InputError as error:
        context["problems"] = [str(error)]
        context["problem_total"] = 1
        return render(request, "import.html", context, status=422)
    request.app.state.cache.invalidate()
    return render(request, "import.html", context)


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request, user: CurrentUser, store: StoreDep) -> HTMLResponse:
    text = stored_policy_text(store)
    context = {
        "source": "default" if text is None else "stored",
        "toml": default_policy_text() if text is None else text,
        "saved": request.query_params.get("saved") == "1",
        "policy_error": None,
    }
    return render(request, "policy.html", context)


@router.post("/policy", response_model=None)
def policy_submit(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    toml: Annotated[str, Form()],
    csrf_token: Csrf = "",
) -> Response:
    """Save an edited policy (a manager's); a bad one is shown again with the reason."""
    check_form_csrf(request, csrf_token)
    require_manager(user, "change the policy")
    try:
        save_policy(store, toml.replace("\r\n", "\n"))
    except InputError as error:
        context = {"source": "edited", "toml": toml, "saved": False, "policy_error": str(error)}
        return render(request, "policy.html", context, status=422)
    request.app.state.cache.invalidate()
    return RedirectResponse("/policy?saved=1", status_code=303)


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
def api_docs(request: Request) -> HTMLResponse:
    """The API, listed from the OpenAPI schema (no JavaScript, nothing from a CDN)."""
    context = {"endpoints": endpoints(request.app.openapi())}
    return render(request, "docs.html", context, public=True)
