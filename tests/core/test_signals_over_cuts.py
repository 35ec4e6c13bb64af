"""The signals of many cuts in one frame (a row per deal and cut, each row's moment
and norms a column: what the loss review's replay reads) are, cut by cut, the signals
of a snapshot taken at that cut, to the last bit: whatever the deals (closed after a
cut, so open and with no stage then; created after it) and the order of the
activities."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from walkaway.models import Pipeline
from walkaway.policy import load_policy
from walkaway.signals.frame import signals_from_snapshot, signals_over_cuts
from walkaway.signals.norms import Norms, compute_norms
from walkaway.signals.snapshot import take_snapshot

CUTS = [datetime(2025, 9, 1) + timedelta(days=23 * n, hours=7 * n) for n in range(14)]


def _per_cut(pipeline: Pipeline, ids: list[str]) -> tuple[list[pl.DataFrame], list[Norms]]:
    policy = load_policy()
    norms = [compute_norms(pipeline, cut, policy) for cut in CUTS]
    expected = [
        signals_from_snapshot(take_snapshot(pipeline, cut), policy, n, ids)
        for cut, n in zip(CUTS, norms, strict=True)
    ]
    return expected, norms


@pytest.mark.parametrize("shuffled", [False, True])
def test_every_cut_in_one_frame_equals_a_snapshot_per_cut(
    sample_pipeline: Pipeline, shuffled: bool
) -> None:
    policy = load_policy()
    pipeline = sample_pipeline
    if shuffled:  # activities in no deal order: grouped by id rather than by runs
        pipeline = Pipeline(
            sample_pipeline.deals, sample_pipeline.activities.sample(fraction=1.0, seed=7)
        )
    ids = pipeline.deals["deal_id"].to_list()[::3]
    expected, norms = _per_cut(pipeline, ids)
    found = signals_over_cuts(pipeline, CUTS, policy, norms, ids)
    assert len(found) == len(CUTS)
    assert sum(f.height for f in found) > 50
    for got, want in zip(found, expected, strict=True):
        assert_frame_equal(got, want, check_exact=True)


def test_a_deal_open_at_some_cuts_only(sample_pipeline: Pipeline) -> None:
    """A deal lost between two cuts is read at the cuts before its loss (open then, its
    stage that of its last stage change) and not after."""
    policy = load_policy()
    lost = sample_pipeline.deals.filter(
        (pl.col("outcome") == "lost") & pl.col("closed_at").is_between(CUTS[3], CUTS[-3])
    )
    ids = lost["deal_id"].to_list()[:5]
    assert ids
    expected, norms = _per_cut(sample_pipeline, ids)
    found = signals_over_cuts(sample_pipeline, CUTS, policy, norms, ids)
    counts = [f.height for f in found]
    assert counts == [f.height for f in expected] and max(counts) > min(counts)
    for got, want in zip(found, expected, strict=True):
        assert_frame_equal(got, want, check_exact=True)


def test_no_cuts_no_frames(sample_pipeline: Pipeline) -> None:
    assert signals_over_cuts(sample_pipeline, [], load_policy(), [], ["D-1001"]) == []
