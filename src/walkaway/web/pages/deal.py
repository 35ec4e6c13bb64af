"""A deal's page: the call and why, its history, the decision form and the exit message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from walkaway.decision.messages import pursue_warning
from walkaway.errors import InputError
from walkaway.models import Tone
from walkaway.service import Store
from walkaway.service.closed import ClosedDeal, closed_deal
from walkaway.service.decisions import load_decisions
from walkaway.service.journal import record_decision
from walkaway.service.readiness import readiness_note
from walkaway.service.users import User
from walkaway.web.auth import Csrf, check_form_csrf, ensure_visible
from walkaway.web.charts import deal_history
from walkaway.web.context import (
    AsOf,
    CurrentUser,
    StoreDep,
    day_field,
    deal_view,
    decided_by,
    exit_message_for,
    parse_as_of,
)
from walkaway.web.history import WEEKS, probability_history
from walkaway.web.present import as_of_value
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)
OptionalText = Annotated[str, Form()]
TIMELINE_ROWS = 15


def deal_context(
    request: Request, deal_id: str, user: User, as_of: datetime, tone: str = Tone.WARM
) -> dict[str, Any]:
    """Everything the deal page shows (also used to show the page again after a bad form)."""
    store, cache = request.app.state.store, request.app.state.cache
    cached = cache.get(as_of)
    view = deal_view(store, cached, deal_id, as_of, user)
    created = view.deal["created_at"]
    points = probability_history(cache, cached, deal_id, as_of, created)
    start = max(created, as_of - timedelta(weeks=WEEKS))
    timeline = view.timeline.to_dicts()
    shown = next((known for known in Tone if known == tone), Tone.WARM)  # else: the warm one
    return {
        "a": view.assessment,
        "e": view.assessment.economics,
        "readiness": readiness_note(view.readiness, view.assessment),
        "deal": view.deal,
        "timeline": list(reversed(timeline[-TIMELINE_ROWS:])),
        "activity_total": len(timeline),
        "chart": deal_history(points, timeline, start, as_of),
        "tone": shown,
        "message": exit_message_for(view, cached, shown),
        "message_warning": pursue_warning(view.assessment),
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
    tone: Annotated[str, Query()] = Tone.WARM,
) -> HTMLResponse:
    """One deal: the call and why, flags with evidence, economics, its history, the
    decision form and the exit message; a deal won or lost before the date: its outcome
    (:func:`closed_page`)."""
    store = request.app.state.store
    ensure_visible(store, user, deal_id)
    closed = closed_deal(store, deal_id, as_of)
    if closed is not None:
        return closed_page(request, closed)
    context = deal_context(request, deal_id, user, as_of, tone)
    return render(request, "deal.html", context, as_of=as_of)


def closed_page(request: Request, closed: ClosedDeal) -> HTMLResponse:
    """A closed deal: its outcome, dates and amount, the decisions recorded on it, its
    last activities and, lost, the way to its loss review."""
    context = {
        "c": closed,
        "deal": closed.deal,
        "decisions": list(reversed(closed.decisions)),
        "timeline": list(reversed(closed.timeline[-TIMELINE_ROWS:])),
        "activity_total": len(closed.timeline),
    }
    return render(request, "closed_deal.html", context, as_of=closed.as_of)


def decisions_on(store: Store, deal_id: str) -> list[dict[str, Any]]:
    """The deal's recorded decisions, newest first."""
    frame = load_decisions(store).filter(pl.col("deal_id") == deal_id)
    return list(reversed(frame.drop("snapshot").to_dicts()))


@router.post("/deals/{deal_id}/decide", response_model=None)
def decide_submit(
    request: Request,
    deal_id: str,
    user: CurrentUser,
    store: StoreDep,
    decision: Annotated[str, Form()] = "",
    reason: OptionalText = "",
    revisit_on: OptionalText = "",
    by: OptionalText = "",
    as_of: OptionalText = "",
    csrf_token: Csrf = "",
) -> Response:
    """Record a decision from the deal page, then show it in the journal."""
    check_form_csrf(request, csrf_token)
    settings = request.app.state.settings
    moment = parse_as_of(as_of, settings)
    ensure_visible(store, user, deal_id)
    try:
        recorded = record_decision(
            store,
            deal_id,
            decision,
            reason,
            as_of=moment,
            revisit=day_field(revisit_on, "the revisit date"),
            decided_by=decided_by(user, by, settings.auth),
            assessment=request.app.state.cache.assessment_at(moment, deal_id),
            assess=request.app.state.decision_batch.assessment_of,
        )
    except InputError as error:
        context = deal_context(request, deal_id, user, moment)
        context["decision_error"] = str(error)
        return render(request, "deal.html", context, status=422, as_of=moment)
    request.app.state.cache.invalidate()
    query = urlencode({"as_of": as_of_value(moment), "recorded": recorded.decision_id})
    return RedirectResponse(f"/journal?{query}#decision-{recorded.decision_id}", 303)
