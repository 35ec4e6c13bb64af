"""What changed since an earlier review, as text fitted to the screen (80 columns in a
pipe): one section per kind of change, most important first, the cause under each deal."""

from __future__ import annotations

from typing import Any

import polars as pl
from rich.text import Text

from walkaway.cli.board import STYLE
from walkaway.cli.common import out
from walkaway.cli.listing import Column, Row, money, print_list, screen_width, wrapped
from walkaway.journal.changes import KIND_TITLES, KIND_WORDS, KINDS
from walkaway.models import Recommendation
from walkaway.service.changes import Changes

CHANGE_COLUMNS = (
    Column("deal"),
    Column("owner", 15),
    Column("call", 22),
    Column("p", 9, "right"),
)
DEADLINE_COLUMNS = (
    Column("deal"),
    Column("owner", 15),
    Column("due", 10),
    Column("what came", 22),
)
MAX_SHOWN = 10  # per section; --format json lists every change
SINCE_WORDS = {
    "given": "",
    "saved review": " (the last saved review)",
    "a week": " (a week: no review was saved)",
}
DEADLINE_WORDS = {
    ("requalify_deadline", "missed"): "re-qualify: no answer",
    ("requalify_deadline", "met"): "re-qualify: answered",
    ("requalify_deadline", None): "re-qualify deadline",
    ("revisit", None): "revisit date",
}


def _label(call: str | None) -> Text:
    if call is None:
        return Text("")
    return Text(Recommendation(call).label, style=STYLE[call])


def _call_cell(row: dict[str, Any]) -> Text:
    before, now = row["call_before"], row["call_now"]
    if row["kind"] == "new":
        return Text("new: ") + _label(now)
    if row["kind"] == "closed":
        return _label(before) + Text(f" → {row['outcome'] or 'closed'}")
    if before == now:
        return _label(now)
    return _label(before) + Text(" → ") + _label(now)


def _p_cell(row: dict[str, Any]) -> str:
    before, now = row["p_before"], row["p_now"]
    if before is None:
        return f"{now:.0%}"
    if now is None:
        return f"{before:.0%}"
    return f"{before:.0%} → {now:.0%}"


def _change_row(row: dict[str, Any]) -> Row:
    cause = " ".join(_sentence(c) for c in row["because"] or [])
    amount = money(row["amount"], row["currency"] or "")
    return Row(
        (
            f"{row['deal_id']} {row['name'] or ''}".strip(),
            row["owner"] or "",
            _call_cell(row),
            _p_cell(row),
        ),
        (f"{amount}: {cause}" if cause else amount,),
    )


def _sentence(text: str) -> str:
    """A cause as a sentence: its first letter up, a full stop at the end."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _print_wrapped(text: str) -> None:
    out.print(wrapped(text, screen_width(), "  ", "    "), highlight=False, markup=False)


def _section(title: str, frame: pl.DataFrame, columns: tuple[Column, ...], make: Any) -> None:
    """A section's title and count, its first :data:`MAX_SHOWN` rows, how many more."""
    out.print(f"[bold]{title} ({frame.height:,})[/bold]", highlight=False)
    print_list(columns, [make(r) for r in frame.head(MAX_SHOWN).iter_rows(named=True)])
    if frame.height > MAX_SHOWN:
        hidden = frame.height - MAX_SHOWN
        _print_wrapped(f"... and {hidden:,} more (--format json lists them all)")


def _deadline_row(row: dict[str, Any]) -> Row:
    status = row["requalify_status"] if row["kind"] == "requalify_deadline" else None
    what = DEADLINE_WORDS.get((row["kind"], status), DEADLINE_WORDS[(row["kind"], None)])
    reason = f"decided {row['decision'].replace('_', ' ')}: {row['reason'] or 'no reason given'}"
    return Row(
        (
            f"{row['deal_id']} {row['name'] or ''}".strip(),
            row["owner"] or "",
            f"{row['due_on']:%Y-%m-%d}",
            what,
        ),
        (reason,),
    )


def _header(result: Changes) -> None:
    said = SINCE_WORDS.get(result.since_from, "")
    title = f"What changed from {result.since:%Y-%m-%d} to {result.as_of:%Y-%m-%d}{said}"
    out.print(f"[bold]{title}[/bold]", highlight=False)
    summary = result.summary
    if summary["model_before"] != summary["model_now"]:
        _print_wrapped(
            f"Note: calls then by {summary['model_before']}; now by {summary['model_now']}. "
            "Some moves come from the change of model."
        )


def _footer(result: Changes) -> None:
    s = result.summary
    counts = s["by_kind"]
    said = ", ".join(f"{counts[k]:,} {KIND_WORDS[k]}" for k in KINDS if counts[k])
    cur = s["currency"]
    out.print("[bold]Summary[/bold]")
    _print_wrapped(f"{said or 'No deal changed'}; {s['deadlines']:,} decision deadline(s) came")
    _print_wrapped(
        f"Open deals {s['open_deals_before']:,} → {s['open_deals_now']:,}; forecast "
        f"{money(s['forecast_before'], cur)} → {money(s['forecast_now'], cur)}"
    )


def print_changes(result: Changes) -> None:
    """Every section that has something, most important first, then the summary."""
    _header(result)
    for kind in KINDS:
        frame = result.deals.filter(pl.col("kind") == kind)
        if frame.height:
            _section(KIND_TITLES[kind], frame, CHANGE_COLUMNS, _change_row)
    if result.deadlines.height:
        title = "Decisions whose deadline came"
        _section(title, result.deadlines, DEADLINE_COLUMNS, _deadline_row)
    _footer(result)
