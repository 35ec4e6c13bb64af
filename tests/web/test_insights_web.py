"""The What wins page says where lost deals turn, in words, as the team loss review finds."""

from __future__ import annotations

from datetime import datetime
from html import unescape

from fastapi.testclient import TestClient

from tests.web.conftest import AS_OF
from walkaway.service.insights import insights, turn_headline
from walkaway.store import open_store


def test_the_insights_page_says_where_lost_deals_turn(client: TestClient, demo_url: str) -> None:
    page = unescape(client.get("/insights", params={"as_of": AS_OF}).text)
    store = open_store(demo_url)
    found = insights(store, datetime.fromisoformat(AS_OF))
    store.close()
    headline = turn_headline(found.turns)
    assert headline is not None and headline in page
    section = page[page.index('id="turns"') :]
    for row in found.turns.iter_rows(named=True):
        assert f'<td>{row["stage"]}</td><td class="num">{row["deals"]:,}</td>' in section
    assert 'href="/losses"' in section
