"""Commands that bring a pipeline in and show it: import, deals, demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl
import typer
from rich.table import Table

from walkaway import service
from walkaway.cli.board import print_review
from walkaway.cli.common import (
    DbOption,
    ImportFormat,
    ListFormat,
    app,
    edge,
    jsonable_rows,
    open_from,
    out,
    print_summary,
    progress_bar,
)
from walkaway.cli.listing import Column, Row, WideOption, print_list, print_wide
from walkaway.cli.terminal import json_text, stdout_for_csv
from walkaway.errors import InputError, NoStore
from walkaway.importers.columns import parse_map_options, read_mapping_file
from walkaway.importers.inspect import inspect_file
from walkaway.models import Outcome, as_utc_naive
from walkaway.reporting.spreadsheet import csv_text
from walkaway.sample import SAMPLE_AS_OF
from walkaway.service.mappings import saved_column_maps
from walkaway.service.review import review
from walkaway.settings import Settings
from walkaway.store import opened_to_fill

if TYPE_CHECKING:
    from walkaway.importers.columns import ColumnMap


@app.command("import")
@edge
def import_command(
    deals: Annotated[Path, typer.Argument(help="Deals file (CSV or XLSX).")],
    activities: Annotated[
        Path | None, typer.Option("--activities", "-a", help="Activities file (CSV or XLSX).")
    ] = None,
    format: Annotated[
        ImportFormat,
        typer.Option("--format", "-f", help="Source format; auto picks from the headers."),
    ] = ImportFormat.auto,
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Import the valid rows; write the rest to a rejects CSV."
        ),
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(
            "--rejects",
            help="Where to write rejected rows (with --skip-invalid; default: beside the store).",
        ),
    ] = None,
    maps: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='COLUMN=HEADER: read a Walkaway column from your header, e.g. created_at="Created '
            'Time"; values too: outcome="Status=Won:won,Lost:lost,*:open". Kept for next time.',
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping", help='A TOML file of mappings: [deals] created_at = "Created Time".'
        ),
    ] = None,
    decimal: Annotated[
        str | None,
        typer.Option(
            "--decimal",
            help="The decimal mark of the file's numbers, ',' or '.' (default: each "
            "column's cells decide; one they cannot is refused, naming this option).",
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            help="The sheet of an XLSX deals file to read: its name or number (1: "
            "the first, the default).",
        ),
    ] = None,
    dayfirst: Annotated[
        bool,
        typer.Option(
            "--dayfirst",
            help="Dates such as 03/04/2026 are day/month/year (default: each date "
            "column's cells decide; one they cannot is refused, naming this option).",
        ),
    ] = False,
    monthfirst: Annotated[
        bool,
        typer.Option("--monthfirst", help="Dates such as 03/04/2026 are month/day/year."),
    ] = False,
    inspect: Annotated[
        bool,
        typer.Option(
            "--inspect",
            help="Show how the file would be read (headers, matches, samples, what is "
            "missing); import nothing.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import a pipeline export: deals and, optionally, their activities.

    Re-importing the same files changes nothing; a changed row updates its deal.
    """
    column_map = _column_map(maps or [], mapping)
    if decimal not in (None, ",", "."):
        raise InputError(f"--decimal {decimal!r}: expected , (a decimal comma) or . (a point)")
    if dayfirst and monthfirst:
        raise InputError("--dayfirst and --monthfirst: pass one, the way the file's dates read")
    day_first = True if dayfirst else False if monthfirst else None
    if inspect:
        _print_inspection(deals, format.value, column_map, db, sheet)
        return
    settings = Settings.from_env(db=db)
    with (
        opened_to_fill(settings.db_url, copy_dir=settings.copy_dir) as store,
        progress_bar("importing") as step,
    ):
        summary = service.import_files(
            store,
            deals,
            activities,
            format=format.value,
            skip_invalid=skip_invalid,
            rejects_path=rejects,
            default_currency=settings.default_currency,
            progress=step,
            column_map=column_map,
            decimal=decimal,
            day_first=day_first,
            sheet=sheet,
        )
    for note in summary.notes:
        out.print(note)
    out.print(
        f"deals: {summary.deals_new:,} new, {summary.deals_updated:,} updated, "
        f"{summary.deals_unchanged:,} unchanged; activities: {summary.activities_new:,} new, "
        f"{summary.activities_unchanged:,} already there; rejected rows: {summary.rejected:,}",
        highlight=False,
    )
    if summary.rejects_file:
        out.print(f"rejected rows and their reasons: {summary.rejects_file}", highlight=False)


def _column_map(maps: list[str], mapping: Path | None) -> ColumnMap | None:
    given = parse_map_options(maps)
    if mapping is None:
        return given
    from_file = read_mapping_file(mapping)
    return from_file if given is None else from_file.merged(given)


def _print_inspection(
    deals: Path, format: str, column_map: ColumnMap | None, db: str | None, sheet: str | None
) -> None:
    try:
        saved = saved_column_maps(open_from(db))
    except NoStore:
        saved = []
    found = inspect_file(deals, format=format, column_map=column_map, saved_maps=saved, sheet=sheet)
    out.print(
        f"{found.label}: {len(found.matches)} columns, {found.rows:,} rows; {found.note}",
        highlight=False,
    )
    table = Table(box=None, pad_edge=False)
    for name in ("header", "read as", "sample values"):
        table.add_column(name, overflow="fold")
    for match in found.matches:
        read_as = "attribute" if match.column is None else match.column
        if match.column is not None and match.how != "format":
            read_as += f" ({match.how})"
        table.add_row(match.header, read_as, ", ".join(match.samples))
    out.print(table)
    for missing in found.missing:
        hint = (
            f': did you mean {missing.closest!r}? use --map {missing.column}="{missing.closest}"'
            if missing.closest
            else f": use --map {missing.column}=HEADER"
        )
        out.print(f"missing: {missing.column} ({missing.why}){hint}", highlight=False)
    if not found.missing:
        out.print(
            "nothing missing: `walkaway import` without --inspect imports it", highlight=False
        )


@app.command("deals")
@edge
def deals_command(
    stage: Annotated[str | None, typer.Option("--stage", help="Only deals in this stage.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this rep's deals.")] = None,
    outcome: Annotated[Outcome | None, typer.Option("--outcome", help="open, won or lost.")] = None,
    format: Annotated[
        ListFormat, typer.Option("--format", help="table, json or csv.")
    ] = ListFormat.table,
    wide: WideOption = False,
    db: DbOption = None,
) -> None:
    """List the stored deals."""
    frame = service.list_deals(open_from(db), service.DealFilter(stage, owner, outcome))
    if format is ListFormat.json:
        sys.stdout.write(json_text(jsonable_rows(frame), ensure_ascii=False, indent=2) + "\n")
    elif format is ListFormat.csv:
        stdout_for_csv().write(csv_text(frame).encode())
    elif wide:
        print_wide(f"{frame.height:,} deals", _deals_table(frame))
    else:
        out.print(f"[bold]{frame.height:,} deals[/bold]")
        print_list(NARROW_DEALS, [_deal_row(row) for row in frame.iter_rows(named=True)])


WIDE_DEALS = ("deal_id", "name", "owner", "stage", "amount", "outcome", "activity_count")
NARROW_DEALS = (
    Column("deal"),
    Column("owner", 15),
    Column("stage", 13),
    Column("amount", 10, "right"),
    Column("outcome", 7),
)


def _deal_row(row: dict[str, Any]) -> Row:
    amount = "" if row["amount"] is None else f"{row['amount']:,.0f}"
    deal = f"{row['deal_id']} {row['name'] or ''}".strip()
    return Row((deal, row["owner"] or "", row["stage"] or "", amount, row["outcome"] or ""))


def _deals_table(frame: pl.DataFrame) -> Table:
    table = Table()
    for column in WIDE_DEALS:
        numeric = frame.schema[column].is_numeric()
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True)
    for row in frame.select(WIDE_DEALS).iter_rows():
        table.add_row(
            *["" if v is None else f"{v:,.0f}" if isinstance(v, float) else str(v) for v in row]
        )
    return table


@app.command("demo")
@edge
def demo_command(
    db: Annotated[
        str, typer.Option("--db", help="SQLite file to (re)create for the demo.")
    ] = "walkaway-demo.db",
    force: Annotated[
        bool,
        typer.Option("--force", help="Rebuild it even when it holds decisions recorded on it."),
    ] = False,
) -> None:
    """Build the bundled sample pipeline into a fresh SQLite file and review it."""
    force = force or _rebuild_confirmed(db)
    store, summary = service.build_demo(db, force=force)
    out.print(
        f"Sample pipeline imported into {db}: {summary.deals_new:,} deals, "
        f"{summary.activities_new:,} activities. The sample's today is {SAMPLE_AS_OF}.",
        highlight=False,
    )
    print_summary(service.pipeline_summary(service.list_deals(store)), "EUR")
    print_review(review(store, as_utc_naive(SAMPLE_AS_OF)))
    out.print(
        f"Try: walkaway show D-2030 --db {db} --as-of {SAMPLE_AS_OF}   "
        f"walkaway message D-2033 --db {db} --as-of {SAMPLE_AS_OF}",
        highlight=False,
    )


def _rebuild_confirmed(db: str) -> bool:
    """On a terminal, ask before the decisions recorded on the demo go; elsewhere no
    (then the demo refuses, naming --force)."""
    recorded = service.decisions_recorded(db)
    if not recorded or not sys.stdin.isatty():
        return False
    if typer.confirm(
        f"{db} holds {recorded:,} decision(s) recorded on the demo. Rebuild it and lose them?",
        default=False,
    ):
        return True
    out.print(f"Kept {db} as it is.", highlight=False)
    raise typer.Exit(0)
