"""The loss review's replay finds every cut's calls in one frame
(:func:`walkaway.decision.stacked.calls_over_looks`): the same timeline, to the last
bit, as the calls made a cut at a time (``recommend`` per cut), for many deals and for
one deal alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

import walkaway.journal.loss.timeline as timeline
from walkaway.decision.stacked import _aged, _span
from walkaway.journal.loss.team import team_grid
from walkaway.journal.loss.timeline import assess_cuts, deal_cuts
from walkaway.learning.prior import aged_spans
from walkaway.models import Pipeline
from walkaway.policy import load_policy


def _both_ways(
    monkeypatch: pytest.MonkeyPatch, sample_pipeline: Pipeline, cuts: list[datetime], ids: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    policy = load_policy()
    stacked: list[Any] = []
    real = timeline.calls_over_looks

    def spy(*args: Any, **kwargs: Any) -> pl.DataFrame:
        stacked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(timeline, "calls_over_looks", spy)
    together = assess_cuts(sample_pipeline, cuts, policy, deal_ids=ids)
    assert stacked  # the stacked path was taken
    monkeypatch.setattr(timeline, "stackable", lambda models: False)
    one_at_a_time = assess_cuts(sample_pipeline, cuts, policy, deal_ids=ids)
    assert len(stacked) == 1  # and not the second time
    return together, one_at_a_time


def test_every_cut_in_one_frame_equals_a_cut_at_a_time(
    monkeypatch: pytest.MonkeyPatch, sample_pipeline: Pipeline
) -> None:
    closed = sample_pipeline.deals.filter(pl.col("outcome") != "open")
    cuts, _ = team_grid(closed["created_at"].min(), closed["closed_at"].max(), 12)  # type: ignore[arg-type]
    together, alone = _both_ways(monkeypatch, sample_pipeline, cuts, closed["deal_id"].to_list())
    assert together.height > 100 and together["recommendation"].n_unique() == 3
    assert together["cut"].n_unique() > 8
    assert_frame_equal(together, alone, check_exact=True)


def test_one_deal_in_one_frame_equals_a_cut_at_a_time(
    monkeypatch: pytest.MonkeyPatch, sample_pipeline: Pipeline
) -> None:
    lost = sample_pipeline.deals.filter(pl.col("outcome") == "lost").sort("created_at")
    deal = lost.row(0, named=True)
    acts = sample_pipeline.activities.filter(pl.col("deal_id") == deal["deal_id"])
    cuts = deal_cuts(deal["created_at"], deal["closed_at"], acts["at"].to_list())
    together, alone = _both_ways(monkeypatch, sample_pipeline, cuts, [deal["deal_id"]])
    assert together.height == len(cuts) >= 3
    assert_frame_equal(together, alone, check_exact=True)


def test_a_span_as_a_column_counts_the_spans_a_cut_counts_alone() -> None:
    """The age spans of many deals of several cuts stacked, the span a column, are
    those of each cut's deals with the span a number, to the last bit (Polars divides a
    long column by a number by multiplying by its reciprocal, by a column exactly)."""
    policy = load_policy()
    days = pl.DataFrame({"days_open": [float(d) * 1.37 + 0.1 for d in range(2_000)]})
    ages = (97.3, 143.9, 211.7)
    alone = pl.concat([days.select(aged_spans(policy, age).alias("spans")) for age in ages])
    spans = [_span(policy, age) for age in ages for _ in range(days.height)]
    stacked = pl.concat([days] * len(ages)).with_columns(pl.Series("span", spans))
    together = stacked.select(_aged(pl.col("span")).alias("spans"))
    assert alone["spans"].max() > 1  # deals far beyond the span are counted
    assert_series_equal(together["spans"], alone["spans"], check_exact=True)
    assert days.select(aged_spans(policy, None))["literal"].max() == 0.0
    nothing = days.with_columns(pl.lit(None, dtype=pl.Float64).alias("span"))
    assert nothing.select(_aged(pl.col("span")).alias("s"))["s"].max() == 0.0
