"""Training the team's win-probability model and keeping it in the store.

``train`` learns from the stored pipeline (:func:`walkaway.learning.blend.train_win_model`)
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

import polars as pl
import sqlalchemy as sa

from walkaway.backtest.line import with_line
from walkaway.learning.blend import BlendedWinModel, train_win_model
from walkaway.learning.card import PRIOR, ModelCard
from walkaway.models import Pipeline, as_utc_naive
from walkaway.policy import Policy, load_policy
from walkaway.service.pipeline import stored_policy_text
from walkaway.store import Store
from walkaway.store.frames import load_activities, load_deals
from walkaway.store.schema import deals, probability_models
from walkaway.store.writing import now_utc


def _policy(store: Store) -> Policy:
    return load_policy(stored_policy_text(store))


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
    policy = _policy(store)
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
    with store.begin() as conn:
        conn.execute(probability_models.update().values(active=False))
        conn.execute(
            probability_models.insert().values(
                created_at=trained_at,
                kind=card.kind,
                card=json.dumps(card.to_dict(), ensure_ascii=False),
                blob=model.to_bytes(),
                active=True,
            )
        )
    return card


def _active_row(store: Store, *columns: sa.ColumnElement[object]) -> tuple[object, ...] | None:
    with store.connect() as conn:
        row = conn.execute(
            sa.select(*columns)
            .where(probability_models.c.active)
            .order_by(probability_models.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else tuple(row)


def model_card(store: Store) -> ModelCard | None:
    """The card of the model in force, or None when none was ever trained."""
    row = _active_row(store, probability_models.c.card)
    return None if row is None else ModelCard.from_dict(json.loads(str(row[0])))


def active_model(store: Store) -> tuple[BlendedWinModel, ModelCard] | None:
    """The learned model in force, fitted and with the deals' attributes attached, and
    its card; None when there is none (or it is the prior alone)."""
    row = _active_row(store, probability_models.c.kind, probability_models.c.blob)
    if row is None or row[0] == PRIOR:
        return None  # the prior alone: fitted as of each assessment's own date instead
    blob = row[1]
    assert isinstance(blob, bytes | memoryview)
    model = BlendedWinModel.from_bytes(bytes(blob), _policy(store))
    with store.connect() as conn:
        rows = conn.execute(sa.select(deals.c.deal_id, deals.c.attributes)).all()
    attributes = pl.DataFrame(
        rows, schema={"deal_id": pl.String, "attributes": pl.String}, orient="row"
    )
    return model.attach(attributes), model.card_
