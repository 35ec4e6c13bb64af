"""Each deal's currency comes from the data: a currency column (code or symbol), the
amount's own code or symbol, the one currency the rest of the file names; the policy's
only when the file names none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.csvfiles import write
from walkaway.errors import ImportFailed
from walkaway.service import import_files, list_deals, save_policy
from walkaway.store import Store

HEADER = "deal_id,stage,amount,created_at,currency"


def _currencies(store: Store, path: Path) -> dict[str, str]:
    import_files(store, path)
    return dict(list_deals(store).select("deal_id", "currency").iter_rows())


def test_a_symbol_on_some_amounts_names_the_files_currency(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "deals.csv",
        [
            "deal_id,stage,amount,created_at",
            'A1,Demo,"$1,200",2026-01-05',
            "A2,Demo,900,2026-01-06",
        ],
    )
    assert _currencies(sqlite_store, path) == {"A1": "USD", "A2": "USD"}


@pytest.mark.parametrize(
    ("cell", "amount", "expected"),
    [
        ("usd", "100", "USD"),
        ("€", "100", "EUR"),
        ("£", "100", "GBP"),
        ("CA$", "100", "CAD"),
        ("", "SEK 100", "SEK"),
        ("", "100 NOK", "NOK"),
        ("", "£100", "GBP"),
    ],
)
def test_a_currency_column_or_the_amount_says_which(
    sqlite_store: Store, tmp_path: Path, cell: str, amount: str, expected: str
) -> None:
    path = write(tmp_path / "deals.csv", [HEADER, f'A1,Demo,"{amount}",2026-01-05,{cell}'])
    assert _currencies(sqlite_store, path) == {"A1": expected}


def test_a_file_that_names_none_takes_the_policys_currency(
    sqlite_store: Store, tmp_path: Path
) -> None:
    save_policy(sqlite_store, 'currency = "GBP"\n')
    path = write(tmp_path / "deals.csv", [HEADER, "A1,Demo,100,2026-01-05,"])
    assert _currencies(sqlite_store, path) == {"A1": "GBP"}


def test_a_file_naming_two_leaves_the_rest_to_the_policy(
    sqlite_store: Store, tmp_path: Path
) -> None:
    rows = ["A1,Demo,100,2026-01-05,USD", "A2,Demo,100,2026-01-05,EUR", "A3,Demo,100,2026-01-05,"]
    path = write(tmp_path / "deals.csv", [HEADER, *rows])
    assert _currencies(sqlite_store, path) == {"A1": "USD", "A2": "EUR", "A3": "EUR"}


def test_a_currency_that_is_neither_code_nor_symbol_is_refused(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = write(tmp_path / "deals.csv", [HEADER, "A1,Demo,100,2026-01-05,dollars"])
    with pytest.raises(ImportFailed) as failed:
        import_files(sqlite_store, path)
    assert "column 'currency': 'dollars'" in str(failed.value)
    assert list_deals(sqlite_store).height == 0
