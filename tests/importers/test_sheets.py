"""``walkaway import --sheet NAME|N``: a workbook whose deals are not on its first sheet
(a "Read me" sheet first, as report exports and hand-made workbooks have)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from walkaway.cli import app
from walkaway.errors import InputError
from walkaway.importers.reading import read_table

HEADER = ["Opportunity ID", "Opportunity Name", "Stage", "Amount", "Close Date", "Created Date"]
ROWS = [
    ["0065g00000XyZaAAAA", "Globex expansion", "Proposal/Price Quote", 24000, "2026-12-15",
     "2026-08-01"],
    ["0065g00000XyZbAAAA", "Initech renewal", "Closed Won", 9000, "2026-06-30", "2026-02-10"],
]  # fmt: skip


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Read me"
    notes.append(["Exported from our CRM for the Q4 review"])
    notes.append(["Ask Ana before changing the stages"])
    deals = book.create_sheet("Opportunities")
    for row in [HEADER, *ROWS]:
        deals.append(row)
    path = tmp_path_factory.mktemp("sheets") / "q4.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize("sheet", ["Opportunities", "opportunities", "2"])
def test_the_sheet_named_or_numbered_is_read(workbook: Path, sheet: str) -> None:
    table = read_table(workbook, sheet=sheet)
    assert table.headers == HEADER
    assert table.frame["Opportunity Name"].to_list() == ["Globex expansion", "Initech renewal"]


def test_the_first_sheet_by_default(workbook: Path) -> None:
    assert read_table(workbook).headers[0] == "Exported from our CRM for the Q4 review"


def test_an_unknown_sheet_is_one_line_listing_the_sheets(
    runner: CliRunner, workbook: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.db"
    result = runner.invoke(app, ["import", str(workbook), "--sheet", "Deals", "--db", str(db)])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: q4.xlsx: no sheet 'Deals'; the workbook has 2: 'Read me', 'Opportunities' "
        "(pass --sheet with one of those names, or its number 1–2)\n"
    )
    assert not db.exists()
    for beyond in ("3", "0"):
        with pytest.raises(InputError, match="no sheet"):
            read_table(workbook, sheet=beyond)


def test_import_and_inspect_read_the_sheet(
    runner: CliRunner, workbook: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "w.db")
    seen = runner.invoke(app, ["import", "--inspect", str(workbook), "--sheet", "2", "--db", db])
    assert seen.exit_code == 0, seen.output
    assert "read as salesforce" in seen.stdout
    landed = runner.invoke(app, ["import", str(workbook), "--sheet", "Opportunities", "--db", db])
    assert landed.exit_code == 0, landed.output
    assert "deals: 2 new" in landed.stdout


def test_sheet_on_a_csv_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    csv = tmp_path / "deals.csv"
    csv.write_text("deal_id,amount,created_at\nD-1,100,2026-01-05\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(csv), "--sheet", "2", "--db", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "a CSV file has one table: import it without --sheet" in result.stderr
    assert result.stderr.count("\n") == 1
