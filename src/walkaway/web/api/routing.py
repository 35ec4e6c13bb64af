"""What every API router shares: the ``/api`` prefix, the guard on writes (team mode:
a session cookie needs its CSRF header), and the error answers each route documents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from walkaway.web.auth import guard_api_write
from walkaway.web.schemas import ErrorOut

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

Owner = Annotated[str | None, Query(description="Only this rep's deals (any case).")]
Stage = Annotated[str | None, Query(description="Only deals in this stage (any case).")]


def api_router() -> APIRouter:
    """A router of API routes: under ``/api``, with the write guard and the errors."""
    return APIRouter(prefix="/api", responses=ERRORS, dependencies=[Depends(guard_api_write)])
