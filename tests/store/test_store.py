"""The store on SQLite and PostgreSQL: schema, bulk import, idempotence, all-or-nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from tests.csvfiles import activities_csv, deals_csv
from walkaway.errors import ImportFailed, InputError
from walkaway.models import ACTIVITY_SCHEMA
from walkaway.service import import_files, list_deals
from walkaway.store import Store, open_store
from walkaway.store.frames import insert_frame, load_activities
from walkaway.store.schema import activities, import_runs, outcomes

DEALS = [
    "D1,Acme rollout,Acme,Ana,Proposal,12000,2026-01-05,,open",
    "D2,Beta pilot,Beta,Ben,Demo,5000,2026-02-01T09:30:00+01:00,,open",
    "D3,Gamma,Gamma,Ana,Negotiation,30000,2025-11-01,2026-03-01,won",
]
ACTIVITIES = [
    "D1,2026-01-06T10:00:00,email,outbound,done,0.5,,intro,Ana",
    "D1,2026-01-08T10:00:00,email,inbound,,,,re: intro,",
    "D1,2026-02-01T10:00:00,stage_change,internal,done,,Proposal,,Ana",
    "D2,2026-02-03T10:00:00,meeting,outbound,no_show,1,,kick-off,Ben",
    "D3,2026-01-03T10:00:00,proposal,outbound,done,3,,v1,Ana",
]


def test_schema_is_at_the_newest_migration(store: Store) -> None:
    assert store.is_current()
    tables = set(sa.inspect(store.engine).get_table_names())
    assert {"deals", "activities", "decisions", "outcomes", "import_runs", "policies"} <= tables


def test_import_lands_every_field(store: Store, tmp_path: Path) -> None:
    summary = import_files(store, deals_csv(tmp_path, DEALS), activities_csv(tmp_path, ACTIVITIES))
    assert (summary.deals_new, summary.activities_new, summary.rejected) == (3, 5, 0)
    frame = list_deals(store)
    d2 = frame.filter(pl.col("deal_id") == "D2").row(0, named=True)
    # An offset is converted to UTC.
    assert d2["created_at"] == datetime(2026, 2, 1, 8, 30)
    assert d2["outcome"] == "open" and d2["currency"] == "EUR"
    assert frame.filter(pl.col("deal_id") == "D1")["activity_count"].item() == 3
    with store.connect() as conn:
        acts = load_activities(conn, deal_ids=["D2"])
        assert acts.row(0, named=True)["status"] == "no_show"
        assert acts.row(0, named=True)["hours"] == 1.0
        recorded = conn.execute(sa.select(outcomes.c.deal_id, outcomes.c.outcome)).all()
    assert recorded == [("D3", "won")]


def test_reimport_changes_nothing(store: Store, tmp_path: Path) -> None:
    deals, acts = deals_csv(tmp_path, DEALS), activities_csv(tmp_path, ACTIVITIES)
    import_files(store, deals, acts)
    before = list_deals(store)
    again = import_files(store, deals, acts)
    assert (again.deals_new, again.deals_updated, again.deals_unchanged) == (0, 0, 3)
    assert (again.activities_new, again.activities_unchanged) == (0, 5)
    assert list_deals(store).equals(before)


def test_a_changed_row_updates_its_deal_and_records_the_close(store: Store, tmp_path: Path) -> None:
    import_files(store, deals_csv(tmp_path, DEALS), activities_csv(tmp_path, ACTIVITIES))
    changed = [
        DEALS[0].replace("12000,2026-01-05,,open", "9000,2026-01-05,2026-04-01,lost"),
        *DEALS[1:],
    ]
    more = [*ACTIVITIES, "D1,2026-03-01T10:00:00,call,outbound,done,0.25,,chase,Ana"]
    summary = import_files(
        store, deals_csv(tmp_path, changed, name="d2.csv"), activities_csv(tmp_path, more, "a2.csv")
    )
    assert (summary.deals_new, summary.deals_updated, summary.deals_unchanged) == (0, 1, 2)
    assert (summary.activities_new, summary.activities_unchanged) == (1, 5)
    d1 = list_deals(store).filter(pl.col("deal_id") == "D1").row(0, named=True)
    assert (d1["amount"], d1["outcome"], d1["activity_count"]) == (9000.0, "lost", 4)
    with store.connect() as conn:
        closes = conn.execute(
            sa.select(outcomes.c.deal_id).where(outcomes.c.outcome == "lost")
        ).all()
    assert closes == [("D1",)]


def test_bad_rows_import_nothing(store: Store, tmp_path: Path) -> None:
    import_files(store, deals_csv(tmp_path, DEALS[:1]))
    bad = [*DEALS, "D4,Delta,Delta,Ben,Demo,lots,2026-02-01,,open"]
    with pytest.raises(ImportFailed) as caught:
        import_files(
            store, deals_csv(tmp_path, bad, name="bad.csv"), activities_csv(tmp_path, ACTIVITIES)
        )
    assert caught.value.problems == [
        "bad.csv: row 5, column 'amount': 'lots' is not a number 0–1,000,000,000,000"
    ]
    assert list_deals(store)["deal_id"].to_list() == ["D1"]
    with store.connect() as conn:
        assert load_activities(conn).height == 0
        assert conn.execute(sa.select(sa.func.count()).select_from(import_runs)).scalar() == 1


def test_skip_invalid_lands_the_good_rows_and_writes_rejects(store: Store, tmp_path: Path) -> None:
    bad = [*DEALS, "D4,Delta,Delta,Ben,Demo,lots,2026-02-01,,open"]
    acts = [
        *ACTIVITIES,
        "D4,2026-02-03T10:00:00,call,outbound,done,,,,Ben",
        "D9,2026-02-03,call,,,,,,",
    ]
    rejects = tmp_path / "rejects.csv"
    summary = import_files(
        store,
        deals_csv(tmp_path, bad),
        activities_csv(tmp_path, acts),
        skip_invalid=True,
        rejects_path=rejects,
    )
    assert (summary.deals_new, summary.activities_new, summary.rejected) == (3, 5, 3)
    deal_rejects = pl.read_csv(tmp_path / "rejects-deals.csv", infer_schema=False)
    assert deal_rejects["deal_id"].to_list() == ["D4"]
    assert "'lots' is not a number" in deal_rejects["reason"].item()
    act_rejects = pl.read_csv(tmp_path / "rejects-activities.csv", infer_schema=False)
    assert sorted(act_rejects["deal_id"].to_list()) == ["D4", "D9"]


def test_a_store_reopens_with_its_data(store_url: str, tmp_path: Path) -> None:
    first = open_store(store_url)
    import_files(first, deals_csv(tmp_path, DEALS))
    first.close()
    second = open_store(store_url)
    assert list_deals(second).height == 3
    second.close()


def test_a_deals_file_too_big_for_one_in_list_imports(store: Store, tmp_path: Path) -> None:
    # 70,000 ids: more than PostgreSQL's 65,535 bound parameters in one statement.
    count = 70_000
    frame = pl.DataFrame({"deal_id": [f"L{i:06d}" for i in range(count)]}).with_columns(
        name=pl.lit("Bulk"),
        stage=pl.lit("Demo"),
        amount=pl.lit(1000.0),
        created_at=pl.lit("2026-01-05"),
        outcome=pl.lit("open"),
    )
    frame.write_csv(tmp_path / "deals.csv")
    first = import_files(store, tmp_path / "deals.csv")
    assert (first.deals_new, first.rejected) == (count, 0)
    last = pl.col("deal_id") == f"L{count - 1:06d}"
    frame.with_columns(amount=pl.when(last).then(2000.0).otherwise("amount")).write_csv(
        tmp_path / "again.csv"
    )
    again = import_files(store, tmp_path / "again.csv")
    assert (again.deals_new, again.deals_updated, again.deals_unchanged) == (0, 1, count - 1)
    stored = list_deals(store)
    assert stored.height == count
    assert stored.filter(last)["amount"].item() == 2000.0


def test_activities_land_once_however_often_they_come(store: Store, tmp_path: Path) -> None:
    deals = deals_csv(tmp_path, DEALS)
    doubled = activities_csv(tmp_path, [*ACTIVITIES, ACTIVITIES[0], ACTIVITIES[3]], "twice.csv")
    first = import_files(store, deals, doubled)
    # Identical rows within one file are one activity.
    assert (first.activities_new, first.activities_unchanged) == (5, 2)
    # A row that differs in any field is another activity, also for a stored deal.
    more = [*ACTIVITIES, ACTIVITIES[0].replace(",0.5,", ",0.75,"), ACTIVITIES[1] + "x"]
    second = import_files(store, deals, activities_csv(tmp_path, more, "more.csv"))
    assert (second.activities_new, second.activities_unchanged) == (2, 5)
    again = import_files(store, deals, activities_csv(tmp_path, more, "more.csv"))
    assert (again.activities_new, again.activities_unchanged) == (0, 7)
    with store.connect() as conn:
        stored = load_activities(conn, deal_ids=["D1", "D2", "D3"])
    assert stored.height == 7
    d1_hours = stored.filter(pl.col("deal_id") == "D1")["hours"].to_list()
    assert d1_hours == [0.5, 0.75, None, None, None]


def test_activities_read_back_exactly(store: Store, tmp_path: Path) -> None:
    rows = [
        'D1,2026-01-06T10:00:00.123456,email,outbound,done,0.1,,"a, ""quoted"" note",Ana',
        "D1,2026-01-06T10:00:00.123456,email,outbound,done,0.30000000000000004,,x,Ana",
        "D1,2026-01-07,call,outbound,done,,,,",
    ]
    import_files(store, deals_csv(tmp_path, DEALS), activities_csv(tmp_path, rows))
    with store.connect() as conn:
        stored = load_activities(conn, deal_ids=["D1"])
        unordered = load_activities(conn, deal_ids=["D1"], ordered=False)
        none = load_activities(conn, deal_ids=[])
    assert stored.schema == ACTIVITY_SCHEMA and none.schema == ACTIVITY_SCHEMA
    assert none.height == 0 and unordered.sort(stored.columns).equals(stored.sort(stored.columns))
    assert stored["at"].to_list()[:2] == [datetime(2026, 1, 6, 10, 0, 0, 123456)] * 2
    assert stored["hours"].to_list() == [0.1, 0.30000000000000004, None]
    assert stored["detail"].to_list() == ['a, "quoted" note', "x", None]


ODD_TEXT = [
    "",
    " padded ",
    'say "hi", twice ""',
    "two\nlines",
    "crlf\r\nline\r",
    "tab\tsemicolon;",
    "\\N",
    "NULL",
    "ünïcödé ☃ 日本",
    None,
]


def test_frames_go_in_and_come_back_unchanged(store: Store, tmp_path: Path) -> None:
    import_files(store, deals_csv(tmp_path, DEALS))
    # Repeated: a text column of few distinct values is written by another path.
    odd = ODD_TEXT * 5
    size = len(odd)
    frame = pl.DataFrame(
        {
            "deal_id": ["D1", "D2"] * (size // 2),
            "at": [datetime(2026, 1, 1, 9, 0, 0, 7 * i) for i in range(size)],
            "kind": ["note"] * size,
            "direction": [None] * size,
            "status": ["done"] * size,
            "hours": [0.1, 1e-300, 1.7976931348623157e308, 0.30000000000000004, None] * 10,
            "stage": odd[::-1],
            "detail": odd,
            "actor": odd[3:] + odd[:3],
        }
    )
    with store.begin() as conn:
        insert_frame(conn, activities, frame.with_columns(import_run_id=pl.lit(None)))
    with store.connect() as conn:
        back = load_activities(conn)
        one = load_activities(conn, deal_ids=["D2"], between=(frame["at"][1], frame["at"][3]))
    assert back.equals(frame.cast(ACTIVITY_SCHEMA).sort("deal_id", "at"))  # type: ignore[arg-type]
    assert one["at"].to_list() == [frame["at"][1], frame["at"][3]]


@pytest.mark.parametrize("slices", [1, 3])
def test_rows_written_part_by_part_come_back_in_order(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slices: int
) -> None:
    """On SQLite the values of a big frame are made a part at a time, the next part's
    beside the INSERTs of the one before; with parts a few statements long (and a tail
    shorter than a statement) every row lands once, as it went in."""
    from walkaway.store import frames

    monkeypatch.setattr(frames, "_BATCHES_PER_SLICE", 2)
    monkeypatch.setattr(frames, "_SLICES_PER_PART", slices)
    import_files(store, deals_csv(tmp_path, DEALS))
    size = 99 * 2 * slices * 3 + 57  # three parts and a part cut short
    frame = pl.DataFrame(
        {
            "deal_id": ["D1"] * (size // 2) + ["D2"] * (size - size // 2),
            "at": [datetime(2026, 1, 1, 9, 0, 0, 3 * i) for i in range(size)],
            "kind": ["note", "email", "call"] * (size // 3) + ["note"] * (size % 3),
            "direction": None,
            "status": "done",
            "hours": [float(i) / 7 if i % 4 else None for i in range(size)],
            "stage": None,
            "detail": [f"row {i}" for i in range(size)],
            "actor": "Ana",
        },
        schema=ACTIVITY_SCHEMA,
    )
    with store.begin() as conn:
        insert_frame(conn, activities, frame.with_columns(import_run_id=pl.lit(None)))
    with store.connect() as conn:
        back = load_activities(conn)
    assert back.equals(frame.sort("deal_id", "at"))


def test_an_activity_of_a_deal_gone_since_the_check_writes_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import checks each activity's deal once, inside its transaction, not row by
    row (SQLite's foreign key is off for it): a deal the files were checked against and
    the store no longer holds stops the import, and nothing lands."""
    from walkaway.service import pipeline

    import_files(store, deals_csv(tmp_path, DEALS))
    before = {name: _count(store, table) for name, table in (("runs", import_runs),)}
    stored = pipeline.stored_deal_ids
    monkeypatch.setattr(
        pipeline, "stored_deal_ids", lambda s: pl.concat([stored(s), pl.Series(["GONE"])])
    )
    rows = [*ACTIVITIES, "GONE,2026-01-09T10:00:00,email,outbound,done,,,lost one,Ana"]
    with pytest.raises(InputError, match=r"1 deal\(s\) the store does not hold .*'GONE'"):
        import_files(store, deals_csv(tmp_path, DEALS), activities_csv(tmp_path, rows))
    assert _count(store, activities) == 0
    assert {"runs": _count(store, import_runs)} == before


def test_activities_of_deals_an_earlier_import_stored_are_looked_up_and_land(
    store: Store, tmp_path: Path
) -> None:
    """Deals the deals file does not carry are looked up in the store (those it carries
    were just written): a deal stored by an earlier import is found, and its activities
    land beside those of the file's own deal."""
    import_files(store, deals_csv(tmp_path, DEALS))
    summary = import_files(
        store, deals_csv(tmp_path, DEALS[:1]), activities_csv(tmp_path, ACTIVITIES)
    )
    assert summary.activities_new == len(ACTIVITIES)
    assert _count(store, activities) == len(ACTIVITIES)


def test_foreign_keys_are_on_again_after_an_import(sqlite_store: Store, tmp_path: Path) -> None:
    """The import turns SQLite's foreign keys off for its own transaction only: the
    connection it used goes back to the pool with them on, and they hold."""
    import_files(sqlite_store, deals_csv(tmp_path, DEALS), activities_csv(tmp_path, ACTIVITIES))
    with sqlite_store.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    with pytest.raises(sa.exc.IntegrityError), sqlite_store.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO activities (deal_id, at, kind, status) "
            "VALUES ('NOPE', '2026-01-01 00:00:00.000000', 'email', 'done')"
        )


def _count(store: Store, table: sa.Table) -> int:
    with store.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
