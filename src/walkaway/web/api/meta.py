"""The API about itself: health, and who a request is signed in as."""

from __future__ import annotations

from fastapi import Request

from walkaway import __version__
from walkaway.web.api.routing import api_router
from walkaway.web.context import CurrentUser, StoreDep, get_settings
from walkaway.web.schemas import HealthOut, MeOut

router = api_router()


@router.get("/health", response_model=HealthOut, tags=["meta"])
async def health(request: Request, store: StoreDep) -> HealthOut:
    """The server is up; which database and whether team mode is on."""
    return HealthOut(version=__version__, database=store.dialect, auth=get_settings(request).auth)


@router.get("/me", response_model=MeOut, tags=["meta"])
def me(user: CurrentUser) -> MeOut:
    """Who the request is signed in as (``local`` without team mode)."""
    return MeOut(name=user.name, role=user.role.value, rep_name=user.rep_name)
