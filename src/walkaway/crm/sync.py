"""``walkaway sync``: what changed in the CRM since the last sync, into the store.

Objects are pulled in order (the deals first, so their activities find them), page by
page, oldest change first. Each page is mapped by the export importer of its CRM
(:func:`walkaway.importers.loading.prepare_tables`), and written in one transaction
together with the object's cursor (the newest modification time on the page): a run
that fails half-way has written whole pages only, and the next run resumes from the
last one written. Pages are fetched from the cursor itself (``>=``), because writing a
deal or activity that is already stored changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Protocol

import polars as pl
import sqlalchemy as sa

from walkaway.importers.base import SourceFormat
from walkaway.importers.loading import prepare_activity_table, prepare_tables
from walkaway.importers.reading import RawTable
from walkaway.importers.validate import problem_lines
from walkaway.policy import load_policy
from walkaway.service.norms import after_import
from walkaway.service.pipeline import current_policy, stored_deal_ids, stored_policy_text
from walkaway.store import Store
from walkaway.store.columnar import copy_folder, extend_copy, newest_run
from walkaway.store.schema import crm_sync_cursors
from walkaway.store.writing import (
    WriteCounts,
    add_activities,
    finish_run,
    now_utc,
    start_run,
    write_deals,
)

BEGINNING = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Page:
    """One page of an object: deal records and/or activity tables, each with the format
    that maps it, and the newest modification time among them."""

    newest: datetime | None
    deals: RawTable | None = None
    activities: Sequence[tuple[SourceFormat, RawTable]] = ()


class CrmSource(Protocol):
    """A CRM as the sync reads it (:mod:`walkaway.crm.salesforce`, :mod:`walkaway.crm.hubspot`)."""

    name: str
    deal_format: SourceFormat
    objects: tuple[str, ...]  # the deals' object first

    def pages(self, obj: str, since: datetime) -> Iterator[Page]: ...


@dataclass
class SyncSummary:
    """What a sync wrote, object by object, and the first problems of rows set aside."""

    crm: str
    written: dict[str, int] = field(default_factory=dict)  # WriteCounts' fields, summed
    pages: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)


def cursor(store: Store, crm: str, obj: str) -> datetime:
    """The newest modification time already written for ``obj`` (else the beginning)."""
    with store.connect() as conn:
        found = conn.execute(
            sa.select(crm_sync_cursors.c.modified_since).where(
                (crm_sync_cursors.c.crm == crm) & (crm_sync_cursors.c.object == obj)
            )
        ).scalar()
    return found or BEGINNING


def _save_cursor(conn: sa.Connection, crm: str, obj: str, newest: datetime) -> None:
    key = (crm_sync_cursors.c.crm == crm) & (crm_sync_cursors.c.object == obj)
    conn.execute(crm_sync_cursors.delete().where(key))
    conn.execute(
        crm_sync_cursors.insert().values(
            crm=crm, object=obj, modified_since=newest, synced_at=now_utc()
        )
    )


def _write_page(
    store: Store, source: CrmSource, obj: str, page: Page, summary: SyncSummary
) -> None:
    known = stored_deal_ids(store)
    deals = pl.DataFrame()
    problems: list[pl.DataFrame] = []
    activity_frames: list[pl.DataFrame] = []
    if page.deals is not None:
        prepared = prepare_tables(
            source.deal_format,
            page.deals,
            page.activities,
            default_currency=current_policy(store).currency,
            known_deal_ids=known,
            skip_invalid=True,
        )
        deals, problems = prepared.deals, [prepared.problems]
        if prepared.activities is not None:
            activity_frames.append(prepared.activities)
    else:
        for fmt, table in page.activities:
            good, table_problems = prepare_activity_table(fmt, table, known)
            activity_frames.append(good)
            problems.append(table_problems)
    with store.begin() as conn:
        run_id = start_run(conn, source.name, f"{source.name} API: {obj}", None)
        counts = WriteCounts(0, 0, 0, 0, 0)
        if deals.height:
            written = write_deals(conn, deals, source.name, run_id)
            counts = WriteCounts(written.new, written.updated, written.unchanged, 0, 0)
        added = None
        if activity_frames:
            incoming = pl.concat(activity_frames)
            added = add_activities(conn, incoming, run_id, copy_folder(store))
            acts_new, acts_same = added.height, incoming.height - added.height
            counts = WriteCounts(
                counts.deals_new, counts.deals_updated, counts.deals_unchanged, acts_new, acts_same
            )
        rejected = sum(p.select("file", "row").unique().height for p in problems if p.height)
        finish_run(conn, run_id, counts, rejected)
        if page.newest is not None:
            _save_cursor(conn, source.name, obj, page.newest)
    extend_copy(store, run_id, added)
    _add(summary, counts, rejected, problems)


def _add(
    summary: SyncSummary, counts: WriteCounts, rejected: int, problems: list[pl.DataFrame]
) -> None:
    for name, value in asdict(counts).items():
        summary.written[name] = summary.written.get(name, 0) + value
    summary.pages += 1
    summary.rejected += rejected
    for frame in problems:
        if frame.height and len(summary.problems) < 5:
            summary.problems.extend(problem_lines(frame)[: 5 - len(summary.problems)])


def sync(store: Store, source: CrmSource, *, full: bool = False) -> SyncSummary:
    """Pull every object of ``source`` changed since its cursor (everything with
    ``full``) into ``store``; see the module docstring for what a failure leaves."""
    summary = SyncSummary(source.name)
    for obj in source.objects:
        since = BEGINNING if full else cursor(store, source.name, obj)
        for page in source.pages(obj, since):
            _write_page(store, source, obj, page, summary)
        summary.cursors[obj] = cursor(store, source.name, obj).isoformat()
    if summary.pages:  # the norms of the synced data, once (see service.norms.after_import)
        with store.connect() as conn:
            run = newest_run(conn)
        after_import(store, run, None, load_policy(stored_policy_text(store)))
    return summary
