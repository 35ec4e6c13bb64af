"""The team norms cache of the review, on SQLite and PostgreSQL.

A hit gives exactly what a fresh computation gives; a new import, another policy and
another day are other entries, so the cache never serves norms learned from other data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from walkaway.decision.assess import ASSESSMENT_COLUMNS, assess_frame, assessments_from_frame
from walkaway.models import Pipeline
from walkaway.policy import load_policy
from walkaway.service import import_files, sample_files, save_policy
from walkaway.service.deal import show
from walkaway.service.norms import (
    NormsKey,
    cached_norms,
    learned_norms,
    learning_day,
    norms_key,
    pipeline_horizon,
)
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import load_pipeline
from walkaway.service.review import review
from walkaway.signals.norms import Norms, compute_norms
from walkaway.store import Store
from walkaway.store.schema import norms_cache

AS_OF = datetime(2026, 10, 1)  # the sample: 360 deals from 2025-05 to 2026-11
LATER = datetime(2026, 11, 1)


@pytest.fixture
def sample_store(store: Store) -> Store:
    import_files(store, *sample_files(), format="generic")
    return store


def entries(store: Store, *, open_ended: bool = False) -> list[tuple[datetime, int, str]]:
    """The cache's entries for one day (or, with ``open_ended``, the imports')."""
    c = norms_cache.c
    query = sa.select(c.as_of, c.import_run_id, c.policy_hash).order_by(c.as_of, c.id)
    query = query.where(c.open_ended == open_ended)
    with store.connect() as conn:
        return [(r.as_of, r.import_run_id, r.policy_hash) for r in conn.execute(query)]


def key_of(store: Store, as_of: datetime = AS_OF) -> NormsKey:
    return norms_key(store, as_of, current_policy(store))


def stored(store: Store, key: NormsKey) -> Norms:
    norms = cached_norms(store, key)
    assert norms is not None, f"nothing cached under {key}"
    return norms


def learned(store: Store, as_of: datetime = AS_OF) -> Norms:
    """The norms computed from scratch for ``as_of``'s day: as of its start, or of the
    day after the newest row before it when that is earlier (the horizon)."""
    day = datetime.combine(as_of.date(), datetime.min.time())
    pipeline = load_pipeline(store, as_of, columnar=False)
    return learned_norms(pipeline, day, current_policy(store))


def fresh_review(store: Store, as_of: datetime = AS_OF) -> pl.DataFrame:
    """The review's deals computed from scratch, without the cache or the copy."""
    pipeline = load_pipeline(store, as_of, columnar=False)
    policy = current_policy(store)
    return assess_frame(pipeline, as_of, policy, norms=learned(store, as_of))


def same_norms(a: Norms, b: Norms) -> bool:
    # to_dict keeps every float exactly and every frame with its column types
    return a.to_dict() == b.to_dict()


def write_history(folder: Path, *, closed_before: datetime, activities_at: datetime) -> Path:
    """Three more won deals closed before ``closed_before``, with logged seller hours
    at ``activities_at``; returns the folder holding deals.csv and activities.csv."""
    folder.mkdir(parents=True, exist_ok=True)
    created, closed = closed_before - timedelta(days=60), closed_before - timedelta(days=5)
    deals = ["deal_id,name,owner,stage,amount,created_at,closed_at,outcome"]
    acts = ["deal_id,at,kind,direction,status,hours,stage,detail,actor"]
    for n in range(3):
        deals.append(
            f"X-{n},Extra {n},Anna Keller,Proposal,9000,{created:%Y-%m-%dT%H:%M},"
            f"{closed:%Y-%m-%dT%H:%M},won"
        )
        acts.append(f"X-{n},{activities_at:%Y-%m-%dT%H:%M},call,outbound,done,2.5,,Call,Anna")
    (folder / "deals.csv").write_text("\n".join(deals) + "\n")
    (folder / "activities.csv").write_text("\n".join(acts) + "\n")
    return folder


def test_a_hit_is_exactly_the_fresh_result(sample_store: Store) -> None:
    first = review(sample_store, AS_OF)  # learns the norms and keeps them
    assert len(entries(sample_store)) == 1
    second = review(sample_store, AS_OF)  # reads them, and only the open deals' activities
    assert len(entries(sample_store)) == 1
    assert_frame_equal(second.deals, first.deals)
    fresh = fresh_review(sample_store)
    # the review adds people's decisions beside the assessment; the assessment is the same
    assert_frame_equal(second.deals.select(fresh.columns), fresh)
    assert second.summary == first.summary
    assert same_norms(stored(sample_store, key_of(sample_store)), learned(sample_store))


def test_show_from_the_cache_is_the_reviews_assessment(sample_store: Store) -> None:
    frame = review(sample_store, AS_OF).deals
    for deal_id in frame["deal_id"].gather([0, 7, frame.height - 1]):
        expected = assessments_from_frame(frame.filter(pl.col("deal_id") == deal_id))
        assert show(sample_store, deal_id, AS_OF).assessment == expected[0]


def test_a_show_on_a_cold_cache_fills_it(sample_store: Store) -> None:
    deal_id = fresh_review(sample_store)["deal_id"][0]
    cold = show(sample_store, deal_id, AS_OF)
    assert len(entries(sample_store)) == 1
    assert show(sample_store, deal_id, AS_OF).assessment == cold.assessment


def test_a_new_import_makes_a_new_entry_and_drops_the_stale_one(
    sample_store: Store, tmp_path: Path
) -> None:
    review(sample_store, AS_OF)
    before = key_of(sample_store)
    old = stored(sample_store, before)
    folder = write_history(tmp_path, closed_before=AS_OF, activities_at=AS_OF - timedelta(9))
    import_files(sample_store, folder / "deals.csv", folder / "activities.csv")
    after = key_of(sample_store)
    assert after.import_run_id > before.import_run_id
    result = review(sample_store, AS_OF)
    assert [e[1] for e in entries(sample_store)] == [after.import_run_id]
    new = stored(sample_store, after)
    assert new.closed_deals == old.closed_deals + 3
    assert same_norms(new, learned(sample_store))
    assert_frame_equal(result.deals.select(ASSESSMENT_COLUMNS), fresh_review(sample_store))


def test_what_is_dated_after_as_of_changes_nothing_through_the_cache(
    sample_store: Store, tmp_path: Path
) -> None:
    first = review(sample_store, AS_OF)
    later = LATER + timedelta(days=70)  # created, active and closed after AS_OF
    folder = write_history(tmp_path, closed_before=later, activities_at=LATER)
    import_files(sample_store, folder / "deals.csv", folder / "activities.csv")
    again = review(sample_store, AS_OF)  # a new key, learned again: the same as before
    assert_frame_equal(again.deals, first.deals)


def test_a_policy_change_is_a_new_entry(sample_store: Store) -> None:
    first = review(sample_store, AS_OF)
    before = key_of(sample_store)
    save_policy(sample_store, "[economics]\nyield_window_months = 3\n")
    after = key_of(sample_store)
    assert after.policy_hash != before.policy_hash
    assert after.import_run_id == before.import_run_id
    result = review(sample_store, AS_OF)
    assert len(entries(sample_store)) == 2
    new = stored(sample_store, after)
    assert new.yield_per_hour != stored(sample_store, before).yield_per_hour
    assert same_norms(new, learned(sample_store))
    assert_frame_equal(result.deals.select(ASSESSMENT_COLUMNS), fresh_review(sample_store))
    assert not result.deals.equals(first.deals)


def test_another_day_is_another_entry(sample_store: Store) -> None:
    review(sample_store, AS_OF)
    review(sample_store, LATER)
    assert [e[0] for e in entries(sample_store)] == [AS_OF, LATER]
    for day in (AS_OF, LATER):
        norms = stored(sample_store, key_of(sample_store, day))
        pipeline = load_pipeline(sample_store, day, columnar=False)
        assert norms.as_of == learning_day(day, pipeline_horizon(pipeline, day)) <= day
        assert same_norms(norms, learned(sample_store, day))
    assert (
        stored(sample_store, key_of(sample_store, LATER)).closed_deals
        > stored(sample_store, key_of(sample_store, AS_OF)).closed_deals
    )


def test_a_moment_in_the_day_uses_the_norms_of_that_day(sample_store: Store) -> None:
    afternoon = AS_OF + timedelta(hours=15, minutes=30)
    result = review(sample_store, afternoon)
    assert [e[0] for e in entries(sample_store)] == [AS_OF]
    assert_frame_equal(
        result.deals.select(ASSESSMENT_COLUMNS), fresh_review(sample_store, afternoon)
    )


def test_an_unreadable_entry_is_learned_again(sample_store: Store) -> None:
    first = review(sample_store, AS_OF)
    with sample_store.begin() as conn:
        conn.execute(norms_cache.update().values(norms='{"as_of": "not norms"}'))
    assert cached_norms(sample_store, key_of(sample_store)) is None
    assert_frame_equal(review(sample_store, AS_OF).deals, first.deals)
    assert same_norms(stored(sample_store, key_of(sample_store)), learned(sample_store))


def test_norms_from_after_as_of_are_refused() -> None:
    policy = load_policy()
    norms = compute_norms(Pipeline.empty(), LATER, policy)
    with pytest.raises(ValueError, match="later than as_of"):
        assess_frame(Pipeline.empty(), AS_OF, policy, norms=norms)
