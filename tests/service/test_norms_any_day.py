"""Norms for any day from the columnar copy, without reading its activities whole.

Each closed deal's life (the stages it went through, the hours it took from each, its
buyer's reply gaps) is the same whatever the day the norms are learned, once it has
closed: the copy keeps those lives once per import and a day's norms keep the deals
closed by then. They must be the norms learned from the pipeline as of that day, to
the last bit, on every day, and never see anything dated at or after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from walkaway.models import Pipeline
from walkaway.service import import_files, sample_files
from walkaway.service.norms import (
    copy_horizon,
    learned_norms,
    lives_of_copy,
    norms_day,
    norms_of_copy,
    pipeline_horizon,
)
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import load_pipeline
from walkaway.signals.norms import compute_norms
from walkaway.store import Store
from walkaway.store.columnar import current_copy, read_pipeline

# before the first close, inside the history, on a close day, at the end, after it
DAYS = (
    datetime(2025, 6, 1),
    datetime(2025, 11, 3),
    datetime(2026, 3, 16),
    datetime(2026, 10, 1),
    datetime(2026, 11, 20),
    datetime(2027, 2, 1),
)


@pytest.fixture
def sample_store(store: Store) -> Store:
    import_files(store, *sample_files(), format="generic")
    return store


@pytest.mark.parametrize("day", DAYS, ids=lambda d: d.date().isoformat())
def test_the_norms_of_any_day_from_the_copy_are_the_pipelines(
    sample_store: Store, day: datetime
) -> None:
    copy = current_copy(sample_store)
    assert copy is not None
    policy = current_policy(sample_store)
    stored = load_pipeline(sample_store, day, columnar=False)
    assert copy_horizon(copy, day) == pipeline_horizon(stored, day)
    found = norms_of_copy(copy, day, policy)
    assert found is not None
    assert found.to_dict() == learned_norms(stored, day, policy).to_dict()


def test_the_lives_are_made_once_per_import_and_kept_beside_the_copy(
    sample_store: Store,
) -> None:
    copy = current_copy(sample_store)
    assert copy is not None
    kept = sorted(copy.folder.glob("lives-*.parquet"))
    assert len(kept) == 3  # the import made them when it learned its norms
    read = lives_of_copy(copy)
    for path in kept:
        path.unlink()
    made = lives_of_copy(copy)  # made again from the activities, and kept again
    assert sorted(copy.folder.glob("lives-*.parquet")) == kept
    pairs = zip(
        (read.visits, read.hours, read.gaps), (made.visits, made.hours, made.gaps), strict=True
    )
    for a, b in pairs:
        assert a.equals(b)
    assert read.visits.height > 0 and read.hours.height > 0 and read.gaps.height > 0


def _with_activities_after_close(pipeline: Pipeline, days: int) -> Pipeline:
    """Each closed deal gets a logged call ``days`` after its close."""
    closed = pipeline.deals.filter(pl.col("closed_at").is_not_null())
    late = closed.select(
        "deal_id",
        (pl.col("closed_at") + pl.duration(days=days)).alias("at"),
    )
    template = pipeline.activities.head(1)
    extra = late.join(template.drop("deal_id", "at"), how="cross").select(
        pipeline.activities.columns
    )
    extra = extra.with_columns(
        pl.lit("call").alias("kind"),
        pl.lit(3.0).alias("hours"),
        pl.lit(None).cast(pl.String).alias("stage"),
    ).cast(pipeline.activities.schema)  # type: ignore[arg-type]
    return Pipeline(pipeline.deals, pl.concat([pipeline.activities, extra]).sort("deal_id", "at"))


def test_what_a_deal_did_after_its_close_says_nothing_of_how_long_stages_take(
    sample_store: Store,
) -> None:
    """A closed deal's life ends at its close: calls logged afterwards (an account
    manager's, a renewal's) change neither its stages' days nor the hours they took."""
    day = datetime(2026, 10, 1)
    policy = current_policy(sample_store)
    pipeline = load_pipeline(sample_store, day, columnar=False)
    before = compute_norms(pipeline, day, policy).stages
    after = compute_norms(_with_activities_after_close(pipeline, 2), day, policy).stages
    columns = [
        "stage_key",
        "won_deals",
        "median_days",
        "p90_days",
        "reached",
        "hours_deals",
        "hours_needed",
    ]
    assert before.select(columns).equals(after.select(columns))


def test_a_review_inside_the_history_reads_no_activity_of_a_deal_closed_then(
    sample_store: Store, tmp_path: Path
) -> None:
    """The norms of a day are learned from the lives kept at import and the hours of the
    window of what an hour earns: a copy whose activities of closed deals were removed
    (but whose lives were kept) learns the same norms."""
    copy = current_copy(sample_store)
    assert copy is not None
    day = norms_day(datetime(2026, 3, 16, 10))
    policy = current_policy(sample_store)
    expected = norms_of_copy(copy, day, policy)
    assert expected is not None
    whole = read_pipeline(copy, datetime(2100, 1, 1))[1]
    start = day - timedelta(days=31 * policy.economics.yield_window_months + 1)
    kept = whole.filter(pl.col("at") >= start)  # only the window's rows stay
    for path in copy.part_paths:
        path.unlink()
    kept.write_parquet(copy.part_paths[0])
    found = norms_of_copy(copy, day, policy)
    assert found is not None
    assert found.to_dict()["stages"] == expected.to_dict()["stages"]
