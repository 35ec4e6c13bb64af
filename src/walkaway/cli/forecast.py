"""``walkaway forecast``: the expected won value per month or quarter of expected close."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from walkaway.cli.common import DbOption, TextOrJson, app, as_of_option, edge, open_from, out
from walkaway.cli.listing import Column, Row, money, print_list, screen_width, wrapped
from walkaway.cli.review import AsOfOption
from walkaway.cli.terminal import json_text
from walkaway.service.forecast import SLIPPED, Forecast, Period, forecast_by_period, forecast_json
from walkaway.service.review import review

COLUMNS = (
    Column("period"),
    Column("deals", 6, "right"),
    Column("expected won", 16, "right"),
    Column("without walk-aways", 18, "right"),
)


def _print_wrapped(text: str) -> None:
    out.print(wrapped(text, screen_width(), "  ", "    "), highlight=False, markup=False)


def print_forecast(found: Forecast) -> None:
    """The periods (slipped first), the totals, and how deals were placed."""
    cur = found.currency
    title = f"Forecast by {found.period.value} of expected close, as of {found.as_of:%Y-%m-%d}"
    out.print(f"[bold]{title}[/bold]", highlight=False)
    rows = [
        Row(
            (
                "slipped (past expected close)" if r["period"] == SLIPPED else r["period"],
                f"{r['deals']:,}",
                money(r["expected_won"], cur),
                money(r["expected_won_without_walk_aways"], cur),
            ),
            (f"{r['placed_by_history']:,} placed by the team's time to close",)
            if r["placed_by_history"]
            else (),
        )
        for r in found.rows.iter_rows(named=True)
    ]
    print_list(COLUMNS, rows)
    _print_wrapped(
        f"Total {money(found.total, cur)} (the review's forecast); without the walk-away "
        f"candidates {money(found.total_without_walk_aways, cur)}; slipped "
        f"{money(found.slipped, cur)}"
    )
    if found.median_days_to_close is None:
        _print_wrapped("No won deal yet: deals without an expected close count as slipped.")
    else:
        _print_wrapped(
            f"Deals without an expected close are placed by the team's time to close: "
            f"{found.won_history:,} won deals, a median {found.median_days_to_close:.0f} days "
            "from creation to the win."
        )


@app.command("forecast")
@edge
def forecast_command(
    by: Annotated[Period, typer.Option("--by", help="month or quarter.")] = Period.MONTH,
    as_of: AsOfOption = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this rep's deals.")] = None,
    format: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
    db: DbOption = None,
) -> None:
    """Expected won value per month or quarter of expected close, with and without the
    walk-away candidates, and the slip."""
    store = open_from(db)
    found = forecast_by_period(store, review(store, as_of_option(as_of), owner=owner), by)
    if format is TextOrJson.json:
        sys.stdout.write(json_text(forecast_json(found), ensure_ascii=False, indent=2) + "\n")
    else:
        print_forecast(found)
