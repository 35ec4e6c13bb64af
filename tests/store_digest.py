"""A digest of every table of a store: what "nothing was written" is checked against."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa

from walkaway.store.database import normalise_url


def table_digests(url: str) -> dict[str, tuple[int, str]]:
    """``{table: (rows, sha256 of its rows in a fixed order)}`` for every table of the
    database at ``url`` (reflected, so a table the code forgot is covered too)."""
    engine = sa.create_engine(normalise_url(url))
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        found: dict[str, tuple[int, str]] = {}
        with engine.connect() as conn:
            for name, table in sorted(metadata.tables.items()):
                rows = sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
                digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
                found[name] = (len(rows), digest)
        return found
    finally:
        engine.dispose()


def row_counts(url: str) -> dict[str, int]:
    return {name: rows for name, (rows, _digest) in table_digests(url).items()}
