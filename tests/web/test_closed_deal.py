"""A deal won or lost before the as-of date has a page and an API answer: its outcome,
its dates and amount, the decisions recorded on it and, lost, its loss review."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.web.conftest import AS_OF, Team, bearer
from tests.web.test_rep_isolation import app_routes
from walkaway.service.journal import record_decision
from walkaway.store import open_store
from walkaway.store.schema import deals
from walkaway.web.schemas import ClosedDealOut


def _closed(url: str, outcome: str) -> dict[str, Any]:
    """The first deal of the sample with ``outcome`` and a close date."""
    store = open_store(url)
    d = deals.c
    with store.connect() as conn:
        query = sa.select(d).where(d.outcome == outcome, d.closed_at.is_not(None))
        row = conn.execute(query.order_by(d.deal_id)).mappings().first()
    store.close()
    assert row is not None
    return dict(row)


def _decide_before_close(url: str, deal: dict[str, Any]) -> datetime:
    """A decision recorded on ``deal`` while it was open; returns its moment."""
    moment = deal["created_at"] + (deal["closed_at"] - deal["created_at"]) / 2
    moment = moment.replace(second=0, microsecond=0)
    store = open_store(url)
    record_decision(store, deal["deal_id"], "walk_away", "Silent since the proposal",
                    as_of=moment, decided_by="Mia Roth")  # fmt: skip
    store.close()
    return moment


def test_a_lost_deal_has_a_page_with_its_outcome_decisions_and_loss_review(
    client: TestClient, demo_url: str
) -> None:
    deal = _closed(demo_url, "lost")
    decided = _decide_before_close(demo_url, deal)
    answer = client.get(f"/deals/{deal['deal_id']}", params={"as_of": AS_OF})
    assert answer.status_code == 200, answer.text[:300]
    page = answer.text
    assert "Lost" in page and f"{deal['closed_at']:%Y-%m-%d}" in page
    assert f"€{deal['amount']:,.0f}" in page
    assert f"{deal['created_at']:%Y-%m-%d}" in page
    assert "Silent since the proposal" in page and f"{decided:%Y-%m-%d}" in page
    assert "right: it was lost" in page
    assert f'href="/deals/{deal["deal_id"]}/loss-review"' in page
    assert 'name="decision"' not in page  # no decision form on a closed deal


def test_a_won_deal_has_a_page_without_a_loss_review(client: TestClient, demo_url: str) -> None:
    deal = _closed(demo_url, "won")
    page = client.get(f"/deals/{deal['deal_id']}", params={"as_of": AS_OF}).text
    assert "Won" in page and f"{deal['closed_at']:%Y-%m-%d}" in page
    assert "loss-review" not in page
    assert "No decision was recorded" in page


def test_the_api_answers_a_closed_deal_with_its_outcome(client: TestClient, demo_url: str) -> None:
    deal = _closed(demo_url, "lost")
    decided = _decide_before_close(demo_url, deal)
    answer = client.get(f"/api/deals/{deal['deal_id']}", params={"as_of": AS_OF})
    assert answer.status_code == 200, answer.text[:300]
    body = answer.json()
    ClosedDealOut.model_validate(body)
    assert body["state"] == "closed" and body["outcome"] == "lost"
    assert body["amount"] == deal["amount"]
    assert body["days_open"] == (deal["closed_at"] - deal["created_at"]).days
    assert [d["reason"] for d in body["decisions"]] == ["Silent since the proposal"]
    assert body["decisions"][0]["call_was"] == "right"  # walked away from a loss
    assert body["decisions"][0]["decided_at"].startswith(f"{decided:%Y-%m-%d}")
    route = body["loss_review"].replace(deal["deal_id"], "{deal_id}")
    paths = {r.path for r in app_routes(client.app.routes) if "GET" in r.methods}
    assert route in paths, route


def test_before_its_close_the_same_deal_has_a_call(client: TestClient, demo_url: str) -> None:
    """Point in time: the day before it closed, the deal was open."""
    deal = _closed(demo_url, "won")
    day_before = f"{deal['closed_at']:%Y-%m-%d}"
    body = client.get(f"/api/deals/{deal['deal_id']}", params={"as_of": day_before}).json()
    assert "state" not in body and body["recommendation"] in {"pursue", "requalify", "walk_away"}


def test_a_deal_created_after_the_date_is_still_refused(client: TestClient, demo_url: str) -> None:
    deal = _closed(demo_url, "lost")
    early = f"{deal['created_at']:%Y-%m-%d}"
    answer = client.get(f"/api/deals/{deal['deal_id']}", params={"as_of": early})
    assert answer.status_code == 409 and "created on" in answer.json()["detail"]  # the data refuses


def test_the_openapi_says_get_deal_may_answer_a_closed_deal(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ok = spec["paths"]["/api/deals/{deal_id}"]["get"]["responses"]["200"]
    refs = str(ok["content"]["application/json"]["schema"])
    assert "ClosedDealOut" in refs and "DealDetailOut" in refs
    closed = spec["components"]["schemas"]["ClosedDealOut"]
    assert {"outcome", "closed_at", "decisions", "loss_review"} <= set(closed["required"])


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_rep_sees_their_own_closed_deal(team: Team, outcome: str) -> None:
    store = open_store(team.url)
    d = deals.c
    with store.connect() as conn:
        query = sa.select(d.deal_id).where(d.owner == "Lukas Brandt", d.outcome == outcome)
        own = conn.execute(query.order_by(d.deal_id)).scalars().first()
    store.close()
    with team.client() as client:
        answer = client.get(
            f"/api/deals/{own}", params={"as_of": AS_OF}, headers=bearer(team.lukas_token)
        )
    assert answer.status_code == 200 and answer.json()["outcome"] == outcome


def test_walking_away_from_a_deal_that_was_won_reads_wrong(
    client: TestClient, demo_url: str
) -> None:
    deal = _closed(demo_url, "won")
    _decide_before_close(demo_url, deal)  # a walk-away
    page = client.get(f"/deals/{deal['deal_id']}", params={"as_of": AS_OF}).text
    assert "<strong>wrong</strong>: it was won" in page
    body = client.get(f"/api/deals/{deal['deal_id']}", params={"as_of": AS_OF}).json()
    assert [d["call_was"] for d in body["decisions"]] == ["wrong"]
