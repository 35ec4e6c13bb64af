"""The trained win models: one row per training, the newest active one in force.

A row keeps the model's kind, its card (JSON text) and the model itself (bytes); what
the kinds and the card mean is the learning package's business, not the store's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from walkaway import lazy

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from walkaway.store import schema
    from walkaway.store.driver import Rows
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")


@dataclass(frozen=True)
class StoredModel:
    """The model in force as stored: its kind, its card (JSON text) and its bytes."""

    kind: str
    card: str
    blob: bytes


def _in_force(rows: Rows, columns: str) -> tuple[Any, ...] | None:
    """``columns`` of the model in force (the store's :meth:`~walkaway.store.Store.rows`)."""
    found = rows(f"SELECT {columns} FROM probability_models WHERE active ORDER BY id DESC LIMIT 1")
    return found[0] if found else None


def model_kind_in_force(rows: Rows) -> str | None:
    """The kind of the model in force; None when none was ever trained."""
    row = _in_force(rows, "kind")
    return None if row is None or row[0] is None else str(row[0])


def model_card_in_force(rows: Rows) -> str | None:
    """The card (JSON text) of the model in force; None when none was ever trained."""
    row = _in_force(rows, "card")
    return None if row is None or row[0] is None else str(row[0])


def model_in_force(rows: Rows) -> StoredModel | None:
    """The model in force, bytes and all; None when none was ever trained."""
    row = _in_force(rows, "kind, card, blob")
    if row is None:
        return None
    blob = row[2]
    assert isinstance(blob, bytes | memoryview)
    return StoredModel(str(row[0]), str(row[1]), bytes(blob))


def put_in_force(conn: Connection, created_at: datetime, kind: str, card: str, blob: bytes) -> None:
    """Store a model as the one in force; earlier ones stay, inactive."""
    conn.execute(schema.probability_models.update().values(active=False))
    conn.execute(
        schema.probability_models.insert().values(
            created_at=created_at, kind=kind, card=card, blob=blob, active=True
        )
    )


def deal_attributes(conn: Connection) -> pl.DataFrame:
    """Every stored deal's extra columns (``deal_id``, ``attributes`` as JSON text), which
    a stored model's attribute features read."""
    deals = schema.deals
    rows = conn.execute(sa.select(deals.c.deal_id, deals.c.attributes)).all()
    return pl.DataFrame(rows, schema={"deal_id": pl.String, "attributes": pl.String}, orient="row")
