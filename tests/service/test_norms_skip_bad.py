"""A closed deal holding a value past its limit (written by hand, or stored before the
import checked) is left out of the team's norms and named, wherever they are learned:
from the pipeline, from the columnar copy, day after day for a replay. Never a failure,
never a poisoned norm: the norms are those of the store without that deal."""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

from walkaway.models import Pipeline
from walkaway.service import import_files, sample_files
from walkaway.service.loss_review import team_loss_review
from walkaway.service.norms import learned_norms, norms_of_copy
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import load_pipeline
from walkaway.service.review import review
from walkaway.signals.norms import NormsOverTime, compute_norms
from walkaway.store import Store
from walkaway.store.columnar import copy_folder, ensure_copy
from walkaway.store.schema import activities, deals, norms_cache

WHY = {
    "hours": "activity hours 1e20 beyond the 1,000-hour limit",
    "amount": "amount 1e20 beyond the 1,000,000,000,000 limit",
    "margin": "margin 7 outside 0–1",
}
DAYS = (datetime(2026, 3, 16), datetime(2026, 10, 1), datetime(2026, 11, 20))
LATE = datetime(2100, 1, 1)


@pytest.fixture
def poisoned(store: Store) -> dict[str, str]:
    """The sample with three closed deals given a value past its limit straight in the
    store (the two last won, the first lost); {what: deal id}."""
    import_files(store, *sample_files(), format="generic")
    d = deals.c
    with store.begin() as conn:
        won = conn.execute(
            sa.select(d.deal_id).where(d.outcome == "won").order_by(d.closed_at.desc()).limit(2)
        ).scalars()
        hours_deal, amount_deal = list(won)
        lost = conn.execute(
            sa.select(d.deal_id).where(d.outcome == "lost").order_by(d.deal_id).limit(1)
        ).scalar_one()
        first = sa.select(sa.func.min(activities.c.id)).where(activities.c.deal_id == hours_deal)
        conn.execute(
            activities.update().where(activities.c.id == first.scalar_subquery()).values(hours=1e20)
        )
        conn.execute(deals.update().where(d.deal_id == amount_deal).values(amount=1e20))
        conn.execute(deals.update().where(d.deal_id == lost).values(margin=7.0))
        conn.execute(norms_cache.delete())  # learned before the values were written
    folder = copy_folder(store)
    if folder is not None:  # the columnar copy holds the values as imported
        shutil.rmtree(folder, ignore_errors=True)
    return {"hours": hours_deal, "amount": amount_deal, "margin": lost}


def _without(pipeline: Pipeline, ids: list[str]) -> Pipeline:
    gone = ~pl.col("deal_id").is_in(ids)
    return Pipeline(pipeline.deals.filter(gone), pipeline.activities.filter(gone))


def _learned(norms: Any) -> dict[str, Any]:
    data: dict[str, Any] = norms.to_dict()
    data.pop("skipped")
    return data


def _named(norms: Any) -> dict[str, str]:
    return dict(norms.skipped.select("deal_id", "why").iter_rows())


def test_the_norms_are_those_of_the_store_without_the_bad_deals_and_name_them(
    store: Store, poisoned: dict[str, str]
) -> None:
    policy = current_policy(store)
    pipeline = load_pipeline(store, LATE, columnar=False)
    clean = _without(pipeline, list(poisoned.values()))
    expected = {deal_id: WHY[what] for what, deal_id in poisoned.items()}
    for day in DAYS:
        norms = compute_norms(pipeline, day, policy)
        assert _learned(norms) == _learned(compute_norms(clean, day, policy))
        assert norms.yield_per_hour < 10_000  # not 1e20 of margin over real hours
        # named once known: a deal created after the day is in no norms of it
        assert _named(norms).items() <= expected.items()
    assert _named(compute_norms(pipeline, DAYS[-1], policy)) == expected
    over_time = NormsOverTime(pipeline, policy)
    for day in DAYS:  # a replay's norms, day after day: the same, to the last bit
        learned = compute_norms(pipeline, day, policy).to_dict()
        assert over_time.at(day).to_dict() == learned
        assert over_time.on(day).to_dict() == learned  # the loss review's, no snapshot


def test_the_copy_leaves_them_out_as_the_pipeline_does(
    store: Store, poisoned: dict[str, str]
) -> None:
    policy = current_policy(store)
    copy = ensure_copy(store)  # made again from the store, the bad values in it
    if copy is None:
        pytest.skip("a store in memory keeps no columnar copy")
    for day in DAYS:
        found = norms_of_copy(copy, day, policy)
        assert found is not None
        stored = load_pipeline(store, day, columnar=False)
        assert found.to_dict() == learned_norms(stored, day, policy).to_dict()
    assert set(_named(found)) == set(poisoned.values())


def test_the_review_names_the_deals_left_out_of_its_norms(
    store: Store, poisoned: dict[str, str]
) -> None:
    result = review(store, DAYS[-1])
    lines = sorted(s["line"] for s in result.summary["skipped"])
    assert lines == sorted(
        f"{deal_id} skipped: {WHY[what]} (left out of the team's norms)"
        for what, deal_id in poisoned.items()
    )
    assert result.deals.height > 10
    assert result.summary["hours_freed_by_walking_away"] < 100_000


def test_the_team_loss_review_learns_its_norms_without_them(
    store: Store, poisoned: dict[str, str]
) -> None:
    team = team_loss_review(store)
    assert team.lost_deals > 0 and team.turned > 0
