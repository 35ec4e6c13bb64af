"""The decision journal's page, and the form that records an outcome."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from walkaway.journal.scorecard import OUTCOME_WORDS
from walkaway.service.journal import journal, record_outcome
from walkaway.web.auth import Csrf, check_form_csrf, ensure_visible
from walkaway.web.context import CurrentUser, Latest, StoreDep, day_field, owner_filter
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)
OptionalText = Annotated[str, Form()]


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
    result = journal(store, as_of, since=day_field(since, "since"), owner=who)
    entries = result.entries.sort("decided_at", "decision_id", descending=True).to_dicts()
    context: dict[str, Any] = {
        "entries": entries,
        "scorecard": result.scorecard.to_dicts(),
        # the value of wins given up is in the deals' currency (the most common one)
        "currency": result.entries["currency"].drop_nulls().mode().sort().first()
        if result.entries.height
        else None,
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
    ensure_visible(store, user, deal_id)
    record_outcome(store, deal_id, outcome, note=note, on=day_field(on, "the date"))
    request.app.state.cache.invalidate()
    return RedirectResponse("/journal?outcome=1", status_code=303)
