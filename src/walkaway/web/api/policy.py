"""The policy in force, as TOML: read it, or put another in force."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from walkaway.errors import InputError, PolicyError
from walkaway.policy import MAX_POLICY_CHARACTERS, default_policy_text
from walkaway.service import save_policy, stored_policy_text
from walkaway.service.idempotency import Answer, Then, once
from walkaway.web.api.routing import IdempotencyKey, answered, api_router, key_for
from walkaway.web.auth import require_manager
from walkaway.web.context import CurrentUser, StoreDep
from walkaway.web.schemas import PolicyOut

router = api_router()


@router.get("/policy", response_model=PolicyOut, tags=["policy"])
def get_policy(user: CurrentUser, store: StoreDep) -> PolicyOut:
    """The policy in force, as TOML (the commented default when none was set)."""
    text = stored_policy_text(store)
    if text is None:
        return PolicyOut(source="default", toml=default_policy_text())
    return PolicyOut(source="stored", toml=text)


POLICY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/toml": {"schema": {"type": "string", "minLength": 1}}},
        "description": "The policy as TOML (see `walkaway policy init`).",
    }
}


async def _policy_text(request: Request) -> str:
    """The body as text, refused (422) past a policy's size before it is read whole."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > 4 * MAX_POLICY_CHARACTERS:  # UTF-8: at most 4 bytes a character
            raise PolicyError(
                f"the request body passes {4 * MAX_POLICY_CHARACTERS:,} bytes; a policy "
                f"may have at most {MAX_POLICY_CHARACTERS:,} characters"
            )
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the policy must be UTF-8 text (TOML)") from None


@router.put("/policy", response_model=PolicyOut, tags=["policy"], openapi_extra=POLICY_BODY)
async def put_policy(
    request: Request, user: CurrentUser, store: StoreDep, idempotency_key: IdempotencyKey = None
) -> Response:
    """Check a policy (TOML in the body) and put it in force; 422 says what is wrong."""
    require_manager(user, "change the policy")
    text = await _policy_text(request)
    if not text.strip():
        raise InputError("the request body is empty; send the policy as TOML")
    key = key_for(request, user, idempotency_key, text.encode())

    def write(then: Then[str] | None) -> str:
        save_policy(store, text, then=then)
        return text

    said = await run_in_threadpool(once, store, key, write, _policy_answer)
    request.app.state.cache.invalidate()
    return answered(said)


def _policy_answer(text: str) -> Answer:
    return Answer(200, PolicyOut(source="stored", toml=text).model_dump_json())
