"""What every API router shares: the ``/api`` prefix, the guard on writes (team mode:
a session cookie needs its CSRF header), and the error answers each route documents."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response

from walkaway.service.idempotency import Answer, RequestKey, request_key
from walkaway.service.users import User
from walkaway.web.auth import guard_api_write
from walkaway.web.schemas import NO_NUL, ErrorOut

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (400, "The body could not be read (not JSON, a broken multipart form)"),
        (401, "Not signed in (team mode)"),
        (403, "Not allowed: another rep's deal, or a manager's action"),
        (
            409,
            "Well formed, but the data as it stands refuses it (a loss review of a deal "
            "that is not lost, a decision on a deal closed at its date)",
        ),
        (422, "Invalid input; `problems` lists each one"),
    )
}
UNKNOWN_DEAL: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorOut, "description": "Unknown deal"}
}

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any text unique to this write (a UUID): the same write sent again "
        "with the same key lands once and gets the first answer back "
        "(`Idempotent-Replayed: true`); the key with another request is a 422.",
        pattern=r"^[!-~]{1,200}$",  # visible ASCII (service.idempotency checks it too)
    ),
]


def deal_links(pointer: str) -> dict[str, Any]:
    """OpenAPI links from an answer holding a deal id (at the JSON ``pointer``) to the
    operations on that deal: what a client (and the stateful contract test) does next."""
    parameters = {"deal_id": f"$response.body#{pointer}"}
    return {
        "links": {
            name: {"operationId": operation, "parameters": parameters}
            for name, operation in (
                ("TheDeal", "getDeal"),
                ("ItsExitMessage", "getExitMessage"),
                ("ItsLossReview", "getLossReview"),
            )
        }
    }


Owner = Annotated[
    str | None, Query(description="Only this rep's deals (any case).", pattern=NO_NUL)
]
Stage = Annotated[
    str | None, Query(description="Only deals in this stage (any case).", pattern=NO_NUL)
]
DealId = Annotated[str, Path(description="The deal's id", pattern=NO_NUL)]


def api_router() -> APIRouter:
    """A router of API routes: under ``/api``, with the write guard and the errors."""
    return APIRouter(prefix="/api", responses=ERRORS, dependencies=[Depends(guard_api_write)])


def key_for(request: Request, user: User, key: str | None, sent: bytes) -> RequestKey | None:
    """The request's Idempotency-Key, scoped to who sent it and where; None without one."""
    if key is None:
        return None
    return request_key(user.uid, key, f"{request.method} {request.url.path}", sent)


def answered(answer: Answer) -> Response:
    """A write's JSON answer, the first one again when it is a retry."""
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return Response(
        answer.body, status_code=answer.status, media_type="application/json", headers=headers
    )
