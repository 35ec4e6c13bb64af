"""The journal's arithmetic on a hand-built history: fates, deadlines, the scorecard."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
import pytest

from walkaway.journal.scorecard import (
    ALL_REPS,
    DECISION_SCHEMA,
    INBOUND_SCHEMA,
    JOURNAL_DEAL_SCHEMA,
    OUTCOME_SCHEMA,
    due_decisions,
    follow_up,
    overlay_decisions,
    scorecard,
)

AS_OF = datetime(2024, 3, 10)


def _decision(
    decision_id: int,
    deal_id: str,
    decision: str,
    at: str,
    *,
    hours: float = 10.0,
    requalify_by: str | None = None,
    revisit_on: str | None = None,
) -> dict[str, Any]:
    return {
        "decision_id": decision_id,
        "deal_id": deal_id,
        "decision": decision,
        "decided_at": datetime.fromisoformat(at),
        "decided_by": "someone",
        "reason": "because",
        "revisit_on": date.fromisoformat(revisit_on) if revisit_on else None,
        "requalify_by": date.fromisoformat(requalify_by) if requalify_by else None,
        "win_probability": 0.2,
        "expected_value": 1000.0,
        "cost_to_pursue": 900.0,
        "hours_needed": hours,
        "recommendation": decision,
    }


DECISIONS = pl.DataFrame(
    [
        _decision(1, "D1", "walk_away", "2024-01-10", hours=20.0),  # lost since: stayed lost
        _decision(2, "D2", "walk_away", "2024-01-10", hours=15.0),  # wrote again, then lost
        _decision(3, "D3", "walk_away", "2024-01-12", hours=30.0),  # won after all
        _decision(4, "D4", "walk_away", "2024-01-15"),  # nothing yet (a reply comes too late)
        _decision(5, "D5", "requalify", "2024-01-10", requalify_by="2024-01-24"),  # answered
        _decision(6, "D6", "requalify", "2024-01-10", requalify_by="2024-01-24"),  # late reply
        _decision(7, "D7", "requalify", "2024-01-10", requalify_by="2024-01-24"),  # re-decided
        _decision(8, "D7", "walk_away", "2024-01-22", hours=40.0),  # ... walked away: no news
        _decision(9, "D8", "requalify", "2024-03-01", requalify_by="2024-03-15"),  # not yet due
        _decision(10, "D9", "pursue", "2024-01-05"),  # won
        _decision(11, "D10", "pursue", "2024-01-05"),  # lost
    ],
    schema=DECISION_SCHEMA,
)


def _deal(deal_id: str, owner: str, amount: float = 10_000.0) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "name": deal_id,
        "owner": owner,
        "amount": amount,
        "currency": "EUR",
        "stage": "Proposal",
        "outcome": "open",
        "closed_at": None,
    }


DEALS = pl.DataFrame(
    [
        _deal("D1", "ana"),
        _deal("D2", "ana"),
        _deal("D3", "ana", 50_000.0),
        _deal("D4", "ben"),
        _deal("D5", "ana"),
        _deal("D6", "ben"),
        _deal("D7", "ben"),
        _deal("D8", "ben"),
        _deal("D9", "ana"),
        _deal("D10", "ben"),
    ],
    schema=JOURNAL_DEAL_SCHEMA,
)

OUTCOMES = pl.DataFrame(
    [
        ("D1", "lost", datetime(2024, 2, 1)),
        ("D2", "lost", datetime(2024, 3, 1)),
        ("D3", "won", datetime(2024, 2, 15)),
        ("D9", "won", datetime(2024, 2, 1)),
        ("D10", "lost", datetime(2024, 2, 1)),
        ("D4", "won", datetime(2024, 4, 1)),  # after the journal's date: unknown yet
    ],
    schema=OUTCOME_SCHEMA,
    orient="row",
)

INBOUND = pl.DataFrame(
    [
        ("D1", datetime(2024, 1, 5)),  # before the walk-away: does not bring it back
        ("D2", datetime(2024, 1, 20)),
        ("D5", datetime(2024, 1, 20)),
        ("D6", datetime(2024, 2, 1)),
        ("D4", datetime(2024, 3, 20)),  # after the journal's date
    ],
    schema=INBOUND_SCHEMA,
    orient="row",
)


@pytest.fixture(scope="module")
def entries() -> pl.DataFrame:
    return follow_up(DECISIONS, DEALS, OUTCOMES, INBOUND, AS_OF)


def test_fate_of_every_decision(entries: pl.DataFrame) -> None:
    fates = dict(entries.select("decision_id", "fate").iter_rows())
    assert fates == {
        1: "stayed_lost",
        2: "came_back",
        3: "won",
        4: "no_news",
        5: "open",
        6: "open",
        7: "open",
        8: "no_news",
        9: "open",
        10: "won",
        11: "lost",
    }


def test_requalify_deadlines(entries: pl.DataFrame) -> None:
    status = dict(entries.select("decision_id", "requalify_status").iter_rows())
    assert {k: v for k, v in status.items() if v is not None} == {
        5: "met",  # the buyer wrote on the 20th, deadline the 24th
        6: "missed",  # the reply came a week late
        7: "met",  # a later decision (the 22nd) settled it
        9: "pending",  # deadline after the journal's date
    }


def test_what_happened_after(entries: pl.DataFrame) -> None:
    d2 = entries.filter(pl.col("decision_id") == 2).row(0, named=True)
    assert d2["first_inbound_after"] == datetime(2024, 1, 20) and d2["inbound_after"] == 1
    assert (d2["outcome_after"], d2["outcome_after_at"]) == ("lost", datetime(2024, 3, 1))
    d7 = entries.filter(pl.col("decision_id") == 7).row(0, named=True)
    assert (d7["next_decision"], d7["next_decided_at"]) == ("walk_away", datetime(2024, 1, 22))
    assert entries["decision_id"].to_list() == [10, 11, 1, 2, 5, 6, 7, 3, 4, 8, 9]


def test_scorecard_exact_numbers(entries: pl.DataFrame) -> None:
    card = {row["owner"]: row for row in scorecard(entries).iter_rows(named=True)}
    assert list(card) == ["ana", "ben", ALL_REPS]
    assert card[ALL_REPS] == {
        "owner": ALL_REPS,
        "decisions": 11,
        "walk_aways": 5,
        "stayed_lost": 1,
        "came_back": 2,
        "no_news": 2,
        "wins_given_up": 1,
        "wins_given_up_value": 50_000.0,
        "hours_freed": 20.0,
        "requalifications": 4,
        "deadlines_met": 2,
        "deadlines_missed": 1,
        "deadlines_pending": 1,
        "pursued": 2,
        "pursued_won": 1,
        "pursued_lost": 1,
    }
    assert pick(card["ana"]) == (5, 3, 1, 2, 0, 1, 50_000.0, 20.0, 1, 0, 0, 1, 1, 0)
    assert pick(card["ben"]) == (6, 2, 0, 0, 2, 0, 0.0, 0.0, 1, 1, 1, 1, 0, 1)


def pick(row: dict[str, Any]) -> tuple[Any, ...]:
    keys = (
        "decisions", "walk_aways", "stayed_lost", "came_back", "no_news", "wins_given_up",
        "wins_given_up_value", "hours_freed", "deadlines_met", "deadlines_missed",
        "deadlines_pending", "pursued", "pursued_won", "pursued_lost",
    )  # fmt: skip
    return tuple(row[k] for k in keys)


def test_scorecard_of_no_decisions_is_zero() -> None:
    empty = follow_up(DECISIONS.clear(), DEALS.clear(), OUTCOMES.clear(), INBOUND.clear(), AS_OF)
    card = scorecard(empty)
    assert card.height == 1
    row = card.row(0, named=True)
    assert row["owner"] == ALL_REPS and row["decisions"] == 0 and row["hours_freed"] == 0.0


def test_a_close_dated_later_is_not_known_yet() -> None:
    deals = DEALS.with_columns(
        pl.when(pl.col("deal_id") == "D4")
        .then(pl.lit("won"))
        .otherwise(pl.col("outcome"))
        .alias("outcome"),
        pl.when(pl.col("deal_id") == "D4")
        .then(pl.lit(datetime(2024, 4, 1)))
        .otherwise(pl.col("closed_at"))
        .alias("closed_at"),
    )
    entries = follow_up(DECISIONS, deals, OUTCOMES, INBOUND, AS_OF)
    assert entries.filter(pl.col("deal_id") == "D4")["deal_outcome"].item() == "open"


def _human(deal_id: str, decision: str, on: datetime) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "human_decision": decision,
        "human_reason": "gut",
        "decided_by": "ana",
        "decided_at": on,
        "revisit_on": None,
        "requalify_by": None,
    }


def test_overlay_shows_the_decision_beside_the_data() -> None:
    assessments = pl.DataFrame(
        {
            "deal_id": ["A", "B", "C"],
            "recommendation": ["walk_away", "pursue", "requalify"],
            "win_probability": [0.12, 0.6, 0.3],
            "revisit_on": [date(2027, 1, 1), None, None],
            "requalify_by": [None, None, date(2026, 12, 1)],
        }
    )
    decisions = pl.DataFrame(
        [_human("A", "pursue", datetime(2026, 11, 2)), _human("B", "pursue", datetime(2026, 11, 3))]
    )
    result = overlay_decisions(assessments, decisions)
    assert result["deal_id"].to_list() == ["A", "B", "C"]
    assert result["recommendation"].to_list() == ["walk_away", "pursue", "requalify"]
    assert result["decision_in_force"].to_list() == ["pursue", "pursue", "requalify"]
    assert result["data_disagrees"].to_list() == [True, False, False]
    assert result["disagreement"].to_list() == [
        "You decided to pursue on 2026-11-02; the data now says walk away (p 12%)",
        None,
        None,
    ]
    # The engine's own dates stay; the person's are beside them.
    assert result["revisit_on"].to_list()[0] == date(2027, 1, 1)
    assert {"human_revisit_on", "human_requalify_by", "human_reason"} <= set(result.columns)


def test_due_decisions_are_the_ones_in_force() -> None:
    items = due_decisions(DECISIONS, date(2024, 1, 25), decided_before=AS_OF)
    # D7's re-qualify is superseded by its walk-away; D8's is due on 15 March.
    assert items.select("deal_id", "kind", "due_on").rows() == [
        ("D5", "requalify_deadline", date(2024, 1, 24)),
        ("D6", "requalify_deadline", date(2024, 1, 24)),
    ]
    later = DECISIONS.with_columns(
        pl.when(pl.col("decision") == "walk_away")
        .then(pl.lit(date(2024, 2, 1)))
        .alias("revisit_on")
    )
    items = due_decisions(later, date(2024, 2, 1), decided_before=AS_OF)
    revisits = set(items.filter(pl.col("kind") == "revisit")["deal_id"])
    assert revisits == {"D1", "D2", "D3", "D4", "D7"}


def test_a_walk_away_taken_back_is_no_win_given_up() -> None:
    decisions = pl.DataFrame(
        [
            _decision(1, "W1", "walk_away", "2024-01-10"),  # taken back, then won
            _decision(2, "W1", "pursue", "2024-01-20"),
            _decision(3, "W2", "walk_away", "2024-01-10"),  # won while walked away from
        ],
        schema=DECISION_SCHEMA,
    )
    deals = pl.DataFrame([_deal("W1", "ana"), _deal("W2", "ana", 7_000.0)], JOURNAL_DEAL_SCHEMA)
    won = [("W1", "won", datetime(2024, 2, 1)), ("W2", "won", datetime(2024, 2, 1))]
    outcomes = pl.DataFrame(won, schema=OUTCOME_SCHEMA, orient="row")
    entries = follow_up(decisions, deals, outcomes, INBOUND.clear(), AS_OF)
    assert entries.select("decision_id", "fate").rows() == [
        (1, "taken_back"),
        (3, "won"),
        (2, "won"),
    ]
    team = scorecard(entries).filter(pl.col("owner") == ALL_REPS).row(0, named=True)
    assert (team["wins_given_up"], team["wins_given_up_value"]) == (1, 7_000.0)
    assert (team["pursued"], team["pursued_won"]) == (1, 1)
