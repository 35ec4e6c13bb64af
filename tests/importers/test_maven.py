"""The Maven "CRM Sales Opportunities" data set, and the rules for what it lacks."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from tests.csvfiles import write
from walkaway.errors import ImportFailed, InputError
from walkaway.service import import_files, list_deals
from walkaway.store import Store

HEADER = "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value"
ROWS = [
    "1C1I7A6R,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054",
    "ZNBS69V1,Anna Snelling,MG Special,Ron-tech,Lost,2016-10-29,2017-03-18,0",
    "HAXMC4IX,James Ascencio,MG Advanced,,Engaging,2016-11-03,,",
    "6KPWDVRQ,Anna Snelling,GTXPro,,Prospecting,,,",
]


@pytest.fixture
def maven(shared_data: Path) -> Path:
    folder = shared_data / "maven-crm"
    if not (folder / "sales_pipeline.csv").is_file():
        pytest.skip(f"{folder} has no sales_pipeline.csv")
    return folder


def _deals(store: Store) -> pl.DataFrame:
    return list_deals(store)


def test_whole_data_set(sqlite_store: Store, maven: Path) -> None:
    summary = import_files(sqlite_store, maven / "sales_pipeline.csv")
    assert (summary.format, summary.deals_new) == ("maven", 8800)
    deals = _deals(sqlite_store)
    counts = dict(deals.group_by("outcome").len().rows())
    assert counts == {"won": 4238, "lost": 2473, "open": 2089}
    assert deals.filter(pl.col("outcome") != "open")["closed_at"].null_count() == 0
    assert deals["created_at"].null_count() == 0


@pytest.mark.parametrize(
    ("deal_id", "expected", "attributes"),
    [
        (
            "Z063OYW0",  # GTXPro in the pipeline is "GTX Pro" in products.csv
            {
                "outcome": "won",
                "amount": 4821.0,
                "owner": "Darcel Schlecht",
                "name": "Isdom – GTXPro",
                "closed_at": datetime(2017, 3, 11),
            },
            {
                "close_value": "4514",
                "series": "GTX",
                "sector": "medical",
                "manager": "Melvin Marxen",
                "regional_office": "Central",
                "amount_estimated": "false",
                "created_at_estimated": "false",
            },
        ),
        (
            "HAXMC4IX",  # open, no account
            {
                "outcome": "open",
                "amount": 3393.0,
                "account": None,
                "name": "MG Advanced",
                "created_at": datetime(2016, 11, 3),
                "closed_at": None,
            },
            {"close_value": None, "sector": None, "manager": "Summer Sewald"},
        ),
    ],
)
def test_deals_are_joined_with_their_siblings(
    sqlite_store: Store,
    maven: Path,
    deal_id: str,
    expected: dict[str, object],
    attributes: dict[str, object],
) -> None:
    import_files(sqlite_store, maven / "sales_pipeline.csv")
    deal = _deals(sqlite_store).filter(pl.col("deal_id") == deal_id).to_dicts()[0]
    assert {key: deal[key] for key in expected} == expected
    stored = json.loads(deal["attributes"])
    assert {key: stored[key] for key in attributes} == attributes


def test_lost_deals_keep_what_was_at_stake(sqlite_store: Store, maven: Path) -> None:
    import_files(sqlite_store, maven / "sales_pipeline.csv")
    lost = _deals(sqlite_store).filter(pl.col("outcome") == "lost")
    assert lost["amount"].min() > 0  # close_value is 0 for every lost deal


def test_prospects_get_the_snapshot_day(sqlite_store: Store, maven: Path) -> None:
    import_files(sqlite_store, maven / "sales_pipeline.csv")
    prospects = _deals(sqlite_store).filter(pl.col("stage") == "Prospecting")
    assert prospects.height == 500
    assert set(prospects["created_at"]) == {datetime(2017, 12, 31)}
    flags = {json.loads(a)["created_at_estimated"] for a in prospects["attributes"]}
    assert flags == {"true"}


def test_without_siblings(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "sales_pipeline.csv", [HEADER, *ROWS], newline="\r\n")
    import_files(sqlite_store, path)
    deals = {d["deal_id"]: d for d in _deals(sqlite_store).to_dicts()}
    assert (deals["1C1I7A6R"]["amount"], deals["ZNBS69V1"]["amount"]) == (1054.0, 0.0)
    assert deals["HAXMC4IX"]["amount"] == 0.0
    assert json.loads(deals["HAXMC4IX"]["attributes"])["amount_estimated"] == "true"
    assert json.loads(deals["1C1I7A6R"]["attributes"])["amount_estimated"] == "false"
    # The prospect without an engage date gets the last date the file mentions.
    assert deals["6KPWDVRQ"]["created_at"] == datetime(2017, 3, 18)


def test_a_products_file_beside_it_is_used(sqlite_store: Store, tmp_path: Path) -> None:
    write(tmp_path / "sales_pipeline.csv", [HEADER, *ROWS])
    write(tmp_path / "products.csv", ["product,series,sales_price", "GTX Pro,GTX,4821"])
    import_files(sqlite_store, tmp_path / "sales_pipeline.csv")
    deals = {d["deal_id"]: d for d in _deals(sqlite_store).to_dicts()}
    assert deals["6KPWDVRQ"]["amount"] == 4821.0
    assert deals["1C1I7A6R"]["amount"] == 1054.0  # not in products.csv: close_value


def test_there_are_no_activities(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "sales_pipeline.csv", [HEADER, *ROWS])
    with pytest.raises(InputError, match="no activities"):
        import_files(sqlite_store, path, path)


def test_a_bad_date_is_one_problem_under_its_header(sqlite_store: Store, tmp_path: Path) -> None:
    bad = ROWS[0].replace("2016-10-20", "20th Oct")
    path = write(tmp_path / "sales_pipeline.csv", [HEADER, bad, *ROWS[1:]])
    with pytest.raises(ImportFailed) as failure:
        import_files(sqlite_store, path)
    assert len(failure.value.problems) == 1
    assert failure.value.problems[0].startswith(
        "sales_pipeline.csv: row 2, column 'engage_date': '20th Oct' is not a date"
    )


def test_copied_folder_behaves_like_the_original(
    sqlite_store: Store, maven: Path, tmp_path: Path
) -> None:
    for name in ("sales_pipeline.csv", "products.csv"):
        shutil.copy(maven / name, tmp_path / name)
    import_files(sqlite_store, tmp_path / "sales_pipeline.csv")
    deal = _deals(sqlite_store).filter(pl.col("deal_id") == "Z063OYW0").to_dicts()[0]
    assert deal["amount"] == 4821.0
    assert json.loads(deal["attributes"])["sector"] is None  # no accounts.csv copied


def test_the_data_dictionarys_currency_is_every_deals(sqlite_store: Store, tmp_path: Path) -> None:
    write(tmp_path / "sales_pipeline.csv", [HEADER, *ROWS])
    write(
        tmp_path / "data_dictionary.csv",
        ["Table,Field,Description", "accounts,revenue,Annual revenue (in millions of USD)"],
    )
    import_files(sqlite_store, tmp_path / "sales_pipeline.csv")
    assert set(_deals(sqlite_store)["currency"]) == {"USD"}


def test_without_a_data_dictionary_the_policys_currency(
    sqlite_store: Store, tmp_path: Path
) -> None:
    write(tmp_path / "sales_pipeline.csv", [HEADER, *ROWS])
    import_files(sqlite_store, tmp_path / "sales_pipeline.csv")
    assert set(_deals(sqlite_store)["currency"]) == {"EUR"}
