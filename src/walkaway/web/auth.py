"""Who is asking, and may they? Sign-in, API tokens, roles and CSRF.

Without team mode everyone is the local manager (the server listens on loopback only).
In team mode a request carries ``Authorization: Bearer TOKEN`` or a signed session
cookie set by ``/login``. Forms carry a per-session CSRF token checked on every POST;
API writes with a session cookie need it in ``X-CSRF-Token``; a Bearer token is exempt
(a browser never adds one on its own). Without team mode, a write the browser marks as
coming from another site is refused, so a web page cannot drive the local API.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Request

from walkaway.service import Store
from walkaway.service.deal import deal_owner, unknown_deal
from walkaway.service.users import Role, User, find_user, user_for_token
from walkaway.web.errors import Forbidden, NotSignedIn

LOCAL_USER = User("local", "local", Role.MANAGER, None)
# The session names the user's uid: it acts for nobody else, and for nobody once the
# user is removed or deactivated.
SESSION_USER = "user"
SESSION_CSRF = "csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# A page form's field carrying the session's CSRF token (check_form_csrf checks it).
Csrf = Annotated[str, Form()]


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_user(request: Request) -> User:
    """The signed-in user (dependency); raises NotSignedIn (401) in team mode."""
    cached = getattr(request.state, "user", None)
    if isinstance(cached, User):
        return cached
    user = _find_user(request)
    request.state.user = user
    return user


def _find_user(request: Request) -> User:
    app_state = request.app.state
    if not app_state.settings.auth:
        return LOCAL_USER
    token = _bearer(request)
    if token is not None:
        user = user_for_token(app_state.store, token)
        if user is None:
            raise NotSignedIn(
                "the API token is unknown or revoked; make one with `walkaway user token NAME`"
            )
        request.state.by_token = True
        return user
    uid = request.session.get(SESSION_USER)
    found = find_user(app_state.store, uid) if isinstance(uid, str) and uid else None
    if found is None:
        raise NotSignedIn(
            "sign in first: open /login, or send an API token as Authorization: Bearer TOKEN"
        )
    return found


def require_manager(user: User, action: str) -> None:
    if user.role is not Role.MANAGER:
        raise Forbidden(f"only a manager can {action}; you are signed in as a rep")


def ensure_can_see(user: User, owner: str | None, deal_id: str) -> None:
    """Another rep's deal is, to a rep, a deal that does not exist: the same 404 and words
    as an unknown id, whatever its state, so no answer tells a rep it is there."""
    if not user.can_see(owner):
        raise unknown_deal(deal_id)


def ensure_visible(store: Store, user: User, deal_id: str) -> None:
    """Before anything else is read about a deal (its state, its dates): an unknown deal,
    or one the person may not see, is the same 404 after the same one indexed read."""
    ensure_can_see(user, deal_owner(store, deal_id), deal_id)


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too)."""
    request.session.clear()
    request.session[SESSION_USER] = user.uid
    request.session[SESSION_CSRF] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def _same(expected: object, given: str | None) -> bool:
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected, given or "")


def check_form_csrf(request: Request, given: str | None) -> None:
    """Every POST form carries the session's token; raises Forbidden (403) otherwise."""
    if not _same(request.session.get(SESSION_CSRF), given):
        raise Forbidden(
            "the form's security token is missing or out of date; reload the page and send it again"
        )


def _cross_site(request: Request) -> bool:
    if request.headers.get("sec-fetch-site", "") in {"cross-site", "same-site"}:
        return True
    origin = request.headers.get("origin")
    return bool(origin) and urlsplit(origin).netloc != request.headers.get("host", "")


async def guard_api_write(request: Request) -> None:
    """Dependency of every API write: see the module docstring."""
    if request.method in SAFE_METHODS or _bearer(request) is not None:
        return
    if not request.app.state.settings.auth:
        if _cross_site(request):
            raise Forbidden("a write from another web site is refused; call the API directly")
        return
    if not _same(request.session.get(SESSION_CSRF), request.headers.get("x-csrf-token")):
        raise Forbidden(
            "an API write with a session cookie needs the X-CSRF-Token header; "
            "scripts should use a Bearer token"
        )
