"""From files on disk to validated deal and activity frames, ready for the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from walkaway.errors import ImportFailed
from walkaway.importers.base import SourceFormat
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
    return source.join(reasons, on=ROW_COLUMN, how="inner")


def prepare_import(
    deals_path: Path | str,
    activities_path: Path | str | None = None,
    *,
    format: str = "auto",
    default_currency: str = "EUR",
    known_deal_ids: pl.Series | None = None,
    skip_invalid: bool = False,
) -> PreparedImport:
    """Read, map and validate. Raises :class:`ImportFailed` on any problem unless
    ``skip_invalid``, in which case bad rows (and the activities of bad deals) are
    set aside with their reasons."""
    deals_table = read_table(deals_path)
    detected = format == "auto"
    source = (
        detect_format(deals_table.headers, deals_table.label) if detected else get_format(format)
    )
    tables = [] if activities_path is None else [(source, read_table(activities_path))]
    return prepare_tables(
        source,
        deals_table,
        tables,
        detected=detected,
        default_currency=default_currency,
        known_deal_ids=known_deal_ids,
        skip_invalid=skip_invalid,
    )


def _activities(
    source: SourceFormat, table: RawTable, known: pl.Series, bad_ids: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One activities table mapped and validated: good rows, problems, rejected rows."""
    activities = validate_activities(source.map_activities(table), known)
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
    return good, problems, _rejects(activities.source, _reasons(problems, table.label))


def prepare_activity_table(
    source: SourceFormat, table: RawTable, known_deal_ids: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One activities table on its own (deals already stored): the valid rows in the
    generic format, and the problems of the rest (:data:`PROBLEM_SCHEMA`)."""
    no_bad_deals = pl.Series("deal_id", [], dtype=pl.String)
    good, problems, _rejected = _activities(source, table, known_deal_ids, no_bad_deals)
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
) -> PreparedImport:
    """:func:`prepare_import` on tables already read (a file, or records a CRM's API
    returned): the deals by ``source``'s mapping, each activities table by its own."""
    deals = validate_deals(source.map_deals(deals_table), default_currency)
    problems = [deals.problems]
    bad_deal_rows = deals.problems["row"].unique()
    good_deals = deals.frame.filter(~pl.col(ROW_COLUMN).is_in(bad_deal_rows.implode()))
    known = deals.frame["deal_id"].drop_nulls()
    if known_deal_ids is not None:
        known = pl.concat([known, known_deal_ids.cast(pl.String)])
    bad_ids = deals.frame.filter(pl.col(ROW_COLUMN).is_in(bad_deal_rows.implode()))["deal_id"]
    good_acts, rejected_acts = [], []
    for table_source, table in activity_tables:
        good, table_problems, rejected = _activities(table_source, table, known, bad_ids)
        good_acts.append(good.select(ACTIVITY_COLUMNS))
        problems.append(table_problems)
        rejected_acts.append(rejected)
    all_problems = pl.concat(problems)
    if all_problems.height and not skip_invalid:
        raise ImportFailed(problem_lines(all_problems))
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
    )
