"""Several deals of one moment assessed in one pass (walkaway.service.deal.assessments_of,
what the web app does with decisions that arrive together): each deal gets the numbers
it gets alone (assessment_of, what a decision records and show computes), or the error
it gets alone, whatever else is in the batch; on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from walkaway.errors import WalkawayError
from walkaway.service import import_files, sample_files
from walkaway.service.deal import assessment_of, assessments_of
from walkaway.store import Store
from walkaway.store.schema import deals

AS_OF = datetime(2026, 11, 16, 9)  # the sample's today


@pytest.fixture
def sample_store(store: Store) -> Store:
    import_files(store, *sample_files(), format="generic")
    return store


def _alone(store: Store, deal_id: str, as_of: datetime) -> object:
    try:
        return assessment_of(store, deal_id, as_of).to_dict()
    except WalkawayError as error:
        return (type(error), str(error))


def _answered(answer: object) -> object:
    if isinstance(answer, WalkawayError):
        return (type(answer), str(answer))
    return answer.to_dict()  # type: ignore[attr-defined]


def _ids(store: Store, as_of: datetime) -> tuple[list[str], list[str], list[str]]:
    """The sample's open deals at ``as_of``, those closed before it, those created after."""
    d = deals.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(d.deal_id, d.created_at, d.closed_at)).all()
    later = [r.deal_id for r in rows if r.created_at >= as_of]
    closed = [r.deal_id for r in rows if r.closed_at is not None and r.closed_at < as_of]
    open_ = [r.deal_id for r in rows if r.deal_id not in set(later) | set(closed)]
    return sorted(open_), sorted(closed), sorted(later)


@pytest.mark.parametrize("seed", range(4))
def test_a_deal_in_a_batch_gets_what_it_gets_alone(sample_store: Store, seed: int) -> None:
    """A random batch of open, closed, later and unknown deals (seeded, 2 to 25 of
    them, at one of a few moments): each answer equals the deal's assessment (or error)
    alone, and every deal asked for is answered."""
    draw = random.Random(seed)
    as_of = AS_OF - timedelta(days=draw.choice([0, 40, 200]))
    open_, closed, later = _ids(sample_store, as_of)
    assert len(open_) > 25
    batch = draw.sample(open_, draw.randint(2, 20))
    batch += draw.sample(closed, min(len(closed), draw.randint(0, 2)))
    batch += draw.sample(later, min(len(later), draw.randint(0, 2)))
    batch += ["NO-SUCH-DEAL"] * draw.randint(0, 1)
    answers = assessments_of(sample_store, batch, as_of)
    assert set(answers) == set(batch)
    for deal_id in batch:
        assert _answered(answers[deal_id]) == _alone(sample_store, deal_id, as_of), deal_id


def test_a_batch_of_failures_only_fails_each_one(sample_store: Store) -> None:
    _open, closed, later = _ids(sample_store, AS_OF - timedelta(days=200))
    batch = [closed[0], later[0], "NO-SUCH-DEAL"]
    answers = assessments_of(sample_store, batch, AS_OF - timedelta(days=200))
    assert all(isinstance(answers[deal_id], WalkawayError) for deal_id in batch)
    for deal_id in batch:
        alone = _alone(sample_store, deal_id, AS_OF - timedelta(days=200))
        assert _answered(answers[deal_id]) == alone
