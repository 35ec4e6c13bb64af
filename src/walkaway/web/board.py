"""The review board's numbers: one page of deals, the tallies per rep and per stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from walkaway.journal.scorecard import overlay_decisions
from walkaway.service.review import Review
from walkaway.web.present import CALL_ORDER

ROW_COLUMNS = (
    "deal_id",
    "name",
    "account",
    "owner",
    "stage",
    "amount",
    "currency",
    "recommendation",
    "win_probability",
    "hard_stop",
    "requalify_by",
    "revisit_on",
    "walk_away_on",
    "reasons",
    "flags",
)


@dataclass(frozen=True)
class Page:
    """One page of the ranked deals, most urgent first."""

    rows: list[dict[str, Any]]
    number: int
    count: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def page_of(
    frame: pl.DataFrame,
    call: str | None,
    number: int,
    size: int,
    decisions: pl.DataFrame | None = None,
) -> Page:
    """Page ``number`` (from 1) of the deals with the call ``call`` (None: all), with the
    team's own latest decision beside each (``human_decision``) when ``decisions`` (from
    ``walkaway.service.decisions.human_decisions``) is given."""
    if call:
        frame = frame.filter(pl.col("recommendation") == call)
    count = max(1, -(-frame.height // size))
    number = min(max(1, number), count)
    shown = frame.slice((number - 1) * size, size).select(ROW_COLUMNS)
    if decisions is not None:
        shown = overlay_decisions(shown, decisions)
    rows = shown.to_dicts()
    for row in rows:
        row.setdefault("human_decision", None)
        row["flag_count"] = len(row["flags"] or [])
        row["critical"] = sum(1 for f in row["flags"] or [] if f["severity"] == "critical")
        row["first_reason"] = (row["reasons"] or [""])[0]
    return Page(rows, number, count, frame.height)


def _valued(currency: str) -> pl.Expr:
    """A deal's amount when it is in ``currency``, else 0: money is never summed across
    currencies (the summary's ``by_currency`` has the others)."""
    return pl.when(pl.col("currency") == currency).then(pl.col("amount")).fill_null(0)


def value_by_call(frame: pl.DataFrame, currency: str) -> dict[str, float]:
    sums = dict(frame.group_by("recommendation").agg(_valued(currency).sum()).iter_rows())
    return {call: float(sums.get(call, 0.0) or 0.0) for call in CALL_ORDER}


def _weighted(currency: str) -> pl.Expr:
    return pl.col("win_probability") * _valued(currency)


def per_rep(frame: pl.DataFrame, currency: str) -> list[dict[str, Any]]:
    """Per rep: open deals, walk-away candidates and the value they hold, the forecast
    (the values of deals in ``currency``)."""
    walk = pl.col("recommendation") == "walk_away"
    return (
        frame.group_by(pl.col("owner").fill_null("(no owner)"))
        .agg(
            pl.len().alias("deals"),
            walk.sum().alias("walk_away"),
            (pl.col("recommendation") == "requalify").sum().alias("requalify"),
            _valued(currency).sum().alias("value"),
            _valued(currency).filter(walk).sum().alias("walk_away_value"),
            _weighted(currency).sum().alias("forecast"),
            _weighted(currency).filter(~walk).sum().alias("forecast_without"),
        )
        .sort("walk_away_value", "value", descending=True)
        .to_dicts()
    )


def per_stage(frame: pl.DataFrame, currency: str) -> list[dict[str, Any]]:
    """Per stage: open deals, how many are stalled (over the stage's time limit), value
    (of the deals in ``currency``)."""
    stalled = pl.col("flags").list.eval(pl.element().struct.field("code") == "stalled").list.any()
    return (
        frame.group_by(pl.col("stage").fill_null("(no stage)"))
        .agg(
            pl.len().alias("deals"),
            stalled.fill_null(False).sum().alias("stalled"),
            (pl.col("recommendation") == "walk_away").sum().alias("walk_away"),
            _valued(currency).sum().alias("value"),
        )
        .sort("deals", descending=True)
        .to_dicts()
    )


def choices(result: Review) -> dict[str, list[str]]:
    """The reps and stages to filter by, from the deals in view."""
    frame = result.deals
    return {
        "owners": sorted(v for v in frame["owner"].unique().to_list() if v),
        "stages": sorted(v for v in frame["stage"].unique().to_list() if v),
    }
