"""Writing a prepared import: new, updated and unchanged deals; activities never twice."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from walkaway import lazy
from walkaway.errors import InputError
from walkaway.models import ACTIVITY_COLUMNS, DATETIME, DEAL_COLUMNS, DEAL_SCHEMA
from walkaway.store.columnar import activities_alike, copy_as_found
from walkaway.store.frames import (
    as_stored,
    insert_frame,
    load_activities,
    load_deals,
    one_of,
    prepared_insert,
    update_frame,
)

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from walkaway.store import schema
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")


@dataclass(frozen=True)
class WriteCounts:
    deals_new: int
    deals_updated: int
    deals_unchanged: int
    activities_new: int
    activities_unchanged: int


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


# Any constant shared by every Walkaway process: the key of the imports' lock.
IMPORT_LOCK = 0x57A1_1397


def start_run(conn: Connection, fmt: str, deals_file: str, activities_file: str | None) -> int:
    """Open an import run, first in its transaction.

    Imports take turns: each reads which deals exist, then inserts the new ones, so two
    at once would both insert a deal new to both (PostgreSQL: a unique violation). On
    PostgreSQL an advisory lock, held to the end of the transaction, makes them wait;
    on SQLite the run's own row takes the write lock, which does the same.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})")
    result = conn.execute(
        schema.import_runs.insert().values(
            started_at=now_utc(), format=fmt, deals_file=deals_file, activities_file=activities_file
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finish_run(conn: Connection, run_id: int, counts: WriteCounts, rejected: int) -> None:
    conn.execute(
        schema.import_runs.update()
        .where(schema.import_runs.c.id == run_id)
        .values(
            finished_at=now_utc(),
            rejected=rejected,
            deals_new=counts.deals_new,
            deals_updated=counts.deals_updated,
            deals_unchanged=counts.deals_unchanged,
            activities_new=counts.activities_new,
            activities_unchanged=counts.activities_unchanged,
        )
    )


@dataclass(frozen=True)
class DealsWritten:
    """What :func:`write_deals` did: how many deals were new, updated and unchanged, and
    the deals it wrote (the new and updated ones, :data:`DEAL_COLUMNS`) as the store now
    holds them (:func:`walkaway.store.frames.as_stored`)."""

    new: int
    updated: int
    unchanged: int
    stored: pl.DataFrame


def _split_deals(incoming: pl.DataFrame, existing: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """New, changed and unchanged deals; changed ones carry their old outcome."""
    old = existing.rename({c: f"{c}__old" for c in DEAL_COLUMNS if c != "deal_id"})
    joined = incoming.join(old, on="deal_id", how="left")
    is_new = joined["outcome__old"].is_null()
    same = pl.all_horizontal(
        [pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in DEAL_COLUMNS if c != "deal_id"]
    )
    joined = joined.with_columns(is_new=is_new, same=same)
    new = joined.filter(pl.col("is_new"))
    changed = joined.filter(~pl.col("is_new") & ~pl.col("same"))
    unchanged = joined.filter(~pl.col("is_new") & pl.col("same"))
    return new, changed, unchanged


def _record_outcomes(conn: Connection, closed: pl.DataFrame) -> None:
    """An import that closes a deal records its outcome (the journal reads it)."""
    if closed.height == 0:
        return
    rows = closed.select(
        "deal_id",
        "outcome",
        pl.lit(now_utc()).cast(DATETIME).alias("recorded_at"),
        pl.col("closed_at").alias("happened_at"),
        pl.col("loss_reason").alias("note"),
        pl.lit("import").alias("source"),
    )
    insert_frame(conn, schema.outcomes, rows)


def _stored_deals(conn: Connection, deal_ids: pl.Series) -> pl.DataFrame:
    """The stored deals of ``deal_ids``; an empty store's (a first import's) without
    reading."""
    if conn.execute(sa.select(schema.deals.c.deal_id).limit(1)).first() is None:
        return pl.DataFrame(schema=DEAL_SCHEMA)
    return load_deals(conn, one_of(conn, schema.deals.c.deal_id, deal_ids.to_list()))


def write_deals(conn: Connection, incoming: pl.DataFrame, source: str, run_id: int) -> DealsWritten:
    existing = _stored_deals(conn, incoming["deal_id"])
    new, changed, unchanged = _split_deals(incoming, existing)
    stamp = {
        "source": pl.lit(source),
        "import_run_id": pl.lit(run_id),
        "updated_at": pl.lit(now_utc()).cast(DATETIME),
    }
    insert_frame(conn, schema.deals, new.select(*DEAL_COLUMNS, **stamp))
    update_frame(conn, schema.deals, "deal_id", changed.select(*DEAL_COLUMNS, **stamp))
    closed = pl.concat(
        [
            new.filter(pl.col("outcome") != "open"),
            changed.filter((pl.col("outcome") != "open") & (pl.col("outcome__old") == "open")),
        ]
    )
    _record_outcomes(conn, closed.select(DEAL_COLUMNS))
    # what reading them back in this transaction would give, without the read (0.1-0.3 s
    # for 20,000 deals, the driver's tuples made into a frame)
    stored = as_stored(conn, pl.concat([new.select(DEAL_COLUMNS), changed.select(DEAL_COLUMNS)]))
    return DealsWritten(new.height, changed.height, unchanged.height, stored)


def add_activities(
    conn: Connection, incoming: pl.DataFrame, run_id: int, copy: Path | None
) -> pl.DataFrame:
    """Insert the activities not already stored (same deal, time, kind and content) and
    return them, in their order (what the columnar copy of the run holds:
    :mod:`walkaway.store.columnar`). ``copy`` is the folder of the store's columnar
    copy (:func:`walkaway.store.columnar.copy_folder`), or None."""
    fresh = new_activities(conn, incoming, run_id, copy)
    insert_activities(conn, fresh, run_id)()
    return fresh


def new_activities(
    conn: Connection, incoming: pl.DataFrame, run_id: int, copy: Path | None
) -> pl.DataFrame:
    """The activities of ``incoming`` not already stored, in the order
    :func:`insert_activities` stores them: :func:`add_activities` before its INSERTs."""
    if incoming.height == 0:
        return incoming.select(ACTIVITY_COLUMNS)
    unique = _distinct(incoming)
    existing = _read_stored_alike(conn, unique, run_id, copy)
    fresh = unique
    if existing.height:
        fresh = unique.join(existing, on=list(ACTIVITY_COLUMNS), how="anti", nulls_equal=True)
    return in_index_order(fresh).select(ACTIVITY_COLUMNS)


def in_index_order(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by ``deal_id`` and ``at``: inserts into the (deal_id, at) index
    then append rather than land all over it (rows in random order take SQLite three
    times as long). The sort is stable, so activities at the same moment keep the file's
    order; rows already in that order (an export sorted by deal and time) are kept as
    they are, unsorted (one pass instead of a sort: 0.08 s of a million)."""
    deal, at = pl.col("deal_id"), pl.col("at")
    after = (deal > deal.shift(1)) | ((deal == deal.shift(1)) & (at >= at.shift(1)))
    if frame.height < 2 or frame.select(after.fill_null(False).slice(1).all()).item():
        return frame
    return frame.sort("deal_id", "at", maintain_order=True)


def check_deals_stored(conn: Connection, deal_ids: pl.Series, written: pl.Series) -> None:
    """Raise InputError unless every one of ``deal_ids`` is a stored deal: the foreign
    key of the activities, checked once per deal inside the transaction that writes them
    (a deal deleted after the files were checked, say), nothing written. The deals this
    transaction has just written or read unchanged (``written``: the deals file's) are
    not looked up again (on PostgreSQL the foreign key checks every row besides)."""
    wanted = deal_ids.filter(~deal_ids.is_in(written.implode())).unique()
    if wanted.is_empty():
        return
    found = conn.execute(
        sa.select(schema.deals.c.deal_id).where(
            one_of(conn, schema.deals.c.deal_id, wanted.to_list())
        )
    ).scalars()
    stored = pl.Series(list(found), dtype=pl.String)
    missing = wanted.filter(~wanted.is_in(stored.implode())).sort()
    if missing.is_empty():
        return
    raise InputError(
        f"activities refer to {len(missing):,} deal(s) the store does not hold (first: "
        f"{missing[0]!r}), removed since the files were checked; nothing was written"
    )


def insert_activities(conn: Connection, fresh: pl.DataFrame, run_id: int) -> Callable[[], int]:
    """Insert ``fresh`` (:func:`new_activities`) as they are, under import run ``run_id``,
    when the call returned is made (:func:`walkaway.store.frames.prepared_insert`)."""
    stamped = fresh.with_columns(import_run_id=pl.lit(run_id))
    return prepared_insert(conn, schema.activities, stamped)


def _distinct(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` without repeated rows, the first kept. Rows whose hashes all differ
    differ, so the (much dearer) exact comparison runs only when some hash repeats."""
    if frame.hash_rows().n_unique() == frame.height:
        return frame
    return frame.unique(maintain_order=True)


def _read_stored_alike(
    conn: Connection, incoming: pl.DataFrame, run_id: int, copy: Path | None
) -> pl.DataFrame:
    """The stored activities that could equal an incoming one: same deals, same span.

    Read from the columnar copy when it is the store as run ``run_id`` found it (the
    daily re-export of everything is mostly rows stored already: the copy hands them
    over in a tenth of the time); else through the ``(deal_id, at)`` index, unordered,
    straight from the driver.
    """
    if conn.execute(sa.select(schema.activities.c.id).limit(1)).first() is None:
        return incoming.clear()  # an empty store (a first import): nothing to read
    span: Any = (incoming["at"].min(), incoming["at"].max())
    found = copy_as_found(conn, run_id, copy)
    if found is not None:
        with suppress(OSError, pl.exceptions.ComputeError):  # a file gone: the store
            return activities_alike(found, incoming["deal_id"], span)
    ids = incoming["deal_id"].unique().to_list()
    return load_activities(conn, deal_ids=ids, between=span, ordered=False)
