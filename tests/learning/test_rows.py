"""Training looks: point in time, the engine's own signals, no leakage."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from tests.learning.synthetic import activity, deal, frames, history_pipeline
from walkaway.learning.features import design_frame, signal_features
from walkaway.learning.rows import (
    checkpoints,
    closed_deals,
    look_moments,
    look_schedule,
    training_rows,
)
from walkaway.models import Pipeline
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import SIGNALS, compute_signals
from walkaway.signals.norms import compute_norms


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def history() -> tuple[Pipeline, datetime]:
    return history_pipeline(40, 50, seed=11)


def test_looks_are_before_the_close_and_only_of_deals_closed_before_until(
    history: tuple[Pipeline, datetime], policy: Policy
) -> None:
    pipeline, as_of = history
    until = as_of - timedelta(days=120)
    rows = training_rows(pipeline, until, policy)
    closed = closed_deals(pipeline.deals, until)
    assert set(rows["deal_id"]) <= set(closed["deal_id"])
    assert rows.filter(pl.col("closed_at") >= until).height == 0
    created = rows.join(pipeline.deals.select("deal_id", "created_at"), on="deal_id")
    assert (created["cut"] > created["created_at"]).all()
    assert (rows["cut"] < rows["closed_at"]).all()
    assert set(rows["won"].unique()) == {0, 1}


def test_weekly_looks_and_stage_changes_are_capped_evenly_with_weights() -> None:
    created = datetime(2024, 1, 1, 9)
    closed = created + timedelta(days=7 * 29 + 3)
    deals = [deal("D1", created, closed_at=closed, outcome="lost")]
    acts = [
        activity("D1", created + timedelta(days=2, hours=5), "stage_change", "internal", stage="x")
    ]
    pipeline = frames(deals, acts)
    moments = look_moments(closed_deals(pipeline.deals, datetime(2025, 1, 1)), pipeline.activities)
    assert moments.height == 30 + 1  # 30 weekly looks and the midnight after the stage change
    assert moments["cut"][0] == datetime(2024, 1, 2)
    looks = look_schedule(moments, max_per_deal=12)
    assert looks.height == 12
    assert looks["cut"][0] == moments["cut"][0] and looks["cut"][-1] == moments["cut"][-1]
    assert looks["weight"].to_list() == pytest.approx([31 / 12] * 12)


def test_a_look_has_the_signals_compute_signals_gives_at_its_cut(
    history: tuple[Pipeline, datetime], policy: Policy
) -> None:
    """The grouped, time-shifted computation equals the engine called at each cut (with
    the norms of the look's checkpoint and the closed deal's final stage unknown)."""
    pipeline, as_of = history
    rows = training_rows(pipeline, as_of, policy)
    first, step = checkpoints(rows["cut"])
    blank = pipeline.deals.with_columns(pl.lit(None, dtype=pl.String).alias("stage"))
    on_checkpoint = rows.filter((pl.col("cut") - first).dt.total_days() % step.days == 0)
    assert on_checkpoint.height > 0  # the boundary: a look on a checkpoint uses that one
    chosen = pl.concat([rows.sample(10, seed=5), on_checkpoint.head(3)])
    for look in chosen.iter_rows(named=True):
        anchor = first + step * ((look["cut"] - first) // step)
        norms = compute_norms(pipeline, anchor, policy)
        direct = compute_signals(
            Pipeline(blank, pipeline.activities),
            look["cut"],
            policy,
            norms=norms,
            deal_ids=[look["deal_id"]],
        ).row(0, named=True)
        for column in SIGNALS:
            if column != "deal_id":
                assert direct[column] == pytest.approx(look[column]), column


def test_a_closed_deals_final_stage_is_never_seen(policy: Policy) -> None:
    created = datetime(2024, 1, 1, 9)
    deals = [
        deal(f"W{i}", created, closed_at=created + timedelta(days=20), outcome="won", stage="Won")
        for i in range(3)
    ]
    logged = [activity("W0", created + timedelta(days=1), "note", "internal")]
    rows = training_rows(frames(deals, logged), datetime(2025, 1, 1), policy)
    assert rows.height == 9
    assert rows["stage"].is_null().all() and rows["stage_key"].is_null().all()


def test_without_an_activity_log_each_deal_is_looked_at_once(policy: Policy) -> None:
    """Such a deal looks the same every week but for its age: one look, weight 1."""
    created = datetime(2024, 1, 1, 9)
    deals = [
        deal(f"D{i}", created, closed_at=created + timedelta(days=60), outcome="won")
        for i in range(4)
    ]
    rows = training_rows(frames(deals, []), datetime(2025, 1, 1), policy)
    assert rows.height == 4 and rows["deal_id"].n_unique() == 4
    assert rows["weight"].to_list() == [1.0] * 4
    assert (rows["cut"] == datetime(2024, 1, 2)).all()  # the first midnight after creation


def test_activities_after_a_cut_never_change_what_was_seen_at_it(
    history: tuple[Pipeline, datetime], policy: Policy
) -> None:
    """No leakage: add replies, proposals and notes dated after a moment to every deal;
    every look taken at or before that moment keeps exactly the same features."""
    pipeline, as_of = history
    moment = datetime(2024, 6, 1, 12)
    later = [
        activity(deal_id, moment + timedelta(hours=h), kind, direction, detail=detail)
        for deal_id in pipeline.deals["deal_id"]
        for h, kind, direction, detail in (
            (1, "email", "inbound", "Re: pricing"),
            (2, "proposal", "outbound", None),
            (30, "note", "internal", "Close date moved from 2024-06-30 to 2024-09-30"),
            (50, "meeting", "outbound", None),
        )
    ]
    more = Pipeline(
        pipeline.deals,
        pl.concat([pipeline.activities, pl.DataFrame(later, schema=pipeline.activities.schema)]),
    )
    before = training_rows(pipeline, as_of, policy)
    after = training_rows(more, as_of, policy)
    assert before.select("deal_id", "cut").equals(after.select("deal_id", "cut"))
    features = signal_features(before)
    seen = pl.col("cut") <= moment
    old = design_frame(before.filter(seen), features)
    new = design_frame(after.filter(seen), features)
    assert old.height > 100
    assert old.equals(new)
    changed = design_frame(after.filter(~seen), features)
    assert not design_frame(before.filter(~seen), features).equals(changed)
