"""The review in the terminal: every open deal's call spelled out, the top reason under it;
``--wide`` for the full table; then the decisions the data disagrees with and the summary."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from rich.table import Table
from rich.text import Text

from walkaway.cli.common import out
from walkaway.cli.listing import (
    Column,
    Row,
    money,
    print_list,
    print_wide,
    screen_width,
    wrapped,
)
from walkaway.models import Recommendation
from walkaway.service.review import Review
from walkaway.wording import counted, percent_text

STYLE = {"walk_away": "bold red", "requalify": "yellow", "pursue": "green"}
NARROW_COLUMNS = (
    Column("deal"),
    Column("owner", 15),
    Column("call", 10),
    Column("p", 4, "right"),
    Column("amount", 10, "right"),
)
WIDE_COLUMNS = (
    ("deal", "left"),
    ("name", "left"),
    ("owner", "left"),
    ("stage", "left"),
    ("amount", "right"),
    ("p(win)", "right"),
    ("call", "left"),
    ("next date", "left"),
    ("first reason", "left"),
)


def call_text(recommendation: str) -> Text:
    """The call spelled out ("Walk away"), in its colour on a terminal."""
    return Text(Recommendation(recommendation).label, style=STYLE[recommendation])


def next_date(row: dict[str, Any]) -> date | None:
    """Walk away: when to look again; re-qualify: answers due; pursue: when it crosses
    the walk-away line if nothing happens."""
    when: date | None = row["requalify_by"] or row["revisit_on"] or row["walk_away_on"]
    return when


def _date_words(row: dict[str, Any]) -> str:
    when = next_date(row)
    if when is None:
        return ""
    return {
        "walk_away": f"Revisit on {when:%Y-%m-%d}.",
        "requalify": f"Answers due by {when:%Y-%m-%d}.",
        "pursue": f"Walk away on {when:%Y-%m-%d} if nothing happens.",
    }[row["recommendation"]]


def _narrow_row(row: dict[str, Any]) -> Row:
    reason = (row["reasons"] or [""])[0]
    parts = [reason if reason.endswith(".") else f"{reason}."] if reason else []
    parts += [words for words in (_date_words(row),) if words]
    detail = " ".join(parts)
    return Row(
        (
            f"{row['deal_id']} {row['name'] or ''}".strip(),
            row["owner"] or "",
            call_text(row["recommendation"]),
            percent_text(row["win_probability"]),
            money(row["amount"], row["currency"]),
        ),
        (detail,) if detail else (),
    )


def _wide_table(result: Review) -> Table:
    table = Table()
    for name, justify in WIDE_COLUMNS:
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for row in result.deals.iter_rows(named=True):
        when = next_date(row)
        table.add_row(
            row["deal_id"],
            row["name"] or "",
            row["owner"] or "",
            row["stage"] or "",
            money(row["amount"], row["currency"]),
            percent_text(row["win_probability"]),
            call_text(row["recommendation"]),
            when.isoformat() if when else "",
            (row["reasons"] or [""])[0],
        )
    return table


def print_review(result: Review, *, wide: bool = False) -> None:
    """The review: most urgent first, the call spelled out; ``wide``: every column."""
    title = f"Pipeline review as of {result.as_of:%Y-%m-%d}"
    if wide:
        print_wide(title, _wide_table(result))
        _model_line(result.summary)
    else:
        out.print(f"[bold]{title}[/bold]", highlight=False)
        _model_line(result.summary)
        print_list(NARROW_COLUMNS, [_narrow_row(r) for r in result.deals.iter_rows(named=True)])
    _disagreements(result.deals)
    _summary(result.summary)
    out.print(
        "Details: walkaway show DEAL_ID; exit email: walkaway message DEAL_ID", highlight=False
    )


def _model_line(summary: dict[str, Any]) -> None:
    """Which model made the calls, and what to know before reading them: said once, at
    the top."""
    model = summary.get("model")
    if model:
        _print_wrapped(f"Calls by {model['said']}")
    for note in summary.get("notes") or ():
        _print_wrapped(f"Note: {note}")


def _print_wrapped(line: str) -> None:
    out.print(wrapped(line, screen_width(), "  ", "    "), highlight=False, markup=False)


def _disagreements(frame: pl.DataFrame) -> None:
    """A person's decision sticks; the review says where the data now disagrees."""
    if "data_disagrees" not in frame.columns:
        return
    rows = frame.filter(pl.col("data_disagrees").fill_null(False))
    if rows.height:
        out.print("[bold]Decisions the data now disagrees with[/bold]")
        for deal_id, sentence in rows.select("deal_id", "disagreement").iter_rows():
            _print_wrapped(f"{deal_id}: {sentence}")


def _summary(summary: dict[str, Any]) -> None:
    counts = summary["by_recommendation"]
    lines = [
        f"{counted(summary['open_deals'], 'open deal')}: {counts['walk_away']:,} walk away, "
        f"{counts['requalify']:,} re-qualify, {counts['pursue']:,} pursue",
    ]
    figures = summary.get("by_currency") or [summary]
    for money_line in figures:
        lines += _money_lines(money_line, len(figures) > 1)
    lines.append(
        f"Walking away frees about {summary['hours_freed_by_walking_away']:,.0f} selling hours"
    )
    out.print("[bold]Summary[/bold]")
    for line in lines:
        _print_wrapped(line)


def _money_lines(figures: dict[str, Any], several: bool) -> list[str]:
    """The pipeline and the forecast in one currency (``several``: its deals named)."""
    cur = figures["currency"]
    head = f"In {cur} ({counted(figures['open_deals'], 'deal')}): open" if several else "Open"
    return [
        f"{head} pipeline {money(figures['open_value'], cur)}; held by walk-away candidates "
        f"{money(figures['walk_away_value'], cur)} "
        f"({percent_text(figures['pipeline_pollution'])} pollution)",
        f"Probability-weighted forecast {money(figures['forecast'], cur)}; without the "
        f"walk-away candidates {money(figures['forecast_without_walk_aways'], cur)}",
    ]
