"""Training the team's win-probability model and keeping it in the store.

``train`` learns from the stored pipeline (:func:`walkaway.learning.stack.train_win_model`)
and stores the model with its card in ``probability_models`` as the one in force, in
one transaction (earlier models stay, inactive). ``active_model`` gives it back fitted,
with the stored deals' attributes attached, ready for ``assess_frame(..., model=...)``;
``model_card`` reads only the card.

A model trained on too little history is the prior alone; it is stored (its card says
why) but ``active_model`` returns None for it, so assessments keep fitting the prior as
of their own date rather than using one frozen at training time. A trained model carries
the walk-away line its history sets (:mod:`walkaway.backtest.line`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from walkaway.backtest.line import with_line
from walkaway.learning.card import PRIOR, ModelCard
from walkaway.learning.stack import StackedWinModel, train_win_model
from walkaway.models import Pipeline, as_utc_naive
from walkaway.service.pipeline import current_policy
from walkaway.store import Store
from walkaway.store.frames import load_activities, load_deals
from walkaway.store.schema import deals
from walkaway.store.trained import (
    deal_attributes,
    model_card_in_force,
    model_in_force,
    put_in_force,
)
from walkaway.store.writing import now_utc


def train(
    store: Store,
    until: datetime | None = None,
    exclude_attributes: Sequence[str] = (),
    *,
    keep_attributes: Sequence[str] = (),
) -> ModelCard:
    """Learn from the deals closed before ``until`` (default: now) and put the model in
    force. Returns its card."""
    trained_at = now_utc()
    moment = as_utc_naive(until) if until is not None else trained_at
    with store.connect() as conn:
        frame = load_deals(conn, deals.c.created_at < moment)
        acts = load_activities(conn, before=moment)
    policy = current_policy(store)
    model = train_win_model(
        Pipeline(frame, acts),
        moment,
        policy,
        exclude_attributes=exclude_attributes,
        keep_attributes=keep_attributes,
        trained_at=trained_at,
    )
    model = with_line(model, policy)
    card = model.card_
    text = json.dumps(card.to_dict(), ensure_ascii=False)
    with store.begin() as conn:
        put_in_force(conn, trained_at, card.kind, text, model.to_bytes())
    return card


def model_card(store: Store) -> ModelCard | None:
    """The card of the model in force, or None when none was ever trained."""
    with store.rows() as rows:
        text = model_card_in_force(rows)
    return None if text is None else ModelCard.from_dict(json.loads(text))


def active_model(store: Store) -> tuple[StackedWinModel, ModelCard] | None:
    """The learned model in force, fitted and with the deals' attributes attached, and
    its card; None when there is none (or it is the prior alone)."""
    with store.rows() as rows:
        stored = model_in_force(rows)
    if stored is None or stored.kind == PRIOR:
        return None  # the prior alone: fitted as of each assessment's own date instead
    model = StackedWinModel.from_bytes(stored.blob, current_policy(store))
    with store.connect() as conn:
        attributes = deal_attributes(conn)
    return model.attach(attributes), model.card_
