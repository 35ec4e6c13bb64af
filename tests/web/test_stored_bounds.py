"""A value past its limit that reached the store anyway (written by hand, by an older
Walkaway): the review, on the CLI, the API and the board, names the deal, says why, skips
it and goes on with the rest; one deal asked for alone is refused in one line."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.web.conftest import AS_OF
from walkaway.cli import app
from walkaway.models import parse_moment
from walkaway.store import open_store
from walkaway.store.schema import activities, deals

WHY = {
    "hours": "activity hours 1e20 beyond the 1,000-hour limit",
    "amount": "amount 1e20 beyond the 1,000,000,000,000 limit",
    "margin": "margin 7 outside 0–1",
}


@pytest.fixture
def poisoned(demo_url: str) -> dict[str, str]:
    """Three open deals, each given one value past its limit straight in the store;
    {what: deal id}."""
    store = open_store(demo_url)
    as_of = parse_moment(AS_OF)
    d = deals.c
    try:
        with store.begin() as conn:
            still_open = (d.outcome == "open") & (d.created_at < as_of)
            ids = conn.execute(
                sa.select(d.deal_id).where(still_open).order_by(d.deal_id).limit(3)
            ).scalars()
            hours_deal, amount_deal, margin_deal = list(ids)
            first = sa.select(sa.func.min(activities.c.id)).where(
                activities.c.deal_id == hours_deal
            )
            conn.execute(
                activities.update()
                .where(activities.c.id == first.scalar_subquery())
                .values(hours=1e20)
            )
            conn.execute(deals.update().where(d.deal_id == amount_deal).values(amount=1e20))
            conn.execute(deals.update().where(d.deal_id == margin_deal).values(margin=7.0))
    finally:
        store.close()
    return {"hours": hours_deal, "amount": amount_deal, "margin": margin_deal}


def _lines(poisoned: dict[str, str]) -> list[str]:
    return sorted(f"{deal_id} skipped: {WHY[what]}" for what, deal_id in poisoned.items())


def test_the_cli_review_skips_the_deals_says_why_and_goes_on(
    demo_url: str, poisoned: dict[str, str]
) -> None:
    result = CliRunner().invoke(
        app, ["review", "--db", demo_url, "--as-of", AS_OF, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(result.stderr.splitlines()) == [f"Warning: {x}" for x in _lines(poisoned)]
    data = json.loads(result.stdout)
    reviewed = {deal["deal_id"] for deal in data["deals"]}
    assert not reviewed & set(poisoned.values())
    assert sorted(s["line"] for s in data["summary"]["skipped"]) == _lines(poisoned)
    assert data["summary"]["open_deals"] == len(reviewed) > 10
    assert data["summary"]["open_value"] < 1e12  # the amount of 1e20 is not in it

    table = CliRunner().invoke(app, ["review", "--db", demo_url, "--as-of", AS_OF])
    assert table.exit_code == 0 and "1e20" not in table.stdout and "1e20" in table.stderr


def test_one_poisoned_deal_asked_for_alone_is_one_line(
    demo_url: str, poisoned: dict[str, str]
) -> None:
    deal_id = poisoned["hours"]
    result = CliRunner().invoke(app, ["show", deal_id, "--db", demo_url, "--as-of", AS_OF])
    assert result.exit_code == 2
    assert f"'{deal_id}' is not assessed: {WHY['hours']}" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_api_and_the_board_list_the_skipped_deals(
    client: Any, poisoned: dict[str, str]
) -> None:
    answer = client.get("/api/review", params={"as_of": AS_OF})
    assert answer.status_code == 200
    summary = answer.json()["summary"]
    assert sorted(s["line"] for s in summary["skipped"]) == _lines(poisoned)
    assert {s["deal_id"]: s["reason"] for s in summary["skipped"]} == {
        deal_id: WHY[what] for what, deal_id in poisoned.items()
    }
    reviewed = {deal["deal_id"] for deal in answer.json()["deals"]}
    assert not reviewed & set(poisoned.values())

    owner = answer.json()["deals"][0]["owner"]
    theirs = client.get("/api/review", params={"as_of": AS_OF, "owner": owner}).json()
    assert {s["deal_id"] for s in theirs["summary"]["skipped"]} <= set(poisoned.values())
    assert all(d["owner"] == owner for d in theirs["deals"])

    board = client.get("/", params={"as_of": AS_OF})
    assert board.status_code == 200
    for line in _lines(poisoned):
        assert line in board.text

    one = client.get(f"/api/deals/{poisoned['amount']}", params={"as_of": AS_OF})
    assert one.status_code == 422 and WHY["amount"] in one.json()["detail"]
