"""The decision journal and what is due, as text: fitted to the screen (80 columns in a
pipe), or every column with ``--wide``."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from rich.table import Table

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
from walkaway.service.journal import Journal, decision_words
from walkaway.wording import counted

JOURNAL_COLUMNS = (
    Column("decided", 10),
    Column("deal"),
    Column("owner", 15),
    Column("decision", 10),
)
SCORE_COLUMNS = (
    ("decisions", "decisions"),
    ("walk_aways", "walk-aways"),
    ("stayed_lost", "stayed lost"),
    ("came_back", "came back"),
    ("no_news", "no news"),
    ("wins_given_up", "won after all"),
    ("wins_given_up_value", "their value"),
    ("hours_freed", "hours freed"),
    ("deadlines_met", "deadlines met"),
    ("deadlines_missed", "missed"),
    ("deadlines_pending", "pending"),
)
JOURNAL_FOOTNOTE = (
    "came back: the buyer wrote again, or the deal came back or was won after the "
    "walk-away; hours freed: the hours still needed, estimated then, of walk-aways "
    "that stayed lost"
)


def _print_wrapped(text: str, first: str = "", rest: str = "    ") -> None:
    out.print(wrapped(text, screen_width(), first, rest), highlight=False, markup=False)


def _call(word: str | None) -> str:
    """``walk_away`` -> "Walk away"."""
    text = decision_words(word)
    return text[:1].upper() + text[1:]


def _describe_since(row: dict[str, Any]) -> str:
    """What happened after a decision, in a line."""
    parts = [str(row["fate"]).replace("_", " ")]
    if row["outcome_after"]:
        word = str(row["outcome_after"]).replace("_", " ")
        parts.append(f"outcome {word} on {row['outcome_after_at']:%Y-%m-%d}")
    if row["inbound_after"]:
        parts.append(f"{row['inbound_after']} buyer replies since")
    if row["requalify_status"]:
        parts.append(f"deadline {row['requalify_by']:%Y-%m-%d} {row['requalify_status']}")
    if row["next_decision"]:
        parts.append(
            f"then {decision_words(row['next_decision'])} on {row['next_decided_at']:%Y-%m-%d}"
        )
    return "; ".join(parts)


def _describe_decision(row: dict[str, Any]) -> str:
    data = decision_words(row["recommendation"])
    return (
        f"by {row['decided_by'] or 'unknown'} (data then: {data}, "
        f"p {row['win_probability']:.0%}): {row['reason'] or ''}"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def score_line(row: dict[str, Any], currency: str) -> str:
    """A rep's scorecard in a sentence."""
    # a walk-away later won was a wrong call, not a win lost: the team won it after all
    won = f"{row['wins_given_up']} won after all"
    if row["wins_given_up"]:
        won += f" ({money(row['wins_given_up_value'], currency)})"
    return (
        f"{_plural(row['decisions'], 'decision')}; {counted(row['walk_aways'], 'walk-away')}: "
        f"{row['stayed_lost']} stayed lost, {row['came_back']} came back, "
        f"{row['no_news']} no news yet, {won}; hours freed "
        f"{row['hours_freed']:,.0f}; re-qualify deadlines {row['deadlines_met']} met, "
        f"{row['deadlines_missed']} missed, {row['deadlines_pending']} pending"
    )


def _entries_table(entries: pl.DataFrame) -> Table:
    table = Table()
    for name in ("decided", "deal", "name", "owner", "decision", "by", "data then", "p"):
        table.add_column(name, no_wrap=True, justify="right" if name == "p" else "left")
    table.add_column("reason", no_wrap=True)
    table.add_column("since", no_wrap=True)
    for row in entries.iter_rows(named=True):
        table.add_row(
            f"{row['decided_at']:%Y-%m-%d}",
            row["deal_id"],
            row["name"] or "",
            row["owner"] or "",
            _call(row["decision"]),
            row["decided_by"] or "unknown",
            _call(row["recommendation"]),
            f"{row['win_probability']:.0%}",
            row["reason"] or "",
            _describe_since(row),
        )
    return table


def _scorecard_table(scorecard: pl.DataFrame) -> Table:
    table = Table()
    table.add_column("rep", no_wrap=True)
    for _, header in SCORE_COLUMNS:
        table.add_column(header, justify="right", no_wrap=True)
    for row in scorecard.iter_rows(named=True):
        table.add_row(row["owner"], *[f"{row[key]:,.0f}" for key, _ in SCORE_COLUMNS])
    return table


def _journal_row(row: dict[str, Any]) -> Row:
    deal = f"{row['deal_id']} {row['name'] or ''}".strip()
    cells = (f"{row['decided_at']:%Y-%m-%d}", deal, row["owner"] or "", _call(row["decision"]))
    return Row(cells, (_describe_decision(row), f"since: {_describe_since(row)}"))


def print_journal(result: Journal, *, wide: bool = False) -> None:
    """Every decision and what became of it, then the scorecard per rep."""
    title = f"Decision journal as of {result.as_of:%Y-%m-%d}"
    currency = str(result.entries["currency"].drop_nulls().first() or "")
    if result.entries.height == 0:
        out.print(f"[bold]{title}[/bold]")
        out.print("No decisions recorded yet: walkaway decide DEAL_ID pursue|requalify|walk_away")
    elif wide:
        print_wide(title, _entries_table(result.entries))
    else:
        out.print(f"[bold]{title}[/bold]")
        print_list(JOURNAL_COLUMNS, [_journal_row(r) for r in result.entries.iter_rows(named=True)])
    if wide:
        print_wide(f"Scorecard ({currency or 'no currency'})", _scorecard_table(result.scorecard))
    else:
        out.print("[bold]Scorecard[/bold]")
        for row in result.scorecard.iter_rows(named=True):
            _print_wrapped(f"{row['owner']}: {score_line(row, currency)}", "  ")
    _print_wrapped(JOURNAL_FOOTNOTE, "", "")


DUE_WHAT = {"requalify_deadline": "re-qualify deadline"}


def _due_line(row: dict[str, Any], on: date) -> str:
    """ "re-qualify deadline 2026-11-02 (missed)"; on its own day, "re-qualify deadline
    today (no answer yet)"."""
    what = DUE_WHAT.get(row["kind"], "revisit")
    if row["due_on"] == on:
        waiting = row["requalify_status"] == "missed"
        return f"{what} today" + (" (no answer yet)" if waiting else "")
    status = f" ({row['requalify_status']})" if row["requalify_status"] else ""
    return f"{what} {row['due_on']:%Y-%m-%d}{status}"


def _due_table(items: pl.DataFrame, on: date) -> Table:
    table = Table()
    for name in ("deal", "name", "owner", "due", "decided", "reason", "what to do"):
        table.add_column(name, no_wrap=True)
    for row in items.iter_rows(named=True):
        table.add_row(
            row["deal_id"],
            row["name"] or "",
            row["owner"] or "",
            _due_line(row, on),
            f"{decision_words(row['decision'])} on {row['decided_at']:%Y-%m-%d}",
            row["reason"] or "",
            row["action"],
        )
    return table


def _print_message(message: str, wide: bool) -> None:
    """The draft email, a paragraph at a time (wrapped at words unless ``wide``)."""
    for paragraph in message.split("\n"):
        if wide or not paragraph:
            out.print(paragraph, highlight=False, markup=False)
        else:
            _print_wrapped(paragraph, "", "")


def _print_due_item(row: dict[str, Any], on: date, wide: bool) -> None:
    if not wide:
        out.print(f"[bold]{row['deal_id']}[/bold] {row['name'] or ''}", highlight=False)
        _print_wrapped(f"{row['owner'] or 'no owner'}: {_due_line(row, on)}", "  ")
        _print_wrapped(row["action"], "  ")
        _print_wrapped(
            f"decided {decision_words(row['decision'])} on {row['decided_at']:%Y-%m-%d}: "
            f"{row['reason'] or ''}",
            "  ",
        )
    elif row["questions"] or row["message"]:
        out.print(f"[bold]{row['deal_id']}[/bold] {row['name'] or ''}", highlight=False)
    for question in row["questions"] or []:
        _print_wrapped(f"• {question}", "  ")
    if row["message"]:
        _print_message(row["message"], wide)
    out.print()


def print_due(items: pl.DataFrame, on: date, *, wide: bool = False) -> None:
    """What has come due: each with what to do, the questions or the draft exit message."""
    if items.height == 0:
        out.print(f"Nothing due on {on:%Y-%m-%d}.")
        return
    if wide:
        print_wide(f"Due on {on:%Y-%m-%d}", _due_table(items, on))
    for row in items.iter_rows(named=True):
        _print_due_item(row, on, wide)
