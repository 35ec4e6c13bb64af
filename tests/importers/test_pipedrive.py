"""Pipedrive exports: XLSX with real date, time and number cells, and the CSV
variant without the ``Deal - `` prefix."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.csvfiles import write
from walkaway.errors import ImportFailed
from walkaway.service import import_files, list_deals
from walkaway.store import Store
from walkaway.store.frames import load_activities

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pipedrive"

DEAL_HEADERS = [
    "Deal - ID",
    "Deal - Title",
    "Deal - Organization",
    "Deal - Owner",
    "Deal - Stage",
    "Deal - Value",
    "Deal - Currency",
    "Deal - Status",
    "Deal - Deal created",
    "Deal - Won time",
    "Deal - Lost time",
    "Deal - Expected close date",
    "Deal - Lost reason",
    "Deal - Probability",
    "Deal - Pipeline",
    "Deal - Weighted value",
]
DEAL_ROWS: list[list[object]] = [
    [
        11,
        "Acme rollout",
        "Acme AG",
        "Mia Becker",
        "Negotiations Started",
        15000.5,
        "EUR",
        "won",
        datetime(2024, 1, 10, 9, 30),
        datetime(2024, 3, 1, 16),
        None,
        date(2024, 3, 15),
        None,
        100,
        "Sales",
        15000.5,
    ],
    [
        12,
        "Globex pilot",
        "Globex Inc",
        "Jonas Lind",
        "Proposal Made",
        4200,
        "USD",
        "lost",
        datetime(2024, 1, 12, 8),
        None,
        datetime(2024, 2, 20, 11),
        None,
        "Went with competitor",
        40,
        "Sales",
        1680,
    ],
    [
        13,
        "Initech expansion",
        "Initech",
        "Mia Becker",
        "Demo Scheduled",
        9800,
        "EUR",
        "open",
        datetime(2024, 2, 1, 13, 15),
        None,
        None,
        date(2024, 6, 30),
        None,
        50,
        "Sales",
        4900,
    ],
    [
        14,
        "Initech expansion (dupe)",
        "Initech",
        "Mia Becker",
        "Demo Scheduled",
        9800,
        "EUR",
        "deleted",
        datetime(2024, 2, 2, 9),
        None,
        None,
        None,
        None,
        None,
        "Sales",
        None,
    ],
]
ACTIVITY_HEADERS = [
    "Activity - Deal ID",
    "Activity - Type",
    "Activity - Due date",
    "Activity - Due time",
    "Activity - Done",
    "Activity - Duration",
    "Activity - Subject",
    "Activity - Assigned to user",
    "Activity - Note",
]
ACTIVITY_ROWS: list[list[object]] = [
    [13, "call", date(2024, 4, 2), time(10, 0), "Done", "00:15", "Intro call", "Mia Becker", None],
    [
        13,
        "meeting",
        date(2024, 4, 5),
        time(14, 0),
        "Done",
        time(1, 30),
        "Demo prep",
        "Mia Becker",
        "Agenda:\n1. data\n2. pricing",
    ],
    [13, "email", date(2024, 4, 8), None, "Done", None, "RE: revised proposal", "Mia Becker", None],
    [
        13,
        "lunch",
        date(2024, 4, 9),
        time(12, 30),
        "Done",
        "01:00",
        "Lunch with CFO",
        "Mia Becker",
        None,
    ],
    [13, "task", date(2024, 4, 20), None, "To do", None, "Send contract", "Mia Becker", None],
    [
        11,
        "deadline",
        date(2024, 2, 28),
        time(17, 0),
        "Done",
        None,
        "Signature due",
        "Mia Becker",
        None,
    ],
    [None, "call", date(2024, 4, 3), time(9, 0), "Done", "00:10", "Cold call", "Mia Becker", None],
]


def _xlsx(path: Path, headers: list[str], rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _deals(store: Store) -> dict[str, dict[str, object]]:
    return {row["deal_id"]: row for row in list_deals(store).to_dicts()}


@pytest.fixture
def deals_xlsx(tmp_path: Path) -> Path:
    return _xlsx(tmp_path / "deals.xlsx", DEAL_HEADERS, DEAL_ROWS)


@pytest.mark.parametrize(
    ("deal_id", "expected"),
    [
        (
            "11",
            {
                "name": "Acme rollout",
                "account": "Acme AG",
                "owner": "Mia Becker",
                "outcome": "won",
                "amount": 15000.5,
                "currency": "EUR",
                "created_at": datetime(2024, 1, 10, 9, 30),
                "closed_at": datetime(2024, 3, 1, 16),
                "expected_close": date(2024, 3, 15),
            },
        ),
        (
            "12",
            {
                "outcome": "lost",
                "currency": "USD",
                "closed_at": datetime(2024, 2, 20, 11),
                "loss_reason": "Went with competitor",
            },
        ),
        ("13", {"outcome": "open", "stage": "Demo Scheduled", "closed_at": None}),
    ],
)
def test_deals_xlsx(
    sqlite_store: Store, deals_xlsx: Path, deal_id: str, expected: dict[str, object]
) -> None:
    summary = import_files(sqlite_store, deals_xlsx)
    assert summary.format == "pipedrive"
    deals = _deals(sqlite_store)
    assert sorted(deals) == ["11", "12", "13"]  # the deleted deal is not imported
    assert {key: deals[deal_id][key] for key in expected} == expected


def test_attributes_lose_the_prefix(sqlite_store: Store, deals_xlsx: Path) -> None:
    import_files(sqlite_store, deals_xlsx)
    attributes = json.loads(str(_deals(sqlite_store)["13"]["attributes"]))
    assert attributes == {"pipeline": "Sales", "weighted_value": "4900", "crm_probability": "0.5"}


def test_activities_xlsx(sqlite_store: Store, deals_xlsx: Path, tmp_path: Path) -> None:
    activities = _xlsx(tmp_path / "activities.xlsx", ACTIVITY_HEADERS, ACTIVITY_ROWS)
    summary = import_files(sqlite_store, deals_xlsx, activities)
    assert summary.activities_new == 5  # not the one still to do, not the one on no deal
    with sqlite_store.connect() as conn:
        stored = load_activities(conn)
    columns = ["deal_id", "at", "kind", "direction", "hours", "detail", "actor"]
    assert stored.select(columns).rows() == [
        ("11", datetime(2024, 2, 28, 17), "other", None, None, "Signature due", "Mia Becker"),
        ("13", datetime(2024, 4, 2, 10), "call", "outbound", 0.25, "Intro call", "Mia Becker"),
        ("13", datetime(2024, 4, 5, 14), "meeting", None, 1.5, "Demo prep", "Mia Becker"),
        (
            "13",
            datetime(2024, 4, 8),
            "email",
            "inbound",
            None,
            "RE: revised proposal",
            "Mia Becker",
        ),
        ("13", datetime(2024, 4, 9, 12, 30), "meeting", None, 1.0, "Lunch with CFO", "Mia Becker"),
    ]


@pytest.mark.parametrize(
    ("deal_id", "expected"),
    [
        (
            "201",
            {"outcome": "won", "amount": 18250.0, "closed_at": datetime(2024, 2, 27, 15, 3, 10)},
        ),
        ("202", {"outcome": "lost", "amount": 3500.0, "loss_reason": "Went with competitor"}),
        ("203", {"outcome": "open", "currency": "NOK", "expected_close": date(2024, 6, 30)}),
    ],
)
def test_csv_without_prefix(sqlite_store: Store, deal_id: str, expected: dict[str, object]) -> None:
    summary = import_files(sqlite_store, FIXTURES / "deals.csv")
    assert (summary.format, summary.deals_new) == ("pipedrive", 3)
    deal = _deals(sqlite_store)[deal_id]
    assert {key: deal[key] for key in expected} == expected


def test_quoted_newline_in_notes(sqlite_store: Store) -> None:
    import_files(sqlite_store, FIXTURES / "deals.csv")
    attributes = json.loads(str(_deals(sqlite_store)["202"]["attributes"]))
    assert attributes["notes"] == "Competitor cheaper;\nasked for 20% off"
    assert attributes["crm_probability"] == "0.4"


def test_a_bad_value_is_one_problem_under_its_header(sqlite_store: Store, tmp_path: Path) -> None:
    rows = [[*row] for row in DEAL_ROWS[:2]]
    rows[1][5] = "n/a"
    path = write(
        tmp_path / "deals.csv",
        [",".join(DEAL_HEADERS)]
        + [",".join("" if cell is None else str(cell) for cell in row) for row in rows],
    )
    with pytest.raises(ImportFailed) as failure:
        import_files(sqlite_store, path)
    assert failure.value.problems == [
        "deals.csv: row 3, column 'Deal - Value': 'n/a' is not a number 0–1,000,000,000,000"
    ]


def test_hours_read_from_clock_text(sqlite_store: Store, deals_xlsx: Path, tmp_path: Path) -> None:
    activities = write(
        tmp_path / "activities.csv",
        [
            "Deal ID,Type,Due date,Due time,Done,Duration,Subject",
            "13,meeting,2024-04-05,14:00,1,02:45,Workshop",
        ],
    )
    import_files(sqlite_store, deals_xlsx, activities)
    with sqlite_store.connect() as conn:
        hours = load_activities(conn)["hours"]
    assert hours.to_list() == [2.75]
