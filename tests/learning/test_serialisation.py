"""A stored model predicts exactly as the one that was trained; no pickle anywhere."""

from __future__ import annotations

import json

import pytest

from tests.learning.synthetic import history_pipeline
from walkaway.errors import InputError
from walkaway.flags.rulebook import find_flags_frame
from walkaway.learning.card import ModelCard
from walkaway.learning.stack import StackedWinModel, train_win_model
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import compute_signals


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.mark.parametrize(("won", "lost"), [(90, 110), (3, 4)])
def test_round_trip_gives_identical_predictions_reasons_and_card(
    won: int, lost: int, policy: Policy
) -> None:
    pipeline, as_of = history_pipeline(won, lost, open_deals=20, seed=12)
    model = train_win_model(pipeline, as_of, policy)
    data = model.to_bytes()
    document = json.loads(data.decode("utf-8"))  # plain JSON: numbers and LightGBM's text
    assert document["format"] == "walkaway-win-model"
    loaded = StackedWinModel.from_bytes(data, policy).attach(pipeline.deals)
    signals = compute_signals(pipeline, as_of, policy)
    flags = find_flags_frame(signals, policy)
    assert loaded.predict_proba(signals, flags).to_list() == (
        model.predict_proba(signals, flags).to_list()
    )
    assert loaded.reasons(loaded.score(signals, flags)).equals(
        model.reasons(model.score(signals, flags))
    )
    assert loaded.card_.to_dict() == model.card_.to_dict()
    assert loaded.to_bytes() == data


def test_the_card_survives_json(policy: Policy) -> None:
    pipeline, as_of = history_pipeline(60, 80, seed=13)
    card = train_win_model(pipeline, as_of, policy).card_
    again = ModelCard.from_dict(json.loads(json.dumps(card.to_dict())))
    assert again == card
    text = card.to_text()
    for words in ("verdict", "closed deals", "stack", "AUC", "Brier", "calibration"):
        assert words in text


def test_anything_else_is_refused(policy: Policy) -> None:
    with pytest.raises(InputError, match="not a stored Walkaway win model"):
        StackedWinModel.from_bytes(b'{"format": "other"}', policy)
