"""Calibration against a known truth, the validation figures, and weak data said so."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from tests.learning.synthetic import START, silence_pipeline
from walkaway.flags.rulebook import find_flags_frame
from walkaway.learning.calibration import (
    calibration_table,
    fit_calibrator,
    validate,
)
from walkaway.learning.card import CALIBRATED
from walkaway.learning.model import LearnedWinModel
from walkaway.learning.stack import train_win_model
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import compute_signals

AS_OF = START + timedelta(days=400)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def _binned(predicted: np.ndarray, reference: np.ndarray) -> list[tuple[int, float, float]]:
    """Deciles of the prediction: (count, mean predicted, mean reference)."""
    edges = np.quantile(predicted, np.linspace(0, 1, 11))
    index = np.clip(np.searchsorted(edges, predicted, side="right") - 1, 0, 9)
    return [
        (
            int((index == b).sum()),
            float(predicted[index == b].mean()),
            float(reference[index == b].mean()),
        )
        for b in range(10)
        if (index == b).any()
    ]


def test_probabilities_track_a_known_truth(policy: Policy) -> None:
    """Win chance = logistic(2 - 0.15 x days since the buyer replied); 2,500 closed deals
    to learn from, 2,000 open ones to predict."""
    pipeline, truth = silence_pipeline(2500, open_deals=2000, seed=21)
    model = LearnedWinModel(policy).fit(pipeline, AS_OF)
    signals = compute_signals(pipeline, AS_OF, policy)
    assert signals["deal_id"].str.starts_with("O").all()
    p = model.predict_proba(signals, find_flags_frame(signals, policy)).to_numpy()
    assert np.abs(p - truth).mean() < 0.06
    for count, predicted, true in _binned(p, truth):
        assert abs(predicted - true) < 0.12, (count, predicted, true)
    assert np.corrcoef(p, truth)[0, 1] > 0.9


def test_the_validation_table_tracks_what_happened(policy: Policy) -> None:
    pipeline, _ = silence_pipeline(2500, seed=22)
    card = train_win_model(pipeline, AS_OF, policy).card_
    assert card.validation is not None and card.validation.auc is not None
    assert card.validation.auc > 0.7
    assert card.validation.brier < card.validation.brier_base_rate
    assert len(card.validation.calibration) == 10
    assert sum(b.count for b in card.validation.calibration) == card.validation_looks == 500
    for b in card.validation.calibration:
        if b.count >= 60:
            assert b.mean_predicted is not None and b.observed is not None
            assert abs(b.mean_predicted - b.observed) < 0.15


def test_without_signal_the_learned_model_gets_no_weight_and_stays_near_the_base_rate(
    policy: Policy,
) -> None:
    pipeline, _ = silence_pipeline(1500, seed=23, slope=0.0)
    model = train_win_model(pipeline, AS_OF, policy)
    card = model.card_
    assert card.kind == CALIBRATED and "gets no weight" in card.verdict
    assert card.validation is not None and card.validation.auc is not None
    assert card.validation.auc < 0.6
    low, _, high = card.validation.spread
    assert high - low < 0.1
    assert card.base_rate is not None and abs(low - card.base_rate) < 0.1


def test_a_calibrator_recovers_a_distorted_score() -> None:
    rng = np.random.default_rng(4)
    score = rng.normal(0, 2, 20_000)
    true = 1 / (1 + np.exp(-(0.5 * score - 0.7)))  # the score is twice too sharp
    won = (rng.random(score.size) < true).astype(np.int64)
    calibrator = fit_calibrator(score, won, np.ones(score.size))
    p = calibrator.apply(score)
    assert np.abs(p - true).mean() < 0.03
    assert p.min() >= 0.001 and p.max() <= 0.999


def test_scores_and_table_by_hand() -> None:
    p = np.array([0.05, 0.15, 0.15, 0.95])
    won = np.array([0, 0, 1, 1])
    scores = validate(p, won, np.ones(4), reference=0.5)
    assert scores.auc == pytest.approx(0.875)
    assert scores.brier == pytest.approx((0.05**2 + 0.15**2 + 0.85**2 + 0.05**2) / 4)
    assert scores.brier_base_rate == pytest.approx(0.25)
    assert scores.base_rate == pytest.approx(0.5)
    table = calibration_table(p, won.astype(float), np.ones(4))
    assert [b.count for b in table] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    assert table[1].observed == pytest.approx(0.5) and table[2].observed is None


def test_a_model_for_a_date_learns_only_what_closed_before_it(policy: Policy) -> None:
    pipeline, _ = silence_pipeline(400, seed=24)
    until = datetime(2024, 7, 1)
    model = train_win_model(pipeline, until, policy)
    card = model.card_
    assert card.validation_to is not None and card.validation_to < until
    assert card.looked_deals < 400
    history = model.history()
    assert history is not None and (history["closed_at"] < until).all()
