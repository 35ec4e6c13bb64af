"""What changed since an earlier review (``/changes``): the board's "changed since" tab."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from walkaway.journal.changes import KIND_TITLES, KINDS
from walkaway.service.users import Role
from walkaway.web.changes import changes_since
from walkaway.web.context import AsOf, CacheDep, CurrentUser, StoreDep, owner_filter
from walkaway.web.render import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str | None, Query()]


def _sections(deals: pl.DataFrame) -> list[dict[str, Any]]:
    """One section per kind of change that has deals, most important first."""
    return [
        {"kind": kind, "title": KIND_TITLES[kind], "rows": rows}
        for kind in KINDS
        if (rows := deals.filter(pl.col("kind") == kind).to_dicts())
    ]


@router.get("/changes", response_class=HTMLResponse)
def changes_page(
    request: Request,
    user: CurrentUser,
    store: StoreDep,
    cache: CacheDep,
    as_of: AsOf,
    since: Text = None,
    owner: Text = None,
) -> HTMLResponse:
    """What changed since a date (default: the last saved review, else a week), most
    important first, with what moved each deal."""
    wanted = owner.strip() if owner and owner.strip() else None
    rep = owner_filter(user, wanted)
    result = changes_since(store, cache, as_of, since, rep)
    owners = cache.get(as_of).review.deals["owner"].drop_nulls().unique().sort().to_list()
    context: dict[str, Any] = {
        "result": result,
        "summary": result.summary,
        "sections": _sections(result.deals),
        "deadlines": result.deadlines.to_dicts(),
        "owner": rep or "",
        "owners": owners if user.role is Role.MANAGER else [rep],
        "since_date": f"{result.since:%Y-%m-%d}",
    }
    return render(request, "changes.html", context, as_of=as_of)
