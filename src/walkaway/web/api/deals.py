"""The stored deals, one deal's call and why, and its exit message."""

from __future__ import annotations

import json
from typing import Annotated, Any

import polars as pl
from fastapi import Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from walkaway.decision.messages import pursue_warning
from walkaway.errors import InputError
from walkaway.models import Outcome, Tone
from walkaway.service import DealFilter, list_deals
from walkaway.service.closed import closed_deal, closed_json
from walkaway.service.export import iso_moments
from walkaway.web.api.routing import (
    UNKNOWN_DEAL,
    DealId,
    Owner,
    Stage,
    api_router,
    deal_links,
)
from walkaway.web.context import (
    AsOf,
    CacheDep,
    CurrentUser,
    StoreDep,
    deal_view,
    exit_message_for,
    owner_filter,
)
from walkaway.web.detail import deal_detail, encode
from walkaway.web.schemas import ClosedDealOut, DealDetailOut, DealsOut, MessageOut

router = api_router()
# Past any pipeline's size; a bigger offset (2**63) overflowed the frame's slice: a 500.
MAX_OFFSET = 10**9


def _deals_json(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(iso_moments(frame).write_json())
    for row in rows:
        row["attributes"] = json.loads(row.get("attributes") or "{}")
    return rows


@router.get(
    "/deals",
    response_model=DealsOut,
    tags=["deals"],
    responses={200: deal_links("/deals/0/deal_id")},
)
def get_deals(
    user: CurrentUser,
    store: StoreDep,
    owner: Owner = None,
    stage: Stage = None,
    outcome: Annotated[Outcome | None, Query(description="open, won or lost")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JSONResponse:
    """The stored deals as imported, with their activity count (``walkaway deals``)."""
    where = DealFilter(stage=stage, owner=owner_filter(user, owner), outcome=outcome)
    frame = list_deals(store, where)
    page = frame.slice(offset, limit)
    body = {"total": frame.height, "limit": limit, "offset": offset, "deals": _deals_json(page)}
    return JSONResponse(body)


@router.get(
    "/deals/{deal_id}",
    response_model=DealDetailOut | ClosedDealOut,
    tags=["deals"],
    responses=UNKNOWN_DEAL,
    operation_id="getDeal",
)
async def get_deal(deal_id: DealId, user: CurrentUser, cache: CacheDep, as_of: AsOf) -> Response:
    """One deal as of a date. Open then: the call, reasons, flags with evidence,
    economics and the activities before it (the JSON of ``walkaway show --format json``).
    Won or lost before then: ``state: closed``, its outcome, dates and amount, the
    decisions recorded on it and where its loss review is."""
    try:
        if cache.peek(as_of) is None:  # the first review of this moment takes seconds
            body = await run_in_threadpool(deal_detail, cache, deal_id, as_of, user)
        else:  # a cache hit and one indexed read: cheaper here than a thread hop
            body = deal_detail(cache, deal_id, as_of, user)
    except InputError:
        # Not open then: closed (answered with its outcome) or created later (the error).
        closed = await run_in_threadpool(closed_deal, cache.store, deal_id, as_of)
        if closed is None:
            raise
        body = encode(closed_json(closed))
    return Response(body, media_type="application/json")


@router.get(
    "/deals/{deal_id}/message",
    response_model=MessageOut,
    tags=["deals"],
    responses=UNKNOWN_DEAL,
    operation_id="getExitMessage",
)
def get_message(
    deal_id: DealId,
    user: CurrentUser,
    store: StoreDep,
    cache: CacheDep,
    as_of: AsOf,
    tone: Annotated[Tone, Query(description="warm or direct")] = Tone.WARM,
) -> MessageOut:
    """A draft exit email: honest about why, thankful, door left open (``walkaway message``)."""
    cached = cache.get(as_of)
    view = deal_view(store, cached, deal_id, as_of, user)
    text = exit_message_for(view, cached, tone)
    warning = pursue_warning(view.assessment)
    return MessageOut(deal_id=deal_id, tone=tone, as_of=as_of, message=text, warning=warning)
