"""Which win model assesses the pipeline as of a date, and the line that says so.

A trained model (:mod:`walkaway.service.models`) is usable as of any moment after its
horizon, the last outcome it learned from — whenever it was trained (a model trained
today serves a review as of last Monday when nothing it learned closed after Monday).
Before its horizon it has seen outcomes that were not known then: the engine fits its
prior as of the date instead. Either way the review, ``show``, the API and the report
name the model that made the calls (:attr:`ModelInForce.said`): never a silent fallback.

A store where nothing was ever trained, or whose training found too little history,
answers from one small read of the card (JSON), without loading the learning libraries
(scikit-learn, LightGBM): ``walkaway show`` stays quick.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from walkaway import lazy
from walkaway.models import ModelKind, as_utc_naive
from walkaway.store import Store
from walkaway.store.trained import model_card_in_force

if TYPE_CHECKING:
    from walkaway.learning.stack import StackedWinModel

if TYPE_CHECKING:
    from walkaway.service import models
else:
    models = lazy.module("walkaway.service.models")

UNTRAINED = "the prior (no model trained yet: run `walkaway train`)"


@dataclass(frozen=True)
class ModelInForce:
    """The model that assesses deals as of a date (None: the prior, fitted then), which
    kind it is (``learned``, ``calibrated`` or ``prior``), and one line that says so."""

    model: StackedWinModel | None
    kind: str
    said: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "said": self.said}


def model_for(store: Store, as_of: datetime) -> ModelInForce:
    """The model to assess deals with as of ``as_of`` (module docstring)."""
    with store.rows() as rows:
        text = model_card_in_force(rows)
    if text is None:
        return ModelInForce(None, ModelKind.PRIOR, UNTRAINED)
    card: dict[str, Any] = json.loads(text)
    trained = datetime.fromisoformat(card["trained_at"])
    closed = int(card["won_deals"]) + int(card["lost_deals"])
    if card["kind"] == ModelKind.PRIOR:
        return ModelInForce(
            None,
            ModelKind.PRIOR,
            f"the prior: the training of {trained:%Y-%m-%d} found too little history to "
            f"learn from ({closed:,} closed deals)",
        )
    horizon = datetime.fromisoformat(card.get("horizon") or card["until"])
    if horizon >= as_utc_naive(as_of):
        return ModelInForce(
            None,
            ModelKind.PRIOR,
            f"the prior as of this date: the model trained {trained:%Y-%m-%d} learned from "
            f"deals closed up to {horizon:%Y-%m-%d}, after it",
        )

    found = models.active_model(store)
    if found is None:  # replaced between the two reads: the next review will see it
        return ModelInForce(None, ModelKind.PRIOR, UNTRAINED)
    model, _ = found
    if card["kind"] == ModelKind.CALIBRATED:
        said = (
            f"the prior, calibrated on {closed:,} closed deals (trained {trained:%Y-%m-%d}; "
            "the learned model earned no weight)"
        )
        return ModelInForce(model, ModelKind.CALIBRATED, said)
    said = f"learned, trained {trained:%Y-%m-%d} on {closed:,} closed deals"
    return ModelInForce(model, ModelKind.STACK, said)
