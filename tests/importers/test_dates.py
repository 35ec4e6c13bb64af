"""Dates such as 03/04/2026, decided per column from all its cells: a column holding
25/12/2026 is day first (and the summary says so once); a column whose cells read both
ways with nothing to decide is refused in one line naming --dayfirst and --monthfirst."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.csvfiles import activities_csv, deals_csv
from walkaway.cli import app
from walkaway.errors import InputError
from walkaway.importers.dates import Cell, date_order
from walkaway.service import import_files, list_deals
from walkaway.store import Store

SHAPES = Path(__file__).parents[1] / "fixtures" / "shapes"
DAY_FIRST = SHAPES / "uk_day_first.csv"  # Close Date row 3 is 25/12/2026
AMBIGUOUS = SHAPES / "ambiguous_dates.csv"  # every date 12 or less both ways


def _dates(store: Store) -> dict[str, tuple[object, ...]]:
    frame = list_deals(store).select("name", "created_at", "closed_at", "expected_close")
    return {name: tuple(rest) for name, *rest in frame.iter_rows()}


def test_a_column_with_25_12_is_day_first_and_the_summary_says_so_once(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = str(tmp_path / "w.db")
    result = runner.invoke(app, ["import", str(DAY_FIRST), "--db", db])
    assert result.exit_code == 0, result.output
    close = "column 'Close Date' read as day/month/year (row 3 has 25/12/2026)"
    assert result.stdout.count(close) == 1
    # Created Date has no day past 12: the file's Close Date decides it, and says so.
    created = "column 'Created Date' read as day/month/year (like 'Close Date', whose row 3"
    assert result.stdout.count(created) == 1
    from walkaway.store import open_store

    store = open_store(f"sqlite:///{db}")
    try:
        read = _dates(store)
    finally:
        store.close()
    assert read["Tesco pilot"] == (datetime(2026, 11, 2), None, date(2027, 4, 3))
    assert read["Argos renewal"] == (datetime(2026, 3, 4), datetime(2026, 6, 1), None)


def test_a_column_that_reads_both_ways_is_refused_naming_the_options(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = tmp_path / "w.db"
    result = runner.invoke(app, ["import", str(AMBIGUOUS), "--db", str(db)])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in result.output
    assert line.startswith("error: ambiguous_dates.csv: column 'Created Date' has dates that")
    assert "row 2: 02/11/2026 may be 2 November or 11 February" in line
    assert "--dayfirst" in line and "--monthfirst" in line
    day_first = runner.invoke(app, ["import", str(AMBIGUOUS), "--db", str(db), "--dayfirst"])
    assert day_first.exit_code == 0, day_first.output
    assert "read as" not in day_first.stdout  # said outright: nothing to explain


@pytest.mark.parametrize(
    ("option", "created"), [(True, date(2026, 11, 2)), (False, date(2026, 2, 11))]
)
def test_the_option_decides_an_ambiguous_file(
    sqlite_store: Store, option: bool, created: date
) -> None:
    import_files(sqlite_store, AMBIGUOUS, day_first=option)
    assert _dates(sqlite_store)["Tesco pilot"][0].date() == created  # type: ignore[attr-defined]


def test_nothing_is_written_when_refused(sqlite_store: Store) -> None:
    with pytest.raises(InputError, match="--dayfirst"):
        import_files(sqlite_store, AMBIGUOUS)
    assert list_deals(sqlite_store).height == 0


def test_a_column_written_both_ways_is_refused_and_the_option_names_the_odd_cell(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mixed = deals_csv(
        tmp_path,
        [
            "D-1,A,Acme,Ana,Demo,100,25/12/2026,,open",
            "D-2,B,Acme,Ana,Demo,100,12/25/2026,,open",
        ],
    )
    with pytest.raises(InputError) as refused:
        import_files(sqlite_store, mixed)
    assert "column 'created_at' has dates written day first (25/12/2026, row 2) and month " in str(
        refused.value
    )
    from walkaway.errors import ImportFailed

    with pytest.raises(ImportFailed) as told:
        import_files(sqlite_store, mixed, day_first=True)
    assert told.value.problems[0].startswith("deals.csv: row 3, column 'created_at': '12/25/2026'")


def test_an_activities_file_follows_its_deals_file(sqlite_store: Store, tmp_path: Path) -> None:
    """A task export of the same CRM writes dates as its opportunity report does."""
    deals = deals_csv(tmp_path, ["D-1,A,Acme,Ana,Demo,100,13/01/2026,,open"])
    acts = activities_csv(tmp_path, ["D-1,02/03/2026 10:00,email,outbound,done,,,hi,Ana"])
    summary = import_files(sqlite_store, deals, acts)
    assert any("activities.csv: column 'at' read as day/month/year" in n for n in summary.notes)
    from walkaway.store.frames import load_activities

    with sqlite_store.connect() as conn:
        at = load_activities(conn)["at"].to_list()
    assert at == [datetime(2026, 3, 2, 10, 0)]


def test_dates_that_read_one_way_need_no_decision(sqlite_store: Store, tmp_path: Path) -> None:
    plain = deals_csv(
        tmp_path,
        ["D-1,A,Acme,Ana,Demo,100,2026-03-04,,open", "D-2,B,Acme,Ana,Demo,100,01/01/2026,,open"],
    )
    summary = import_files(sqlite_store, plain)
    assert not any("read as" in n for n in summary.notes)


def test_both_options_at_once_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    both = ["import", str(DAY_FIRST), "--db", str(tmp_path / "w.db"), "--dayfirst", "--monthfirst"]
    result = runner.invoke(app, both)
    assert result.exit_code == 2 and "pass one" in result.stderr
    assert not (tmp_path / "w.db").exists()


@pytest.mark.parametrize(
    ("cells", "decided", "either"),
    [
        (["25/12/2026", "03/04/2026"], True, Cell(3, "03/04/2026")),
        (["12/25/2026", "3-4-26"], False, Cell(3, "3-4-26")),
        (["03/04/2026 10:00", None], None, Cell(2, "03/04/2026 10:00")),
        (["2026-03-04", "01.02.2026", "05/05/2026"], None, None),
        (["25/12/2026", "12/25/2026"], None, None),
    ],
)
def test_what_a_columns_cells_say(
    cells: list[str | None], decided: bool | None, either: Cell | None
) -> None:
    order = date_order(pl.Series(cells, dtype=pl.String), pl.Series(range(2, 2 + len(cells))))
    assert order.decided is decided
    assert order.either == either
