"""The loss review's replay (one snapshot per cut, the norms of every cut from the
closed deals' lives made once, no sentences written) reads every deal at every cut
exactly as a full assessment as of that cut does."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from polars.testing import assert_frame_equal

from walkaway.decision.assess import assess_frame
from walkaway.journal.loss.team import team_grid
from walkaway.journal.loss.timeline import TIMELINE_SCHEMA, assess_cuts, deal_cuts
from walkaway.models import Pipeline
from walkaway.policy import Policy, load_policy


def _one_cut_at_a_time(
    pipeline: Pipeline, cuts: list[datetime], policy: Policy, deal_ids: list[str]
) -> pl.DataFrame:
    """The timeline the way it was made before: a whole assessment per cut."""
    parts = [
        assess_frame(pipeline, cut, policy, deal_ids=deal_ids, ahead=False).select(
            "deal_id",
            pl.lit(cut).alias("cut"),
            "win_probability",
            pl.when(pl.col("value") > 0)
            .then((pl.col("walk_away_rate") * pl.col("hours_needed") / pl.col("value")).clip(0, 1))
            .alias("walk_away_line"),
            "recommendation",
            "stage",
            pl.col("flags")
            .list.eval(pl.element().struct.field("code"))
            .list.set_difference(["gut_vs_data"])
            .alias("flag_codes"),
            "flags",
        )
        for cut in cuts
    ]
    return pl.concat(parts, how="vertical_relaxed").cast(TIMELINE_SCHEMA).sort("deal_id", "cut")  # type: ignore[arg-type]


def test_the_replay_equals_an_assessment_per_cut(sample_pipeline: Pipeline) -> None:
    policy = load_policy()
    closed = sample_pipeline.deals.filter(pl.col("outcome") != "open")
    assert closed.height > 100  # norms and base rates learned from history, not the policy
    start, end = closed["created_at"].min(), closed["closed_at"].max()
    cuts, _ = team_grid(start, end, 7)  # type: ignore[arg-type]
    ids = closed["deal_id"].to_list()
    replayed = assess_cuts(sample_pipeline, cuts, policy, deal_ids=ids)
    expected = _one_cut_at_a_time(sample_pipeline, cuts, policy, ids)
    assert replayed.height > 50 and replayed["recommendation"].n_unique() > 1
    assert_frame_equal(replayed, expected, check_exact=True)


def test_one_deals_replay_equals_an_assessment_per_cut(sample_pipeline: Pipeline) -> None:
    """A single deal's replay (what a loss review runs: its own activities and the
    columns the norms read, snapshot per cut) reads it as a whole assessment does."""
    policy = load_policy()
    lost = sample_pipeline.deals.filter(pl.col("outcome") == "lost").sort("deal_id")
    busiest = (
        sample_pipeline.activities.join(lost.select("deal_id"), on="deal_id", how="semi")
        .group_by("deal_id")
        .len()
        .sort("len", "deal_id", descending=[True, False])
    )
    deal = lost.filter(pl.col("deal_id") == busiest["deal_id"][0]).row(0, named=True)
    acts = sample_pipeline.activities.filter(pl.col("deal_id") == deal["deal_id"])
    cuts = deal_cuts(deal["created_at"], deal["closed_at"], acts["at"].to_list(), max_cuts=6)
    replayed = assess_cuts(sample_pipeline, cuts, policy, deal_ids=[deal["deal_id"]])
    expected = _one_cut_at_a_time(sample_pipeline, cuts, policy, [deal["deal_id"]])
    assert replayed.height == len(cuts) >= 3
    assert_frame_equal(replayed, expected, check_exact=True)
