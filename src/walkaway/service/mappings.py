"""Column mappings kept in the store: set once with ``walkaway import --map``, used for
every later file with the headers they read (walkaway.importers.columns)."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from walkaway.importers.base import header_key
from walkaway.importers.columns import ColumnMap
from walkaway.store import Store
from walkaway.store.schema import column_maps
from walkaway.store.writing import now_utc


def source_key(column_map: ColumnMap) -> str:
    """A source is the set of headers its mapping reads (spelling aside)."""
    keys = sorted({header_key(h) for h in column_map.headers})
    return hashlib.sha256("\x1f".join(keys).encode()).hexdigest()[:32]


def saved_column_maps(store: Store) -> list[ColumnMap]:
    """Every mapping the team saved, newest first."""
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(column_maps.c.mapping).order_by(column_maps.c.saved_at.desc())
        ).scalars()
        return [ColumnMap.from_json(text) for text in rows]


def save_column_map(conn: Connection, column_map: ColumnMap) -> None:
    """Keep ``column_map`` (its format set) for its source, in the import's transaction."""
    source = source_key(column_map)
    conn.execute(column_maps.delete().where(column_maps.c.source == source))
    conn.execute(
        column_maps.insert().values(
            source=source,
            format=column_map.format or "generic",
            mapping=column_map.to_json(),
            saved_at=now_utc(),
        )
    )
