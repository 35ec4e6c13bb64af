"""What a manager must know before the calls is said once, at the top of the review."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from walkaway.policy import load_policy
from walkaway.service.notes import review_notes
from walkaway.signals.norms import Norms

AS_OF = datetime(2026, 3, 2)


def _frame(
    p: list[float], hours_source: str = "history", yield_source: str = "team"
) -> pl.DataFrame:
    n = len(p)
    return pl.DataFrame(
        {
            "win_probability": p,
            "hours_needed": [15.0] * n,
            "hours_needed_source": [hours_source] * n,
            "yield_source": [yield_source] * n,
            "currency": ["USD"] * n,
        }
    )


def _norms(as_of: datetime) -> Norms:
    from walkaway.models import Pipeline
    from walkaway.signals.norms import compute_norms

    return compute_norms(Pipeline.empty(), as_of, load_policy())


def test_nothing_to_say_about_a_well_informed_review() -> None:
    spread = [0.1 + 0.08 * i for i in range(10)]
    assert review_notes(_frame(spread), _norms(AS_OF), AS_OF, load_policy()) == []


def test_defaults_that_decide_are_said_once_with_how_to_set_them() -> None:
    frame = _frame([0.1 + 0.08 * i for i in range(10)], "policy", "policy")
    (note,) = review_notes(frame, _norms(AS_OF), AS_OF, load_policy())
    assert note.startswith("The policy's defaults decide these calls (15 hours still needed")
    assert "$80 an hour" in note and "walkaway policy set" in note  # the deals' currency


def test_a_flat_model_is_said_once() -> None:
    (note,) = review_notes(_frame([0.63] * 40), _norms(AS_OF), AS_OF, load_policy())
    assert note.startswith("Nothing in this history predicts wins beyond the stage")


def test_a_review_long_after_the_data_says_so_and_how_to_review_as_of_the_export() -> None:
    norms = _norms(AS_OF - timedelta(days=400))
    (note,) = review_notes(_frame([0.63] * 40), norms, AS_OF, load_policy())
    assert "400 days before this review" in note
    assert f"--as-of {norms.as_of:%Y-%m-%d}" in note


def test_a_learned_value_of_an_hour_says_where_it_came_from() -> None:
    from dataclasses import replace

    policy = load_policy()
    learned = pl.DataFrame(
        {
            "currency": ["EUR", "USD"],
            "won_deals": [12, 9],
            "won_value": [168_000.0, 315_000.0],
            "hours": [1_200.0, 900.0],
            "team_yield": [140.0, 350.0],
        }
    )
    norms = replace(_norms(AS_OF), currency_yield=learned)
    spread = [0.1 + 0.08 * i for i in range(10)]
    (note,) = review_notes(_frame(spread), norms, AS_OF, policy)  # the deals are in USD
    assert note.startswith("An hour is worth $350 ($315,000 of won margin ÷ 900 logged selling")
    assert "from the deals won since 2025-" in note
    assert "€" not in note  # the euro figure is not these deals'
    # the policy's figure decides: the defaults' note, not this one
    (policy_note,) = review_notes(_frame(spread, yield_source="policy"), norms, AS_OF, policy)
    assert policy_note.startswith("The policy's defaults decide")
