"""The decision journal's commands: decide, outcome, journal, due."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import polars as pl
import polars.selectors as cs
import typer

from walkaway.cli.common import (
    DbOption,
    app,
    as_of_option,
    day_option,
    edge,
    moment_option,
    now,
    open_from,
    out,
)
from walkaway.cli.journal_text import print_due, print_journal
from walkaway.cli.listing import WideOption
from walkaway.cli.terminal import json_text
from walkaway.models import ISO_UTC, Tone
from walkaway.service.due import due
from walkaway.service.journal import (
    RecordedDecision,
    decision_words,
    journal,
    record_decision,
    record_outcome,
)


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


def _jsonable(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; date-times as ISO text (2026-11-02T00:00:00+00:00)."""
    frame = frame.with_columns(cs.datetime().dt.strftime(ISO_UTC))
    rows: list[dict[str, Any]] = json.loads(frame.write_json())
    return rows


def write_json(data: object) -> None:
    sys.stdout.write(json_text(data, ensure_ascii=False, indent=2) + "\n")


@app.command("decide")
@edge
def decide_command(
    deal_id: Annotated[str, typer.Argument(help="The deal decided on.")],
    decision: Annotated[str, typer.Argument(help="pursue, requalify or walk_away.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, in a sentence.")],
    revisit: Annotated[
        str | None,
        typer.Option(
            "--revisit",
            help="Walk away: when to look again (default: the policy's revisit delay). "
            "Re-qualify: the deadline for the buyer's answers (default: the policy's). "
            "Pursue: an optional checkpoint.",
        ),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decided (default: the rep).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The moment decided for (default: now).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Record a decision on a deal, with the numbers and flags of that moment. It sticks."""
    recorded = record_decision(
        open_from(db),
        deal_id,
        decision,
        reason,
        as_of=moment_option(as_of, "--as-of"),
        revisit=day_option(revisit, "--revisit"),
        decided_by=by,
    )
    print_recorded(recorded)


def print_recorded(r: RecordedDecision) -> None:
    when = f"; revisit on {r.revisit_on}" if r.revisit_on else ""
    when += f"; answers due by {r.requalify_by}" if r.requalify_by else ""
    out.print(
        f"Recorded: {decision_words(r.decision)} on {r.deal_id} ({r.deal_name or 'no name'}) "
        f"as of {r.as_of:%Y-%m-%d} by {r.decided_by or 'unknown'}{when}.",
        highlight=False,
    )
    agree = "agrees" if r.recommendation == r.decision else "says"
    out.print(
        f"The data {agree} {decision_words(r.recommendation)} (p {r.win_probability:.0%}).",
        highlight=False,
    )


@app.command("outcome")
@edge
def outcome_command(
    deal_id: Annotated[str, typer.Argument(help="The deal.")],
    outcome: Annotated[str, typer.Argument(help="won, lost, came_back or no_decision.")],
    note: Annotated[str | None, typer.Option("--note", help="What happened.")] = None,
    on: Annotated[str | None, typer.Option("--on", help="When (default: now).")] = None,
    db: DbOption = None,
) -> None:
    """Record what became of a deal (the journal reads it)."""
    row = record_outcome(open_from(db), deal_id, outcome, note=note, on=day_option(on, "--on"))
    happened = row["happened_at"]
    assert isinstance(happened, datetime)
    out.print(
        f"Recorded: {deal_id} {str(row['outcome']).replace('_', ' ')} on {happened:%Y-%m-%d}.",
        highlight=False,
    )


@app.command("journal")
@edge
def journal_command(
    since: Annotated[
        str | None, typer.Option("--since", help="Only decisions from this date.")
    ] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this rep's deals.")] = None,
    format: Annotated[
        TableOrJson, typer.Option("--format", help="table or json.")
    ] = TableOrJson.table,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Look back from this date (default: now)."),
    ] = None,
    wide: WideOption = False,
    db: DbOption = None,
) -> None:
    """Every decision with what happened after, and the scorecard per rep."""
    moment = as_of_option(as_of)
    result = journal(open_from(db), moment, since=day_option(since, "--since"), owner=owner)
    if format is TableOrJson.json:
        write_json(
            {
                "as_of": result.as_of.isoformat(),
                "entries": _jsonable(result.entries),
                "scorecard": _jsonable(result.scorecard),
            }
        )
    else:
        print_journal(result, wide=wide)


@app.command("due")
@edge
def due_command(
    on: Annotated[
        str | None, typer.Option("--on", help="The day to look at (default: today).")
    ] = None,
    tone: Annotated[
        Tone, typer.Option("--tone", help="Exit messages: warm or direct.")
    ] = Tone.WARM,
    format: Annotated[
        TableOrJson, typer.Option("--format", help="table or json.")
    ] = TableOrJson.table,
    wide: WideOption = False,
    db: DbOption = None,
) -> None:
    """Re-qualify deadlines and revisit dates that have come, with the message or questions."""
    day = day_option(on, "--on")
    moment = now()
    if day is not None:
        moment = min(moment, datetime(day.year, day.month, day.day) + timedelta(days=1))
    day = day or moment.date()
    items = due(open_from(db), day, known_before=moment, tone=tone)
    if format is TableOrJson.json:
        write_json({"on": day.isoformat(), "due": _jsonable(items)})
    else:
        print_due(items, day, wide=wide)
