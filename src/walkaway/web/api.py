"""The JSON API: review, deals, messages, policy, import, health (journal: api_journal)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import polars as pl
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from walkaway import __version__
from walkaway.errors import InputError
from walkaway.models import Outcome
from walkaway.policy import default_policy_text
from walkaway.service import DealFilter, list_deals, save_policy, stored_policy_text
from walkaway.service.export import review_csv, review_json_bytes
from walkaway.web.auth import guard_api_write, require_manager
from walkaway.web.cache import filtered
from walkaway.web.context import (
    AsOf,
    CacheDep,
    CurrentUser,
    StoreDep,
    deal_view,
    exit_message_for,
    get_settings,
    owner_filter,
)
from walkaway.web.detail import deal_detail
from walkaway.web.schemas import (
    DealDetailOut,
    DealsOut,
    ErrorOut,
    HealthOut,
    ImportOut,
    MeOut,
    MessageOut,
    PolicyOut,
    ReviewOut,
)
from walkaway.web.uploads import import_uploads

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (401, "Not signed in (team mode)"),
        (403, "Not allowed: another rep's deal, or a manager's action"),
        (422, "Invalid input; `problems` lists each one"),
    )
}
UNKNOWN_DEAL: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Unknown deal"}
}
router = APIRouter(prefix="/api", responses=ERRORS, dependencies=[Depends(guard_api_write)])
# Past any pipeline's size; a bigger offset (2**63) overflowed the frame's slice: a 500.
MAX_OFFSET = 10**9
Owner = Annotated[str | None, Query(description="Only this rep's deals (any case).")]
Stage = Annotated[str | None, Query(description="Only deals in this stage (any case).")]


@router.get("/health", response_model=HealthOut, tags=["meta"])
async def health(request: Request, store: StoreDep) -> HealthOut:
    """The server is up; which database and whether team mode is on."""
    return HealthOut(version=__version__, database=store.dialect, auth=get_settings(request).auth)


@router.get("/me", response_model=MeOut, tags=["meta"])
def me(user: CurrentUser) -> MeOut:
    """Who the request is signed in as (``local`` without team mode)."""
    return MeOut(name=user.name, role=user.role.value, rep_name=user.rep_name)


CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The review"}
}


@router.get("/review", response_model=ReviewOut, tags=["review"], responses=CSV_ANSWER)
def get_review(
    user: CurrentUser,
    cache: CacheDep,
    as_of: AsOf,
    owner: Owner = None,
    stage: Stage = None,
    format: Annotated[
        Literal["json", "csv"], Query(description="json, or csv for a spreadsheet")
    ] = "json",
) -> Response:
    """Every open deal as of a date, most urgent first, and the summary: the same JSON
    as ``walkaway review --format json`` (``format=csv``: the CSV of ``--format csv``,
    safe to open in a spreadsheet). A rep gets their own deals."""
    result = filtered(cache.get(as_of), owner_filter(user, owner), stage)
    if format == "csv":
        name = f"walkaway-review-{as_of:%Y-%m-%d}.csv"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(review_csv(result), media_type="text/csv", headers=disposition)
    return Response(review_json_bytes(result), media_type="application/json")


def _deals_json(frame: pl.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(frame.write_json())
    for row in rows:
        row["attributes"] = json.loads(row.get("attributes") or "{}")
    return rows


@router.get("/deals", response_model=DealsOut, tags=["deals"])
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
    "/deals/{deal_id}", response_model=DealDetailOut, tags=["deals"], responses=UNKNOWN_DEAL
)
async def get_deal(deal_id: str, user: CurrentUser, cache: CacheDep, as_of: AsOf) -> Response:
    """One open deal as of a date: the call, reasons, flags with evidence, economics and
    the activities before it; the same JSON as ``walkaway show --format json``."""
    if cache.peek(as_of) is None:  # the first review of this moment takes seconds
        body = await run_in_threadpool(deal_detail, cache, deal_id, as_of, user)
    else:  # a cache hit and one indexed read: cheaper here than a thread hop
        body = deal_detail(cache, deal_id, as_of, user)
    return Response(body, media_type="application/json")


@router.get(
    "/deals/{deal_id}/message", response_model=MessageOut, tags=["deals"], responses=UNKNOWN_DEAL
)
def get_message(
    deal_id: str,
    user: CurrentUser,
    store: StoreDep,
    cache: CacheDep,
    as_of: AsOf,
    tone: Annotated[str, Query(description="warm or direct")] = "warm",
) -> MessageOut:
    """A draft exit email: honest about why, thankful, door left open (``walkaway message``)."""
    cached = cache.get(as_of)
    view = deal_view(store, cached, deal_id, as_of, user)
    text = exit_message_for(view, cached, tone)
    return MessageOut(deal_id=deal_id, tone=tone, as_of=as_of, message=text)  # type: ignore[arg-type]


@router.get("/policy", response_model=PolicyOut, tags=["policy"])
def get_policy(user: CurrentUser, store: StoreDep) -> PolicyOut:
    """The policy in force, as TOML (the commented default when none was set)."""
    text = stored_policy_text(store)
    if text is None:
        return PolicyOut(source="default", toml=default_policy_text())
    return PolicyOut(source="stored", toml=text)


POLICY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/toml": {"schema": {"type": "string"}}},
        "description": "The policy as TOML (see `walkaway policy init`).",
    }
}


@router.put("/policy", response_model=PolicyOut, tags=["policy"], openapi_extra=POLICY_BODY)
async def put_policy(request: Request, user: CurrentUser, store: StoreDep) -> PolicyOut:
    """Check a policy (TOML in the body) and put it in force; 422 says what is wrong."""
    require_manager(user, "change the policy")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the policy must be UTF-8 text (TOML)") from None
    if not text.strip():
        raise InputError("the request body is empty; send the policy as TOML")
    save_policy(store, text)
    request.app.state.cache.invalidate()
    return PolicyOut(source="stored", toml=text)


@router.post("/import", response_model=ImportOut, tags=["import"])
def post_import(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    deals: Annotated[UploadFile, File(description="Deals file (CSV or XLSX)")],
    activities: Annotated[UploadFile | None, File(description="Activities file")] = None,
    format: Annotated[str, Form(description="auto, generic, salesforce, ...")] = "auto",
) -> ImportOut:
    """Import a CRM export, validated as ``walkaway import`` does: when any row is invalid
    nothing is written and the 422 lists every problem (file, row, column, value)."""
    require_manager(user, "import a pipeline")
    summary = import_uploads(store, deals, activities, format, get_settings(request))
    request.app.state.cache.invalidate()
    return ImportOut(
        format=summary.format,
        deals_new=summary.deals_new,
        deals_updated=summary.deals_updated,
        deals_unchanged=summary.deals_unchanged,
        activities_new=summary.activities_new,
        activities_unchanged=summary.activities_unchanged,
        run_id=summary.run_id,
        notes=list(summary.notes),
    )
