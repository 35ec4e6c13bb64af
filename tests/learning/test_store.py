"""Training into the store and getting the model back, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import sqlalchemy as sa

from walkaway.decision.assess import assess_frame
from walkaway.learning.card import PRIOR, STACK
from walkaway.policy import load_policy
from walkaway.service import import_files, sample_files
from walkaway.service.models import active_model, model_card, train
from walkaway.service.reading import load_pipeline
from walkaway.store import Store
from walkaway.store.schema import probability_models

UNTIL = datetime(2026, 11, 16)


def _sample(store: Store) -> None:
    deals_csv, activities_csv = sample_files()
    import_files(store, deals_csv, activities_csv, format="generic")


def test_train_stores_the_model_in_force_and_gives_it_back(store: Store) -> None:
    _sample(store)
    assert model_card(store) is None and active_model(store) is None
    first = train(store, UNTIL)
    card = train(store, UNTIL, exclude_attributes=["lead_source"])
    assert card.kind == STACK and card.until == UNTIL
    assert any(e.name == "lead_source" for e in card.excluded)
    assert first.trained_at <= card.trained_at
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(probability_models.c.kind, probability_models.c.active).order_by(
                probability_models.c.id
            )
        ).all()
    assert [tuple(r) for r in rows] == [(STACK, False), (STACK, True)]
    assert model_card(store) == card
    found = active_model(store)
    assert found is not None
    model, stored = found
    assert stored == card
    pipeline = load_pipeline(store, UNTIL)
    frame = assess_frame(pipeline, UNTIL, load_policy(), model=model)
    assert frame.height > 0
    signals_p = frame["win_probability"]
    assert ((signals_p > 0) & (signals_p < 1)).all()
    assert frame.filter(pl.col("reasons_for").list.len() == 0).height == 0


def test_too_little_history_stores_the_prior_and_review_keeps_its_own(store: Store) -> None:
    _sample(store)
    card = train(store, datetime(2025, 6, 20))
    assert card.kind == PRIOR
    assert card.closed_deals < 30
    assert model_card(store) == card
    assert active_model(store) is None
