"""The generic format as real files arrive: encodings, delimiters, line endings, XLSX."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from tests.csvfiles import write
from walkaway.errors import ImportFailed, InputError
from walkaway.service import import_files, list_deals
from walkaway.store import Store
from walkaway.store.frames import load_activities

HEADER = "Deal_ID,Name,Owner,Stage,Amount,Created_At,Outcome,Budget,Margin,Industry"
ROWS = [
    'A1,"Müller GmbH, rollout",Zoë,Demo," $22,050 ",5/26/17,open,Confirmed,35%,Retail',
    'A2,"Two-line\nname",Bob,Proposal,$-,12/1/17,Open,unknown,0.2,',
]


def _stored(store: Store) -> dict[str, dict[str, object]]:
    return {row["deal_id"]: row for row in list_deals(store).to_dicts()}


@pytest.mark.parametrize(
    ("encoding", "newline", "delimiter"),
    [
        ("utf-8", "\n", ","),
        ("utf-8-sig", "\r\n", ","),
        ("cp1252", "\r\n", ","),
        ("latin-1", "\r", ","),
        ("utf-8", "\r\n", ";"),
    ],
)
def test_messy_csv_variants_land_the_same(
    sqlite_store: Store, tmp_path: Path, encoding: str, newline: str, delimiter: str
) -> None:
    lines = [HEADER.replace(",", delimiter)]
    for row in ROWS:
        if delimiter == ";":
            row = row.replace('" $22,050 "', '" $22050 "').replace(",", ";")
            row = row.replace("Müller GmbH; rollout", "Müller GmbH, rollout")
        lines.append(row)
    path = write(tmp_path / "deals.csv", lines, encoding=encoding, newline=newline)
    summary = import_files(sqlite_store, path)
    assert summary.deals_new == 2
    deals = _stored(sqlite_store)
    assert deals["A1"]["name"] == "Müller GmbH, rollout"
    assert deals["A1"]["owner"] == "Zoë"
    assert deals["A1"]["amount"] == 22050.0
    assert deals["A1"]["margin"] == pytest.approx(0.35)
    assert deals["A1"]["budget"] == "confirmed"
    assert deals["A1"]["attributes"] == '{"industry":"Retail"}'
    assert str(deals["A1"]["created_at"]) == "2017-05-26 00:00:00"
    assert deals["A2"]["name"] == "Two-line\nname"
    assert deals["A2"]["amount"] == 0.0


def test_european_decimal_commas(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "deals.csv",
        ["deal_id;amount;created_at;stage;margin", "E1;1.234,56;01.02.2026;Demo;0,25"],
    )
    import_files(sqlite_store, path)
    deal = _stored(sqlite_store)["E1"]
    assert (deal["amount"], deal["margin"]) == (1234.56, 0.25)


def test_xlsx(sqlite_store: Store, tmp_path: Path) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["deal_id", "amount", "created_at", "stage", "region"])
    sheet.append(["X1", 1500.5, datetime(2026, 3, 1, 9, 0), "Demo", "North"])
    sheet.append(["X2", 20000, "2026-03-02", "Qualify", None])
    book.save(tmp_path / "deals.xlsx")
    import_files(sqlite_store, tmp_path / "deals.xlsx")
    deals = _stored(sqlite_store)
    assert deals["X1"]["amount"] == 1500.5
    assert str(deals["X1"]["created_at"]) == "2026-03-01 09:00:00"
    assert deals["X2"]["attributes"] == '{"region":null}'


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "B1,100,2026-01-01,,open",
            "row 2, column 'stage': empty; expected a stage (required for open deals)",
        ),
        ("B1,100,someday,Demo,open", "row 2, column 'created_at': 'someday' is not a date"),
        (
            "B1,-5,2026-01-01,Demo,open",
            "row 2, column 'amount': '-5' is not a number 0–1,000,000,000,000",
        ),
        (
            "B1,5,2026-01-01,Demo,maybe",
            "row 2, column 'outcome': 'maybe' is not one of open, won, lost",
        ),
        ("B1,5,2026-01-01,Demo,won", "row 2, column 'closed_at': empty; expected a close date"),
        (",5,2026-01-01,Demo,open", "row 2, column 'deal_id': empty; expected a deal id"),
    ],
)
def test_each_bad_value_is_one_clear_line(
    sqlite_store: Store, tmp_path: Path, row: str, problem: str
) -> None:
    path = write(tmp_path / "deals.csv", ["deal_id,amount,created_at,stage,outcome", row])
    with pytest.raises(ImportFailed) as caught:
        import_files(sqlite_store, path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"deals.csv: {problem}")
    assert list_deals(sqlite_store).height == 0


def test_duplicate_deal_ids_are_refused(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "deals.csv",
        ["deal_id,amount,created_at,stage", "C1,1,2026-01-01,Demo", "C1,2,2026-01-01,Demo"],
    )
    with pytest.raises(ImportFailed, match="row 3, column 'deal_id'"):
        import_files(sqlite_store, path)


def test_missing_required_column_names_it(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "deals.csv", ["deal_id,created_at", "C1,2026-01-01"])
    with pytest.raises(InputError, match="missing required column\\(s\\) 'amount'"):
        import_files(sqlite_store, path, format="generic")


def test_unreadable_csv_is_refused_whole(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "deals.csv", ["deal_id,amount,created_at", "C1,1,2026-01-01,extra,cells"]
    )
    with pytest.raises(InputError, match=r"deals\.csv: cannot be read as CSV"):
        import_files(sqlite_store, path)


def test_activities_for_unknown_deals_are_refused(sqlite_store: Store, tmp_path: Path) -> None:
    deals = write(
        tmp_path / "deals.csv", ["deal_id,amount,created_at,stage", "C1,1,2026-01-01,Demo"]
    )
    acts = write(
        tmp_path / "acts.csv", ["deal_id,at,kind", "C1,2026-01-02,call", "ZZ,2026-01-02,call"]
    )
    with pytest.raises(ImportFailed, match=r"acts\.csv: row 3, column .deal_id.: .ZZ."):
        import_files(sqlite_store, deals, acts)
    assert list_deals(sqlite_store).height == 0


def test_activities_can_follow_later_for_stored_deals(sqlite_store: Store, tmp_path: Path) -> None:
    deals = write(
        tmp_path / "deals.csv", ["deal_id,amount,created_at,stage", "C1,1,2026-01-01,Demo"]
    )
    import_files(sqlite_store, deals)
    acts = write(
        tmp_path / "acts.csv", ["deal_id,at,kind,direction", "C1,2026-01-02,email,INBOUND"]
    )
    summary = import_files(sqlite_store, deals, acts)
    assert summary.activities_new == 1
    with sqlite_store.connect() as conn:
        assert load_activities(conn)["direction"].to_list() == ["inbound"]
    assert pl.Series([summary.deals_unchanged]).item() == 1
