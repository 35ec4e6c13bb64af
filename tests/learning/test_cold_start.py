"""Cold start: the prior exactly while history is thin; beyond, the learned model gets
the weight it earns on looks the stack was not fitted on, and no more."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest

from tests.learning.synthetic import history_pipeline, silence_pipeline
from walkaway.flags.rulebook import find_flags_frame
from walkaway.learning.card import CALIBRATED, PRIOR, STACK
from walkaway.learning.prior import PriorModel
from walkaway.learning.stack import MIN_DEALS, MIN_EACH, StackedWinModel, train_win_model
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


@pytest.mark.parametrize(("won", "lost"), [(0, 0), (2, 3), (MIN_DEALS - MIN_EACH - 1, MIN_EACH)])
def test_with_little_history_the_prior_is_used_exactly(won: int, lost: int, policy: Policy) -> None:
    pipeline, as_of = history_pipeline(won, lost)
    model = train_win_model(pipeline, as_of, policy)
    prior = PriorModel(policy).fit(pipeline, as_of)
    signals, flags = _assessed(pipeline, as_of, policy)
    assert model.weight_ == 0.0 and model.learned_ is None and model.stack_ is None
    assert model.card_.kind == PRIOR
    assert model.card_.closed_deals == won + lost
    assert "not enough history" in model.card_.verdict
    assert model.predict_proba(signals, flags).equals(prior.predict_proba(signals, flags))
    assert model.reasons(model.score(signals, flags)).equals(
        prior.reasons(prior.score(signals, flags))
    )


def test_the_blend_is_the_stack_of_the_prior_and_the_learned_score(policy: Policy) -> None:
    pipeline, as_of = history_pipeline(60, 60)
    model = train_win_model(pipeline, as_of, policy)
    assert model.card_.kind == STACK and model.learned_ is not None
    assert model.stack_ is not None and model.stack_.learned > 0
    assert model.card_.stack == (model.stack_.prior, model.stack_.learned, model.stack_.intercept)
    signals, flags = _assessed(pipeline, as_of, policy)
    prior = model.prior_.predict_proba(signals, flags).to_numpy()
    z = np.log(prior / (1 - prior))
    s = model.learned_.raw_scores(signals, flags)
    a, b, c = model.card_.stack
    expected = np.clip(1 / (1 + np.exp(-(a * z + b * s + c))), 0.001, 0.999)
    assert model.predict_proba(signals, flags).to_numpy() == pytest.approx(expected)


def test_a_model_that_beats_the_prior_earns_its_weight(policy: Policy) -> None:
    """Won deals keep hearing from the buyer, lost ones go quiet: the prior sees some of
    it (flags), the learned model more."""
    pipeline, as_of = history_pipeline(80, 80, seed=4)
    card = train_win_model(pipeline, as_of, policy).card_
    assert card.kind == STACK and card.learned_share > 0.5
    assert card.skill is not None and card.skill["earned"]
    assert card.skill["stack_log_loss"] < card.skill["prior_log_loss"]
    assert "earned" in card.verdict


def test_a_skill_less_model_gets_no_weight(policy: Policy) -> None:
    """The outcome does not depend on anything recorded: whatever the learned model fits
    does not beat the prior on looks it was not fitted on, so it weighs 0."""
    pipeline, _ = silence_pipeline(1500, seed=23, slope=0.0)
    as_of = datetime(2025, 2, 4)
    model = train_win_model(pipeline, as_of, policy)
    assert model.card_.kind == CALIBRATED
    assert model.learned_ is None and model.weight_ == 0.0
    assert model.stack_ is not None and model.stack_.learned == 0.0
    assert "gets no weight" in model.card_.verdict
    signals, flags = _assessed(pipeline, as_of, policy)
    if signals.height:
        p = model.predict_proba(signals, flags).to_numpy()
        prior = model.prior_.predict_proba(signals, flags).to_numpy()
        z = np.log(prior / (1 - prior))
        a, _, c = model.card_.stack or (0.0, 0.0, 0.0)
        assert p == pytest.approx(np.clip(1 / (1 + np.exp(-(a * z + c))), 0.001, 0.999))


def test_an_unfitted_model_says_so(policy: Policy) -> None:
    from walkaway.errors import NotFittedError

    pipeline, as_of = history_pipeline(0, 0)
    signals, flags = _assessed(pipeline, as_of, policy)
    with pytest.raises(NotFittedError):
        StackedWinModel(policy).predict_proba(signals, flags)


def test_deals_alike_in_everything_give_nothing_to_learn_and_the_card_says_why(
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
    # closed within a day, each is looked at once, at its creation: and nothing differs
    assert model.card_.verdict.startswith("nothing learned: no column tells one closed deal")
