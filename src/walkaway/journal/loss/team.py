"""Where a team's lost deals turn, and which flags lead to losses (the team's loss review).

The closed deals in scope (closed on or after ``since``) are assessed together at one
grid of cuts, every ``step`` days from the first creation to the last close, with at
most :data:`MAX_TEAM_CUTS` cuts (the step widens to stay under it), so the cost is a
fixed number of whole-pipeline assessments whatever the number of deals. A deal shorter
than the step is seen at fewer cuts; one seen at fewer than two has no turn ("too short
to see") and is left out of the turn statistics.

- **Turns** (:func:`walkaway.journal.loss.timeline.turning_points`) of the lost deals: the stage
  they were in, the flags that appeared at the turn, and the days from creation to the
  turn and to its onset (median and quartiles).
- **Leading indicators**: for every flag, the share of lost deals and of won deals on
  which it was raised at some cut before the close; ``lift`` = lost share / won share
  (null when no won deal had it: it was only seen before losses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from walkaway.journal.loss.timeline import assess_cuts, turning_points
from walkaway.models import Outcome, Pipeline, as_utc_naive
from walkaway.policy import Policy

MAX_TEAM_CUTS = 60
MIN_STEP_DAYS = 1


@dataclass(frozen=True)
class TeamLossReview:
    """The team's loss review: turns of lost deals and the flags that lead to losses."""

    since: datetime | None
    cuts: int
    step_days: int
    lost_deals: int  # lost in scope
    lost_seen: int  # seen at two cuts or more
    turned: int  # with a turn found
    won_seen: int
    by_stage: pl.DataFrame  # stage, deals, share, median_days_to_turn
    by_flag: pl.DataFrame  # code, deals, share (of the turns)
    days: dict[str, float | None]  # median / quartiles of days to the turn and its onset
    indicators: pl.DataFrame  # code, lost_with, lost_share, won_with, won_share, lift


def team_grid(start: datetime, end: datetime, max_cuts: int) -> tuple[list[datetime], int]:
    """Cuts every ``step`` days after ``start`` up to ``end``, and the step in days."""
    span = max((end - start) / timedelta(days=1), 0.0)
    step = max(MIN_STEP_DAYS, math.ceil(span / max(max_cuts, 1)))
    count = min(max_cuts, math.floor(span / step))
    return [start + timedelta(days=step * (i + 1)) for i in range(count)], step


def _in_scope(pipeline: Pipeline, since: datetime | None) -> pl.DataFrame:
    closed = pipeline.deals.filter(
        pl.col("outcome").is_in([Outcome.WON, Outcome.LOST]) & pl.col("closed_at").is_not_null()
    )
    if since is not None:
        closed = closed.filter(pl.col("closed_at") >= as_utc_naive(since))
    return closed.select("deal_id", "outcome", "created_at", "closed_at")


def review_team_losses(
    pipeline: Pipeline,
    policy: Policy,
    *,
    since: datetime | None = None,
    max_cuts: int = MAX_TEAM_CUTS,
) -> TeamLossReview:
    """Turns and leading indicators over the deals closed on or after ``since``."""
    scope = _in_scope(pipeline, since)
    if scope.height:
        start, end = scope["created_at"].min(), scope["closed_at"].max()
        cuts, step = team_grid(start, end, max_cuts)  # type: ignore[arg-type]
    else:
        cuts, step = [], MIN_STEP_DAYS
    timeline = assess_cuts(pipeline, cuts, policy, deal_ids=scope["deal_id"].to_list())
    outcome = scope.select("deal_id", "outcome")
    seen = timeline.group_by("deal_id").len().filter(pl.col("len") >= 2).join(outcome, on="deal_id")
    lost_ids = seen.filter(pl.col("outcome") == Outcome.LOST).select("deal_id")
    lost_timeline = timeline.join(lost_ids, on="deal_id", how="semi")
    acts = pipeline.activities.join(lost_ids, on="deal_id", how="semi")
    turns = turning_points(lost_timeline, scope, acts)
    return TeamLossReview(
        since=since,
        cuts=len(cuts),
        step_days=step,
        lost_deals=scope.filter(pl.col("outcome") == Outcome.LOST).height,
        lost_seen=lost_ids.height,
        turned=turns.height,
        won_seen=seen.height - lost_ids.height,
        by_stage=_by_stage(turns),
        by_flag=_by_flag(turns),
        days=_days(turns),
        indicators=leading_indicators(timeline, outcome),
    )


def _by_stage(turns: pl.DataFrame) -> pl.DataFrame:
    total = max(turns.height, 1)
    return (
        turns.group_by("stage")
        .agg(
            pl.len().cast(pl.Int64).alias("deals"),
            pl.col("days_to_turn").median().alias("median_days_to_turn"),
        )
        .with_columns((pl.col("deals") / total).alias("share"))
        .sort(["deals", "stage"], descending=[True, False])
        .select("stage", "deals", "share", "median_days_to_turn")
    )


def _by_flag(turns: pl.DataFrame) -> pl.DataFrame:
    total = max(turns.height, 1)
    flat = turns.select("deal_id", pl.col("new_flags").alias("code")).explode("code")
    return (
        flat.drop_nulls("code")
        .group_by("code")
        .agg(pl.col("deal_id").n_unique().cast(pl.Int64).alias("deals"))
        .with_columns((pl.col("deals") / total).alias("share"))
        .sort(["deals", "code"], descending=[True, False])
    )


def _days(turns: pl.DataFrame) -> dict[str, float | None]:
    result: dict[str, float | None] = {}
    for column in ("days_to_turn", "days_to_onset"):
        values = turns[column]
        for name, q in (("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
            value: Any = values.quantile(q) if values.len() else None
            result[f"{column}_{name}"] = None if value is None else round(float(value), 1)
    return result


def leading_indicators(timeline: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """Per flag: lost and won deals that had it before the close, their shares, the lift."""
    seen = timeline.select("deal_id").unique().join(outcomes, on="deal_id")
    lost_n = seen.filter(pl.col("outcome") == Outcome.LOST).height
    won_n = seen.filter(pl.col("outcome") == Outcome.WON).height
    flat = (
        timeline.select("deal_id", pl.col("flag_codes").alias("code"))
        .explode("code")
        .drop_nulls("code")
        .unique()
        .join(outcomes, on="deal_id")
    )
    counted = flat.group_by("code").agg(
        (pl.col("outcome") == Outcome.LOST).sum().cast(pl.Int64).alias("lost_with"),
        (pl.col("outcome") == Outcome.WON).sum().cast(pl.Int64).alias("won_with"),
    )
    lost_share = pl.col("lost_with") / lost_n if lost_n else pl.lit(None, dtype=pl.Float64)
    won_share = pl.col("won_with") / won_n if won_n else pl.lit(None, dtype=pl.Float64)
    return (
        counted.with_columns(lost_share.alias("lost_share"), won_share.alias("won_share"))
        .with_columns(
            pl.when(pl.col("won_share") > 0)
            .then(pl.col("lost_share") / pl.col("won_share"))
            .alias("lift")
        )
        .sort(["lift", "lost_with", "code"], descending=[True, True, False], nulls_last=False)
        .select("code", "lost_with", "lost_share", "won_with", "won_share", "lift")
    )
