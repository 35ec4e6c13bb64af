"""Pipeline use cases: importing, listing, the demo store, the stored policy."""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from walkaway import lazy
from walkaway.errors import InputError, NoStore
from walkaway.models import ImportSummary, Outcome
from walkaway.policy import Policy, load_policy
from walkaway.service import norms  # norms.after_import: tests replace it to skip it
from walkaway.store import Store, open_store
from walkaway.store.columnar import copy_base, copy_folder
from walkaway.store.database import normalise_url, remove_sqlite_file, sqlite_path
from walkaway.store.frames import load_deals
from walkaway.store.writing import (
    WriteCounts,
    check_deals_stored,
    finish_run,
    insert_activities,
    new_activities,
    now_utc,
    start_run,
    write_deals,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from walkaway.store import schema
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")

if TYPE_CHECKING:  # the importers load when a command imports, not when one reads
    from walkaway import importers
    from walkaway.importers import reading
    from walkaway.importers.columns import ColumnMap
    from walkaway.importers.loading import PreparedImport
    from walkaway.reporting import spreadsheet
    from walkaway.service import mappings
    from walkaway.service.idempotency import Then
else:
    importers = lazy.module("walkaway.importers")
    reading = lazy.module("walkaway.importers.reading")
    spreadsheet = lazy.module("walkaway.reporting.spreadsheet")
    mappings = lazy.module("walkaway.service.mappings")

Progress = Callable[[str], None]


def _quiet(_step: str) -> None:
    return None


def stored_deal_ids(store: Store) -> pl.Series:
    with store.connect() as conn:
        ids = conn.execute(sa.select(schema.deals.c.deal_id)).scalars().all()
    return pl.Series("deal_id", ids, dtype=pl.String)


def write_rejects(prepared: PreparedImport, path: Path) -> Path | None:
    """Rejected rows, as the user wrote them, with a ``reason`` column; None if none.
    A file that cannot be written is an InputError (one line), before the store is."""
    frames = [f for f in (prepared.rejected_deals, prepared.rejected_activities) if f.height]
    if not frames:
        return None
    try:
        return _write_reject_files(prepared, path, len(frames))
    except OSError as error:
        raise InputError(
            f"cannot write the rejected rows to {path} ({error.strerror or error}); nothing "
            "was imported: pass --rejects with a file in a folder you can write"
        ) from error


def _write_reject_files(prepared: PreparedImport, path: Path, count: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if count == 1:
        deals_rejected = prepared.rejected_deals.height > 0
        frame = prepared.rejected_deals if deals_rejected else prepared.rejected_activities
        spreadsheet.write_csv(frame.rename({reading.ROW_COLUMN: "row"}), path)
        return path
    deals_path = path.with_name(path.stem + "-deals" + path.suffix)
    acts_path = path.with_name(path.stem + "-activities" + path.suffix)
    spreadsheet.write_csv(prepared.rejected_deals.rename({reading.ROW_COLUMN: "row"}), deals_path)
    spreadsheet.write_csv(
        prepared.rejected_activities.rename({reading.ROW_COLUMN: "row"}), acts_path
    )
    return deals_path


def import_files(
    store: Store,
    deals_path: Path,
    activities_path: Path | None = None,
    *,
    format: str = "auto",
    skip_invalid: bool = False,
    rejects_path: Path | None = None,
    default_currency: str | None = None,
    progress: Progress = _quiet,
    warm: bool = True,
    column_map: ColumnMap | None = None,
    decimal: str | None = None,
    day_first: bool | None = None,
    sheet: str | None = None,
    then: Then[ImportSummary] | None = None,
) -> ImportSummary:
    """Import a deals file (and its activities) in one transaction.

    Nothing is written when any row is invalid, unless ``skip_invalid``: then the valid
    rows land and the rejected ones go to ``rejects_path`` with their reason. Once it
    has landed, the columnar copy is brought up to date and the team norms are learned
    at the data's horizon (:func:`walkaway.service.norms.after_import`); not the norms
    when not ``warm`` (a batch of imports, say, learning them after the last). A
    ``column_map`` (``--map``) reads the deals file and is kept, with the import, for
    the next file with its headers; without one, a mapping kept earlier that fits the
    file is used. ``decimal`` and ``day_first`` say how numbers and dates are written
    where the columns' own cells cannot; ``sheet`` picks the deals workbook's sheet.
    ``then`` is called with the summary inside the import's transaction (an API import
    under an Idempotency-Key keeps its answer there).
    """
    progress("reading and checking files")
    policy = current_policy(store)
    prepared = importers.prepare_import(
        deals_path,
        activities_path,
        format=format,
        default_currency=default_currency or policy.currency,
        known_deal_ids=stored_deal_ids(store) if activities_path else None,
        skip_invalid=skip_invalid,
        column_map=column_map,
        saved_maps=mappings.saved_column_maps(store),
        decimal=decimal,
        day_first=day_first,
        sheet=sheet,
    )
    rejects_file = None
    if prepared.rejected:
        target = rejects_path or store.folder / (Path(deals_path).stem + "-rejects.csv")
        rejects_file = write_rejects(prepared, target)
    # The thread outlives the transaction: its commit never waits for the thread.
    with ThreadPoolExecutor(max_workers=1) as beside:
        with store.begin(keys_checked=True) as conn:
            run_id = start_run(conn, prepared.format, str(deals_path), str(activities_path or ""))
            if prepared.map_from == "--map" and prepared.column_map is not None:
                mappings.save_column_map(conn, prepared.column_map)
            progress(f"writing {prepared.deals.height:,} deals")
            written = write_deals(conn, prepared.deals, prepared.format, run_id)
            added, staging = None, None
            if prepared.activities is not None:
                progress(f"writing {prepared.activities.height:,} activities")
                added = new_activities(conn, prepared.activities, run_id, copy_folder(store))
                # the INSERTs' columns made before the thread takes Polars' threads
                insert = insert_activities(conn, added, run_id)
                check_deals_stored(conn, added["deal_id"], prepared.deals["deal_id"])
                staging = _stage_after_import(
                    conn, store, beside, run_id, written.stored, added, policy, warm
                )
                insert()

            acts_new = 0 if added is None else added.height
            acts_same = 0 if prepared.activities is None else prepared.activities.height - acts_new
            counts = WriteCounts(
                written.new, written.updated, written.unchanged, acts_new, acts_same
            )
            finish_run(conn, run_id, counts, prepared.rejected)
            detected = (f"format detected: {prepared.format}",) if prepared.detected else ()
            summary = ImportSummary(
                format=prepared.format,
                deals_new=written.new,
                deals_updated=written.updated,
                deals_unchanged=written.unchanged,
                activities_new=acts_new,
                activities_unchanged=acts_same,
                rejected=prepared.rejected,
                rejects_file=str(rejects_file) if rejects_file else None,
                run_id=run_id,
                notes=detected + _mapping_notes(prepared) + prepared.notes,
            )
            if then is not None:
                then(conn, summary)

        progress("updating the columnar copy" + (" and learning the team norms" if warm else ""))
        staged = None if staging is None else staging.result()
    norms.after_import(store, run_id, added, policy, learn=warm, staged=staged)
    return summary


def _stage_after_import(
    conn: sa.Connection,
    store: Store,
    beside: ThreadPoolExecutor,
    run_id: int,
    touched: pl.DataFrame,
    added: pl.DataFrame,
    policy: Policy,
    learn: bool,
) -> Future[norms.StagedImport | None] | None:
    """Start the columnar copy of run ``run_id`` and its norms on the thread ``beside``
    while SQLite writes the run's activities (:func:`norms.stage_after_import`), from the
    deals the run wrote (``touched``, as stored: :class:`walkaway.store.writing.DealsWritten`)
    and the activities it adds; None when there is no copy to extend (it is made after
    the commit)."""
    base = copy_base(conn, run_id, copy_folder(store))
    if base is None:
        return None
    return beside.submit(
        norms.stage_after_import, base, run_id, touched, added, policy, learn=learn
    )


def _mapping_notes(prepared: PreparedImport) -> tuple[str, ...]:
    if prepared.column_map is None:
        return ()
    rules = "; ".join(
        f"{target} ← {rule.text()!r}" for target, rule in prepared.column_map.rules.items()
    )
    if prepared.map_from == "saved":
        return (f"read with the column mapping saved for these headers: {rules}",)
    return (
        f"column mapping saved for files with these headers (the next import needs no "
        f"--map): {rules}",
    )


def sample_files() -> tuple[Path, Path]:
    """The bundled sample pipeline (deals.csv, activities.csv)."""
    folder = files("walkaway.sample")
    return Path(str(folder / "deals.csv")), Path(str(folder / "activities.csv"))


def build_demo(
    url: str, progress: Progress = _quiet, *, force: bool = False
) -> tuple[Store, ImportSummary]:
    """A fresh SQLite store holding the bundled sample pipeline. A store there that
    holds decisions people recorded is kept (InputError) unless ``force``."""
    path = _demo_path(url)
    recorded = decisions_recorded(path)
    if recorded and not force:
        raise InputError(
            f"{path} holds {recorded:,} decision(s) recorded on the demo, which rebuilding "
            "it would lose; pass --force to rebuild it, or --db to build another file"
        )
    remove_sqlite_file(path)
    store = open_store(f"sqlite:///{path}")
    deals_csv, activities_csv = sample_files()
    return store, import_files(
        store, deals_csv, activities_csv, format="generic", progress=progress
    )


def _demo_path(url: str) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise InputError(
            f"the demo builds a fresh SQLite file; got {normalise_url(url)!r} (pass --db demo.db)"
        )
    return path


def decisions_recorded(path_or_url: Path | str) -> int:
    """How many decisions people recorded in the SQLite store at ``path_or_url`` (0 when
    there is none there)."""
    path = _demo_path(str(path_or_url))
    try:
        store = open_store(f"sqlite:///{path}", create=False)
    except NoStore:
        return 0
    try:
        with store.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(schema.decisions)).scalar_one()
            )
    finally:
        store.close()


@dataclass(frozen=True)
class DealFilter:
    stage: str | None = None
    owner: str | None = None
    outcome: Outcome | None = None


def list_deals(store: Store, where: DealFilter = DealFilter()) -> pl.DataFrame:
    """Stored deals with their activity count, filtered."""
    conditions = []
    if where.stage:
        conditions.append(sa.func.lower(schema.deals.c.stage) == where.stage.lower())
    if where.owner:
        conditions.append(sa.func.lower(schema.deals.c.owner) == where.owner.lower())
    if where.outcome:
        conditions.append(schema.deals.c.outcome == where.outcome.value)
    with store.connect() as conn:
        frame = load_deals(conn, sa.and_(*conditions) if conditions else None)
        counts = conn.execute(
            sa.select(schema.activities.c.deal_id, sa.func.count()).group_by(
                schema.activities.c.deal_id
            )
        ).all()
    count_frame = pl.DataFrame(
        counts, schema={"deal_id": pl.String, "activity_count": pl.Int64}, orient="row"
    )
    return frame.join(count_frame, on="deal_id", how="left").with_columns(
        pl.col("activity_count").fill_null(0)
    )


def pipeline_summary(frame: pl.DataFrame) -> dict[str, object]:
    """Counts and value by outcome and, for open deals, by stage and owner."""
    open_deals = frame.filter(pl.col("outcome") == "open")
    by_outcome = frame.group_by("outcome").agg(
        pl.len().alias("deals"), pl.col("amount").sum().alias("value")
    )
    by_stage = (
        open_deals.group_by("stage")
        .agg(pl.len().alias("deals"), pl.col("amount").sum().alias("value"))
        .sort("value", descending=True)
    )
    by_owner = (
        open_deals.group_by("owner")
        .agg(pl.len().alias("deals"), pl.col("amount").sum().alias("value"))
        .sort("value", descending=True)
    )
    return {
        "deals": frame.height,
        "by_outcome": by_outcome.sort("outcome").to_dicts(),
        "open_by_stage": by_stage.to_dicts(),
        "open_by_owner": by_owner.to_dicts(),
    }


def stored_policy_text(store: Store) -> str | None:
    """The team's active policy as stored (TOML), or None when it never set one."""
    with store.rows() as rows:
        found = rows("SELECT toml FROM policies WHERE active ORDER BY id DESC LIMIT 1")
    return str(found[0][0]) if found else None


def current_policy(store: Store) -> Policy:
    """The team's stored policy, or the default one."""
    return _policy_of(stored_policy_text(store))


@functools.lru_cache(maxsize=8)
def _policy_of(text: str | None) -> Policy:
    # A policy is frozen: the same text reads once per process (a decision under load
    # spent a tenth of its time parsing the same TOML again).
    return load_policy(text)


def save_policy(store: Store, text: str, then: Then[str] | None = None) -> None:
    """Validate a policy (raises PolicyError) and make it the team's active one.

    Earlier versions are kept, inactive, so a later review can tell what changed.
    ``then`` is called with the text in the same transaction.
    """
    load_policy(text)
    with store.begin() as conn:
        conn.execute(schema.policies.update().values(active=False))
        conn.execute(schema.policies.insert().values(created_at=now_utc(), toml=text, active=True))
        if then is not None:
            then(conn, text)
