"""The baselines' building blocks."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.backtest.history import C1, deal, hand_built_history
from walkaway.backtest.baselines import (
    crm_stage_probabilities,
    historical_stage_rates,
    idle_days,
    idle_score,
    stage_probability,
    team_win_rate,
)
from walkaway.backtest.replay import as_known_at
from walkaway.models import DEAL_SCHEMA, Pipeline, empty_activities
from walkaway.policy import load_policy


def test_idle_score_is_one_half_at_the_limit_and_falls_with_idle_time() -> None:
    days = pl.Series("d", [0.0, 7.0, 14.0, 28.0])
    scores = pl.select(idle_score(pl.lit(days), 14.0)).to_series().to_list()
    assert scores == pytest.approx([1.0, 2 / 3, 0.5, 1 / 3])


def test_idle_days_count_from_the_last_activity_or_the_creation() -> None:
    view = as_known_at(hand_built_history(), C1)
    days = dict(idle_days(view, C1).iter_rows())
    assert (days["A"], days["B"], days["C"], days["H1"]) == (20.0, 3.0, 30.0, 120.0)


def test_stage_rates_and_team_rate_learned_before_the_cut() -> None:
    view = as_known_at(hand_built_history(), C1)
    rates = historical_stage_rates(view, C1, load_policy())
    assert rates == {"proposal": 0.5, "qualification": 0.0}
    assert team_win_rate(view) == pytest.approx(0.4)


def _with_crm(rows: list[tuple[str, str, float | None]]) -> Pipeline:
    deals = []
    for n, (stage, outcome, probability) in enumerate(rows):
        row = deal(f"X{n}", -10, outcome, -1 if outcome != "open" else None, stage=stage)
        attributes = {} if probability is None else {"crm_probability": probability}
        deals.append({**row, "attributes": json.dumps(attributes)})
    return Pipeline(pl.DataFrame(deals, schema=DEAL_SCHEMA), empty_activities())


def test_crm_probability_comes_from_open_deals_only() -> None:
    pipeline = _with_crm(
        [
            ("Proposal", "open", 0.6),
            ("proposal ", "open", 60),  # a percentage, and the stage spelt another way
            ("Discovery", "open", 0.2),
            ("Closed Won", "won", 1.0),  # an outcome, not a stage's probability
            ("Demo", "open", None),
        ]
    )
    assert crm_stage_probabilities(pipeline) == {"proposal": 0.6, "discovery": 0.2}


def test_stage_probability_prefers_the_crm_then_history_then_the_team_rate() -> None:
    stages = pl.Series(["Proposal", "demo", "Unknown", None])
    result = stage_probability(stages, {"proposal": 0.6}, {"proposal": 0.3, "demo": 0.25}, 0.4)
    assert result.to_list() == [0.6, 0.25, 0.4, 0.4]
