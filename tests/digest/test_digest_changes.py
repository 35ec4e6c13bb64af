"""Each rep's weekly digest opens with what changed for them since the last review."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from walkaway.reporting.digest import digest_html, digest_text, digest_webhook
from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import build_demo
from walkaway.service.changes import changes, save_review
from walkaway.service.digest import weekly_digests
from walkaway.store import Store

AS_OF = datetime.combine(SAMPLE_AS_OF, datetime.min.time())
SAVED = datetime(2026, 11, 2)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The sample, with a review saved two weeks before its today."""
    db = tmp_path_factory.mktemp("digest-changes") / "demo.db"
    opened, _ = build_demo(f"sqlite:///{db}")
    save_review(opened, SAVED, by="Mia", at=SAVED)
    yield opened
    opened.close()


def test_each_rep_gets_only_their_own_changes_since_the_saved_review(store: Store) -> None:
    team = changes(store, AS_OF).deals
    weeks = weekly_digests(store, AS_OF)
    assert team.height and weeks
    for week in weeks:
        mine = team.filter(team["owner"] == week.owner)["deal_id"].to_list()
        assert [c.deal_id for c in week.changes] == mine
        assert week.changes_since == SAVED.date()
    assert sum(len(w.changes) for w in weeks) == team.height


def test_the_changes_come_first_in_text_html_and_webhook(store: Store) -> None:
    week = next(w for w in weekly_digests(store, AS_OF) if w.changes)
    first = week.changes[0]
    title = f"Changed since {SAVED:%Y-%m-%d} ({len(week.changes)})"
    text = digest_text(week)
    assert text.index(title) < text.index("Walk away (")
    assert f"- {first.deal_id} {first.name}: {first.what}, {first.calls}" in text
    assert all(f"    {cause}" in text for cause in first.because)
    html = digest_html(week)
    assert html.index(title) < html.index("<h2>Walk away (")
    blocks = digest_webhook(week)["blocks"]
    assert blocks[1]["text"]["text"].startswith(f"*{title}*")
    assert f"`{first.deal_id}`" in blocks[1]["text"]["text"]


def test_one_reps_digest_holds_only_their_changes(store: Store) -> None:
    owner = changes(store, AS_OF).deals["owner"][0]
    (week,) = weekly_digests(store, AS_OF, owner=owner)
    assert week.changes and {c.deal_id for c in week.changes} == set(
        changes(store, AS_OF, owner=owner).deals["deal_id"]
    )
