"""Reads of a few rows through the driver (``Store.rows``) give what SQLAlchemy's reads
give: one deal's frames as the bulk reads make them, moments bound as the store keeps
them, on a SQLite file, SQLite in memory and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from walkaway.service import import_files, sample_files
from walkaway.store import Store, open_store
from walkaway.store.database import stored_revision
from walkaway.store.frames import activity_rows, load_activities, load_deals, one_deal
from walkaway.store.schema import deals


@pytest.fixture(params=["file", "memory", pytest.param("postgresql", marks=pytest.mark.postgres)])
def sample(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The bundled sample in a SQLite file, in SQLite in memory (which the driver reaches
    through SQLAlchemy's connection) and in PostgreSQL."""
    urls = {"file": f"sqlite:///{tmp_path / 'walkaway.db'}", "memory": "sqlite://"}
    url = urls.get(request.param) or str(request.getfixturevalue("postgres_url"))
    opened = open_store(url)
    import_files(opened, *sample_files(), format="generic")
    yield opened
    opened.close()


def _by_sqlalchemy(store: Store, deal_id: str, before: datetime) -> tuple[pl.DataFrame, ...]:
    with store.connect() as conn:
        return (
            load_deals(conn, deals.c.deal_id == deal_id),
            load_activities(conn, deal_ids=[deal_id], before=before),
        )


def _moments(store: Store, deal_id: str) -> list[datetime]:
    """Moments to read one deal's activities before: each of its activities' own (the
    activity itself then left out), a microsecond after one, and long after all."""
    every = load_activities_of(store, deal_id)["at"].to_list()
    return [*every[:3], every[0] + timedelta(microseconds=1), datetime(2100, 1, 1)]


def load_activities_of(store: Store, deal_id: str) -> pl.DataFrame:
    with store.connect() as conn:
        return load_activities(conn, deal_ids=[deal_id])


@pytest.mark.parametrize("deal_id", ["D-2001", "D-2030", "D-1001"])
def test_one_deal_is_what_the_bulk_reads_give(sample: Store, deal_id: str) -> None:
    for before in _moments(sample, deal_id):
        deal, timeline = one_deal(sample, deal_id, before)
        want_deal, want_timeline = _by_sqlalchemy(sample, deal_id, before)
        assert deal.height == 1
        assert_frame_equal(deal, want_deal)
        assert_frame_equal(timeline, want_timeline)


def test_activity_rows_are_one_deals_activities(sample: Store) -> None:
    for before in _moments(sample, "D-2030"):
        want = _by_sqlalchemy(sample, "D-2030", before)[1].to_dicts()
        assert activity_rows(sample, "D-2030", before) == want


def test_an_activity_at_the_moment_itself_is_left_out(sample: Store) -> None:
    at = load_activities_of(sample, "D-2001")["at"][1]
    _deal, timeline = one_deal(sample, "D-2001", at)
    assert timeline["at"].max() < at
    _deal, timeline = one_deal(sample, "D-2001", at + timedelta(microseconds=1))
    assert timeline["at"].max() == at


def test_a_deal_the_store_does_not_hold_is_no_row(sample: Store) -> None:
    deal, timeline = one_deal(sample, "D-0000", datetime(2100, 1, 1))
    assert deal.height == 0 and timeline.height == 0
    assert deal.schema == load_deals_schema(sample)


def load_deals_schema(store: Store) -> pl.Schema:
    with store.connect() as conn:
        return load_deals(conn).schema


def test_rows_and_the_revision_on_every_store(sample: Store) -> None:
    with sample.rows() as rows:
        assert rows("SELECT count(*) FROM deals WHERE outcome = ?", ("open",)) == [(60,)]
    assert stored_revision(sample) is not None
