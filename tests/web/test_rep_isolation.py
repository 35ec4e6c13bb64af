"""Team mode: a rep learns nothing of another rep's deals.

Every route of the app (read from the router, pages and API alike, not only those in
``/openapi.json``) that takes a deal id is asked, as rep Lukas, about Anna's open, won
and lost deals and about a deal created after the as-of date; each answer must be the
answer to an id the store does not hold, word for word. The routes that take no deal
id must not name one of Anna's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from tests.web.conftest import AS_OF, PASSWORD, Team, csrf_of
from walkaway.store import open_store
from walkaway.store.schema import deals, decisions, loss_reviews, outcomes

OTHER = "Anna Keller"
UNKNOWN = "NO-SUCH-DEAL"
EARLY = "2025-01-02"  # before any deal of the sample was created

Request = Callable[[str, str, str], dict[str, Any]]
JSON_DECISION = {"decision": "walk_away", "reason": "not mine"}
# How each route that takes a deal id is asked: (deal id, as-of, CSRF token) -> request.
REQUESTS: dict[tuple[str, str], Request] = {
    ("GET", "/api/deals/{deal_id}"): lambda d, a, _c: {"params": {"as_of": a}},
    ("GET", "/api/deals/{deal_id}/message"): lambda d, a, _c: {"params": {"as_of": a}},
    ("GET", "/api/deals/{deal_id}/loss-review"): lambda d, a, _c: {"params": {"as_of": a}},
    ("POST", "/api/decisions"): lambda d, a, c: {
        "json": {"deal_id": d, "as_of": a, **JSON_DECISION},
        "headers": {"X-CSRF-Token": c},
    },
    ("POST", "/api/outcomes"): lambda d, a, c: {
        "json": {"deal_id": d, "outcome": "lost", "on": a},
        "headers": {"X-CSRF-Token": c},
    },
    ("GET", "/deals/{deal_id}"): lambda d, a, _c: {"params": {"as_of": a}},
    ("POST", "/deals/{deal_id}/decide"): lambda d, a, c: {
        "data": {"as_of": a, "csrf_token": c, **JSON_DECISION}
    },
    ("GET", "/deals/{deal_id}/loss-review"): lambda d, a, _c: {"params": {"as_of": a}},
    ("POST", "/deals/{deal_id}/loss-review"): lambda d, a, c: {
        "data": {"answer": "budget went elsewhere", "csrf_token": c}
    },
    ("POST", "/journal/outcome"): lambda d, a, c: {
        "data": {"deal_id": d, "outcome": "lost", "on": a, "csrf_token": c}
    },
}


def app_routes(routes: list[Any]) -> list[APIRoute]:
    """Every route of the app, the included routers' too."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += app_routes(route.original_router.routes)
    return found


def _takes_deal_id(route: APIRoute) -> bool:
    if "{deal_id}" in route.path:
        return True
    for field in route.dependant.body_params:
        model_fields = getattr(field.field_info.annotation, "model_fields", {})
        if field.name == "deal_id" or "deal_id" in model_fields:
            return True
    return False


def _anna_deals(url: str) -> dict[str, tuple[str, str]]:
    """Anna's deals of each kind: (deal id, as-of date to ask with)."""
    store = open_store(url)
    d = deals.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(d.deal_id, d.outcome, d.created_at).where(d.owner == OTHER))
        mine = sorted(rows.all(), key=lambda row: row.created_at)
    store.close()
    newest_open = next(r for r in reversed(mine) if r.outcome == "open")
    before_it = (newest_open.created_at.date() - timedelta(days=1)).isoformat()
    assert date.fromisoformat(before_it) < date.fromisoformat(AS_OF)
    return {
        "open": (next(r.deal_id for r in mine if r.outcome == "open"), AS_OF),
        "won": (next(r.deal_id for r in mine if r.outcome == "won"), AS_OF),
        "lost": (next(r.deal_id for r in mine if r.outcome == "lost"), AS_OF),
        "future": (newest_open.deal_id, before_it),
        "before_any": (newest_open.deal_id, EARLY),
    }


def _sign_in(client: Any, name: str) -> str:
    page = client.get("/login")
    form = {"name": name, "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "/"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return csrf_of(client.get("/", params={"as_of": AS_OF}).text)


def _answer(client: Any, route: tuple[str, str], deal_id: str, as_of: str, csrf: str) -> Any:
    method, path = route
    kwargs = REQUESTS[route](deal_id, as_of, csrf)
    url = path.replace("{deal_id}", deal_id)
    return client.request(method, url, follow_redirects=False, **kwargs)


def _same_answer(shown: Any, unknown: Any, deal_id: str) -> bool:
    """The same status, type and body, once each names the id it was asked about."""
    return (
        shown.status_code == unknown.status_code
        and shown.headers.get("content-type") == unknown.headers.get("content-type")
        and shown.text.replace(deal_id, UNKNOWN) == unknown.text
    )


def test_every_route_that_takes_a_deal_id_is_walked(team: Team) -> None:
    with team.client() as client:
        taking = {
            (method, route.path)
            for route in app_routes(client.app.routes)
            if _takes_deal_id(route)
            for method in route.methods
        }
    assert taking == set(REQUESTS), "a route takes a deal id: add it to REQUESTS"


@pytest.mark.parametrize("kind", ["open", "won", "lost", "future", "before_any"])
def test_a_rep_gets_the_unknown_deals_answer_for_another_reps_deal(team: Team, kind: str) -> None:
    """Whatever the deal's state or the as-of date, on every route: exactly a 404 for
    an unknown deal, and nothing written."""
    deal_id, as_of = _anna_deals(team.url)[kind]
    written = _written(team.url)
    with team.client() as client:
        csrf = _sign_in(client, "lukas")
        for route in REQUESTS:
            unknown = _answer(client, route, UNKNOWN, as_of, csrf)
            shown = _answer(client, route, deal_id, as_of, csrf)
            assert unknown.status_code == 404, (route, unknown.status_code, unknown.text[:200])
            assert _same_answer(shown, unknown, deal_id), (route, kind, shown.text[:300])
    assert _written(team.url) == written


def _written(url: str) -> tuple[int, ...]:
    """How many decisions, outcomes and loss notes the store holds."""
    store = open_store(url)
    with store.connect() as conn:
        counts = tuple(
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (decisions, outcomes, loss_reviews)
        )
    store.close()
    return counts


def test_a_rep_sees_their_own_deal_on_the_same_routes(team: Team) -> None:
    """The walk above proves something only if a rep's own deal answers otherwise."""
    store = open_store(team.url)
    with store.connect() as conn:
        query = sa.select(deals.c.deal_id).where(
            deals.c.owner == "Lukas Brandt", deals.c.outcome == "open"
        )
        own = conn.execute(query).scalars().first()
    store.close()
    assert own is not None
    with team.client() as client:
        csrf = _sign_in(client, "lukas")
        for route in [("GET", "/api/deals/{deal_id}"), ("GET", "/deals/{deal_id}")]:
            assert _answer(client, route, own, AS_OF, csrf).status_code == 200


def test_pages_and_lists_without_a_deal_id_name_none_of_another_reps_deals(team: Team) -> None:
    store = open_store(team.url)
    with store.connect() as conn:
        others = conn.execute(sa.select(deals.c.deal_id).where(deals.c.owner != "Lukas Brandt"))
        other_ids = set(others.scalars())
    store.close()
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, other_ids)) + r")\b")
    with team.client() as client:
        _sign_in(client, "lukas")
        for route in app_routes(client.app.routes):
            if "GET" not in route.methods or "{" in route.path or route.path == "/login":
                continue
            answer = client.get(route.path, params={"as_of": AS_OF}, follow_redirects=False)
            assert answer.status_code < 500, route.path
            named = pattern.findall(answer.text)
            assert not named, (route.path, named[:5])
