"""From files on disk to validated deal and activity frames, ready for the store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from walkaway.errors import ImportFailed
from walkaway.importers.reading import ROW_COLUMN, read_table
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
    deals = validate_deals(source.map_deals(deals_table), default_currency)
    problems = [deals.problems]
    bad_deal_rows = deals.problems["row"].unique()
    good_deals = deals.frame.filter(~pl.col(ROW_COLUMN).is_in(bad_deal_rows.implode()))
    activities_frame = None
    rejected_activities = pl.DataFrame()
    if activities_path is not None:
        table = read_table(activities_path)
        known = deals.frame["deal_id"].drop_nulls()
        if known_deal_ids is not None:
            known = pl.concat([known, known_deal_ids.cast(pl.String)])
        activities = validate_activities(source.map_activities(table), known)
        # Activities of a rejected deal are rejected with it.
        bad_ids = deals.frame.filter(pl.col(ROW_COLUMN).is_in(bad_deal_rows.implode()))["deal_id"]
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
        act_problems = pl.concat([activities.problems, orphan_problems])
        problems.append(act_problems)
        bad_rows = act_problems["row"].unique().implode()
        activities_frame = activities.frame.filter(~pl.col(ROW_COLUMN).is_in(bad_rows))
        rejected_activities = _rejects(activities.source, _reasons(act_problems, table.label))
    all_problems = pl.concat(problems)
    if all_problems.height and not skip_invalid:
        lines = problem_lines(all_problems)
        raise ImportFailed(lines)
    return PreparedImport(
        format=source.name,
        detected=detected,
        deals=good_deals.select(DEAL_COLUMNS),
        activities=None if activities_frame is None else activities_frame.select(ACTIVITY_COLUMNS),
        problems=all_problems,
        rejected_deals=_rejects(deals.source, _reasons(deals.problems, deals_table.label)),
        rejected_activities=rejected_activities,
    )
