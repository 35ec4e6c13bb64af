"""A web app started again on a store shows the board from the review the one before kept
beside the store (walkaway.service.kept), assessing no deal; an import in between is seen
(the board is assessed again), a decision in between is shown without assessing again,
and a damaged kept file is ignored, never a 500. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.calls import Calls, counted_calls
from tests.web.conftest import AS_OF, make_client, script_deal_csv, web_settings
from walkaway.decision.assess import assess_frame
from walkaway.service import import_files
from walkaway.service.journal import record_decision
from walkaway.settings import copy_dir_from
from walkaway.store import Store, open_store
from walkaway.store.kept import kept_folder


def started(url: str) -> tuple[str, dict[str, Any], Calls]:
    """A new app on ``url``: its board (the HTML), its review (the JSON API), and how
    many times it assessed deals to show them."""
    with counted_calls(assess_frame) as calls, make_client(web_settings(url)) as client:
        board = client.get("/")
        assert board.status_code == 200, board.text
        review = client.get("/api/review", params={"as_of": AS_OF})
        assert review.status_code == 200, review.text
    return board.text, review.json(), calls


def opened(url: str) -> Store:
    """The store as the app opens it (its copy folder the test's own)."""
    return open_store(url, copy_dir=copy_dir_from(os.environ))


def kept_files(url: str) -> list[Path]:
    store = opened(url)
    try:
        folder = kept_folder(store)
    finally:
        store.close()
    assert folder is not None
    return sorted(folder.glob("review-*.arrow"))


def test_a_restarted_app_shows_the_kept_review_without_assessing(demo_url: str) -> None:
    _, first, calls = started(demo_url)
    assert calls.count >= 1
    assert len(kept_files(demo_url)) == 1
    board_again, again, calls = started(demo_url)
    assert calls.count == 0
    assert again == first
    top = first["deals"][0]
    assert top["name"] in board_again and top["deal_id"] in board_again


def test_an_import_in_between_is_on_the_next_board(demo_url: str, tmp_path: Path) -> None:
    _, first, _ = started(demo_url)
    store = opened(demo_url)
    try:
        import_files(store, script_deal_csv(tmp_path))
    finally:
        store.close()
    _, again, calls = started(demo_url)
    assert calls.count >= 1
    ids = [deal["deal_id"] for deal in again["deals"]]
    assert "X-1" in ids and len(ids) == len(first["deals"]) + 1


def test_a_decision_in_between_shows_without_assessing_again(demo_url: str) -> None:
    _, first, _ = started(demo_url)
    deal_id = first["deals"][-1]["deal_id"]
    store = opened(demo_url)
    try:
        moment = datetime.fromisoformat(AS_OF)
        record_decision(store, deal_id, "walk_away", "the buyer went quiet", as_of=moment)
    finally:
        store.close()
    _, again, calls = started(demo_url)
    assert calls.count == 0
    decided = {d["deal_id"]: d for d in again["deals"]}[deal_id]
    assert decided["human_decision"] == "walk_away"


def test_a_damaged_kept_review_is_ignored_and_replaced(demo_url: str) -> None:
    _, first, _ = started(demo_url)
    [path] = kept_files(demo_url)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3] + b"\x00" * 64)
    _, again, calls = started(demo_url)
    assert calls.count >= 1
    assert again == first
    _, third, calls = started(demo_url)  # the damaged file was replaced by a whole one
    assert calls.count == 0
    assert third == first
