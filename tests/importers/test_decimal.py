"""Numbers whose decimal mark a column's own cells decide, or that are refused in one
line naming --decimal when they cannot: "25,000" beside "2,5", a semicolon file's "25,000"."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.csvfiles import write
from walkaway.cli import app
from walkaway.errors import InputError
from walkaway.importers.parsing import AmbiguousNumbers, parse_number
from walkaway.service import import_files, list_deals
from walkaway.store import Store

HEADER = "deal_id,name,owner,stage,amount,created_at"


def _amounts(store: Store) -> dict[str, float]:
    return dict(list_deals(store).select("deal_id", "amount").iter_rows())


def _file(tmp_path: Path, amounts: list[str], delimiter: str = ",") -> Path:
    rows = [
        delimiter.join(["D" + str(i), "Deal", "Ana", "Demo", f'"{a}"', "2026-01-05"])
        for i, a in enumerate(amounts)
    ]
    return write(tmp_path / "deals.csv", [HEADER.replace(",", delimiter), *rows])


def test_a_thousands_comma_beside_a_decimal_comma_is_refused_naming_the_option(
    sqlite_store: Store, tmp_path: Path
) -> None:
    mixed = _file(tmp_path, ["25,000", "2,5"])
    with pytest.raises(InputError) as caught:
        import_files(sqlite_store, mixed)
    line = str(caught.value)
    assert line.startswith("deals.csv: column 'amount' has '25,000' (a thousands comma?)")
    assert "--decimal ," in line and "\n" not in line
    assert list_deals(sqlite_store).height == 0
    import_files(sqlite_store, mixed, decimal=",")
    assert _amounts(sqlite_store) == {"D0": 25.0, "D1": 2.5}


def test_a_semicolon_files_grouped_number_is_refused_then_read_as_told(
    sqlite_store: Store, tmp_path: Path
) -> None:
    semicolon = _file(tmp_path, ["25,000", "1,200"], delimiter=";")
    with pytest.raises(InputError, match=r"in a semicolon file may be 25000 or 25\.000"):
        import_files(sqlite_store, semicolon)
    import_files(sqlite_store, semicolon, decimal=".")
    assert _amounts(sqlite_store) == {"D0": 25000.0, "D1": 1200.0}


@pytest.mark.parametrize(
    ("cells", "delimiter", "read"),
    [
        (["25,000", "1,200.50"], ",", [25000.0, 1200.5]),  # the point decides
        (["25.000", "2,5"], ";", [25000.0, 2.5]),  # European throughout
        (["25,000", "3,400"], ",", [25000.0, 3400.0]),  # a comma file's grouping
        (["2,5", "12,75"], ";", [2.5, 12.75]),
    ],
)
def test_columns_their_cells_decide(cells: list[str], delimiter: str, read: list[float]) -> None:
    import polars as pl

    parsed = parse_number(pl.Series("amount", cells), delimiter, strict=True)
    assert parsed.to_list() == read


def test_cells_that_disagree_are_refused_by_the_strict_reading() -> None:
    import polars as pl

    with pytest.raises(AmbiguousNumbers, match="both with a comma"):
        parse_number(pl.Series("amount", ["2,5", "3.75"]), ",", strict=True)
    lenient = parse_number(pl.Series("amount", ["2,5", "3.75"]), ",")
    assert lenient.len() == 2  # the other callers keep reading as before


def test_decimal_on_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    mixed = _file(tmp_path, ["25,000", "2,5"])
    db = str(tmp_path / "w.db")
    refused = runner.invoke(app, ["import", str(mixed), "--db", db])
    assert refused.exit_code == 2 and "--decimal ," in refused.stderr
    assert refused.stderr.count("\n") == 1
    bad = runner.invoke(app, ["import", str(mixed), "--db", db, "--decimal", ";"])
    assert bad.exit_code == 2 and "expected , (a decimal comma) or . (a point)" in bad.stderr
    good = runner.invoke(app, ["import", str(mixed), "--db", db, "--decimal", ","])
    assert good.exit_code == 0, good.output


def test_a_point_grouping_three_digits_with_nothing_to_explain_it_is_refused(
    sqlite_store: Store, tmp_path: Path
) -> None:
    """'25.000' is 25,000 in Germany and 25 in a spreadsheet set to three places: a
    column with nothing else to say which is refused, in either kind of file."""
    for delimiter in (";", ","):
        dotted = _file(tmp_path, ["25.000", "300"], delimiter=delimiter)
        with pytest.raises(InputError, match=r"'25\.000', which may be 25000 .* or 25 "):
            import_files(sqlite_store, dotted)
    assert list_deals(sqlite_store).height == 0
    import_files(sqlite_store, dotted, decimal=",")
    assert _amounts(sqlite_store) == {"D0": 25000.0, "D1": 300.0}


@pytest.mark.parametrize(
    ("cells", "read"),
    [
        (["1.500", "2.25"], [1.5, 2.25]),  # another decimal with a point decides
        (["1.234.567"], [1234567.0]),  # two points can only group thousands
        (["0.125"], [0.125]),  # no thousand starts with 0
    ],
)
def test_points_their_column_decides(cells: list[str], read: list[float]) -> None:
    import polars as pl

    assert parse_number(pl.Series("amount", cells), ",", strict=True).to_list() == read


def test_decimal_reads_the_fraction_columns_too(sqlite_store: Store, tmp_path: Path) -> None:
    from tests.csvfiles import write

    path = write(
        tmp_path / "deals.csv",
        [HEADER + ",margin", 'D1,Deal,Ana,Demo,100,2026-01-05,"0,25"'],
    )
    import_files(sqlite_store, path, decimal=",")
    assert list_deals(sqlite_store)["margin"].to_list() == [0.25]
