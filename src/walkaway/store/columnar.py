"""A columnar copy of the deals and activities, written at import, read by the review.

The store stays the source of truth; this is a copy of two of its tables as Parquet, so
a review of a whole pipeline reads columns (a second for millions of activities) instead
of having SQLite hand over one Python object per value. It lives in a folder of its own:

- beside a SQLite file ``team.db``: ``team.db.columnar/``;
- for any other database (PostgreSQL): ``<copy_dir>/<hash of the URL>/``, the folder the
  store was opened with (the settings': ``$WALKAWAY_COPY_DIR`` or the user's cache
  folder, :func:`walkaway.settings.copy_dir_from`);
- a SQLite store in memory has none, nor one opened without a copy folder: it is read
  straight from the store.

In the folder, ``manifest.json`` names the import run the copy is of (its number and a
hash of its record: a store made afresh where an old one was counts from 1 again), the deals file
(every deal, sorted by ``deal_id``) and the activities parts: one Parquet file per import
run holding the rows that run added, sorted by ``(deal_id, at)`` in the order they were
stored. Up to :data:`COMPACT_ROWS` activities the import merges the parts into one (as a
rebuilt copy has), so a review reads them in order without sorting. Activities are only
ever added to the store, each by an import run (deals are added and updated by runs too):
so an import appends one part and rewrites the deals file, and a copy whose run is the
store's newest is exactly the store. A copy of another run (a run that wrote no copy: killed, or an
older Walkaway) is stale and is rebuilt from the store on the next read. An import also
reads from a current copy the stored rows it might repeat (:func:`copy_as_found`).

Every file is written under a temporary name and renamed, the manifest last: a reader
sees the old copy or the new one, never half of one; files the manifest no longer names
stay a while (:data:`GRACE_SECONDS`) for readers of the one before, and a reader that
finds a file gone all the same reads the store instead. Writing the copy is best effort: a
folder that cannot be written leaves the review reading the store.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from walkaway import lazy
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Outcome
from walkaway.store.database import Store
from walkaway.store.frames import load_activities, load_deals

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection

    from walkaway.store import schema
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")

FORMAT = 2
MANIFEST = "manifest.json"
# Files no manifest names any more are removed once this old: a review that read the
# previous manifest a moment ago is still reading them.
GRACE_SECONDS = 600.0
# Up to this many activities the parts are merged into one at each import.
COMPACT_ROWS = 20_000_000
# Rows per Parquet row group: a batch of deals then reads only the groups holding them.
ROW_GROUP = 250_000


@dataclass(frozen=True)
class Copy:
    """A columnar copy of the store as it was after import run ``run``."""

    folder: Path
    run: int
    stamp: str  # the run's record, hashed (see run_stamp)
    deals_file: str
    parts: tuple[str, ...]

    @property
    def deal_path(self) -> Path:
        return self.folder / self.deals_file

    @property
    def part_paths(self) -> list[Path]:
        return [self.folder / part for part in self.parts]

    def deals(self) -> pl.LazyFrame:
        """Every deal (:data:`DEAL_SCHEMA`), sorted by ``deal_id``."""
        return pl.scan_parquet(self.deal_path)

    def activities(self) -> pl.LazyFrame:
        """Every activity (:data:`ACTIVITY_SCHEMA`), part after part: each part in the
        store's order, so a stable sort by ``deal_id, at`` (:meth:`in_order`) gives the
        store's order (ties in the order of their ids)."""
        if not self.parts:
            return pl.DataFrame(schema=ACTIVITY_SCHEMA).lazy()
        return pl.concat([pl.scan_parquet(path) for path in self.part_paths], how="vertical")

    def in_order(self, activities: pl.LazyFrame) -> pl.LazyFrame:
        """``activities`` (rows of :meth:`activities`, filtered) in the store's order:
        one part is in it already, more are merged by a stable sort."""
        if len(self.parts) <= 1:
            return activities
        return activities.sort("deal_id", "at", maintain_order=True)


def copy_folder(store: Store) -> Path | None:
    """Where the copy of ``store`` lives, or None (a SQLite store in memory, another
    database opened without a copy folder)."""
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        path = Path(database).resolve()
        return path.with_name(path.name + ".columnar")
    if store.copy_dir is None:
        return None
    identity = url.render_as_string(hide_password=True)
    return store.copy_dir / hashlib.sha256(identity.encode()).hexdigest()[:16]


def newest_run(conn: Connection) -> int:
    """The store's newest import run (0 before any)."""
    return int(conn.execute(sa.select(sa.func.max(schema.import_runs.c.id))).scalar() or 0)


def run_stamp(conn: Connection, run: int) -> str:
    """Import run ``run`` told apart from the run of the same number of another store
    made at the same path (a deleted file made again): a hash of its whole record, when
    it started and finished (to the second), its files and its counts."""
    found = conn.execute(
        sa.select(schema.import_runs).where(schema.import_runs.c.id == run)
    ).one_or_none()
    if found is None:
        return ""
    return hashlib.sha256(repr(tuple(found)).encode()).hexdigest()[:16]


def _run_before(conn: Connection, run: int) -> int:
    found = conn.execute(
        sa.select(sa.func.max(schema.import_runs.c.id)).where(schema.import_runs.c.id < run)
    )
    return int(found.scalar() or 0)


def _read_manifest(folder: Path) -> Copy | None:
    try:
        data = json.loads((folder / MANIFEST).read_text())
        if data.get("format") != FORMAT:
            return None
        found = Copy(
            folder, int(data["run"]), str(data["stamp"]), str(data["deals"]), tuple(data["parts"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    files = [found.deal_path, *found.part_paths]
    return found if all(path.is_file() for path in files) else None


def current_copy(store: Store, run: int | None = None) -> Copy | None:
    """The copy of the store after its newest run (or after ``run``), if it is there."""
    folder = copy_folder(store)
    if folder is None:
        return None
    found = _read_manifest(folder)
    if found is None:
        return None
    with store.connect() as conn:
        run = newest_run(conn) if run is None else run
        same = found.run == run and found.stamp == run_stamp(conn, run)
    return found if same else None


def copy_as_found(conn: Connection, run: int, folder: Path | None) -> Copy | None:
    """The copy in ``folder`` (:func:`copy_folder`) of the store as import run ``run``,
    begun on ``conn`` and not yet committed, found it: the copy of the run before, when
    it is current; else None."""
    found = None if folder is None else _read_manifest(folder)
    if found is None or found.run != _run_before(conn, run) or found.run == 0:
        return None
    return found if found.stamp == run_stamp(conn, found.run) else None


def activities_alike(
    copy: Copy, deal_ids: pl.Series, span: tuple[datetime, datetime]
) -> pl.DataFrame:
    """The activities of the deals ``deal_ids`` dated within ``span`` (both ends in), as
    ``load_activities(conn, deal_ids=..., between=span, ordered=False)`` reads them from
    the store the copy is of."""
    wanted = deal_ids.unique().to_frame("deal_id").lazy()
    low, high = pl.lit(deal_ids.min()), pl.lit(deal_ids.max())
    acts = copy.activities().filter(
        pl.col("deal_id").is_between(low, high) & pl.col("at").is_between(*span)
    )
    acts = acts.join(wanted, on="deal_id", how="semi")
    return acts.select(list(ACTIVITY_SCHEMA)).collect()


def ensure_copy(store: Store) -> Copy | None:
    """The current copy, rebuilt from the store when it is missing or stale; None when
    there can be none (a store in memory, a folder that cannot be written)."""
    found = current_copy(store)
    return found if found is not None else rebuild_copy(store)


def _write(folder: Path, name: str, frame: pl.DataFrame) -> str:
    target = folder / name
    temporary = folder / f".{name}.{os.getpid()}.tmp"
    frame.write_parquet(temporary, row_group_size=ROW_GROUP, statistics=True)
    os.replace(temporary, target)
    return name


def _publish(folder: Path, run: int, stamp: str, deals_file: str, parts: Sequence[str]) -> Copy:
    """Make the copy the current one (the manifest last), then drop the files it no
    longer names."""
    manifest = {
        "format": FORMAT,
        "run": run,
        "stamp": stamp,
        "deals": deals_file,
        "parts": list(parts),
    }
    temporary = folder / f".{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(manifest))
    os.replace(temporary, folder / MANIFEST)
    keep = {MANIFEST, deals_file, *parts}
    retired = time.time() - GRACE_SECONDS
    for path in folder.glob("*.parquet"):
        with suppress(OSError):  # another process may have removed it first
            if path.name not in keep and path.stat().st_mtime < retired:
                path.unlink()
    return Copy(folder, run, stamp, deals_file, tuple(parts))


def rebuild_copy(store: Store) -> Copy | None:
    """Copy the whole store (one activities part). Nothing is written when an import
    lands during the read: the copy would be filed under a run it does not match."""
    folder = copy_folder(store)
    if folder is None:
        return None
    with store.connect() as conn:
        run = newest_run(conn)
        stamp = run_stamp(conn, run)
        deal_rows = load_deals(conn)
    with store.connect() as conn:
        activity_rows = load_activities(conn)
        if newest_run(conn) != run:
            return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        deals_file = _write(folder, f"deals-{run:06d}.parquet", deal_rows)
        part = _write(folder, f"activities-{run:06d}-all.parquet", activity_rows)
        return _publish(folder, run, stamp, deals_file, [part])
    except OSError:
        return None


def extend_copy(store: Store, run: int, added: pl.DataFrame | None) -> Copy | None:
    """After import run ``run`` committed, having added the activities ``added`` (as it
    stored them, in their order): the copy of the run before gets them as a part of its
    own and the deals file is brought up to date with the deals ``run`` wrote; the first
    run of a store is its own copy (nothing to read back). Any other copy (missing,
    stale, of another run or another store) is rebuilt from the store."""
    folder = copy_folder(store)
    if folder is None:
        return None
    found = _read_manifest(folder)
    with store.connect() as conn:
        stamp = run_stamp(conn, run)
        if found is not None and found.run == run and found.stamp == stamp:
            return found  # brought up to date already
        base = copy_base(conn, run, folder) if newest_run(conn) == run else None
        touched = None if base is None else load_deals(conn, schema.deals.c.import_run_id == run)
    if base is None or touched is None:
        return rebuild_copy(store)
    staged = write_copy(run, base, touched, added)
    try:
        return None if staged is None else _publish(folder, run, stamp, *staged.files)
    except OSError:
        return None


@dataclass(frozen=True)
class CopyBase:
    """What the copy of an import run extends: the copy of the run before (``found``),
    or nothing for a store's ``first`` run."""

    folder: Path
    found: Copy | None
    first: bool


def copy_base(conn: Connection, run: int, folder: Path | None) -> CopyBase | None:
    """What the copy of import run ``run`` (the newest on ``conn``, committed or not)
    extends; None when there is nothing to extend (no folder, a copy missing or of
    another run or store): then it is rebuilt from the store once ``run`` has committed."""
    if folder is None:
        return None
    found = _read_manifest(folder)
    before = _run_before(conn, run)
    follows = found is not None and found.run == before and found.stamp == run_stamp(conn, before)
    if before != 0 and not follows:
        return None
    return CopyBase(folder, found if follows else None, before == 0)


@dataclass(frozen=True)
class StagedCopy:
    """The files of the copy of an import run, written but not yet named by the
    manifest (:func:`publish_copy`)."""

    folder: Path
    run: int
    deals_file: str
    parts: tuple[str, ...]

    @property
    def files(self) -> tuple[str, tuple[str, ...]]:
        return self.deals_file, self.parts

    @property
    def copy(self) -> Copy:
        """The copy these files make, to read before it is published (no stamp yet)."""
        return Copy(self.folder, self.run, "", self.deals_file, self.parts)


def write_copy(
    run: int, base: CopyBase, touched: pl.DataFrame, added: pl.DataFrame | None
) -> StagedCopy | None:
    """Write the files of the copy of import run ``run``: ``base`` with the deals it
    wrote, ``touched`` (as stored), and the activities it added, ``added``. Reads no
    database (it may run on a thread while the run's transaction goes on); None when
    the folder cannot be written."""
    folder, found = base.folder, base.found
    try:
        folder.mkdir(parents=True, exist_ok=True)
        parts: list[str] = []
        deal_rows = touched.sort("deal_id")
        if found is not None:
            old = pl.read_parquet(found.deal_path)
            kept = old.join(touched.select("deal_id"), on="deal_id", how="anti")
            deal_rows = pl.concat([kept, touched]).sort("deal_id")
            parts = list(found.parts)
        deals_file = _write(folder, f"deals-{run:06d}.parquet", deal_rows)
        if added is not None and (added.height or base.first):
            parts.append(_write(folder, f"activities-{run:06d}.parquet", added))
            if found is not None:
                parts = _compact(found, run, parts)
        return StagedCopy(folder, run, deals_file, tuple(parts))
    except OSError:
        return None


def publish_copy(store: Store, staged: StagedCopy) -> Copy | None:
    """Make ``staged`` the store's copy once its run has committed; None when another
    run has landed since (the next read rebuilds the copy)."""
    with store.connect() as conn:
        if newest_run(conn) != staged.run:
            return None
        stamp = run_stamp(conn, staged.run)
    try:
        return _publish(staged.folder, staged.run, stamp, *staged.files)
    except OSError:
        return None


def _compact(found: Copy, run: int, parts: list[str]) -> list[str]:
    """``parts`` merged into one when they hold at most :data:`COMPACT_ROWS` rows, so
    reviews need not merge them; bigger copies keep their parts (each batch of a review
    merges its own rows)."""
    merged = Copy(found.folder, run, found.stamp, found.deals_file, tuple(parts))
    rows = sum(
        pl.scan_parquet(path).select(pl.len()).collect().item() for path in merged.part_paths
    )
    if len(parts) <= 1 or rows > COMPACT_ROWS:
        return parts
    whole = merged.in_order(merged.activities()).collect()
    return [_write(found.folder, f"activities-{run:06d}-all.parquet", whole)]


def open_at(as_of: datetime) -> pl.Expr:
    """Deals open at ``as_of`` as the snapshot sees them: created before it and still
    open, or closed at or after it."""
    return (pl.col("created_at") < as_of) & (
        (pl.col("outcome") == Outcome.OPEN.value) | (pl.col("closed_at") >= as_of)
    )


def read_pipeline(
    copy: Copy, as_of: datetime, *, deal_ids: pl.Series | None = None, open_only: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deals created before ``as_of`` and the activities dated before it, as
    ``load_deals`` and ``load_activities`` read them from the store (same rows, order and
    types): with ``open_only``, only the activities of the deals open then; with
    ``deal_ids`` (sorted), only those deals' activities."""
    deal_scan = copy.deals().filter(pl.col("created_at") < as_of)
    acts = copy.activities().filter(pl.col("at") < as_of)
    wanted: pl.LazyFrame | None = None
    if deal_ids is not None:
        wanted = deal_ids.to_frame("deal_id").lazy()
        deal_scan = deal_scan.join(wanted, on="deal_id", how="semi", maintain_order="left")
        if deal_ids.len():  # row groups outside the span are not read
            low, high = pl.lit(deal_ids.min()), pl.lit(deal_ids.max())
            acts = acts.filter(pl.col("deal_id").is_between(low, high))
    deal_rows = deal_scan.collect()
    if open_only:
        opened = deal_rows.lazy().filter(open_at(as_of)).select("deal_id")
        wanted = opened if wanted is None else wanted.join(opened, on="deal_id", how="semi")
    if wanted is not None:
        acts = acts.join(wanted, on="deal_id", how="semi", maintain_order="left")
    ordered = copy.in_order(acts).select(list(ACTIVITY_SCHEMA))
    return deal_rows.select(list(DEAL_SCHEMA)), ordered.collect()
