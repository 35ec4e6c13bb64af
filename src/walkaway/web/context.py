"""What every route needs: the store, the review cache, the as-of moment, one deal's view."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Depends, Query, Request

from walkaway.decision.messages import draft_exit_message
from walkaway.errors import InputError
from walkaway.models import Tone, as_utc_naive, parse_day, parse_moment
from walkaway.service import Store
from walkaway.service.deal import DealView, show
from walkaway.service.users import Role, User
from walkaway.web.auth import current_user, ensure_visible
from walkaway.web.cache import CachedReview, ReviewCache
from walkaway.web.errors import Forbidden
from walkaway.web.settings import WebSettings

# What an as-of parameter may hold, as the schema says: blank, a date (1900-2099) or a
# date-time with an optional UTC offset. Only days the calendar has: 30 February or 31
# April is refused by the pattern itself (so every date the schema allows is one), and
# 29 February only in a leap year (1900 was none, 2000 was one).
_COMMON_DAY = (
    r"(19|20)\d{2}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)"
    r"|02-(0[1-9]|1\d|2[0-8]))"
)
_LEAP_DAY = r"(19(0[48]|[2468][048]|[13579][26])|20(0[048]|[2468][048]|[13579][26]))-02-29"
DAY_PATTERN = rf"({_COMMON_DAY}|{_LEAP_DAY})"
MOMENT_PATTERN = (
    rf"^$|^{DAY_PATTERN}([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{{1,6}})?)?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?)?$"
)


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_cache(request: Request) -> ReviewCache:
    cache: ReviewCache = request.app.state.cache
    return cache


def get_settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def default_as_of(settings: WebSettings) -> datetime:
    """The settings' date, or now rounded down to the hour (so the cache is reused)."""
    if settings.as_of is not None:
        return as_utc_naive(settings.as_of)
    return datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)


def moment_field(text: str | None, name: str) -> datetime | None:
    """A query or form field's date or date-time (:func:`walkaway.models.parse_moment`);
    None when blank. A bad one is an InputError naming the field (a 422)."""
    if text is None or not text.strip():
        return None
    try:
        return parse_moment(text)
    except ValueError as error:
        raise InputError(f"{name} {error}") from None


def day_field(text: str | None, name: str) -> date | None:
    """A query or form field's date (:func:`walkaway.models.parse_day`); None when blank."""
    if text is None or not text.strip():
        return None
    try:
        return parse_day(text)
    except ValueError as error:
        raise InputError(f"{name} {error}") from None


def parse_as_of(text: str | None, settings: WebSettings) -> datetime:
    """``as_of`` as given, else the settings' date or now (:func:`default_as_of`)."""
    return moment_field(text, "as_of") or default_as_of(settings)


async def as_of_param(
    request: Request,
    as_of: Annotated[
        str | None,
        Query(
            description="Assess as of this date (00:00 UTC) or date-time; default: the "
            "server's as-of date, or now (to the hour). Nothing dated at or after it is used.",
            pattern=MOMENT_PATTERN,
        ),
    ] = None,
) -> datetime:
    return parse_as_of(as_of, get_settings(request))


async def latest_param(
    request: Request,
    as_of: Annotated[
        str | None,
        Query(
            description="Look back from this date or date-time; default: the server's "
            "as-of date, or now.",
            pattern=MOMENT_PATTERN,
        ),
    ] = None,
) -> datetime:
    """Like ``as_of`` but to the second: a journal shows a decision made a minute ago."""
    settings = get_settings(request)
    if (as_of and as_of.strip()) or settings.as_of is not None:
        return parse_as_of(as_of, settings)
    return datetime.now(UTC).replace(tzinfo=None)


async def _user_dep(request: Request) -> User:
    # async: FastAPI runs a plain ``def`` dependency in a worker thread, a hop that costs
    # more than this (a token lookup is one indexed read).
    return current_user(request)


async def _store_dep(request: Request) -> Store:
    return get_store(request)


async def _cache_dep(request: Request) -> ReviewCache:
    return get_cache(request)


AsOf = Annotated[datetime, Depends(as_of_param)]
Latest = Annotated[datetime, Depends(latest_param)]
CurrentUser = Annotated[User, Depends(_user_dep)]
StoreDep = Annotated[Store, Depends(_store_dep)]
CacheDep = Annotated[ReviewCache, Depends(_cache_dep)]


def owner_filter(user: User, owner: str | None) -> str | None:
    """A rep's view is their own deals: asking for another rep's is refused."""
    if user.role is Role.MANAGER:
        return owner
    if owner and not user.can_see(owner):
        raise Forbidden(f"a rep sees only their own deals, not those of {owner}")
    return user.rep_name


def deal_view(
    store: Store, cached: CachedReview, deal_id: str, as_of: datetime, user: User
) -> DealView:
    """One deal as ``walkaway show`` sees it, from the cached review when it is open.

    Raises NotFound (unknown, or not the person's to see: checked first) or InputError
    (created later, or closed before ``as_of``).
    """
    ensure_visible(store, user, deal_id)
    return show(store, deal_id, as_of, reviewed=cached.row(deal_id))


def exit_message_for(view: DealView, cached: CachedReview, tone: Tone) -> str:
    """The draft exit email, as ``walkaway message`` writes it."""
    return draft_exit_message(view.assessment, view.deal, tone=tone, templates=cached.policy)


def decided_by(user: User, given: str | None, team_mode: bool) -> str | None:
    """Who decided: as given without team mode; in team mode the signed-in person (a
    manager may name someone else, say the rep they decided with)."""
    name = (given or "").strip() or None
    if not team_mode:
        return name
    if name and name != user.name and user.role is not Role.MANAGER:
        raise Forbidden("a rep records decisions under their own name")
    return name or user.name
