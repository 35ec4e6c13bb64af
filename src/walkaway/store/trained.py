"""The trained win models: one row per training, the newest active one in force.

A row keeps the model's kind, its card (JSON text) and the model itself (bytes); what
the kinds and the card mean is the learning package's business, not the store's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from walkaway.store.schema import deals, probability_models


@dataclass(frozen=True)
class StoredModel:
    """The model in force as stored: its kind, its card (JSON text) and its bytes."""

    kind: str
    card: str
    blob: bytes


def _in_force(*columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
    return (
        sa.select(*columns)
        .where(probability_models.c.active)
        .order_by(probability_models.c.id.desc())
        .limit(1)
    )


def model_kind_in_force(conn: Connection) -> str | None:
    """The kind of the model in force; None when none was ever trained."""
    kind = conn.execute(_in_force(probability_models.c.kind)).scalar()
    return None if kind is None else str(kind)


def model_card_in_force(conn: Connection) -> str | None:
    """The card (JSON text) of the model in force; None when none was ever trained."""
    card = conn.execute(_in_force(probability_models.c.card)).scalar()
    return None if card is None else str(card)


def model_in_force(conn: Connection) -> StoredModel | None:
    """The model in force, bytes and all; None when none was ever trained."""
    c = probability_models.c
    row = conn.execute(_in_force(c.kind, c.card, c.blob)).first()
    if row is None:
        return None
    blob = row[2]
    assert isinstance(blob, bytes | memoryview)
    return StoredModel(str(row[0]), str(row[1]), bytes(blob))


def put_in_force(conn: Connection, created_at: datetime, kind: str, card: str, blob: bytes) -> None:
    """Store a model as the one in force; earlier ones stay, inactive."""
    conn.execute(probability_models.update().values(active=False))
    conn.execute(
        probability_models.insert().values(
            created_at=created_at, kind=kind, card=card, blob=blob, active=True
        )
    )


def deal_attributes(conn: Connection) -> pl.DataFrame:
    """Every stored deal's extra columns (``deal_id``, ``attributes`` as JSON text), which
    a stored model's attribute features read."""
    rows = conn.execute(sa.select(deals.c.deal_id, deals.c.attributes)).all()
    return pl.DataFrame(rows, schema={"deal_id": pl.String, "attributes": pl.String}, orient="row")
