"""The decision journal's commands: decide, outcome, journal, due."""

from __future__ import annotations

import dataclasses
import json
import sys
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
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
from walkaway.service.idempotency import Answer, RequestKey, Then, once, request_key
from walkaway.service.journal import (
    RecordedDecision,
    decision_words,
    journal,
    record_decision,
    record_outcome,
)

# Who a command line's idempotency keys belong to (the API's belong to each user).
CLI_USER = "cli"
DECISION_DAYS = ("revisit_on", "requalify_by")


def _outcome_answer(row: dict[str, object]) -> Answer:
    return Answer(0, json.dumps(row, default=str))


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


KeyOption = Annotated[
    str | None,
    typer.Option(
        "--idempotency-key",
        help="Any text unique to this write (default: a new one each run): the command run "
        "again with the same key records nothing twice.",
    ),
]


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
    idempotency_key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Record a decision on a deal, with the numbers and flags of that moment. It sticks."""
    store = open_from(db)
    moment, revisit_on = moment_option(as_of, "--as-of"), day_option(revisit, "--revisit")

    def write(then: Then[RecordedDecision] | None) -> RecordedDecision:
        return record_decision(
            store, deal_id, decision, reason, as_of=moment, revisit=revisit_on, decided_by=by,
            then=then,
        )  # fmt: skip

    sent = [deal_id, decision, reason, moment, revisit_on, by]
    said = once(store, _run_key(idempotency_key, "decide", sent), write, _decision_answer)
    _say_replayed(said)
    print_recorded(_recorded(json.loads(said.body)))


def _run_key(key: str | None, command: str, sent: Sequence[object]) -> RequestKey:
    """This run's key (the one given, else a new one), and what it was sent with."""
    text = json.dumps(sent, default=str).encode()
    return request_key(CLI_USER, key or uuid.uuid4().hex, command, text)


def _say_replayed(said: Answer) -> None:
    if said.replayed:
        out.print("Already recorded with this --idempotency-key; nothing written again.")


def _decision_answer(recorded: RecordedDecision) -> Answer:
    return Answer(0, json.dumps(dataclasses.asdict(recorded), default=str))


def _recorded(data: dict[str, Any]) -> RecordedDecision:
    days = {k: date.fromisoformat(data[k]) if data[k] else None for k in DECISION_DAYS}
    moment = datetime.fromisoformat(data["as_of"])
    return RecordedDecision(**{**data, **days, "as_of": moment})


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
    idempotency_key: KeyOption = None,
    db: DbOption = None,
) -> None:
    """Record what became of a deal (the journal reads it)."""
    store = open_from(db)
    day = day_option(on, "--on")

    def write(then: Then[dict[str, object]] | None) -> dict[str, object]:
        return record_outcome(store, deal_id, outcome, note=note, on=day, then=then)

    sent = [deal_id, outcome, note, day]
    said = once(store, _run_key(idempotency_key, "outcome", sent), write, _outcome_answer)
    _say_replayed(said)
    row = json.loads(said.body)
    happened = datetime.fromisoformat(row["happened_at"])
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
