"""``walkaway backtest``: replay the walk-away policy over the stored history."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from walkaway import lazy
from walkaway.backtest.baselines import DEFAULT_IDLE_DAYS
from walkaway.cli.common import DbOption, app, edge, moment_option, open_from, out
from walkaway.errors import InputError
from walkaway.wording import counted

if TYPE_CHECKING:  # scikit-learn and matplotlib load only when a backtest runs
    from walkaway.backtest import replay
    from walkaway.backtest.metrics import Metrics
    from walkaway.backtest.replay import BacktestResult
    from walkaway.service import backtest as service_backtest
else:
    replay = lazy.module("walkaway.backtest.replay")
    service_backtest = lazy.module("walkaway.service.backtest")

INTERVAL = re.compile(r"^\s*(\d+)\s*([dw])\s*$", re.IGNORECASE)


class BacktestFormat(StrEnum):
    text = "text"
    json = "json"


def parse_interval(text: str) -> timedelta:
    """``7d`` or ``2w`` (days or weeks, at least one)."""
    match = INTERVAL.match(text)
    if not match or int(match.group(1)) < 1:
        raise InputError(f"--every {text!r} is not an interval; expected e.g. 7d or 2w")
    count = int(match.group(1))
    return timedelta(days=count * (7 if match.group(2).lower() == "w" else 1))


SHORT_LABELS = {"model": "Walkaway", "never": "Never", "idle": "Idle", "stage": "Stage p"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _effort(m: Metrics) -> str:
    if m.hours_on_lost:
        return f"{_pct(m.effort_saved_share)} ({m.hours_saved:,.0f} h)"
    if m.touches_on_lost:
        return f"{_pct(m.effort_saved_share)} ({m.touches_saved:,} t)"
    return "—"


POOLED_ROWS: tuple[tuple[str, Callable[[Metrics], str]], ...] = (
    ("AUC", lambda m: _num(m.auc)),
    ("Brier score", lambda m: _num(m.brier)),
    ("walk-aways (share)", lambda m: f"{m.flagged:,} ({_pct(m.share_flagged)})"),
    ("precision", lambda m: _pct(m.precision)),
    ("wins sacrificed", lambda m: f"{m.wins_sacrificed:,} ({_pct(m.wins_sacrificed_share)})"),
    ("value sacrificed", lambda m: f"{m.wins_sacrificed_value:,.0f}"),
    ("effort saved", _effort),
    ("lead time, days", lambda m: _num(m.lead_time_days, 0)),
)


def _models_line(result: BacktestResult) -> str:
    kinds = Counter(result.models)
    return "; ".join(f"{kind} at {counted(count, 'cut')}" for kind, count in kinds.items())


def print_backtest(result: BacktestResult) -> None:
    """The pooled comparison (one column per method), then the model at each cut."""
    cuts, settings = result.cuts, result.settings
    pooled = Table(
        title=f"Backtest, {len(cuts)} cut(s) {cuts[0]:%Y-%m-%d} to {cuts[-1]:%Y-%m-%d}, pooled"
    )
    pooled.add_column("")
    for m in result.pooled:
        pooled.add_column(SHORT_LABELS[m.method], justify="right")
    for name, cell in POOLED_ROWS:
        pooled.add_row(name, *[cell(m) for m in result.pooled])
    out.print(pooled)
    model = result.pooled_for("model")
    out.print(
        f"Idle: no activity for more than {settings.idle_days:g} days. Stage p: the stage's "
        f"probability below {settings.stage_threshold:g}. {model.open_deals:,} deals open at "
        f"some cut; {model.still_open:,} still open at the end are left out of the outcome "
        f"metrics. The calls were made by {_models_line(result)}.",
        highlight=False,
    )
    per_cut = Table(title="Walkaway at each cut")
    for name in ("cut", "open", "AUC", "Brier", "walk", "prec.", "wins lost", "effort", "lead"):
        per_cut.add_column(name, justify="left" if name == "cut" else "right")
    for m in result.per_cut:
        if m.method == "model" and m.cut is not None:
            per_cut.add_row(
                f"{m.cut:%Y-%m-%d}",
                f"{m.open_deals:,}",
                _num(m.auc),
                _num(m.brier),
                f"{m.flagged:,}",
                _pct(m.precision),
                f"{m.wins_sacrificed:,}",
                _pct(m.effort_saved_share),
                _num(m.lead_time_days, 0),
            )
    out.print(per_cut)


@app.command("backtest")
@edge
def backtest_command(
    start: Annotated[
        str | None,
        typer.Option("--from", help="First cut date; default: 6 months before --to."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last cut date at the latest; default: the history's end."),
    ] = None,
    every: Annotated[str, typer.Option("--every", help="Time between cuts: Nd or Nw.")] = "7d",
    idle_days: Annotated[
        float, typer.Option("--idle-days", help="The idle baseline's limit in days.", min=1)
    ] = DEFAULT_IDLE_DAYS,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write metrics.json, the PNG plots and report.html here."),
    ] = None,
    format: Annotated[
        BacktestFormat, typer.Option("--format", help="text or json.")
    ] = BacktestFormat.text,
    db: DbOption = None,
) -> None:
    """Replay the walk-away policy over history against never walking away, an idle rule
    and the stage's probability: precision, wins sacrificed, effort saved, calibration."""
    plan = service_backtest.BacktestPlan(
        moment_option(start, "--from"), moment_option(end, "--to"), parse_interval(every)
    )
    settings = replay.BacktestSettings(idle_days=idle_days)
    result = service_backtest.backtest(open_from(db), plan, settings)
    if out_dir is not None:
        service_backtest.write_report(result, out_dir)
    if format is BacktestFormat.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return
    print_backtest(result)
    if out_dir is not None:
        out.print(f"Report: {out_dir / 'report.html'}", highlight=False)
