"""The loss review on hand-built deals whose turn is known."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from tests.journal.factories import (
    CREATED,
    LOST_ON,
    PROPOSAL_ON,
    deal,
    lost_silent_deal,
    pipeline,
    won_lively_deal,
)
from walkaway.errors import InputError
from walkaway.journal.loss.review import MOVE_ON_DAYS, LossReview, review_loss
from walkaway.journal.loss.team import leading_indicators, review_team_losses, team_grid
from walkaway.journal.loss.timeline import TIMELINE_SCHEMA, deal_cuts, thin
from walkaway.policy import Policy, load_policy

WEEK = timedelta(days=7)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def silent(policy: Policy) -> LossReview:
    row, acts = lost_silent_deal("L1")
    return review_loss(pipeline([row], acts), "L1", policy)


def test_the_turn_is_found_within_a_week_of_the_silence(silent: LossReview) -> None:
    turn = silent.turn
    assert turn is not None
    # The buyer's last reply came just before the proposal; silence from the proposal on.
    assert turn["last_buyer_reply"] < PROPOSAL_ON
    assert abs(turn["onset"] - PROPOSAL_ON) <= WEEK
    # It shows once the silence is long enough to read, well before the loss.
    assert PROPOSAL_ON < turn["turned_at"] < PROPOSAL_ON + 5 * WEEK
    assert turn["p_before"] > turn["p_after"]
    assert {"unresponsive", "proposal_unanswered"} & set(turn["new_flags"])
    assert turn["stage"] == "proposal"


def test_the_review_reads_the_deal_at_every_point(silent: LossReview) -> None:
    review = silent
    timeline = review.timeline
    assert timeline["cut"].min() > CREATED and timeline["cut"].max() == LOST_ON
    assert timeline.height <= 30
    # Healthy while the buyer replied, unlikely by the end.
    early = timeline.filter(pl.col("cut") < PROPOSAL_ON)["win_probability"]
    assert early.max() > 0.3 > timeline["win_probability"].tail(1).item()
    # Warning signs: raised before the turn, each with the day it was first seen.
    signs = review.warning_signs
    assert turn_at(review) > signs["first_seen"].max()
    assert review.move_on_by == LOST_ON.date() + timedelta(days=MOVE_ON_DAYS)
    assert review.deal["loss_reason"] == "went dark"
    # The proposal is among the events around the turn.
    assert "proposal" in review.events["kind"].to_list()


def turn_at(review: LossReview) -> datetime:
    assert review.turn is not None
    return review.turn["turned_at"]  # type: ignore[no-any-return]


def test_questions_start_from_the_loss_reason_and_the_silence(silent: LossReview) -> None:
    questions = silent.questions
    assert questions[0].startswith("You gave the reason as “went dark”")
    assert any("went quiet on your side" in q and "March 2024" in q for q in questions)
    assert len(questions) == len(set(questions)) <= 6


def test_a_deal_that_is_not_lost_has_no_loss_review(policy: Policy) -> None:
    open_deal = pipeline([deal("O1")])
    with pytest.raises(InputError, match="not lost"):
        review_loss(open_deal, "O1", policy)
    with pytest.raises(InputError, match="no deal"):
        review_loss(open_deal, "nope", policy)


def test_a_flat_deal_has_no_turn(policy: Policy) -> None:
    row = deal("F1", created_at=CREATED, closed_at=CREATED + timedelta(days=3), outcome="lost")
    review = review_loss(pipeline([row]), "F1", policy)
    assert review.turn is None and review.events.height == 0
    assert review.questions[-1] == "What would you want us to do differently next time?"


def test_cuts_cover_the_life_of_the_deal() -> None:
    acts = [CREATED + timedelta(days=d) for d in (1, 1, 2, 30, 500)]
    cuts = deal_cuts(CREATED, CREATED + timedelta(days=40), acts)
    assert cuts[0] == CREATED + timedelta(seconds=1)
    assert cuts[-1] == CREATED + timedelta(days=40)
    assert CREATED + timedelta(days=14) in cuts  # weekly
    assert CREATED + timedelta(days=30, seconds=1) in cuts  # just after an activity
    assert all(CREATED < c <= CREATED + timedelta(days=40) for c in cuts)
    assert cuts == sorted(set(cuts))


def test_thin_keeps_the_ends() -> None:
    moments = [CREATED + timedelta(hours=h) for h in range(100)]
    kept = thin(moments, 10)
    assert len(kept) == 10 and kept[0] == moments[0] and kept[-1] == moments[-1]
    assert thin(moments[:5], 10) == moments[:5]


def test_team_grid_widens_the_step_to_stay_under_the_cap() -> None:
    cuts, step = team_grid(CREATED, CREATED + timedelta(days=300), 60)
    assert step == 5 and len(cuts) == 60 and cuts[0] == CREATED + timedelta(days=5)
    cuts, step = team_grid(CREATED, CREATED + timedelta(days=10), 60)
    assert step == 1 and len(cuts) == 10


def test_leading_indicators_arithmetic() -> None:
    def row(deal_id: str, codes: list[str]) -> dict[str, object]:
        return {"deal_id": deal_id, "cut": CREATED, "flag_codes": codes}

    timeline = pl.DataFrame(
        [
            row("L1", ["unresponsive", "stalled"]),
            row("L1", ["unresponsive"]),
            row("L2", ["unresponsive"]),
            row("L3", []),
            row("L4", ["no_budget"]),
            row("W1", ["stalled"]),
            row("W2", []),
        ],
        schema={k: TIMELINE_SCHEMA[k] for k in ("deal_id", "cut", "flag_codes")},
    )
    outcomes = pl.DataFrame(
        {
            "deal_id": ["L1", "L2", "L3", "L4", "W1", "W2"],
            "outcome": ["lost"] * 4 + ["won"] * 2,
        }
    )
    result = {r["code"]: r for r in leading_indicators(timeline, outcomes).to_dicts()}
    assert result["unresponsive"] == {
        "code": "unresponsive",
        "lost_with": 2,
        "lost_share": 0.5,
        "won_with": 0,
        "won_share": 0.0,
        "lift": None,  # only ever seen before losses
    }
    assert result["stalled"]["lift"] == pytest.approx(0.25 / 0.5)
    assert (result["no_budget"]["lost_with"], result["no_budget"]["won_with"]) == (1, 0)


def test_team_review_finds_where_lost_deals_turn(policy: Policy) -> None:
    deals, acts = [], []
    for i in range(4):
        row, rows = lost_silent_deal(f"L{i}", CREATED + timedelta(days=3 * i))
        deals.append(row)
        acts += rows
    for i in range(3):
        row, rows = won_lively_deal(f"W{i}", CREATED + timedelta(days=3 * i))
        deals.append(row)
        acts += rows
    team = review_team_losses(pipeline(deals, acts), policy)
    assert (team.lost_deals, team.lost_seen, team.won_seen) == (4, 4, 3)
    assert team.turned == 4
    assert team.by_stage.row(0, named=True)["stage"] == "proposal"
    assert team.by_stage["deals"].sum() == 4
    top = set(team.by_flag["code"].head(2))
    assert top & {"unresponsive", "proposal_unanswered"}
    unresponsive = team.indicators.filter(pl.col("code") == "unresponsive").row(0, named=True)
    assert unresponsive["lost_with"] == 4 and unresponsive["won_with"] == 0
    assert team.days["days_to_onset_median"] is not None
    assert 55 <= team.days["days_to_onset_median"] <= 75  # the proposal on day 63


def test_team_review_since_keeps_later_closes(policy: Policy) -> None:
    row, acts = lost_silent_deal("L1")
    team = review_team_losses(pipeline([row], acts), policy, since=LOST_ON + timedelta(days=1))
    assert (team.lost_deals, team.cuts, team.turned) == (0, 0, 0)
    assert team.by_stage.height == 0 and team.indicators.height == 0
