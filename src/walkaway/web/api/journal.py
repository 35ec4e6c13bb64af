"""The decision journal, outcomes and loss reviews."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response

from walkaway.models import as_utc_naive, iso_utc
from walkaway.service.export import iso_moments
from walkaway.service.idempotency import Answer, Then, once
from walkaway.service.journal import (
    RecordedDecision,
    journal,
    record_decision,
    record_outcome,
)
from walkaway.service.loss_review import loss_review
from walkaway.service.loss_review import review_json as loss_review_json
from walkaway.web.api.routing import (
    UNKNOWN_DEAL,
    DealId,
    IdempotencyKey,
    Owner,
    answered,
    api_router,
    deal_links,
    key_for,
)
from walkaway.web.auth import ensure_visible
from walkaway.web.context import (
    DAY_PATTERN,
    CurrentUser,
    Latest,
    StoreDep,
    day_field,
    decided_by,
    default_as_of,
    owner_filter,
)
from walkaway.web.schemas import (
    DecisionIn,
    DecisionOut,
    JournalOut,
    LossReviewOut,
    OutcomeIn,
    OutcomeOut,
)

router = api_router()


@router.post(
    "/decisions",
    response_model=DecisionOut,
    status_code=201,
    tags=["journal"],
    responses={**UNKNOWN_DEAL, 201: deal_links("/deal_id")},
)
def post_decision(
    body: DecisionIn,
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Record a decision on an open deal (``walkaway decide``): kept with the call, the
    probability and the flags of that moment (``as_of``; by default the board's: the
    server's as-of, or now rounded down to the hour, as the pages have it). It sticks:
    the review shows it beside the data's recommendation. With an ``Idempotency-Key``, a
    retry records nothing twice."""
    ensure_visible(store, user, body.deal_id)
    settings = request.app.state.settings
    # the board's moment when none is given (the hour, or the server's --as-of): the
    # numbers the person saw on the board and the deal's page, as the page's form has it
    as_of = as_utc_naive(body.as_of) if body.as_of is not None else default_as_of(settings)
    cache = request.app.state.cache

    def write(then: Then[RecordedDecision] | None) -> RecordedDecision:
        return record_decision(
            store,
            body.deal_id,
            body.decision,
            body.reason,
            as_of=as_of,
            revisit=body.revisit_on,
            decided_by=decided_by(user, body.by, settings.auth),
            then=then,
            assessment=cache.assessment_at(as_of, body.deal_id),
            assess=request.app.state.decision_batch.assessment_of,
        )

    sent = body.model_dump_json().encode()
    said = once(store, key_for(request, user, idempotency_key, sent), write, _decision_answer)
    request.app.state.cache.invalidate()
    return answered(said)


def _decision_answer(recorded: RecordedDecision) -> Answer:
    out = DecisionOut(
        decision_id=recorded.decision_id,
        deal_id=recorded.deal_id,
        deal_name=recorded.deal_name,
        decision=recorded.decision,
        as_of=recorded.as_of,
        decided_by=recorded.decided_by,
        revisit_on=recorded.revisit_on,
        requalify_by=recorded.requalify_by,
        recommendation=recorded.recommendation,
        win_probability=recorded.win_probability,
    )
    return Answer(201, out.model_dump_json())


@router.get("/journal", response_model=JournalOut, tags=["journal"])
def get_journal(
    user: CurrentUser,
    store: StoreDep,
    as_of: Latest,
    owner: Owner = None,
    since: Annotated[
        str | None,
        Query(description="Only decisions from this date", pattern=rf"^$|^{DAY_PATTERN}$"),
    ] = None,
) -> JSONResponse:
    """Every decision made by ``as_of`` with what became of it, and the scorecard per rep
    (the same JSON as ``walkaway journal --format json``). A rep gets their own deals."""
    result = journal(store, as_of, since=day_field(since, "since"), owner=owner_filter(user, owner))
    body = {
        "as_of": iso_utc(result.as_of),
        "entries": json.loads(iso_moments(result.entries).write_json()),
        "scorecard": json.loads(result.scorecard.write_json()),
    }
    return JSONResponse(body)


@router.post(
    "/outcomes",
    response_model=OutcomeOut,
    status_code=201,
    tags=["journal"],
    responses={**UNKNOWN_DEAL, 201: deal_links("/deal_id")},
)
def post_outcome(
    body: OutcomeIn,
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Record what became of a deal: won, lost, came_back or no_decision. With an
    ``Idempotency-Key``, a retry records nothing twice."""
    ensure_visible(store, user, body.deal_id)

    def write(then: Then[dict[str, Any]] | None) -> dict[str, Any]:
        return record_outcome(
            store, body.deal_id, body.outcome, note=body.note, on=body.on, then=then
        )

    sent = body.model_dump_json().encode()
    said = once(store, key_for(request, user, idempotency_key, sent), write, _outcome_answer)
    request.app.state.cache.invalidate()
    return answered(said)


def _outcome_answer(row: dict[str, Any]) -> Answer:
    out = OutcomeOut(
        deal_id=row["deal_id"],
        deal_name=row["deal_name"],
        outcome=row["outcome"],
        happened_at=row["happened_at"],
        recorded_at=row["recorded_at"],
        note=row["note"],
    )
    return Answer(201, out.model_dump_json())


@router.get(
    "/deals/{deal_id}/loss-review",
    response_model=LossReviewOut,
    tags=["deals"],
    responses=UNKNOWN_DEAL,
    operation_id="getLossReview",
)
def get_loss_review(deal_id: DealId, user: CurrentUser, store: StoreDep) -> JSONResponse:
    """A lost deal looked back at: its probability over time, where it turned, the warning
    signs, questions for the buyer, a date to move on (``walkaway loss-review``)."""
    ensure_visible(store, user, deal_id)
    return JSONResponse(loss_review_json(loss_review(store, deal_id)))
