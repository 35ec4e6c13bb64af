"""Reading the pipeline for a whole review: from the columnar copy, a batch at a time.

A review needs every deal and the activities of the deals open at its as-of moment. From
the columnar copy (:mod:`walkaway.store.columnar`) that is a scan of Parquet files with
the as-of moment pushed down as a filter; without one (a SQLite store in memory, a folder
that cannot be written) it is the store's bulk read. Both give the same frames, row for
row (a test compares them), as :func:`load_pipeline` documents.

Big pipelines are assessed in batches of open deals (:data:`BATCH_DEALS`, in deal
order): each batch reads only its deals' activities (the copy is sorted by deal, so only
the row groups holding them), so memory is bounded by a batch, not by the whole log. The
norms and the model are the team's, learned once; nothing about one deal's assessment
depends on another open deal, so the batches' rows are the rows of one pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from walkaway import lazy
from walkaway.models import ACTIVITY_SCHEMA, Outcome, Pipeline
from walkaway.store import Store
from walkaway.store.columnar import Copy, ensure_copy, open_at, read_pipeline
from walkaway.store.frames import load_activities, load_deals, read_frame

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from walkaway.store import schema
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")

# Open deals assessed at once; a batch of 100,000 with 50 activities each is ~1 GB.
BATCH_DEALS = 100_000


def load_pipeline(
    store: Store, as_of: datetime, *, open_only: bool = False, columnar: bool = True
) -> Pipeline:
    """Every deal created before ``as_of`` and every activity dated before it; with
    ``open_only``, only the activities of deals still open at ``as_of`` (all a review
    reads once the team norms are known). Activities are in time order per deal (ties in
    the order they were stored).

    Read from the columnar copy (rebuilt first when missing or stale) unless not
    ``columnar`` or there can be none; then from the store.

    Outcomes and stages after ``as_of`` are still in the deal rows; the core's snapshot
    takes them back to what was known then.
    """
    copy = ensure_copy(store) if columnar else None
    if copy is not None:
        with suppress(FileNotFoundError):  # removed under us (long after it went stale)
            return Pipeline(*read_pipeline(copy, as_of, open_only=open_only))
    with store.connect() as conn:
        frame = load_deals(conn, schema.deals.c.created_at < as_of)
        if open_only:
            acts = _open_deals_activities(conn, as_of)
        else:
            acts = load_activities(conn, before=as_of)
    return Pipeline(frame, acts)


def whole_pipeline(store: Store) -> Pipeline:
    """Every stored deal and activity, whatever their dates (the web's deal history
    assesses one deal at many earlier moments from it)."""
    with store.connect() as conn:
        return Pipeline(load_deals(conn), load_activities(conn))


def _open_deals_activities(conn: Connection, as_of: datetime) -> pl.DataFrame:
    """What :func:`load_activities` returns before ``as_of``, for the deals open then as
    the snapshot sees them: still open, or closed at or after ``as_of``."""
    open_then = sa.select(schema.deals.c.deal_id).where(
        (schema.deals.c.created_at < as_of)
        & ((schema.deals.c.outcome == Outcome.OPEN.value) | (schema.deals.c.closed_at >= as_of))
    )
    columns = [schema.activities.c[name] for name in ACTIVITY_SCHEMA]
    query = (
        sa.select(*columns)
        .where((schema.activities.c.at < as_of) & schema.activities.c.deal_id.in_(open_then))
        .order_by(schema.activities.c.deal_id, schema.activities.c.at, schema.activities.c.id)
    )
    return read_frame(conn, columns, query, ACTIVITY_SCHEMA, bulk=True)


def open_batches(copy: Copy, as_of: datetime, batch_deals: int = BATCH_DEALS) -> Iterator[Pipeline]:
    """The deals open at ``as_of`` and their activities before it, ``batch_deals`` deals
    at a time in deal order (each batch's deals frame holds only its deals)."""
    known = copy.deals().filter(pl.col("created_at") < as_of)
    ids = known.filter(open_at(as_of)).select("deal_id").collect()["deal_id"]
    for start in range(0, max(ids.len(), 1), max(batch_deals, 1)):
        batch = ids.slice(start, batch_deals)
        yield Pipeline(*read_pipeline(copy, as_of, deal_ids=batch))
