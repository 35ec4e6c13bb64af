"""The walk-away line: a probability floor set so the history gives up few wins."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from walkaway.backtest.line import _wins_that_may_go as wins_that_may_go
from walkaway.backtest.line import walk_away_line
from walkaway.learning.card import describe_line
from walkaway.policy import Policy, load_policy

CUT = datetime(2025, 3, 1)


def history(p_won: list[float], p_lost: list[float], amount: float = 100.0) -> pl.DataFrame:
    """One look per closed deal; with ``amount`` 100 every look's economics say walk away
    (p x 50 / 12 h is far below k x the rate); lost deals had 10 h left, won ones 20."""
    rows = [
        {"deal_id": f"W{i}", "won": 1, "win_probability": p, "hours_after": 20.0}
        for i, p in enumerate(p_won)
    ] + [
        {"deal_id": f"L{i}", "won": 0, "win_probability": p, "hours_after": 10.0}
        for i, p in enumerate(p_lost)
    ]
    return pl.DataFrame(rows).with_columns(
        pl.lit(CUT).alias("cut"),
        pl.lit("EUR").alias("currency"),
        pl.lit(amount).alias("amount"),
        pl.lit(0.5).alias("margin"),
        pl.lit(None, dtype=pl.String).alias("potential"),
        pl.lit(12.0).alias("hours_needed"),
        pl.lit(0.0).alias("hours_invested"),
        pl.lit(100.0).alias("yield_per_hour"),
        pl.lit("team").alias("yield_source"),
        pl.lit(30.0).alias("days_after"),
    )


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.mark.parametrize("allowed", [0.0, 0.05, 0.1, 0.25])
def test_the_floor_gives_up_no_more_wins_than_the_policy_allows(
    policy: Policy, allowed: float
) -> None:
    rng = np.random.default_rng(3)
    p_won = sorted(rng.uniform(0.1, 0.9, 40).round(4).tolist())
    p_lost = rng.uniform(0.02, 0.4, 60).round(4).tolist()
    strict = replace(policy, decision=replace(policy.decision, max_wins_sacrificed=allowed))
    line = walk_away_line(history(p_won, p_lost), strict)
    assert line is not None and line.max_wins_sacrificed == allowed
    sacrificed = sum(p < line.floor for p in p_won) / len(p_won)
    assert sacrificed == pytest.approx(line.point.wins_sacrificed) and sacrificed <= allowed
    # the highest such floor with room for chance: just above it, one more win would go
    may = wins_that_may_go(len(p_won), allowed)
    assert sum(p < line.floor for p in p_won) <= may
    if not line.capped:
        assert sum(p <= line.floor for p in p_won) == may + 1
    saved = sum(10.0 for p in p_lost if p < line.floor) / (10.0 * len(p_lost))
    assert line.point.effort_saved == pytest.approx(saved)
    assert line.effort == "hours"
    assert [p.floor for p in line.curve] == sorted(p.floor for p in line.curve)
    assert line.point in line.curve


def test_deals_the_economics_keep_are_never_walked_away_from(policy: Policy) -> None:
    line = walk_away_line(history([0.1, 0.5], [0.01, 0.02], amount=10_000_000.0), policy)
    assert line is not None
    assert all(p.walked == 0 for p in line.curve)
    # nothing to hold back: the economics alone would allow any floor, so the line is
    # the history's win rate (2 of 4 deals won), a probability a person can act on
    assert line.floor == 0.5 and line.capped
    assert "only below a win probability of 50.0% (the history's win rate" in "\n".join(
        describe_line(line)
    )


def test_the_line_is_never_above_the_history_s_win_rate(policy: Policy) -> None:
    line = walk_away_line(history([0.6, 0.7, 0.8], [0.05, 0.1, 0.2, 0.3, 0.4, 0.5]), policy)
    assert line is not None
    assert line.floor <= 3 / 9


def test_without_hours_logged_the_effort_is_days_to_the_close(policy: Policy) -> None:
    frame = history([0.6, 0.7, 0.8], [0.05, 0.1]).with_columns(pl.lit(0.0).alias("hours_after"))
    line = walk_away_line(frame, policy)
    assert line is not None and line.effort == "days"


def test_one_outcome_only_sets_no_line(policy: Policy) -> None:
    assert walk_away_line(history([0.5, 0.6], []), policy) is None


def test_a_deal_is_walked_away_from_at_its_first_walkable_look(policy: Policy) -> None:
    frame = history([], [0.3, 0.3]).with_columns(
        pl.Series("deal_id", ["L0", "L0"]),
        pl.Series("cut", [CUT, CUT + timedelta(days=7)]),
        pl.Series("win_probability", [0.3, 0.05]),
        pl.Series("hours_after", [10.0, 4.0]),
    )
    frame = pl.concat([frame, history([0.9], []).select(frame.columns)])
    line = walk_away_line(frame, policy)
    assert line is not None
    at_point_one = next(p for p in line.curve if p.floor >= 0.06)
    assert at_point_one.effort_saved == pytest.approx(4.0 / 10.0)  # walked at the 2nd look


def test_what_may_be_sacrificed_leaves_room_for_chance() -> None:
    """The largest count of won deals whose share stays within the allowance at the upper
    end of its one-sided 95% interval: none of 20, a share below 5% of thousands."""
    assert wins_that_may_go(20, 0.05) == 0
    assert wins_that_may_go(3000, 0.05) < 0.05 * 3000
    counts = [wins_that_may_go(n, 0.05) / n for n in (100, 1_000, 10_000, 100_000)]
    assert counts == sorted(counts) and counts[-1] > 0.048  # the margin shrinks with data
    assert wins_that_may_go(500, 0.0) == 0
