"""The forecast by period: expected won value per month or quarter of the expected close,
with and without the walk-away candidates, and the slip.

Each open deal of the review counts once, at ``p × amount`` (the review's forecast):

- a deal whose expected close has passed is **slipped**: its value is the first row
  (``period = "slipped"``), not a future month;
- a deal with an expected close still ahead counts in that date's month or quarter;
- a deal without one is placed by the team's own **time to close**: the won deals closed
  before the as-of date give how long deals took from creation to the win (an empirical
  survival curve); a deal already ``a`` days old is expected to close after the median
  of the durations longer than ``a``, less ``a`` (``placed_by = "history"``). A deal
  older than every won deal took, or a team with no win yet, has no such date: it counts
  as slipped.

So the rows add up to the review's forecast, and without the walk-away candidates to its
forecast without them (a test checks both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import polars as pl
import polars.selectors as cs
import sqlalchemy as sa
from markupsafe import Markup

from walkaway import lazy
from walkaway.models import DATETIME, Outcome, Recommendation, iso_utc
from walkaway.reporting.periods import PeriodBar, forecast_by_period_chart
from walkaway.service.review import Review
from walkaway.store import Store
from walkaway.store.frames import read_frame
from walkaway.store.schema import deals

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy.module("numpy")

SLIPPED = "slipped"
DAY_SECONDS = 86_400.0
_DATES_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "created_at": DATETIME,
    "expected_close": pl.Date(),
    "closed_at": DATETIME,
    "outcome": pl.String(),
}
FORECAST_SCHEMA: dict[str, pl.DataType] = {
    "period": pl.String(),
    "deals": pl.UInt32(),
    "expected_won": pl.Float64(),
    "expected_won_without_walk_aways": pl.Float64(),
    "placed_by_history": pl.UInt32(),
}


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True)
class Forecast:
    """Expected won value per period (:data:`FORECAST_SCHEMA`: the slipped row first,
    then the periods in order), what it adds up to, and how deals were placed."""

    as_of: datetime
    period: Period
    currency: str
    rows: pl.DataFrame
    total: float
    total_without_walk_aways: float
    slipped: float
    won_history: int  # won deals the time to close was learned from
    median_days_to_close: float | None


def stored_dates(store: Store, as_of: datetime) -> pl.DataFrame:
    """Every deal created before ``as_of``: its creation, expected close, close, outcome."""
    d = deals.c
    columns = [d.deal_id, d.created_at, d.expected_close, d.closed_at, d.outcome]
    query = sa.select(*columns).where(d.created_at < as_of)
    with store.connect() as conn:
        return read_frame(conn, columns, query, _DATES_SCHEMA)


def days_to_win(dates: pl.DataFrame, as_of: datetime) -> np.ndarray:
    """Sorted days from creation to the win of the deals won before ``as_of``."""
    won = dates.filter(
        (pl.col("outcome") == Outcome.WON.value) & (pl.col("closed_at") < as_of)
    ).select((pl.col("closed_at") - pl.col("created_at")).dt.total_seconds() / DAY_SECONDS)
    return np.sort(won.to_series().drop_nulls().to_numpy())


def days_left(durations: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """For deals ``ages`` days old, the median of the won durations longer than each age,
    less the age (NaN where no won deal took longer): all at once, by a sorted search."""
    n = len(durations)
    first_longer = np.searchsorted(durations, ages, side="right")
    remaining = n - first_longer
    lower = first_longer + np.maximum(remaining - 1, 0) // 2
    upper = first_longer + remaining // 2
    padded = np.append(durations, np.nan)
    median = (padded[np.minimum(lower, n)] + padded[np.minimum(upper, n)]) / 2
    return np.where(remaining > 0, median - ages, np.nan)


def _period_label(period: Period) -> pl.Expr:
    when = pl.col("expected_on")
    if period is Period.MONTH:
        return when.dt.strftime("%Y-%m")
    return pl.format("{}-Q{}", when.dt.year(), when.dt.quarter())


def place_deals(frame: pl.DataFrame, dates: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """The review's deals with ``expected_on`` (their expected close, else the history's
    estimate), ``placed_by`` (``expected_close``, ``history`` or null) and ``slipped``."""
    known = frame.select("deal_id").join(dates, on="deal_id", how="left")
    ages = known.select((as_of - pl.col("created_at")).dt.total_seconds() / DAY_SECONDS)
    left = days_left(days_to_win(dates, as_of), ages.to_series().fill_null(0.0).to_numpy())
    ahead = pl.Series("days_left", left, nan_to_null=True).ceil().cast(pl.Int64)
    estimate = pl.lit(as_of.date()) + pl.duration(days=pl.col("days_left"))
    known = known.with_columns(ahead).with_columns(
        pl.when(pl.col("days_left").is_not_null()).then(estimate).alias("estimated")
    )
    placed = known.select(
        "deal_id",
        pl.coalesce("expected_close", "estimated").alias("expected_on"),
        pl.when(pl.col("expected_close").is_not_null())
        .then(pl.lit("expected_close"))
        .when(pl.col("estimated").is_not_null())
        .then(pl.lit("history"))
        .alias("placed_by"),
    )
    slipped = pl.col("expected_on").is_null() | (pl.col("expected_on") < as_of.date())
    return frame.join(placed, on="deal_id", how="left").with_columns(slipped.alias("slipped"))


def forecast_by_period(store: Store, result: Review, period: Period = Period.MONTH) -> Forecast:
    """The review's forecast spread over the months (or quarters) of expected close."""
    as_of = result.as_of
    dates = stored_dates(store, as_of)
    placed = place_deals(result.deals, dates, as_of)
    value = pl.col("win_probability") * pl.col("amount").fill_null(0.0)
    walk = pl.col("recommendation") == Recommendation.WALK_AWAY.value
    label = pl.when(pl.col("slipped")).then(pl.lit(SLIPPED)).otherwise(_period_label(period))
    rows = (
        placed.with_columns(label.alias("period"), value.alias("value"))
        .group_by("period")
        .agg(
            pl.len().alias("deals"),
            pl.col("value").sum().alias("expected_won"),
            pl.col("value").filter(~walk).sum().alias("expected_won_without_walk_aways"),
            (pl.col("placed_by") == "history").sum().alias("placed_by_history"),
        )
        .sort(pl.col("period") != SLIPPED, "period")
    )
    durations = days_to_win(dates, as_of)
    return Forecast(
        as_of=as_of,
        period=period,
        currency=str(result.summary["currency"]),
        rows=rows.cast(FORECAST_SCHEMA),  # type: ignore[arg-type]
        total=float(rows["expected_won"].sum()),
        total_without_walk_aways=float(rows["expected_won_without_walk_aways"].sum()),
        slipped=float(rows.filter(pl.col("period") == SLIPPED)["expected_won"].sum()),
        won_history=len(durations),
        median_days_to_close=round(float(np.median(durations)), 1) if len(durations) else None,
    )


def forecast_json(found: Forecast) -> dict[str, Any]:
    """The forecast by period as JSON-ready data."""
    return {
        "as_of": iso_utc(found.as_of),
        "period": found.period.value,
        "currency": found.currency,
        "total": round(found.total, 2),
        "total_without_walk_aways": round(found.total_without_walk_aways, 2),
        "slipped": round(found.slipped, 2),
        "won_history": found.won_history,
        "median_days_to_close": found.median_days_to_close,
        "periods": found.rows.with_columns(cs.float().round(2)).to_dicts(),
    }


def period_bars(found: Forecast) -> list[PeriodBar]:
    """The forecast's rows as the chart's bars (:mod:`walkaway.reporting.periods`)."""
    return [
        PeriodBar(
            label="slipped" if row["period"] == SLIPPED else row["period"],
            without=row["expected_won_without_walk_aways"],
            held=max(row["expected_won"] - row["expected_won_without_walk_aways"], 0.0),
            slipped=row["period"] == SLIPPED,
        )
        for row in found.rows.iter_rows(named=True)
    ]


def forecast_chart_of(found: Forecast) -> Markup:
    """The forecast by period as inline SVG."""
    return forecast_by_period_chart(period_bars(found), found.currency)
