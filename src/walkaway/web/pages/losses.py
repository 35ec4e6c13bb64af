"""Lost deals, and each one's loss review with the notes the team keeps."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import polars as pl
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from walkaway.models import Outcome
from walkaway.service import DealFilter, list_deals
from walkaway.service.loss_review import loss_review, record_loss_notes
from walkaway.web.auth import Csrf, check_form_csrf, ensure_visible
from walkaway.web.charts import HistoryPoint, deal_history
from walkaway.web.context import CurrentUser, StoreDep, owner_filter
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)
OptionalText = Annotated[str, Form()]
LOST_SHOWN = 100


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
    ensure_visible(store, user, deal_id)
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
    ensure_visible(store, user, deal_id)
    record_loss_notes(store, deal_id, answer=answer, lesson=lesson, recorded_by=user.name)
    return RedirectResponse(f"/deals/{quote(deal_id)}/loss-review?saved=1", status_code=303)
