"""The leadership check: ``walkaway leader-check``, asked interactively or read from a file."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from walkaway.cli.common import DbOption, app, edge, err, open_from, out
from walkaway.cli.terminal import json_text
from walkaway.leadership.check import (
    QUESTIONS,
    AnswerSheet,
    AreaScore,
    LeadershipChange,
    LeadershipReport,
    Phase,
    Verdict,
)
from walkaway.leadership.questions import HIGHEST, LOWEST
from walkaway.service.leadership import SavedCheck, read_answers, save_check

VERDICT_STYLE = {
    Verdict.STAY_AND_INVEST: "bold green",
    Verdict.FIX_OR_LEAVE: "bold yellow",
    Verdict.PLAN_YOUR_EXIT: "bold red",
}
BAR_WIDTH = 20


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return "me"


def ask_questions(console: Console, prompts_to_stderr: bool) -> dict[str, int]:
    """Ask every question with its scale; an answer outside 1-5 is asked again."""
    console.print(
        "Answer each statement from 1 to 5 with the scale shown. The check is saved in "
        "the database (--db); if others can read it, use a private one.",
        highlight=False,
    )
    answers: dict[str, int] = {}
    area = None
    for number, question in enumerate(QUESTIONS, start=1):
        if question.area is not area:
            area = question.area
            console.print(f"\n[bold]{area.words.capitalize()}[/bold]")
        console.print(f"{number}/{len(QUESTIONS)}  {question.text}", highlight=False)
        console.print(f"    {question.scale.legend()}", style="dim", highlight=False)
        answers[question.id] = typer.prompt(
            f"    {question.id}", value_proc=_one_to_five, err=prompts_to_stderr
        )
    return answers


def _one_to_five(text: str) -> int:
    answer = text.strip()
    if answer not in {str(n) for n in range(LOWEST, HIGHEST + 1)}:
        raise typer.BadParameter(f"{answer!r} is not an answer; type a number from 1 to 5")
    return int(answer)


def _bar(concern: int) -> str:
    filled = round(concern * BAR_WIDTH / 100)
    return "█" * filled + "·" * (BAR_WIDTH - filled)


def _signed(delta: int) -> str:
    return f"{delta:+d}" if delta else "±0"


def _area_table(report: LeadershipReport, change: LeadershipChange | None) -> Table:
    deltas = {c.area: c.delta for c in change.areas} if change else {}
    table = Table(
        title="Concern by area (0 = healthy, 100 = every answer a warning sign)",
        caption="Below the line, the counterweights: they shape the factors and the plan.",
    )
    table.add_column("area")
    table.add_column("concern", justify="right")
    table.add_column("")
    if change:
        table.add_column("change", justify="right")

    def add(score: AreaScore) -> None:
        cells = [score.area.measures, str(score.concern), _bar(score.concern)]
        if change:
            cells.append(_signed(deltas[score.area]) if score.area in deltas else "new")
        table.add_row(*cells)

    for score in (s for s in report.areas if s.is_role_area):
        add(score)
    table.add_section()
    for score in (s for s in report.areas if not s.is_role_area):
        add(score)
    return table


def _bullets(title: str, lines: list[str]) -> None:
    if not lines:
        return
    out.print(f"\n[bold]{title}[/bold]")
    for line in lines:
        out.print(f"  • {escape(line)}", highlight=False)


def _print_plan(report: LeadershipReport) -> None:
    out.print("\n[bold]Your 90-day plan[/bold]")
    for phase in Phase:
        out.print(f"  [underline]{phase.words.capitalize()}[/underline]")
        for step in (s for s in report.plan if s.phase is phase):
            tag = f"[{step.area.words}] " if step.area else ""
            out.print(f"    • {escape(tag + step.action)}", highlight=False)


def _print_change(saved: SavedCheck) -> None:
    change, previous = saved.change, saved.previous
    if change is None or previous is None:
        out.print("\nFirst check saved. Take it again in about 90 days to see what changed.")
        return
    out.print(
        f"\n[bold]Since your check #{previous.id} of {previous.taken_at:%Y-%m-%d}[/bold]: "
        f"role concern {change.concern_before} → {change.concern_now} "
        f"({_signed(change.delta)}); verdict {change.verdict_before.words} → "
        f"{change.verdict_now.words}",
        highlight=False,
    )
    moved = [
        *(f"better: {c.area.words} {c.before} → {c.now}" for c in change.improved),
        *(f"worse: {c.area.words} {c.before} → {c.now}" for c in change.worsened),
        *(f"new warning sign: {s.text}" for s in change.new_signals),
        *(f"no longer a warning sign: {s.text}" for s in change.resolved_signals),
    ]
    for line in moved or ["no area moved by 10 points or more"]:
        out.print(f"  • {escape(line)}", highlight=False)


def print_report(saved: SavedCheck) -> None:
    """The scored report: verdict, areas, signals, factors, the plan and the change."""
    check = saved.check
    report = check.report
    out.print(
        f"[bold]Leadership check #{check.id}[/bold]: {escape(check.taken_by)}, "
        f"{check.taken_at:%Y-%m-%d %H:%M} UTC",
        highlight=False,
    )
    verdict = report.verdict
    out.print(
        f"Verdict: [{VERDICT_STYLE[verdict]}]{verdict.words.upper()}[/] "
        f"({verdict.value}), because {escape(report.reason)}",
        highlight=False,
    )
    out.print(_area_table(report, saved.change))
    _bullets("Strongest warning signs", [s.text for s in report.strongest()])
    _bullets("What still works", [s.text for s in report.strengths[:3]])
    _bullets("Factors to weigh", [f.text for f in report.factors])
    _print_plan(report)
    _print_change(saved)


def _as_json(saved: SavedCheck) -> str:
    data = {
        **saved.check.to_dict(),
        "previous": saved.previous
        and {
            "id": saved.previous.id,
            "taken_at": saved.previous.taken_at.isoformat(timespec="seconds"),
        },
        "change": saved.change and saved.change.to_dict(),
    }
    return json_text(data, ensure_ascii=False, indent=2) + "\n"


@app.command("leader-check")
@edge
def leader_check_command(
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="Answers file, .toml ([answers] values_1 = 4 ...) or .json "
            '({"answers": {...}}); see docs/leadership.md. Without it, each question is asked.',
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Who takes the check (default: the file's `by`, else you)."),
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", help="text or json.")
    ] = ReportFormat.text,
    db: DbOption = None,
) -> None:
    """Should you walk away from your sales-leadership role? A scored self-check.

    Asks about values and ethics, unrealistic demands, respect, engagement, support,
    stagnation and energy, and the counterweights (how much the team depends on you, how
    long it has been this way, readiness to leave). Prints a verdict, the strongest
    warning signs, the factors to weigh and a 90-day plan; saves the check, and shows what
    changed since your last one.
    """
    as_json = format is ReportFormat.json
    if answers is not None:
        sheet = read_answers(answers)
    else:
        sheet = AnswerSheet(ask_questions(err if as_json else out, prompts_to_stderr=as_json))
    name = by if by is not None else sheet.by or _login_name()
    store = open_from(db, create=True)
    try:
        saved = save_check(store, sheet.answers, name, datetime.now(UTC))
    finally:
        store.close()
    if as_json:
        sys.stdout.write(_as_json(saved))
    else:
        print_report(saved)
