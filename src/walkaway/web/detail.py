"""``GET /api/deals/{id}``'s fast path: the cached review's row and one small read.

The JSON is ``walkaway show --format json``'s (:func:`walkaway.cli.review.show_json`):
the assessment, then the deal's activities before the as-of moment. Built here from
plain rows rather than through a data frame, and kept per deal until the store changes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from walkaway.models import ACTIVITY_SCHEMA
from walkaway.service.deal import deal_view_json as show_json
from walkaway.service.deal import human_json, human_row, readiness_of, show
from walkaway.service.users import User
from walkaway.store import Store
from walkaway.store.schema import activities
from walkaway.web.auth import ensure_can_see
from walkaway.web.cache import ReviewCache

TIMELINE_COLUMNS = tuple(ACTIVITY_SCHEMA)


def encode(data: Any) -> bytes:
    """As FastAPI's JSONResponse encodes."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def timeline_json(store: Store, deal_id: str, as_of: datetime) -> list[dict[str, Any]]:
    """The deal's activities dated before ``as_of``, oldest first, as show_json has them."""
    columns = [activities.c[name] for name in TIMELINE_COLUMNS]
    query = (
        sa.select(*columns)
        .where(activities.c.deal_id == deal_id, activities.c.at < as_of)
        .order_by(activities.c.at, activities.c.id)
    )
    with store.connect() as conn:
        rows = conn.execute(query).all()
    timeline = []
    for row in rows:
        item = dict(zip(TIMELINE_COLUMNS, row, strict=True))
        item["at"] = item["at"].strftime("%Y-%m-%dT%H:%M:%S")
        timeline.append(item)
    return timeline


def _built(cache: ReviewCache, deal_id: str, as_of: datetime) -> tuple[str | None, bytes]:
    """(owner, JSON) of an open deal; via show() otherwise, which raises why it is not."""
    assessment = cache.get(as_of).assessment(deal_id)
    if assessment is None:  # not open at as_of, or unknown: show() says which
        view = show(cache.store, deal_id, as_of)
        return view.assessment.owner, encode(show_json(view))
    data = assessment.to_dict()
    cached = cache.get(as_of)
    row = cached.review.deals.slice(cached.rows[deal_id], 1)
    data["human_decision"] = human_json(human_row(row))
    data["readiness"] = readiness_of(row)
    data["as_of_timeline"] = timeline_json(cache.store, deal_id, as_of)
    return assessment.owner, encode(data)


def _size(built: tuple[str | None, bytes]) -> int:
    return len(built[1]) + 200


def prebuild(cache: ReviewCache, as_of: datetime) -> int:
    """Build every open deal's JSON ahead of the first request (a background warm-up);
    stops when the store changes. Returns how many were built."""
    cached = cache.get(as_of)
    version = cache.version()
    built = 0
    for deal_id in cached.rows:
        if cache.version() != version:
            break
        if not cache.remembered(("detail", deal_id, as_of)):
            _remembered(cache, deal_id, as_of)
            built += 1
    return built


def _remembered(cache: ReviewCache, deal_id: str, as_of: datetime) -> tuple[str | None, bytes]:
    return cache.remember(("detail", deal_id, as_of), lambda: _built(cache, deal_id, as_of), _size)


def deal_detail(cache: ReviewCache, deal_id: str, as_of: datetime, user: User) -> bytes:
    """The deal's JSON; raises NotFound, InputError (not open then) or Forbidden."""
    owner, body = _remembered(cache, deal_id, as_of)
    ensure_can_see(user, owner, deal_id)
    return body
