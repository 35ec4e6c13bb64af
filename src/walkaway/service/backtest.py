"""The backtest over the stored history: choose the cuts, run, write the report files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from walkaway.backtest.replay import BacktestResult, BacktestSettings, ModelFactory, learned_model
from walkaway.backtest.replay import run_backtest as run_core_backtest
from walkaway.errors import InputError
from walkaway.models import Pipeline, as_utc_naive
from walkaway.service.backtest_report import (
    calibration_png,
    precision_effort_png,
    report_html,
    tradeoff_png,
)
from walkaway.service.pipeline import current_policy
from walkaway.store import Store
from walkaway.store.frames import load_activities, load_deals

DEFAULT_EVERY = timedelta(days=7)
DEFAULT_SPAN_MONTHS = 6
REPORT_FILES = (
    "metrics.json",
    "calibration.png",
    "precision_effort.png",
    "tradeoff.png",
    "report.html",
)


@dataclass(frozen=True)
class BacktestPlan:
    """When to cut: from ``start`` to ``end`` (inclusive), every ``every``."""

    start: datetime | None = None
    end: datetime | None = None
    every: timedelta = DEFAULT_EVERY


def load_history(store: Store) -> Pipeline:
    """Every stored deal and activity: the backtest itself keeps each cut point-in-time."""
    with store.connect() as conn:
        return Pipeline(load_deals(conn), load_activities(conn))


def history_end(pipeline: Pipeline) -> datetime:
    """The latest moment the history mentions (a creation, a close or an activity)."""
    moments = [
        pipeline.deals["created_at"].max(),
        pipeline.deals["closed_at"].max(),
        pipeline.activities["at"].max() if pipeline.activities.height else None,
    ]
    known = [m for m in moments if isinstance(m, datetime)]
    if not known:
        raise InputError("the store holds no deals; import a pipeline first (walkaway import)")
    return max(known)


def plan_cuts(pipeline: Pipeline, plan: BacktestPlan) -> list[datetime]:
    """The cut dates: by default the last six months of the history (to the start of
    its last day), every week."""
    if plan.every <= timedelta(0):
        raise InputError("the interval between cuts must be positive, e.g. 7d or 2w")
    last_day = history_end(pipeline).replace(hour=0, minute=0, second=0, microsecond=0)
    end = as_utc_naive(plan.end) if plan.end else last_day
    if plan.start:
        start = as_utc_naive(plan.start)
    else:
        start = pl.select(pl.lit(end).dt.offset_by(f"-{DEFAULT_SPAN_MONTHS}mo")).item()
    if start > end:
        raise InputError(
            f"--from {start:%Y-%m-%d} is after --to {end:%Y-%m-%d} (by default the last day "
            "of the history); pick a start before the end"
        )
    cuts = []
    cut = start
    while cut <= end:
        cuts.append(cut)
        cut += plan.every
    return cuts


def backtest(
    store: Store,
    plan: BacktestPlan = BacktestPlan(),
    settings: BacktestSettings | None = None,
    model_factory: ModelFactory = learned_model,
) -> BacktestResult:
    """Replay the team's stored policy over its stored history."""
    pipeline = load_history(store)
    cuts = plan_cuts(pipeline, plan)
    return run_core_backtest(
        pipeline, current_policy(store), cuts, model_factory, settings=settings
    )


def write_report(result: BacktestResult, folder: Path) -> list[Path]:
    """``metrics.json``, ``calibration.png``, ``precision_effort.png``, ``tradeoff.png``
    and a self-contained ``report.html`` in ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    images = {
        "calibration.png": calibration_png(result),
        "precision_effort.png": precision_effort_png(result),
        "tradeoff.png": tradeoff_png(result),
    }
    (folder / "metrics.json").write_text(
        json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    for name, data in images.items():
        (folder / name).write_bytes(data)
    (folder / "report.html").write_text(report_html(result, images), encoding="utf-8")
    return [folder / name for name in REPORT_FILES]
