"""From files on disk to validated deal and activity frames, ready for the store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from walkaway.errors import ImportFailed
from walkaway.importers.base import SourceFormat
from walkaway.importers.columns import ColumnMap, fitting_map, headers_as, read_deals
from walkaway.importers.dates import DateOrder
from walkaway.importers.problems import summarised_lines
from walkaway.importers.reading import ROW_COLUMN, RawTable, read_table
from walkaway.importers.registry import detect_format, get_format
from walkaway.importers.validate import (
    PROBLEM_SCHEMA,
    problem_lines,
    validate_activities,
    validate_deals,
)
from walkaway.models import ACTIVITY_COLUMNS, DEAL_COLUMNS


@dataclass(frozen=True)
class PreparedImport:
    """Validated rows, ready to write, and what was rejected."""

    format: str
    detected: bool
    deals: pl.DataFrame
    activities: pl.DataFrame | None
    problems: pl.DataFrame
    rejected_deals: pl.DataFrame  # source text rows + reason
    rejected_activities: pl.DataFrame
    # The column mapping the deals file was read with (its format set), and whence:
    # "--map" (given now, to be saved) or "saved" (the store's, for these headers).
    column_map: ColumnMap | None = None
    map_from: str | None = None
    # How a column was read where it could have been read otherwise ("column 'Close
    # Date' read as day/month/year (row 14 has 25/12/2026)"), for the summary.
    notes: tuple[str, ...] = ()

    @property
    def rejected(self) -> int:
        return self.rejected_deals.height + self.rejected_activities.height


def _reasons(problems: pl.DataFrame, file: str) -> pl.DataFrame:
    mine = problems.filter(pl.col("file") == file)
    lines = pl.Series("reason", problem_lines(mine), dtype=pl.String)
    return (
        mine.sort("file", "row")
        .with_columns(lines)
        .group_by("row", maintain_order=True)
        .agg(pl.col("reason").str.join("; "))
        .rename({"row": ROW_COLUMN})
    )


def _rejects(source: pl.DataFrame, reasons: pl.DataFrame) -> pl.DataFrame:
    # no reason, no row: not a join of every row with none (0.06 s of a million)
    rows = source if reasons.height else source.clear()
    return rows.join(reasons, on=ROW_COLUMN, how="inner")


def prepare_import(
    deals_path: Path | str,
    activities_path: Path | str | None = None,
    *,
    format: str = "auto",
    default_currency: str = "EUR",
    known_deal_ids: pl.Series | None = None,
    skip_invalid: bool = False,
    column_map: ColumnMap | None = None,
    saved_maps: Sequence[ColumnMap] = (),
    decimal: str | None = None,
    day_first: bool | None = None,
    sheet: str | None = None,
) -> PreparedImport:
    """Read, map and validate. Raises :class:`ImportFailed` on any problem unless
    ``skip_invalid``, in which case bad rows (and the activities of bad deals) are
    set aside with their reasons. The deals file is read through ``column_map``, else
    through the first of ``saved_maps`` whose headers it has (the store's); ``sheet``
    picks the sheet of a deals workbook (its first by default)."""
    deals_table = read_table(deals_path, sheet=sheet)
    detected = format == "auto"
    chosen = column_map or fitting_map(saved_maps, deals_table.headers)
    if chosen is None:
        source = (
            detect_format(deals_table.headers, deals_table.label)
            if detected
            else get_format(format)
        )
    else:
        source = mapped_format(deals_table, chosen, format)
        chosen = replace(chosen, format=source.name)
    tables = [] if activities_path is None else [(source, read_table(activities_path))]
    prepared = prepare_tables(
        source,
        deals_table,
        tables,
        detected=detected,
        default_currency=default_currency,
        known_deal_ids=known_deal_ids,
        skip_invalid=skip_invalid,
        decimal=decimal,
        day_first=day_first,
        column_map=chosen,
    )
    map_from = None if chosen is None else "--map" if column_map is not None else "saved"
    return replace(prepared, column_map=chosen, map_from=map_from)


def mapped_format(table: RawTable, column_map: ColumnMap, format: str) -> SourceFormat:
    """The format a mapped file is read with: ``format``, else the mapping's, else the
    one its headers fit once the mapped ones are spelled as Walkaway's own."""
    name = format if format != "auto" else column_map.format
    if name is not None:
        return get_format(name)
    return detect_format(headers_as(get_format("generic"), table, column_map), table.label)


def _activities(
    source: SourceFormat,
    table: RawTable,
    known: pl.Series,
    bad_ids: pl.Series,
    decimal: str | None = None,
    day_first: bool | None = None,
    date_hints: Mapping[str, DateOrder] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, tuple[str, ...]]:
    """One activities table mapped and validated: good rows, problems, rejected rows and
    the notes on how it was read."""
    mapped = replace(source.map_activities(table), decimal=decimal, day_first=day_first)
    activities = validate_activities(mapped, known, date_hints)
    # Activities of a rejected deal are rejected with it.
    orphaned = activities.frame.filter(pl.col("deal_id").is_in(bad_ids.drop_nulls().implode()))
    orphan_problems = pl.DataFrame(
        {
            "file": [table.label] * orphaned.height,
            "row": orphaned[ROW_COLUMN],
            "column": ["deal_id"] * orphaned.height,
            "value": orphaned["deal_id"],
            "expected": ["a deal whose own row was accepted"] * orphaned.height,
        },
        schema=PROBLEM_SCHEMA,
    )
    problems = pl.concat([activities.problems, orphan_problems])
    bad_rows = problems["row"].unique().implode()
    good = activities.frame.filter(~pl.col(ROW_COLUMN).is_in(bad_rows))
    rejected = _rejects(activities.source, _reasons(problems, table.label))
    return good, problems, rejected, activities.notes


def prepare_activity_table(
    source: SourceFormat, table: RawTable, known_deal_ids: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One activities table on its own (deals already stored): the valid rows in the
    generic format, and the problems of the rest (:data:`PROBLEM_SCHEMA`)."""
    no_bad_deals = pl.Series("deal_id", [], dtype=pl.String)
    good, problems, _rejected, _notes = _activities(source, table, known_deal_ids, no_bad_deals)
    return good.select(ACTIVITY_COLUMNS), problems


def prepare_tables(
    source: SourceFormat,
    deals_table: RawTable,
    activity_tables: Sequence[tuple[SourceFormat, RawTable]] = (),
    *,
    detected: bool = False,
    default_currency: str = "EUR",
    known_deal_ids: pl.Series | None = None,
    skip_invalid: bool = False,
    decimal: str | None = None,
    day_first: bool | None = None,
    column_map: ColumnMap | None = None,
) -> PreparedImport:
    """:func:`prepare_import` on tables already read (a file, or records a CRM's API
    returned): the deals by ``source``'s mapping (with ``column_map`` over it), each
    activities table by its own."""
    deals_read = read_deals(source, deals_table, column_map)
    mapped_deals = replace(deals_read, decimal=decimal, day_first=day_first)
    deals = validate_deals(mapped_deals, default_currency)
    problems = [deals.problems]
    bad_deal_rows = deals.problems["row"].unique()
    good_deals = deals.frame.filter(~pl.col(ROW_COLUMN).is_in(bad_deal_rows.implode()))
    known = deals.frame["deal_id"].drop_nulls()
    if known_deal_ids is not None:
        known = pl.concat([known, known_deal_ids.cast(pl.String)])
    bad_ids = deals.frame.filter(pl.col(ROW_COLUMN).is_in(bad_deal_rows.implode()))["deal_id"]
    good_acts, rejected_acts, notes = [], [], list(deals.notes)
    for table_source, table in activity_tables:
        good, table_problems, rejected, read_as = _activities(
            table_source, table, known, bad_ids, decimal, day_first, deals.date_orders
        )
        notes += read_as
        good_acts.append(good.select(ACTIVITY_COLUMNS))
        problems.append(table_problems)
        rejected_acts.append(rejected)
    all_problems = pl.concat(problems)
    if all_problems.height and not skip_invalid:
        raise ImportFailed(summarised_lines(all_problems), total=all_problems.height)
    return PreparedImport(
        format=source.name,
        detected=detected,
        deals=good_deals.select(DEAL_COLUMNS),
        activities=pl.concat(good_acts) if good_acts else None,
        problems=all_problems,
        rejected_deals=_rejects(deals.source, _reasons(deals.problems, deals_table.label)),
        rejected_activities=pl.concat(rejected_acts, how="diagonal_relaxed")
        if rejected_acts
        else pl.DataFrame(),
        notes=tuple(notes),
    )
