"""The review as JSON (``walkaway review --format json``) or CSV."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

from walkaway.service.export import review_csv, review_json_bytes
from walkaway.web.api.routing import Owner, Stage, api_router, deal_links
from walkaway.web.cache import filtered
from walkaway.web.context import AsOf, CacheDep, CurrentUser, owner_filter
from walkaway.web.schemas import ReviewOut

router = api_router()


CSV_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "The review",
        **deal_links("/deals/0/deal_id"),
    }
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
