"""The norms of many days of one pipeline, the closed deals' lives made once.

A model learns from looks at many moments and a backtest replays many cuts: each needs
the norms of its day. Made from the lives of the deals closed by then, they must be
:func:`compute_norms` of that day to the last bit, whatever the pipeline holds: deals
dated closed before their creation, activities logged after a close, a deal won after
the day (open then).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from walkaway.models import Pipeline
from walkaway.policy import load_policy
from walkaway.signals.norms import ACTIVITIES, NormsOverTime, compute_norms

DAYS = [datetime(2025, 5, 20) + timedelta(days=37 * n, hours=5 * n) for n in range(17)]


def _awkward(pipeline: Pipeline) -> Pipeline:
    """The sample with what real exports hold: a won deal dated closed before
    its creation (80 days), calls logged a week after each tenth close, a lost deal with no
    stage changes at all."""
    deals = pipeline.deals.with_columns(
        pl.when(
            pl.col("deal_id") == pipeline.deals.filter(pl.col("outcome") == "won")["deal_id"][0]
        )
        .then(pl.col("created_at") - pl.duration(days=80))
        .otherwise(pl.col("closed_at"))
        .alias("closed_at")
    )
    closed = deals.filter(pl.col("closed_at").is_not_null()).gather_every(10)
    template = pipeline.activities.filter(pl.col("hours") > 0).head(1)
    late = closed.select("deal_id", (pl.col("closed_at") + pl.duration(days=7)).alias("at"))
    extra = late.join(template.drop("deal_id", "at"), how="cross").select(
        pipeline.activities.columns
    )
    lost = deals.filter(pl.col("outcome") == "lost")["deal_id"][-1]
    acts = pl.concat([pipeline.activities, extra]).filter(
        ~((pl.col("deal_id") == lost) & (pl.col("kind") == "stage_change"))
    )
    return Pipeline(deals, acts.sort("deal_id", "at", maintain_order=True))


@pytest.mark.parametrize("awkward", [False, True], ids=["sample", "awkward"])
def test_the_norms_of_every_day_are_those_learned_on_that_day(
    sample_pipeline: Pipeline, awkward: bool
) -> None:
    pipeline = _awkward(sample_pipeline) if awkward else sample_pipeline
    policy = load_policy()
    over_time = NormsOverTime(pipeline, policy)
    for day in DAYS:
        assert over_time.at(day).to_dict() == compute_norms(pipeline, day, policy).to_dict(), day


def test_an_undated_close_learns_each_day_afresh(sample_pipeline: Pipeline) -> None:
    """A won deal without a close date is closed on every day: its life cannot be cut
    at a close, so each day's norms are learned from that day's pipeline."""
    won = sample_pipeline.deals.filter(pl.col("outcome") == "won")["deal_id"][0]
    deals = sample_pipeline.deals.with_columns(
        pl.when(pl.col("deal_id") == won)
        .then(None)
        .otherwise(pl.col("closed_at"))
        .alias("closed_at")
    )
    pipeline = Pipeline(deals, sample_pipeline.activities)
    policy = load_policy()
    over_time = NormsOverTime(pipeline, policy)
    for day in DAYS[3::4]:
        assert over_time.at(day).to_dict() == compute_norms(pipeline, day, policy).to_dict()


def _logged_before_creation(pipeline: Pipeline) -> Pipeline:
    """The first deal's activities dated 60 days before its creation (and before the
    first day), each logging hours: known only once the deal is, so no day before its
    creation logs any;
    and hours logged on a deal the export does not hold (known from their date)."""
    first = pipeline.deals.sort("created_at")["deal_id"][0]
    early = pl.col("deal_id") == first
    acts = pipeline.activities.with_columns(
        pl.when(early).then(pl.col("at") - pl.duration(days=60)).otherwise("at").alias("at"),
        pl.when(early).then(pl.lit(1.5)).otherwise("hours").alias("hours"),
    )
    logged = acts.filter(pl.col("hours") > 0)
    stray = (
        logged.filter(pl.col("at") > DAYS[1])
        .gather_every(40)
        .with_columns(pl.lit("NOT-A-DEAL").alias("deal_id"))
    )
    return Pipeline(pipeline.deals, pl.concat([acts, stray]))


@pytest.mark.parametrize("kind", ["sample", "awkward", "logged before creation"])
def test_the_norms_on_a_day_need_no_snapshot(sample_pipeline: Pipeline, kind: str) -> None:
    """:meth:`NormsOverTime.on` (the hours and whether anything is logged, read without
    a snapshot) gives each day's norms, as :meth:`NormsOverTime.at` and a day's
    :func:`compute_norms` do."""
    pipeline = {"sample": sample_pipeline, "awkward": _awkward(sample_pipeline)}.get(kind)
    pipeline = pipeline or _logged_before_creation(sample_pipeline)
    policy = load_policy()
    over_time = NormsOverTime(pipeline, policy)
    days = [DAYS[0], *DAYS, DAYS[0] + timedelta(days=3, hours=12)]
    logged = [compute_norms(pipeline, day, policy) for day in days]
    assert {ACTIVITIES in n.tracked_fields for n in logged} == {True, False}
    for day, expected in zip(days, logged, strict=True):
        assert over_time.on(day).to_dict() == expected.to_dict(), day
