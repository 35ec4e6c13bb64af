"""HubSpot exports as European teams get them: semicolons, decimal commas,
Windows-1252, accented names; and the engagements export."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.csvfiles import write
from walkaway.errors import ImportFailed
from walkaway.service import import_files, list_deals
from walkaway.store import Store
from walkaway.store.frames import load_activities

FIXTURES = Path(__file__).parents[1] / "fixtures" / "hubspot"
DEALS, ACTIVITIES = FIXTURES / "deals.csv", FIXTURES / "activities.csv"


def _deals(store: Store) -> dict[str, dict[str, object]]:
    return {row["deal_id"]: row for row in list_deals(store).to_dicts()}


def test_fixture_is_as_exported() -> None:
    data = DEALS.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # Windows-1252, as Excel saves it
    assert data.decode("cp1252").splitlines()[0].count(";") == 14


@pytest.mark.parametrize(
    ("deal_id", "expected"),
    [
        (
            "1001",
            {
                "name": "Café Crème – Expansion",
                "account": "Café Crème SARL",
                "owner": "Élodie Martin",
                "outcome": "won",
                "amount": 12500.5,
                "created_at": datetime(2023, 1, 9, 10, 12),
                "closed_at": datetime(2023, 3, 14),
                "expected_close": None,
            },
        ),
        (
            "1002",
            {"outcome": "lost", "amount": 8000.0, "loss_reason": "Budget frozen"},
        ),
        ("1003", {"stage": "closedwon", "outcome": "won", "amount": 3200.0}),
        (
            "1004",
            {
                "outcome": "open",
                "amount": 45000.75,
                "stage": "Contract sent",
                "closed_at": None,
                "expected_close": date(2023, 6, 30),
            },
        ),
        ("1005", {"outcome": "open", "amount": 1234.56, "account": "Größe & Co KG"}),
    ],
)
def test_deals_export(sqlite_store: Store, deal_id: str, expected: dict[str, object]) -> None:
    summary = import_files(sqlite_store, DEALS)
    assert (summary.format, summary.deals_new) == ("hubspot", 5)
    deal = _deals(sqlite_store)[deal_id]
    assert {key: deal[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("deal_id", "key", "value"),
    [
        ("1004", "crm_probability", "0.9"),  # 0,9
        ("1005", "crm_probability", "0.2"),  # 20%
        ("1001", "crm_probability", "1.0"),
        ("1004", "pipeline", "Sales Pipeline"),
        ("1004", "number_of_times_contacted", "9"),
        ("1004", "deal_description", "Legal review pending;\nCFO wants 10% off"),
    ],
)
def test_deal_attributes(sqlite_store: Store, deal_id: str, key: str, value: str) -> None:
    import_files(sqlite_store, DEALS)
    assert json.loads(str(_deals(sqlite_store)[deal_id]["attributes"]))[key] == value


ENGAGEMENTS = [
    (
        "1004",
        datetime(2023, 5, 8, 9, 15),
        "email",
        "outbound",
        "done",
        None,
        "Proposal attached",
    ),
    (
        "1004",
        datetime(2023, 5, 9, 17, 40),
        "email",
        "inbound",
        "done",
        None,
        "RE: Proposal attached",
    ),
    ("1004", datetime(2023, 5, 10, 10), "call", "inbound", "done", 0.0917, "Call from Claire"),
    ("1004", datetime(2023, 5, 19, 14), "meeting", None, "done", None, "Joint workshop"),
    (
        "1004",
        datetime(2023, 5, 20, 8),
        "note",
        "internal",
        "done",
        None,
        "Champion left;\nnew contact is Marc",
    ),
    ("1005", datetime(2023, 5, 12, 14), "meeting", None, "no_show", None, "Discovery call"),
    ("1005", datetime(2023, 5, 15, 14), "meeting", None, "rescheduled", None, "Discovery call"),
    ("1005", datetime(2023, 5, 19, 14), "meeting", None, "done", None, "Joint workshop"),
]


def test_engagements(sqlite_store: Store) -> None:
    summary = import_files(sqlite_store, DEALS, ACTIVITIES)
    # 9 rows: the task not started and the email on no deal are skipped; the workshop
    # on two deals counts for each.
    assert summary.activities_new == 8
    with sqlite_store.connect() as conn:
        frame = load_activities(conn)
    columns = ["deal_id", "at", "kind", "direction", "status", "hours", "detail"]
    rows = frame.select(columns).with_columns(pl.col("hours").round(4)).rows()
    assert rows == ENGAGEMENTS


@pytest.mark.parametrize(
    ("header", "duration", "hours"),
    [
        ("Duration", "5400000", 1.5),  # milliseconds, HubSpot's unit
        ("Call duration (seconds)", "1800", 0.5),
        ("Duration (minutes)", "45", 0.75),
        ("Duration", "05:30", 0.0917),  # minutes:seconds
    ],
)
def test_durations(
    sqlite_store: Store, tmp_path: Path, header: str, duration: str, hours: float
) -> None:
    activities = write(
        tmp_path / "calls.csv",
        [f"Activity date,Activity type,Deal ID,{header}", f"2023-05-10 10:00,CALL,1004,{duration}"],
    )
    import_files(sqlite_store, DEALS, activities)
    with sqlite_store.connect() as conn:
        stored = load_activities(conn)
    assert stored["hours"].round(4).to_list() == [hours]
    assert stored["direction"].to_list() == ["outbound"]


@pytest.mark.parametrize(
    ("associated", "deal_ids"),
    [("Société Nord – Platform (1004)", ["1004"]), ("1004; 1005", ["1004", "1005"])],
)
def test_associated_deal_forms(
    sqlite_store: Store, tmp_path: Path, associated: str, deal_ids: list[str]
) -> None:
    activities = write(
        tmp_path / "emails.csv",
        [
            "Timestamp;Engagement type;Associated Deal;Subject",
            f'2023-05-10 10:00;INCOMING_EMAIL;"{associated}";Re: pricing',
        ],
    )
    import_files(sqlite_store, DEALS, activities)
    with sqlite_store.connect() as conn:
        stored = load_activities(conn)
    assert stored["deal_id"].to_list() == deal_ids
    assert set(stored["direction"]) == {"inbound"}


def test_a_bad_amount_is_one_problem_under_its_header(sqlite_store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "hubspot.csv",
        [
            "Record ID;Deal Name;Deal Stage;Amount;Create Date;Close Date",
            "7;Acme;Closed won;12,5x;2023-01-09 10:12;14.03.2023",
        ],
        encoding="cp1252",
    )
    with pytest.raises(ImportFailed) as failure:
        import_files(sqlite_store, path)
    assert failure.value.problems == [
        "hubspot.csv: row 2, column 'Amount': '12,5x' is not a number 0–1,000,000,000,000"
    ]
