"""What changed since an earlier review (``walkaway review --since ... --format json``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from walkaway.service.changes import changes_json
from walkaway.web.api.routing import Owner, api_router
from walkaway.web.changes import changes_since
from walkaway.web.context import (
    MOMENT_PATTERN,
    AsOf,
    CacheDep,
    CurrentUser,
    StoreDep,
    owner_filter,
)
from walkaway.web.schemas import ChangesOut

router = api_router()
# A span back (7d, 2w: at least a day, at most 9,999 weeks), `last`, or what an as-of
# parameter holds (blank: the default).
SINCE_PATTERN = r"^[1-9]\d{0,3}[dDwW]$|^([Ll][Aa][Ss][Tt])$|" + MOMENT_PATTERN

Since = Annotated[
    str | None,
    Query(
        description="Compare with the review as of this date or date-time, or a span back "
        "from as_of (7d, 2w); default (or `last`): the last saved review, else a week.",
        pattern=SINCE_PATTERN,
    ),
]


@router.get("/changes", response_model=ChangesOut, tags=["review"])
def get_changes(
    user: CurrentUser,
    store: StoreDep,
    cache: CacheDep,
    as_of: AsOf,
    since: Since = None,
    owner: Owner = None,
) -> ChangesOut:
    """What changed between the review as of ``since`` and the one as of ``as_of``, most
    important first: deals that crossed the walk-away line or came back, calls that
    flipped, the largest moves in win probability with what moved them, new deals, deals
    closed since and whether the call was right, and decisions whose deadline came. A
    rep gets their own deals."""
    found = changes_since(store, cache, as_of, since, owner_filter(user, owner))
    return ChangesOut.model_validate(changes_json(found))
