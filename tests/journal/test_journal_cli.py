"""decide, outcome, journal, due and loss-review as a user runs them, on the demo store."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.store import open_store
from walkaway.store.schema import decisions, loss_reviews, outcomes


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("journal") / "demo.db")
    result = CliRunner().invoke(app, ["demo", "--db", db])
    assert result.exit_code == 0, result.output
    return db


def run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    return result


def run_json(*args: str) -> Any:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def counts(db: str) -> tuple[int, int, int]:
    store = open_store(db)
    try:
        with store.connect() as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in (decisions, outcomes, loss_reviews)
            )
    finally:
        store.close()


def test_decide_then_the_journal_shows_what_became_of_it(demo_db: str) -> None:
    done = run(
        "decide", "D-2021", "walk_away", "--reason", "No budget this year",
        "--as-of", "2026-11-02", "--db", demo_db,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Recorded: walk away on D-2021" in done.stdout and "revisit on 2027-05-02" in done.stdout
    came = run("outcome", "D-2021", "came_back", "--note", "They called", "--on", "2026-11-12",
               "--db", demo_db)  # fmt: skip
    assert came.exit_code == 0 and "D-2021 came back on 2026-11-12" in came.stdout
    data = run_json("journal", "--as-of", "2026-11-16", "--db", demo_db)
    entry = next(e for e in data["entries"] if e["deal_id"] == "D-2021")
    assert (entry["decision"], entry["fate"], entry["reason"]) == (
        "walk_away",
        "came_back",
        "No budget this year",
    )
    team = next(s for s in data["scorecard"] if s["owner"] == "all reps")
    assert team["walk_aways"] >= 1 and team["came_back"] >= 1
    table = run("journal", "--as-of", "2026-11-16", "--owner", "Lukas Brandt", "--db", demo_db)
    assert table.exit_code == 0 and "Scorecard" in table.stdout and "D-2021" in table.stdout
    won = run("outcome", "D-2021", "won", "--on", "2026-11-14", "--db", demo_db)
    assert won.exit_code == 0
    text = " ".join(run("journal", "--as-of", "2026-11-16", "--db", demo_db).stdout.split())
    # a walk-away the team won after all is a wrong call, not a win "given up"
    assert "1 won after all (€12,000)" in text and "given up" not in text


def test_due_brings_the_exit_message_of_a_missed_deadline(demo_db: str) -> None:
    done = run(
        "decide", "D-2007", "requalify", "--reason", "Need the economic buyer",
        "--as-of", "2026-11-02", "--by", "Manager", "--db", demo_db,
    )  # fmt: skip
    assert done.exit_code == 0 and "answers due by 2026-11-16" in done.stdout
    data = run_json("due", "--on", "2026-11-16", "--db", demo_db)
    item = next(i for i in data["due"] if i["deal_id"] == "D-2007")
    assert item["kind"] == "requalify_deadline" and item["requalify_status"] == "missed"
    assert item["decided_by"] == "Manager" and "Pausing Analytics" in item["message"]
    text = run("due", "--on", "2026-11-16", "--tone", "direct", "--db", demo_db)
    assert text.exit_code == 0 and "re-qualify deadline today (no answer yet)" in text.stdout
    assert run("due", "--on", "2026-10-01", "--db", demo_db).stdout.startswith("Nothing due")


def test_loss_review_of_a_lost_deal(demo_db: str) -> None:
    data = run_json("loss-review", "D-1001", "--db", demo_db)
    assert set(data) == {
        "deal", "timeline", "turn", "events", "warning_signs", "questions", "move_on_by", "notes",
    }  # fmt: skip
    assert data["deal"]["loss_reason"] == "went dark" and data["move_on_by"] == "2025-09-26"
    assert data["turn"]["turned_at"] < data["deal"]["lost_at"]
    assert data["timeline"] and data["questions"]
    noted = run("loss-review", "D-1001", "--answer", "Chose a cheaper tool", "--lesson",
                "Ask about budget in discovery", "--db", demo_db)  # fmt: skip
    assert noted.exit_code == 0, noted.output
    assert "Chose a cheaper tool" in noted.stdout and "move on by 2025-09-26" in noted.stdout
    again = run_json("loss-review", "D-1001", "--db", demo_db)
    assert again["notes"][-1]["lesson"] == "Ask about budget in discovery"


def test_team_loss_review(demo_db: str) -> None:
    data = run_json("loss-review", "--team", "--db", demo_db)
    assert data["lost_deals"] > 0 and data["turned"] > 0
    assert {row["stage"] for row in data["by_stage"]}
    assert all({"code", "lost_share", "won_share", "lift"} <= set(r) for r in data["indicators"])
    text = run("loss-review", "--team", "--since", "2026-01-01", "--db", demo_db)
    assert text.exit_code == 0 and "Leading indicators" in text.stdout


BAD = [
    ("decide", "NOPE", "pursue", "--reason", "x"),
    ("decide", "D-2020", "maybe", "--reason", "x"),
    ("decide", "D-2020", "walk_away", "--reason", "x", "--revisit", "2020-01-01"),
    ("decide", "D-2020", "pursue", "--reason", "x", "--as-of", "yesterday"),
    ("decide", "D-1001", "pursue", "--reason", "x"),
    ("outcome", "D-2020", "maybe"),
    ("outcome", "NOPE", "won"),
    ("outcome", "D-2020", "won", "--on", "2999-01-01"),
    ("loss-review", "D-2020", "--answer", "x"),
    ("loss-review", "D-1007", "--lesson", "x"),
    ("loss-review",),
    ("loss-review", "D-1001", "--team"),
    ("journal", "--since", "last week"),
    ("due", "--on", "soon"),
]


@pytest.mark.parametrize("args", BAD, ids=lambda a: " ".join(a))
def test_bad_input_is_one_line_exit_2_nothing_written(demo_db: str, args: tuple[str, ...]) -> None:
    before = counts(demo_db)
    result = run(*args, "--db", demo_db)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert counts(demo_db) == before


def test_a_command_run_again_with_its_idempotency_key_records_nothing_twice(
    demo_db: str,
) -> None:
    args = ["decide", "D-2022", "pursue", "--reason", "The buyer replied", "--as-of",
            "2026-11-03", "--db", demo_db]  # fmt: skip
    before = counts(demo_db)
    first = run(*args, "--idempotency-key", "monday-1")
    again = run(*args, "--idempotency-key", "monday-1")
    assert first.exit_code == again.exit_code == 0, again.output
    assert "nothing written again" in again.stdout and "Recorded: pursue on D-2022" in again.stdout
    assert again.stdout.splitlines()[1:] == first.stdout.splitlines()
    assert run(*args).exit_code == 0  # no key given: a new one for each run
    outcome = ["outcome", "D-2022", "no_decision", "--on", "2026-11-10", "--db", demo_db]
    assert run(*outcome, "--idempotency-key", "o-1").exit_code == 0
    twice = run(*outcome, "--idempotency-key", "o-1")
    assert twice.exit_code == 0 and "D-2022 no decision on 2026-11-10" in twice.stdout
    assert counts(demo_db)[:2] == (before[0] + 2, before[1] + 1)
    other = run(*outcome[:2], "lost", *outcome[3:], "--idempotency-key", "o-1")
    assert other.exit_code == 2 and "another request" in other.stderr
