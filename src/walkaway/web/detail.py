"""``GET /api/deals/{id}``'s quick path: the deal's JSON, kept per deal until the store
changes.

The JSON is ``walkaway show --format json``'s (:func:`walkaway.service.deal.deal_json`),
made from the cached review's row of the deal and one read of its activities.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from walkaway.service.deal import deal_json
from walkaway.service.users import User
from walkaway.web.auth import ensure_visible
from walkaway.web.cache import ReviewCache


def encode(data: Any) -> bytes:
    """As FastAPI's JSONResponse encodes."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _encode_deal(cache: ReviewCache, deal_id: str, as_of: datetime) -> tuple[str | None, bytes]:
    """(owner, JSON) of a deal open at ``as_of``; raises why it is not (unknown: NotFound,
    created later or closed: InputError)."""
    cached = cache.get(as_of)
    model = cached.review.summary.get("model", {}).get("said")
    data = deal_json(cache.store, deal_id, as_of, reviewed=cached.row(deal_id), model=model)
    return data["owner"], encode(data)


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
    return cache.remember(
        ("detail", deal_id, as_of), lambda: _encode_deal(cache, deal_id, as_of), _size
    )


def deal_detail(cache: ReviewCache, deal_id: str, as_of: datetime, user: User) -> bytes:
    """The deal's JSON; raises NotFound (unknown, or not the person's to see: checked
    first) or InputError (not open then)."""
    ensure_visible(cache.store, user, deal_id)
    return _remembered(cache, deal_id, as_of)[1]
