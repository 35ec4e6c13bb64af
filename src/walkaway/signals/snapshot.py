"""The pipeline as it was known at a moment: nothing dated at or after ``as_of``.

Every other core module reads a :class:`Snapshot`, never the raw pipeline, so the
point-in-time guarantee lives in one place:

- a deal created at or after ``as_of`` does not exist yet;
- a deal closed at or after ``as_of`` is open (its outcome, close date and loss reason
  are blanked); a closed deal without a close date is treated as closed before;
- activities (stage changes included) dated at or after ``as_of`` are dropped;
- a closed deal's stored ``stage`` is where it ended ("Closed Won", an approval state):
  at-close data, like its outcome. For a deal closed at or after ``as_of`` the stage as
  of then is the last stage change before it; without one it is unknown (null; the
  policy's ``[unknown_stage]`` applies), never the stage it closed in.

Deal fields such as budget or rep_confidence are one snapshot in the source and are
taken as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from walkaway.models import Outcome, Pipeline, as_utc_naive

MS_PER_DAY = 86_400_000.0

# How stage names are compared everywhere: trimmed, any case (as policy.stage_key).
STAGE_KEY = pl.col("stage").str.strip_chars().str.to_lowercase()


def days_between(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    """Fractional days from ``earlier`` to ``later`` (null when either is null)."""
    # times the reciprocal: Polars divides one row exactly but a longer column by
    # multiplying, and a deal must count the same days alone as among the others
    return (later - earlier).dt.total_milliseconds().cast(pl.Float64) * (1.0 / MS_PER_DAY)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Deals and activities as known just before ``as_of``."""

    as_of: datetime
    deals: pl.DataFrame
    activities: pl.DataFrame

    @property
    def open_deals(self) -> pl.DataFrame:
        return self.deals.filter(pl.col("outcome") == Outcome.OPEN)

    @property
    def closed_deals(self) -> pl.DataFrame:
        return self.deals.filter(pl.col("outcome") != Outcome.OPEN)


DEAL_GROUP = "_deal_group"


def by_deal(frame: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """``frame`` and the column to group it by deal: when its rows are in deal order (as
    the store and the columnar copy give them), a sorted integer that numbers the deals'
    runs, which Polars groups several times faster than the ids' text; else ``deal_id``.
    Aggregate ``pl.col("deal_id").first()`` to keep the id (see :func:`drop_group`)."""
    if frame.height and frame["deal_id"].is_sorted():
        runs = pl.col("deal_id").rle_id().set_sorted().alias(DEAL_GROUP)
        return frame.with_columns(runs), DEAL_GROUP
    return frame, "deal_id"


def group_id() -> list[pl.Expr]:
    """What an aggregation by :func:`by_deal`'s column adds to keep each deal's id."""
    return [pl.col("deal_id").first()]


def drop_group(frame: pl.DataFrame) -> pl.DataFrame:
    """An aggregation by :func:`by_deal`'s column, with ``deal_id`` first and no number."""
    if DEAL_GROUP in frame.columns:
        frame = frame.drop(DEAL_GROUP)
    return frame.select("deal_id", pl.exclude("deal_id"))


def known_deals(deals: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """The deals of :func:`take_snapshot`: created before ``as_of``, with outcomes dated
    at or after it blanked (such a deal is open as of then)."""
    return known_deals_before(deals, pl.lit(as_utc_naive(as_of), dtype=pl.Datetime("us")))


def known_deals_before(deals: pl.DataFrame, cutoff: pl.Expr) -> pl.DataFrame:
    """:func:`known_deals` as of ``cutoff``: a moment, or a column of ``deals`` (each row
    as known at its own moment, as the loss review's replay stacks its cuts)."""
    outcome = pl.col("outcome").fill_null(Outcome.OPEN).str.to_lowercase()
    closed = (outcome != Outcome.OPEN) & (
        pl.col("closed_at").is_null() | (pl.col("closed_at") < cutoff)
    )
    reopened = (outcome != Outcome.OPEN) & ~closed
    return deals.filter(pl.col("created_at") < cutoff).with_columns(
        pl.when(closed).then(outcome).otherwise(pl.lit(Outcome.OPEN.value)).alias("outcome"),
        pl.when(closed).then(pl.col("closed_at")).alias("closed_at"),
        pl.when(closed).then(pl.col("loss_reason")).alias("loss_reason"),
        pl.when(reopened).then(pl.lit(None, dtype=pl.String)).otherwise("stage").alias("stage"),
    )


def take_snapshot(pipeline: Pipeline, as_of: datetime) -> Snapshot:
    """What was known just before ``as_of`` (a naive-UTC or aware datetime)."""
    moment = as_utc_naive(as_of)
    deals = known_deals(pipeline.deals, moment)
    return Snapshot(moment, deals, known_activities(pipeline.deals, pipeline.activities, moment))


def known_activities(
    deals: pl.DataFrame, activities: pl.DataFrame, as_of: datetime
) -> pl.DataFrame:
    """The rows of ``activities`` (any of a pipeline's, in their order) that
    :func:`take_snapshot` keeps as of ``as_of``: dated before it, of no deal of ``deals``
    (all the pipeline's) created at or after it."""
    cutoff = pl.lit(as_utc_naive(as_of), dtype=pl.Datetime("us"))
    activities = activities.filter(pl.col("at") < cutoff)
    future = deals.filter(pl.col("created_at") >= cutoff).select("deal_id")
    if future.height:
        # Every look back in time has some (a hash-set filter: ~15x a 2.5M-row anti join;
        # a null id matches nothing, as in the join).
        known = pl.col("deal_id").is_in(future["deal_id"].implode()).fill_null(False)
        activities = activities.filter(~known)
    return activities
