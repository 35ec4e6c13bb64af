"""Commands that assess the pipeline: review, show, message."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from walkaway import lazy
from walkaway.cli.board import STYLE, print_review
from walkaway.cli.common import (
    DbOption,
    ListFormat,
    app,
    as_of_option,
    edge,
    err,
    now,
    open_from,
    out,
)
from walkaway.cli.listing import WideOption, screen_width, wrapped
from walkaway.cli.listing import money as _money
from walkaway.cli.terminal import json_text, stdout_for_csv, stdout_for_json, visible
from walkaway.errors import InputError
from walkaway.flags.rulebook import flag_title
from walkaway.models import Assessment, Tone
from walkaway.service import Store
from walkaway.service.deal import DealView, deal_json, exit_draft, show
from walkaway.service.export import write_review_csv, write_review_json
from walkaway.service.readiness import readiness_note
from walkaway.service.review import Review, review
from walkaway.wording import counted, percent_text

if TYPE_CHECKING:
    from walkaway.cli import changes_text
    from walkaway.service import changes as service_changes
else:
    changes_text = lazy.module("walkaway.cli.changes_text")
    service_changes = lazy.module("walkaway.service.changes")

AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Assess as of this date (00:00 UTC) or date-time; default: now. Nothing dated "
        "at or after it is used.",
    ),
]


READINESS_STYLE = {"ready": "green", "caution": "yellow", "not_ready": ""}


SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="What changed since then instead of the review: 7d, 2w, a date, or `last` "
        "(the last saved review, else a week).",
    ),
]


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("review")
@edge
def review_command(
    as_of: AsOfOption = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this rep's deals.")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Only deals in this stage.")] = None,
    format: Annotated[
        ListFormat, typer.Option("--format", help="table, json or csv.")
    ] = ListFormat.table,
    wide: WideOption = False,
    since: SinceOption = None,
    save: Annotated[
        bool,
        typer.Option(
            "--save",
            help="Remember this review's date: the next `review --since last` compares with it.",
        ),
    ] = False,
    by: Annotated[str | None, typer.Option("--by", help="Who saves the review.")] = None,
    db: DbOption = None,
) -> None:
    """Every open deal, most urgent first: pursue, re-qualify or walk away, and why.
    With --since: what changed since then instead."""
    store, moment = open_from(db), as_of_option(as_of)
    if since is not None:
        _changes(store, moment, since, owner=owner, stage=stage, format=format)
    else:
        _review(review(store, moment, owner=owner, stage=stage), format, wide)
    if save:
        service_changes.save_review(store, moment, by=by, at=now())
        err.print(
            f"Review as of {moment:%Y-%m-%d} saved: `walkaway review --since last` "
            "compares with it.",
            highlight=False,
        )


def _changes(
    store: Store,
    as_of: datetime,
    since: str,
    *,
    owner: str | None,
    stage: str | None,
    format: ListFormat,
) -> None:
    if stage is not None:
        raise InputError(
            "--stage cannot be used with --since: a deal's stage is one of its changes"
        )
    if format is ListFormat.csv:
        raise InputError("--format csv cannot be used with --since: use table or json")
    try:
        result = service_changes.changes(store, as_of, since, owner=owner)
    except ValueError as error:
        raise InputError(f"--since {error}") from None
    if format is ListFormat.json:
        sys.stdout.write(
            json_text(service_changes.changes_json(result), ensure_ascii=False, indent=2) + "\n"
        )
    else:
        changes_text.print_changes(result)


def _review(result: Review, format: ListFormat, wide: bool) -> None:
    for skipped in result.summary.get("skipped", []):  # a value no import lets in any more
        err.print(f"Warning: {skipped['line']}", markup=False, highlight=False)
    if format in (ListFormat.json, ListFormat.csv):  # a slice at a time: see WRITE_ROWS, JSON_ROWS
        sys.stdout.flush()
        if format is ListFormat.json:
            write_review_json(result, stdout_for_json())
            sys.stdout.buffer.write(b"\n")
        else:
            write_review_csv(result, stdout_for_csv())
        sys.stdout.buffer.flush()
    else:
        print_review(result, wide=wide)


def _human_and_readiness(view: DealView) -> None:
    human = view.human
    if human is not None:
        when = f"{human['decided_at']:%Y-%m-%d}" if human["decided_at"] else ""
        out.print(
            f"[bold]Your decision[/bold]: {human['human_decision']} ({when}, "
            f"{human['decided_by'] or 'no name'}): {human['human_reason'] or ''}",
            highlight=False,
        )
        if human["data_disagrees"]:
            out.print(f"  [yellow]{human['disagreement']}[/yellow]", highlight=False)
    note = readiness_note(view.readiness, view.assessment)
    if note is not None:
        text = wrapped(note.sentence, screen_width(), "", "  ")
        out.print(text, style=READINESS_STYLE[note.kind], highlight=False, markup=False)


def _show_text(view: DealView, as_of: datetime) -> None:
    a = view.assessment
    style = STYLE[a.recommendation.value]
    call = Text(a.recommendation.label.upper(), style=style)
    out.print(
        Panel(
            Text.assemble(
                call,
                f"  win probability {percent_text(a.win_probability)}\n",
                f"{a.owner or 'no owner'} · {a.stage or 'no stage'} · as of {as_of:%Y-%m-%d}",
            ),
            title=Text(f"{a.deal_id} {a.name or ''}".strip()),
            expand=False,
        )
    )
    if view.model:
        said = wrapped(f"Calls by {view.model}", screen_width(), "", "  ")
        out.print(said, highlight=False, markup=False)
    _human_and_readiness(view)
    _bullets("Why", a.reasons)
    _economics(a)
    _flags(a)
    _bullets("For", a.reasons_for)
    _bullets("Against", a.reasons_against)
    if a.questions:
        by = f" (answers by {a.requalify_by:%Y-%m-%d})" if a.requalify_by else ""
        _bullets(f"Ask the buyer{by}", a.questions)
    if a.revisit_on:
        out.print(
            f"Revisit on {a.revisit_on:%Y-%m-%d}; draft the exit: walkaway message {a.deal_id}"
        )
    if a.walk_away_on and a.recommendation.value != "walk_away":
        out.print(
            "If nothing happens, this deal crosses the walk-away line by "
            f"{a.walk_away_on:%Y-%m-%d}."
        )
    if a.rep_confidence is not None:
        data = percent_text(a.win_probability)
        out.print(f"Rep's own confidence: {a.rep_confidence}/5 (data: {data})")
    _timeline(view.timeline)


def _bullets(title: str, items: tuple[str, ...]) -> None:
    if items:
        out.print(f"[bold]{title}[/bold]")
        for item in items:
            out.print(
                wrapped(f"• {item}", screen_width(), "  ", "    "), highlight=False, markup=False
            )


def _economics(a: Assessment) -> None:
    e = a.economics
    cur = e.currency
    table = Table(title="Economics", show_header=False)
    table.add_row("value if won (amount × margin, + potential)", _money(e.value, cur))
    table.add_row("expected value (p × value)", _money(e.expected_value, cur))
    table.add_row("hours still needed", f"{e.hours_needed:,.1f}")
    table.add_row("expected value per remaining hour", _money(e.value_per_hour, cur))
    table.add_row("what an hour earns elsewhere", _money(e.opportunity_rate, cur))
    table.add_row("cost of pursuing (hours ahead × that rate)", _money(e.cost_to_pursue, cur))
    table.add_row("hours already spent (sunk: shown, never counted)", f"{e.hours_invested:,.1f}")
    out.print(table)


def _flags(a: Assessment) -> None:
    if not a.flags:
        out.print("No red flags.")
        return
    table = Table(title="Red flags")
    for column in ("flag", "severity", "evidence", "question that would clear it"):
        table.add_column(column)
    for f in a.flags:
        table.add_row(flag_title(f.code), f.severity.value, f.evidence, f.question)
    out.print(table)


def _timeline(timeline: pl.DataFrame, last: int = 12) -> None:
    if timeline.height == 0:
        return
    shown = min(last, timeline.height)
    total = counted(timeline.height, "activity", "activities")
    table = Table(title=total if shown == timeline.height else f"The last {shown} of {total}")
    for column in ("at", "kind", "direction", "status", "detail"):
        table.add_column(column)
    for row in timeline.tail(last).iter_rows(named=True):
        table.add_row(  # the store's codes in words: "stage change", "no show"
            f"{row['at']:%Y-%m-%d %H:%M}",
            row["kind"].replace("_", " "),
            row["direction"] or "",
            (row["status"] or "").replace("_", " "),
            (row["detail"] or "")[:60],
        )
    out.print(table)


@app.command("show")
@edge
def show_command(
    deal_id: Annotated[str, typer.Argument(help="The deal to assess.")],
    as_of: AsOfOption = None,
    format: Annotated[ShowFormat, typer.Option("--format", help="text or json.")] = ShowFormat.text,
    db: DbOption = None,
) -> None:
    """One deal in full: the call, its reasons, economics, red flags and timeline."""
    moment = as_of_option(as_of)
    if format is ShowFormat.json:
        data = deal_json(open_from(db), deal_id, moment)
        sys.stdout.write(json_text(data, ensure_ascii=False, indent=2) + "\n")
    else:
        _show_text(show(open_from(db), deal_id, moment), moment)


@app.command("message")
@edge
def message_command(
    deal_id: Annotated[str, typer.Argument(help="The deal to walk away from.")],
    tone: Annotated[Tone, typer.Option("--tone", help="warm or direct.")] = Tone.WARM,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Draft the email that walks away well: honest, thankful, door left open (a warning
    on stderr when the data says to pursue the deal)."""
    message, warning = exit_draft(open_from(db), deal_id, as_of_option(as_of), tone)
    if warning:
        err.print(f"Warning: {visible(warning)}", markup=False, highlight=False)
    sys.stdout.write(visible(message) + "\n")
