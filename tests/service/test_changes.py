"""What changed since an earlier review: on a pipeline where known things happen between
two dates (tests/service/changes_story.py), each is reported once, with its cause."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.service.changes_story import AFTER, BEFORE, after, write_story
from walkaway.cli import app
from walkaway.journal.changes import CLOSED_SCHEMA, KINDS, compare_reviews
from walkaway.service import import_files
from walkaway.service.changes import (
    changes,
    changes_json,
    parse_since,
    resolve_since,
    save_review,
)
from walkaway.service.journal import record_decision
from walkaway.service.review import review
from walkaway.store import Store, open_store


def _import_story(store: Store, folder: Path) -> None:
    deals_csv, acts_csv = write_story(folder)
    import_files(store, deals_csv, acts_csv, format="generic")
    # a re-qualify whose deadline comes between the reviews (day 13), one that came before (-5)
    record_decision(store, "D-STAY", "requalify", "Budget owner changed", as_of=after(-1))
    record_decision(store, "D-MOVE", "requalify", "Waiting on legal", as_of=after(-19))


@pytest.fixture
def story_store(store: Store, tmp_path: Path) -> Store:
    _import_story(store, tmp_path)
    return store


@pytest.fixture(scope="module")
def story_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("story")
    url = f"sqlite:///{folder / 'story.db'}"
    opened = open_store(url)
    _import_story(opened, folder)
    opened.close()
    yield url


def _by_deal(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["deal_id"]: row for row in frame.iter_rows(named=True)}


def _calls(store: Store, when: datetime) -> dict[str, str]:
    frame = review(store, when).deals
    return dict(frame.select("deal_id", "recommendation").iter_rows())


def test_each_known_change_is_reported_once_with_its_cause(story_store: Store) -> None:
    result = changes(story_store, AFTER, BEFORE.isoformat())
    ids = result.deals["deal_id"].to_list()
    assert len(ids) == len(set(ids)), "a deal is reported once"
    found = _by_deal(result.deals)
    assert "D-STAY" not in found, "a deal that carried on as before is not a change"

    cross = found["D-CROSS"]
    assert (cross["kind"], cross["call_now"]) == ("crossed_line", "walk_away")
    assert cross["call_before"] != "walk_away" and cross["p_now"] < cross["p_before"]
    assert any("days in qualification" in c for c in cross["because"])

    dark = found["D-DARK"]
    assert dark["p_now"] < dark["p_before"]
    assert dark["kind"] in {"crossed_line", "flipped", "moved"}
    assert any("no reply in 18 days" in c for c in dark["because"])

    moved = found["D-MOVE"]
    assert moved["p_now"] > moved["p_before"] + 0.10
    assert moved["because"][0] == "Moved from proposal to negotiation"
    assert (moved["stage_before"], moved["stage_now"]) == ("proposal", "negotiation")

    new = found["D-NEW"]
    assert (new["kind"], new["call_before"], new["p_before"]) == ("new", None, None)
    assert new["call_now"] is not None and new["because"]

    for deal_id, outcome, day in (("D-WON", "won", 10), ("D-LOST", "lost", 12)):
        closed = found[deal_id]
        assert (closed["kind"], closed["outcome"], closed["call_now"]) == ("closed", outcome, None)
        assert closed["because"][0] == f"{outcome.title()} on {after(day):%Y-%m-%d}"
        right = {"won": "pursue", "lost": "walk_away"}[outcome] == closed["call_before"]
        wrong = {"won": "walk_away", "lost": "pursue"}[outcome] == closed["call_before"]
        assert closed["call_was"] == ("right" if right else "wrong" if wrong else "open")

    deadlines = result.deadlines
    assert deadlines["deal_id"].to_list() == ["D-STAY"], "only the deadline that came between"
    assert deadlines.row(0, named=True)["kind"] == "requalify_deadline"


def test_every_flipped_call_is_there_with_the_kind_it_makes(story_store: Store) -> None:
    """Checked against the two reviews read on their own: no flip is missed."""
    was, now = _calls(story_store, BEFORE), _calls(story_store, AFTER)
    found = _by_deal(changes(story_store, AFTER, "3w").deals)
    for deal_id in was.keys() & now.keys():
        if was[deal_id] == now[deal_id]:
            continue
        into_walk = now[deal_id] == "walk_away"
        out_of_walk = was[deal_id] == "walk_away"
        kind = "crossed_line" if into_walk else "came_back" if out_of_walk else "flipped"
        row = found[deal_id]
        assert (row["kind"], row["call_before"], row["call_now"]) == (
            kind,
            was[deal_id],
            now[deal_id],
        )
    assert {d for d in now.keys() - was.keys()} == {
        d for d, r in found.items() if r["kind"] == "new"
    }
    assert {d for d in was.keys() - now.keys()} == {
        d for d, r in found.items() if r["kind"] == "closed"
    }


def test_most_important_first(story_db: str) -> None:
    frame = changes(open_store(story_db), AFTER, BEFORE.isoformat()).deals
    ranks = [KINDS.index(k) for k in frame["kind"]]
    assert ranks == sorted(ranks)
    assert frame["kind"][0] == "crossed_line"


def test_a_review_compared_with_itself_has_no_change(story_db: str) -> None:
    deals = review(open_store(story_db), AFTER).deals
    nothing = pl.DataFrame(schema=CLOSED_SCHEMA)
    assert compare_reviews(deals, deals, nothing).height == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", AFTER - timedelta(days=7)),
        ("2w", AFTER - timedelta(days=14)),
        (" 3W ", AFTER - timedelta(days=21)),
        ("2024-06-01", datetime(2024, 6, 1)),
        ("2024-06-01T12:30:00", datetime(2024, 6, 1, 12, 30)),
    ],
)
def test_since_reads_spans_and_dates(text: str, expected: datetime) -> None:
    assert parse_since(text, AFTER) == expected


@pytest.mark.parametrize("text", ["yesterday", "7", "d7", "2024-13-01", ""])
def test_since_refuses_what_is_not_a_span_or_a_date(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected e\.g\. 7d, 2w, last or 2026-11-09"):
        parse_since(text, AFTER)


def test_since_defaults_to_the_last_saved_review_else_a_week(sqlite_store: Store) -> None:
    assert resolve_since(sqlite_store, None, AFTER) == (AFTER - timedelta(days=7), "a week")
    save_review(sqlite_store, BEFORE, by="Ana", at=AFTER)
    save_review(sqlite_store, AFTER + timedelta(days=7), by="Ana", at=AFTER)  # later: not it
    assert resolve_since(sqlite_store, "last", AFTER) == (BEFORE, "saved review")
    assert resolve_since(sqlite_store, None, AFTER) == (BEFORE, "saved review")
    with pytest.raises(ValueError, match="is not before the review's date"):
        resolve_since(sqlite_store, "2024-07-01", AFTER)


def test_changes_json_is_plain_data(story_db: str) -> None:
    data = changes_json(changes(open_store(story_db), AFTER, BEFORE.isoformat()))
    assert json.loads(json.dumps(data)) == data
    assert data["since"] == "2024-06-01T00:00:00+00:00" and data["since_from"] == "given"
    assert data["summary"]["by_kind"]["closed"] == 2
    assert sum(data["summary"]["by_kind"].values()) == len(data["changes"])
    assert data["deadlines"][0]["due_on"] == f"{after(13):%Y-%m-%d}"


def _run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80"})


def test_review_since_in_the_terminal_fits_80_columns(story_db: str) -> None:
    result = _run("review", "--db", story_db, "--as-of", AFTER.isoformat(), "--since", "3w")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("What changed from 2024-06-01 to 2024-06-22")
    for title in ("Crossed the walk-away line (1)", "New deals (1)", "Closed since (2)"):
        assert title in text
    assert "Decisions whose deadline came (1)" in text
    assert "Moved from proposal to negotiation." in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_review_since_json_and_bad_input(story_db: str) -> None:
    base = ("review", "--db", story_db, "--as-of", AFTER.isoformat())
    result = _run(*base, "--since", "3w", "--format", "json")
    assert result.exit_code == 0, result.output
    assert {c["deal_id"] for c in json.loads(result.stdout)["changes"]} >= {"D-CROSS", "D-NEW"}
    for extra, said in (
        (("--since", "fortnight"), "error: --since 'fortnight' is not a span or a date"),
        (("--since", "2024-07-01"), "error: --since 2024-07-01 00:00 is not before"),
        (("--since", "7d", "--format", "csv"), "error: --format csv cannot be used with --since"),
        (("--since", "7d", "--stage", "proposal"), "error: --stage cannot be used with --since"),
    ):
        bad = _run(*base, *extra)
        assert bad.exit_code == 2, bad.output
        assert bad.stderr.startswith(said) and len(bad.stderr.strip().splitlines()) == 1


def test_a_saved_review_is_what_since_last_compares_with(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'saved.db'}"
    opened = open_store(url)
    _import_story(opened, tmp_path)
    opened.close()
    saved = _run("review", "--db", url, "--as-of", BEFORE.isoformat(), "--save", "--by", "Ana")
    assert saved.exit_code == 0, saved.output
    assert "Review as of 2024-06-01 saved" in saved.stderr
    result = _run("review", "--db", url, "--as-of", AFTER.isoformat(), "--since", "last")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "What changed from 2024-06-01 to 2024-06-22 (the last saved review)"
    )
