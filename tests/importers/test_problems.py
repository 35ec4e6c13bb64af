"""A problem repeated down a column is one line; the rest stay one line a row."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.csvfiles import deals_csv
from walkaway.cli import app
from walkaway.errors import ImportFailed
from walkaway.importers.problems import summarised_lines
from walkaway.importers.validate import PROBLEM_SCHEMA
from walkaway.service import import_files
from walkaway.store import Store


def _problems(rows: list[tuple[str, int, str, str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PROBLEM_SCHEMA, orient="row")


def test_a_problem_on_many_rows_of_a_column_is_one_line() -> None:
    rows = [87, 112, 130, 131, 140, 150, 160, 170, 180, 190]
    problems = _problems(
        [("d.csv", r, "Amount", None, "a number ≥ 0") for r in rows]
        + [("d.csv", 5, "Created", "soon", "a date")]
    )
    assert summarised_lines(problems) == [
        "d.csv: row 5, column 'Created': 'soon' is not a date",
        "d.csv: column 'Amount' empty on 10 rows: 87, 112, 130, 131, 140, 150, 160, 170, …; "
        "expected a number ≥ 0",
    ]


def test_a_few_problems_stay_one_line_a_row() -> None:
    problems = _problems(
        [("d.csv", 3, "Amount", "lots", "a number ≥ 0"), ("d.csv", 4, "Amount", None, "a number")]
    )
    assert summarised_lines(problems) == [
        "d.csv: row 3, column 'Amount': 'lots' is not a number ≥ 0",
        "d.csv: row 4, column 'Amount': empty; expected a number",
    ]


def test_bad_values_down_a_column_quote_a_few() -> None:
    cells = [(2, "lots"), (3, "n/a"), (4, "lots"), (5, "tbd"), (6, "?")]
    problems = _problems([("d.csv", r, "Amount", v, "a number ≥ 0") for r, v in cells])
    (line,) = summarised_lines(problems)
    assert line == (
        "d.csv: column 'Amount' is not a number ≥ 0 on 5 rows: 2, 3, 4, 5, 6 "
        "('lots', 'n/a', 'tbd', …)"
    )


def test_an_import_with_many_empty_amounts_says_so_once(
    sqlite_store: Store, tmp_path: Path, runner: CliRunner
) -> None:
    rows = [f"D{i},Deal {i},Acme,Ana,Demo,,2026-01-05,,open" for i in range(49)]
    bad = deals_csv(tmp_path, rows)
    with pytest.raises(ImportFailed) as caught:
        import_files(sqlite_store, bad)
    assert caught.value.total == 49 and len(caught.value.problems) == 1
    result = runner.invoke(app, ["import", str(bad), "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: deals.csv: column 'amount' empty on 49 rows: 2, 3, 4, 5, 6, 7, 8, 9, …; "
        "expected a number 0–1,000,000,000,000",
        "error: 49 problem(s) found; nothing was imported (fix the rows, or use --skip-invalid "
        "to import the valid ones)",
    ]
