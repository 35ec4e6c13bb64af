"""``walkaway insights``: what wins here, from the team's closed history as of a date."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from walkaway.cli.common import DbOption, TextOrJson, app, as_of_option, edge, open_from, out
from walkaway.cli.listing import Column, Row, print_list, screen_width, wrapped
from walkaway.cli.review import AsOfOption
from walkaway.cli.terminal import json_text
from walkaway.service.insights import Insights, insights, insights_json

RATE_COLUMNS = (
    Column("segment"),
    Column("deals", 6, "right"),
    Column("won", 5, "right"),
    Column("win rate", 8, "right"),
    Column("95% interval", 13, "right"),
)
FUNNEL_COLUMNS = (
    Column("stage"),
    Column("reached", 8, "right"),
    Column("won", 5, "right"),
    Column("win rate", 8, "right"),
    Column("went on", 8, "right"),
)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _rate_row(row: dict[str, Any]) -> Row:
    column = str(row["column"]).replace("_", " ")
    segment = "the whole team" if column == "team" else f"{column}: {row['value']}"
    interval = f"{row['low']:.0%}–{row['high']:.0%}"
    cells = (segment, f"{row['deals']:,}", f"{row['won']:,}", _pct(row["win_rate"]), interval)
    return Row(cells)


def _funnel_row(row: dict[str, Any]) -> Row:
    cells = (row["stage"], f"{row['reached']:,}", f"{row['won']:,}", _pct(row["win_rate"]))
    return Row((*cells, _pct(row["went_on"])))


def _heading(text: str) -> None:
    out.print(f"[bold]{text}[/bold]", highlight=False)


def _print_wrapped(text: str) -> None:
    out.print(wrapped(text, screen_width(), "  ", "    "), highlight=False, markup=False)


def _facts(found: Insights) -> None:
    _heading("Qualification facts the history confirms")
    facts = found.facts
    if facts.height == 0:
        _print_wrapped("No closed deal yet: nothing to confirm.")
        return
    for verdict, rows in facts.group_by("verdict", maintain_order=True):
        pairs = rows.select("field", "value").iter_rows()
        said = ", ".join(f"{f} {v}".replace("_", " ") for f, v in pairs)
        _print_wrapped(f"{verdict[0]}: {said}")


def _turns(found: Insights) -> None:
    _heading("Where lost deals turn")
    if found.turns.height == 0:
        _print_wrapped("No lost deal with a turn found yet.")
        return
    for row in found.turns.iter_rows(named=True):
        days = row["median_days_to_turn"]
        after = f", a median {days:.0f} days in" if days is not None else ""
        _print_wrapped(f"{row['stage']}: {row['deals']:,} lost deals ({row['share']:.0%}){after}")


def print_insights(found: Insights) -> None:
    """Win rates by segment, the funnel, the facts, the turns: fitted to the screen."""
    _heading(f"What wins here, as of {found.as_of:%Y-%m-%d}")
    _print_wrapped(
        f"From {found.closed:,} closed deals ({found.won:,} won); {found.open_deals:,} "
        "deals still open then are not counted."
    )
    _heading("Win rate by segment")
    print_list(RATE_COLUMNS, [_rate_row(r) for r in found.rates.iter_rows(named=True)])
    _heading("Stage funnel of the closed deals")
    print_list(FUNNEL_COLUMNS, [_funnel_row(r) for r in found.funnel.iter_rows(named=True)])
    _facts(found)
    _turns(found)


@app.command("insights")
@edge
def insights_command(
    as_of: AsOfOption = None,
    format: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
    db: DbOption = None,
) -> None:
    """What wins here: win rates with their interval by rep, size and the export's own
    columns, the stage funnel, the qualification facts the history confirms, where lost
    deals turn. For any history, even with no open deal."""
    found = insights(open_from(db), as_of_option(as_of))
    if format is TextOrJson.json:
        sys.stdout.write(json_text(insights_json(found), ensure_ascii=False, indent=2) + "\n")
    else:
        print_insights(found)
