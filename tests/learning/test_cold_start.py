"""Cold start: the prior exactly while history is thin, then a blend that moves smoothly."""

from __future__ import annotations

import itertools
from datetime import datetime

import numpy as np
import polars as pl
import pytest

from tests.learning.synthetic import history_pipeline
from walkaway.flags.rulebook import find_flags_frame
from walkaway.learning.blend import (
    HALF_WEIGHT,
    MIN_DEALS,
    MIN_EACH,
    BlendedWinModel,
    blend_weight,
    train_win_model,
)
from walkaway.learning.card import BLEND, PRIOR
from walkaway.learning.prior import PriorModel
from walkaway.models import Pipeline
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import compute_signals


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def _assessed(
    pipeline: Pipeline, as_of: datetime, policy: Policy
) -> tuple[pl.DataFrame, pl.DataFrame]:
    signals = compute_signals(pipeline, as_of, policy)
    return signals, find_flags_frame(signals, policy)


@pytest.mark.parametrize(("won", "lost"), [(0, 0), (2, 3)])
def test_with_little_history_the_prior_is_used_exactly(won: int, lost: int, policy: Policy) -> None:
    pipeline, as_of = history_pipeline(won, lost)
    model = train_win_model(pipeline, as_of, policy)
    prior = PriorModel(policy).fit(pipeline, as_of)
    signals, flags = _assessed(pipeline, as_of, policy)
    assert model.weight_ == 0.0 and model.learned_ is None
    assert model.card_.kind == PRIOR
    assert model.card_.closed_deals == won + lost
    assert "not enough history" in model.card_.verdict
    assert model.predict_proba(signals, flags).equals(prior.predict_proba(signals, flags))
    assert model.reasons(signals, flags).equals(prior.reasons(signals, flags))


def test_with_50_closed_deals_it_is_the_documented_blend(policy: Policy) -> None:
    pipeline, as_of = history_pipeline(25, 25)
    model = train_win_model(pipeline, as_of, policy)
    weight = (50 - MIN_DEALS) / (50 - MIN_DEALS + HALF_WEIGHT)
    assert model.weight_ == pytest.approx(weight) == pytest.approx(20 / 220)
    assert model.card_.kind == BLEND and model.card_.blend_weight == pytest.approx(weight)
    assert model.learned_ is not None
    signals, flags = _assessed(pipeline, as_of, policy)
    learned = model.learned_.predict_proba(signals, flags).to_numpy()
    prior = PriorModel(policy).fit(pipeline, as_of).predict_proba(signals, flags).to_numpy()
    blended = model.predict_proba(signals, flags).to_numpy()
    assert blended == pytest.approx(weight * learned + (1 - weight) * prior)


def test_the_weight_starts_at_zero_and_rises_continuously() -> None:
    assert blend_weight(MIN_DEALS, 15) == 0.0
    assert blend_weight(500, MIN_EACH) == 0.0  # too few of one outcome
    assert 0 < blend_weight(MIN_DEALS + 1, 15) < 0.01
    assert 0 < blend_weight(500, MIN_EACH + 1) < 0.05
    weights = [blend_weight(n, n // 2) for n in range(0, 5000)]
    steps = [b - a for a, b in itertools.pairwise(weights)]
    assert min(steps) >= 0 and max(steps) <= 1 / (HALF_WEIGHT + 1)  # per closed deal
    assert blend_weight(MIN_DEALS + int(HALF_WEIGHT), 10_000) == pytest.approx(0.5)


def test_one_more_closed_deal_at_the_threshold_moves_probabilities_little(
    policy: Policy,
) -> None:
    """30 closed deals: the prior; 31: a blend with w = 1/201. The same open deals."""
    pipeline, as_of = history_pipeline(16, 15, seed=5)
    closed = pipeline.deals.filter(pl.col("outcome") != "open")
    last = closed.sort("closed_at")["deal_id"][-1]
    without_last = Pipeline(
        pipeline.deals.filter(pl.col("deal_id") != last),
        pipeline.activities.filter(pl.col("deal_id") != last),
    )
    below = train_win_model(without_last, as_of, policy)
    above = train_win_model(pipeline, as_of, policy)
    assert below.weight_ == 0.0
    assert above.weight_ == pytest.approx(1 / 201)
    signals, flags = _assessed(without_last, as_of, policy)
    gap = np.abs(
        above.predict_proba(signals, flags).to_numpy()
        - below.predict_proba(signals, flags).to_numpy()
    )
    assert gap.max() < 0.02


def test_an_unfitted_model_says_so(policy: Policy) -> None:
    from walkaway.errors import NotFittedError

    pipeline, as_of = history_pipeline(0, 0)
    signals, flags = _assessed(pipeline, as_of, policy)
    with pytest.raises(NotFittedError):
        BlendedWinModel(policy).predict_proba(signals, flags)


def test_deals_closed_within_a_day_give_nothing_to_learn_and_the_card_says_why(
    policy: Policy,
) -> None:
    from datetime import timedelta

    from tests.learning.synthetic import START, deal, frames

    deals = [
        deal(
            f"Q{i}",
            START + timedelta(days=i, hours=1),
            closed_at=START + timedelta(days=i, hours=20),
            outcome="won" if i % 2 else "lost",
        )
        for i in range(80)
    ]
    model = train_win_model(frames(deals, []), START + timedelta(days=100), policy)
    assert model.weight_ == 0.0 and model.card_.kind == PRIOR
    assert model.card_.verdict.startswith("nothing to learn from yet")
