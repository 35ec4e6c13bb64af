"""Dashboard pages of the decision journal and of loss reviews, and their forms."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import polars as pl
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from walkaway.errors import InputError
from walkaway.journal.scorecard import OUTCOME_WORDS
from walkaway.models import Outcome
from walkaway.service import DealFilter, list_deals
from walkaway.service.deal import deal_owner
from walkaway.service.journal import journal, record_decision, record_outcome
from walkaway.service.loss_review import loss_review, record_loss_notes
from walkaway.web.auth import check_form_csrf, ensure_can_see
from walkaway.web.charts import HistoryPoint, deal_history
from walkaway.web.context import (
    CurrentUser,
    Latest,
    StoreDep,
    decided_by,
    owner_filter,
    parse_as_of,
)
from walkaway.web.pages import deal_context
from walkaway.web.present import as_of_value
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form()]
OptionalText = Annotated[str, Form()]
LOST_SHOWN = 100


def parse_day(text: str | None, field: str) -> date | None:
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{field} {text!r} is not a date; expected 2026-03-01") from None


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
    ensure_can_see(user, deal_owner(store, deal_id), deal_id)
    try:
        recorded = record_decision(
            store,
            deal_id,
            decision,
            reason,
            as_of=moment,
            revisit=parse_day(revisit_on, "the revisit date"),
            decided_by=decided_by(user, by, settings.auth),
        )
    except InputError as error:
        context = deal_context(request, deal_id, user, moment)
        context["decision_error"] = str(error)
        return render(request, "deal.html", context, status=422, as_of=moment)
    request.app.state.cache.invalidate()
    query = urlencode({"as_of": as_of_value(moment), "recorded": recorded.decision_id})
    return RedirectResponse(f"/journal?{query}#decision-{recorded.decision_id}", 303)


@router.get("/journal", response_class=HTMLResponse)
def journal_page(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    as_of: Latest,
    owner: Annotated[str | None, Query()] = None,
    since: Annotated[str | None, Query()] = None,
    recorded: Annotated[int | None, Query()] = None,
) -> HTMLResponse:
    """Every decision with what became of it, and the scorecard per rep."""
    who = owner_filter(user, (owner or "").strip() or None)
    result = journal(store, as_of, since=parse_day(since, "since"), owner=who)
    entries = result.entries.sort("decided_at", "decision_id", descending=True).to_dicts()
    context: dict[str, Any] = {
        "entries": entries,
        "scorecard": result.scorecard.to_dicts(),
        "filters": {"owner": who or "", "since": since or ""},
        "recorded": recorded,
        "outcomes": OUTCOME_WORDS,
        "outcome_saved": request.query_params.get("outcome") == "1",
    }
    return render(request, "journal.html", context, as_of=as_of)


@router.post("/journal/outcome", response_model=None)
def outcome_submit(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    deal_id: Annotated[str, Form()],
    outcome: Annotated[str, Form()],
    note: OptionalText = "",
    on: OptionalText = "",
    csrf_token: Csrf = "",
) -> Response:
    """Record what became of a deal (the journal reads it)."""
    check_form_csrf(request, csrf_token)
    deal_id = deal_id.strip()
    ensure_can_see(user, deal_owner(store, deal_id), deal_id)
    record_outcome(store, deal_id, outcome, note=note, on=parse_day(on, "the date"))
    request.app.state.cache.invalidate()
    return RedirectResponse("/journal?outcome=1", status_code=303)


@router.get("/losses", response_class=HTMLResponse)
def losses_page(request: Request, user: CurrentUser, store: StoreDep) -> HTMLResponse:
    """Lost deals, most recent first, each with its loss review."""
    frame = list_deals(store, DealFilter(owner=owner_filter(user, None), outcome=Outcome.LOST))
    lost = frame.sort("closed_at", descending=True, nulls_last=True).head(LOST_SHOWN)
    return render(request, "losses.html", {"lost": lost.to_dicts(), "total": frame.height})


def _loss_points(timeline: pl.DataFrame) -> list[HistoryPoint]:
    return [
        HistoryPoint(
            row["cut"].date(), row["win_probability"], row["recommendation"], row["walk_away_line"]
        )
        for row in timeline.iter_rows(named=True)
    ]


@router.get("/deals/{deal_id}/loss-review", response_class=HTMLResponse)
def loss_review_page(
    request: Request, deal_id: str, user: CurrentUser, store: StoreDep
) -> HTMLResponse:
    """Letting go: where the deal turned, what to ask the buyer, lessons, a date to move on."""
    ensure_can_see(user, deal_owner(store, deal_id), deal_id)
    view = loss_review(store, deal_id)
    r = view.review
    start, end = r.deal["created_at"], r.deal["lost_at"]
    context: dict[str, Any] = {
        "r": r,
        "deal": r.deal,
        "timeline": r.timeline.to_dicts(),
        "events": r.events.to_dicts(),
        "signs": r.warning_signs.to_dicts(),
        "notes": view.notes.to_dicts(),
        "chart": deal_history(
            _loss_points(r.timeline),
            [],
            start,
            end,
            (r.turn["turned_at"], "the turn") if r.turn else None,
        ),
        "saved": request.query_params.get("saved") == "1",
    }
    return render(request, "loss_review.html", context)


@router.post("/deals/{deal_id}/loss-review", response_model=None)
def loss_notes_submit(
    request: Request,
    deal_id: str,
    user: CurrentUser,
    store: StoreDep,
    answer: OptionalText = "",
    lesson: OptionalText = "",
    csrf_token: Csrf = "",
) -> Response:
    """Keep what the buyer said and what the team learned."""
    check_form_csrf(request, csrf_token)
    ensure_can_see(user, deal_owner(store, deal_id), deal_id)
    record_loss_notes(store, deal_id, answer=answer, lesson=lesson, recorded_by=user.name)
    return RedirectResponse(f"/deals/{quote(deal_id)}/loss-review?saved=1", status_code=303)
