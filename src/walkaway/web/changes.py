"""What changed since an earlier review, from the web's cached reviews: for the API
(``GET /api/changes``) and the page (``/changes``)."""

from __future__ import annotations

from datetime import datetime

from walkaway.errors import Conflict, InputError
from walkaway.service import Store
from walkaway.service.changes import Changes, SinceNotBefore, changes
from walkaway.service.review import Review
from walkaway.web.cache import ReviewCache, filtered


def changes_since(
    store: Store, cache: ReviewCache, as_of: datetime, since: str | None, owner: str | None
) -> Changes:
    """The changes from the web's cached reviews; a bad ``since`` is a 422 naming it."""

    def reviewed(moment: datetime) -> Review:
        return filtered(cache.get(moment), owner, None)

    try:
        return changes(store, as_of, (since or "").strip() or None, owner=owner, reviewed=reviewed)
    except SinceNotBefore as error:
        raise Conflict(f"since {error}") from None
    except ValueError as error:
        raise InputError(f"since {error}") from None
