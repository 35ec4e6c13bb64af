"""Big reads of a SQLite file by the reader process: the same frames as the driver's
path, and the driver's path wherever another connection would not see what ours sees."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from tests.csvfiles import activities_csv, deals_csv
from walkaway.cli import app
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA
from walkaway.service import import_files, sample_files
from walkaway.store import Store, bulk_read, open_store
from walkaway.store.bulk_read import read_sqlite_columns, sqlite_file
from walkaway.store.frames import load_activities, load_deals, read_frame
from walkaway.store.schema import activities, deals

ODD_DEALS = [
    'Q\'1,"Café ""Ünïcode"" rollout",Acme,Zoë,Proposal,12000.5,2026-01-05T10:11:12.345678,,open',
    "Q'2,Nulls,,,Demo,0,2026-02-01,,open",
]
ODD_ACTIVITIES = [
    "Q'1,2026-01-06T10:00:00.000001,email,outbound,done,0.5,,\"intro, 'quoted'\",Zoë",
    "Q'2,2026-02-03T10:00:00,note,,,,,,",
]


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[Store]:
    """A store in a folder whose name needs quoting, holding the bundled sample and deals
    with quotes, accents, fractions of a second and empty fields."""
    folder = tmp_path / "a folder with spaces & 'quotes'"
    folder.mkdir()
    store = open_store(f"sqlite:///{folder / 'walkaway.db'}")
    import_files(store, *sample_files())
    import_files(store, deals_csv(tmp_path, ODD_DEALS), activities_csv(tmp_path, ODD_ACTIVITIES))
    yield store
    store.close()


def _both_paths(
    conn: sa.Connection, table: sa.Table, schema: dict[str, pl.DataType], query: sa.Select
) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    columns = [table.c[name] for name in schema]
    child = read_sqlite_columns(conn, columns, query, schema, min_rows=0)
    return child, read_frame(conn, columns, query, schema, bulk=False)


def test_the_reader_process_returns_the_drivers_frames(filled: Store) -> None:
    with filled.connect() as conn:
        for table, schema in ((deals, DEAL_SCHEMA), (activities, ACTIVITY_SCHEMA)):
            query = sa.select(*(table.c[n] for n in schema)).order_by(*table.primary_key)
            child, driver = _both_paths(conn, table, schema, query)
            assert child is not None, "a file store with nothing uncommitted reads in bulk"
            assert driver.height > 300
            assert_frame_equal(child, driver)
    with filled.connect() as conn:
        columns = [deals.c[n] for n in DEAL_SCHEMA]
        query = sa.select(*columns).where(deals.c.deal_id == "Q'1")
        child_row = read_sqlite_columns(conn, columns, query, DEAL_SCHEMA, min_rows=0)
    assert child_row is not None
    odd = child_row.row(0, named=True)
    assert odd["name"] == 'Café "Ünïcode" rollout' and odd["owner"] == "Zoë"
    assert odd["created_at"] == datetime(2026, 1, 5, 10, 11, 12, 345678)
    # ConnectorX carries its own SQLite: it must never load into this process.
    assert "connectorx" not in sys.modules


def test_bound_values_are_written_into_the_sql_safely(filled: Store) -> None:
    hostile = "nope'); DROP TABLE deals; --"
    with filled.connect() as conn:
        query = sa.select(*(activities.c[n] for n in ACTIVITY_SCHEMA)).where(
            activities.c.deal_id.in_(["Q'1", "Q'2", hostile])
            & (activities.c.at < datetime(2026, 2, 3, 10, 0))
        )
        child, driver = _both_paths(conn, activities, ACTIVITY_SCHEMA, query)
        assert child is not None and child["deal_id"].to_list() == ["Q'1"]
        assert child["detail"].to_list() == ["intro, 'quoted'"]
        assert_frame_equal(child, driver)
        assert conn.execute(sa.select(sa.func.count()).select_from(deals)).scalar_one() > 300


def test_uncommitted_writes_are_read_through_the_callers_connection(filled: Store) -> None:
    renamed = deals.update().where(deals.c.deal_id == "Q'2").values(name="Renamed")
    with filled.begin() as conn:
        conn.execute(renamed)
        assert sqlite_file(conn) is None
        assert dict(load_deals(conn).select("deal_id", "name").iter_rows())["Q'2"] == "Renamed"
        conn.rollback()
    with filled.connect() as conn:
        assert sqlite_file(conn) is not None
        assert dict(load_deals(conn).select("deal_id", "name").iter_rows())["Q'2"] == "Nulls"


def test_a_memory_database_and_a_small_table_use_the_driver(filled: Store) -> None:
    memory = open_store("sqlite://")
    with memory.connect() as conn:
        assert sqlite_file(conn) is None
    memory.close()
    with filled.connect() as conn:
        columns = [activities.c[n] for n in ACTIVITY_SCHEMA]
        query = sa.select(*columns)
        assert read_sqlite_columns(conn, columns, query, ACTIVITY_SCHEMA) is None  # 12k rows
        assert read_sqlite_columns(conn, columns, query, ACTIVITY_SCHEMA, min_rows=0) is not None


def test_a_value_its_declared_type_does_not_hold_goes_back_to_the_driver(filled: Store) -> None:
    with filled.begin() as conn:
        conn.exec_driver_sql("UPDATE activities SET hours = 'lots' WHERE deal_id = 'Q''2'")
    with filled.connect() as conn:
        columns = [activities.c[n] for n in ACTIVITY_SCHEMA]
        query = sa.select(*columns)
        assert read_sqlite_columns(conn, columns, query, ACTIVITY_SCHEMA, min_rows=0) is None
        with pytest.raises(pl.exceptions.ComputeError):
            load_activities(conn)  # the driver's path says what is wrong


def test_a_review_read_by_the_reader_process_is_the_same_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "demo.db")
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--db", db]).exit_code == 0
    review = ["review", "--db", db, "--as-of", "2026-11-16", "--format", "json"]
    store = open_store(f"sqlite:///{db}")
    with store.connect() as conn:  # the review's activities can take the reader's path
        columns = [activities.c[n] for n in ACTIVITY_SCHEMA]
        query = sa.select(*columns)
        assert read_sqlite_columns(conn, columns, query, ACTIVITY_SCHEMA, min_rows=0) is not None
    with store.begin() as conn:  # learn the norms again on each path
        conn.exec_driver_sql("DELETE FROM norms_cache")
    by_driver = runner.invoke(app, review)
    monkeypatch.setattr(bulk_read, "MIN_ROWS", 0)
    with store.begin() as conn:
        conn.exec_driver_sql("DELETE FROM norms_cache")
    store.close()
    by_reader = runner.invoke(app, review)
    assert by_driver.exit_code == 0 and by_reader.exit_code == 0, by_reader.output
    assert json.loads(by_reader.output) == json.loads(by_driver.output)
    assert len(json.loads(by_reader.output)["deals"]) > 50
