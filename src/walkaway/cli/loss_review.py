"""The loss review: one lost deal looked back at, or where the team's lost deals turn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import polars as pl
import typer
from rich.panel import Panel
from rich.table import Table

from walkaway.cli.common import DbOption, TextOrJson, app, day_option, edge, open_from, out
from walkaway.cli.journal import write_json
from walkaway.errors import InputError
from walkaway.flags.rulebook import flag_title
from walkaway.journal.loss.team import TeamLossReview
from walkaway.models import Recommendation
from walkaway.service.loss_review import (
    LossReviewView,
    loss_review,
    record_loss_notes,
    review_json,
    rows_json,
    team_loss_review,
)
from walkaway.wording import counted, percent_text


def _p(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def changes(timeline: pl.DataFrame) -> pl.DataFrame:
    """The cuts where something changed (p by a point, the call, the stage, the flags),
    with the flags that appeared (``added``) and went (``cleared``); first and last kept."""
    p = (pl.col("win_probability") * 100).round(0)
    codes = pl.col("flag_codes").fill_null([])
    before = codes.shift(1)
    frame = timeline.with_columns(
        codes.list.set_difference(before.fill_null([])).alias("added"),
        before.list.set_difference(codes).fill_null([]).alias("cleared"),
    )
    changed = (
        (p != p.shift(1))
        | (pl.col("recommendation") != pl.col("recommendation").shift(1))
        | (pl.col("stage") != pl.col("stage").shift(1))
        | (pl.col("added").list.len() > 0)
        | (pl.col("cleared").list.len() > 0)
    ).fill_null(True)
    last = pl.int_range(pl.len()) == pl.len() - 1
    return frame.filter(changed | last)


def _timeline(view: LossReviewView) -> None:
    table = Table(title="Win probability through the deal's history (where something changed)")
    for column in ("as of", "p(win)", "line", "call", "stage", "flags"):
        # a moment on one line ("2025-07-18 08:19"), "← turn" beneath it when narrow
        table.add_column(column, overflow="fold", min_width=16 if column == "as of" else None)
    turned = view.review.turn["turned_at"] if view.review.turn else None
    for row in changes(view.review.timeline).iter_rows(named=True):
        flags = [f"+{flag_title(c)}" for c in row["added"]]
        flags += [f"-{flag_title(c)}" for c in row["cleared"]]
        table.add_row(
            f"{row['cut']:%Y-%m-%d %H:%M}" + (" ← turn" if row["cut"] == turned else ""),
            _p(row["win_probability"]),
            _p(row["walk_away_line"]),
            Recommendation(row["recommendation"]).label,
            row["stage"] or "",
            ", ".join(flags),
        )
    out.print(table)
    out.print(
        "line: the win probability below which the economics walk away; flags: + raised, - cleared",
        highlight=False,
    )


def _turn(view: LossReviewView) -> None:
    turn = view.review.turn
    if turn is None:
        out.print("No turning point: the win probability never clearly fell.")
        return
    reply, crossed = turn["last_buyer_reply"], turn["crossed_on"]
    out.print(
        f"[bold]The turn[/bold]: it began around {turn['onset']:%Y-%m-%d} and showed on "
        f"{turn['turned_at']:%Y-%m-%d}, in {turn['stage']}: p {_p(turn['p_before'])} → "
        f"{_p(turn['p_after'])}"
        + (f"; it crossed the walk-away line on {crossed:%Y-%m-%d}" if crossed else "")
        + (f"; new: {', '.join(turn['new_flags'])}" if turn["new_flags"] else "")
        + (
            f". The buyer's last reply: {reply:%Y-%m-%d}."
            if reply
            else ". No reply from the buyer."
        )
    )
    events = view.review.events
    if events.height:
        table = Table(title="Around the turn")
        for column in ("at", "kind", "direction", "stage", "detail"):
            table.add_column(column)
        for row in events.iter_rows(named=True):
            table.add_row(
                f"{row['at']:%Y-%m-%d %H:%M}",
                row["kind"],
                row["direction"] or "",
                row["stage"] or "",
                (row["detail"] or "")[:60],
            )
        out.print(table)


def _bullets(title: str, items: list[str]) -> None:
    if items:
        out.print(f"[bold]{title}[/bold]")
        for item in items:
            out.print(f"  • {item}", highlight=False, markup=False)


def print_review(view: LossReviewView) -> None:
    r = view.review
    d = r.deal
    reason = f": {d['loss_reason']}" if d["loss_reason"] else ""
    out.print(
        Panel(
            f"Lost on {d['lost_at']:%Y-%m-%d}{reason}. Move on by {r.move_on_by:%Y-%m-%d}.",
            title=f"Loss review: {d['deal_id']} {d['name'] or ''} — {d['owner'] or 'no owner'}",
            expand=False,
        )
    )
    _timeline(view)
    _turn(view)
    _bullets(
        "Warning signs visible before the turn",
        [
            f"{row['first_seen']:%Y-%m-%d} {flag_title(row['code'])}: {row['evidence']}"
            for row in r.warning_signs.iter_rows(named=True)
        ],
    )
    _bullets("Ask the buyer", list(r.questions))
    _bullets("The buyer's answers", [a for a in view.notes["buyer_answer"] if a])
    _bullets("Lessons", [a for a in view.notes["lesson"] if a])
    out.print(
        f"Record what you learn: walkaway loss-review {d['deal_id']} --answer TEXT --lesson "
        f"TEXT. Then let it go: move on by {r.move_on_by:%Y-%m-%d}.",
        highlight=False,
    )


def team_json(team: TeamLossReview) -> dict[str, Any]:
    return {
        "since": team.since.isoformat() if team.since else None,
        "cuts": team.cuts,
        "step_days": team.step_days,
        "lost_deals": team.lost_deals,
        "lost_seen": team.lost_seen,
        "turned": team.turned,
        "won_seen": team.won_seen,
        "by_stage": rows_json(team.by_stage),
        "by_flag": rows_json(team.by_flag),
        "days": team.days,
        "indicators": rows_json(team.indicators),
    }


Cell = tuple[str, str, Callable[[Any], str]]  # header, column, how its value reads


def _share(value: float | None) -> str:
    return percent_text(value)


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} days"


def _count(value: int | None) -> str:
    return f"{value or 0:,}"


def _lift(value: float | None) -> str:
    """How many times likelier a flag is before a loss than before a win."""
    return "only before losses" if value is None else f"{value:,.1f}×"


BY_STAGE: tuple[Cell, ...] = (
    ("Stage", "stage", lambda v: v or "(no stage)"),
    ("Lost deals", "deals", _count),
    ("Share of turns", "share", _share),
    ("Typical days to the turn", "median_days_to_turn", _days),
)
BY_FLAG: tuple[Cell, ...] = (
    ("Red flag", "code", flag_title),
    ("Lost deals", "deals", _count),
    ("Share of turns", "share", _share),
)
INDICATORS: tuple[Cell, ...] = (
    ("Red flag", "code", flag_title),
    ("Lost deals with it", "lost_with", _count),
    ("Of lost deals", "lost_share", _share),
    ("Won deals with it", "won_with", _count),
    ("Of won deals", "won_share", _share),
    ("Likelier before a loss", "lift", _lift),
)


def _frame_table(frame: pl.DataFrame, title: str, cells: tuple[Cell, ...]) -> None:
    """The frame's rows in words. When the table is wider than the terminal, the
    figures' headers wrap (a column no wider than its longest word) before the row
    titles (a stage, a red flag) are cut: "Buyer unresponsive", not "Buyer unrespons…"."""
    table = Table(title=title)
    rows = [[words(row.get(c)) for _h, c, words in cells] for row in frame.iter_rows(named=True)]
    texts = [[header, *(row[index] for row in rows)] for index, (header, *_) in enumerate(cells)]
    natural = sum(max(len(text) for text in column) for column in texts) + 3 * len(cells) + 1
    narrow = natural > out.width
    for index, (header, column, _words) in enumerate(cells):
        numeric = column in frame.columns and frame.schema[column].is_numeric()
        longest_word = max(len(word) for text in texts[index] for word in text.split() or [""])
        table.add_column(
            header,
            justify="right" if numeric else "left",
            max_width=longest_word if narrow and index > 0 else None,
        )
    for row in rows:
        table.add_row(*row)
    out.print(table)


def print_team(team: TeamLossReview) -> None:
    out.print(
        f"{counted(team.lost_deals, 'lost deal')}; {team.lost_seen:,} seen at two reviews or "
        f"more ({counted(team.cuts, 'review')}, every {counted(team.step_days, 'day')}); "
        f"a turning point found in {team.turned:,}.",
        highlight=False,
    )
    _frame_table(team.by_stage, "Where lost deals turn, by stage", BY_STAGE)
    _frame_table(team.by_flag, "Red flags that appeared at the turn", BY_FLAG)
    days = team.days
    out.print(
        f"Days from creation to the turn: typically {_days(days['days_to_turn_median'])} "
        f"(half between {_days(days['days_to_turn_p25'])} and "
        f"{_days(days['days_to_turn_p75'])}); the decline began typically "
        f"{_days(days['days_to_onset_median'])} in.",
        highlight=False,
    )
    _frame_table(
        team.indicators,
        "Leading indicators: red flags before losses against before wins",
        INDICATORS,
    )


@app.command("loss-review")
@edge
def loss_review_command(
    deal_id: Annotated[str | None, typer.Argument(help="The lost deal.")] = None,
    team: Annotated[bool, typer.Option("--team", help="Where the team's lost deals turn.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="--team: deals closed from this date.")
    ] = None,
    answer: Annotated[
        str | None, typer.Option("--answer", help="Record what the buyer said.")
    ] = None,
    lesson: Annotated[str | None, typer.Option("--lesson", help="Record a lesson.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who records it.")] = None,
    format: Annotated[TextOrJson, typer.Option("--format", help="text or json.")] = TextOrJson.text,
    db: DbOption = None,
) -> None:
    """Look back at a lost deal: where it turned, the warning signs, questions, a move-on date."""
    if team == (deal_id is not None):
        raise InputError("give a DEAL_ID, or --team for the whole team (not both)")
    store = open_from(db)
    if team:
        if answer or lesson:
            raise InputError("--answer and --lesson are recorded on one deal, not with --team")
        result = team_loss_review(store, day_option(since, "--since"))
        if format is TextOrJson.json:
            write_json(team_json(result))
        else:
            print_team(result)
        return
    assert deal_id is not None
    if answer is not None or lesson is not None:
        record_loss_notes(store, deal_id, answer=answer, lesson=lesson, recorded_by=by)
    view = loss_review(store, deal_id)
    if format is TextOrJson.json:
        write_json(review_json(view))
    else:
        print_review(view)
