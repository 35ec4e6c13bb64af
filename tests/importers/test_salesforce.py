"""Salesforce exports as people get them: report CSVs with a BOM, CRLF, US dates,
money with symbols and codes, a report footer, 15- and 18-digit ids."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.csvfiles import write
from walkaway.errors import ImportFailed, InputError
from walkaway.importers.salesforce import long_ids
from walkaway.service import import_files, list_deals
from walkaway.store import Store
from walkaway.store.frames import load_activities

FIXTURES = Path(__file__).parents[1] / "fixtures" / "salesforce"
DEALS = FIXTURES / "opportunities.csv"
WON, LOST_NO_DECISION, LOST_PRICE = "0061U00000AbCdEQAV", "0061U00000XyZ12QAF", "0061U00000QrStUQAV"
OPEN_BIG, OPEN_NEW = "0061U00000mNoPqQAK", "0061U00000GhIjKQAV"


def _deals(store: Store) -> dict[str, dict[str, object]]:
    return {row["deal_id"]: row for row in list_deals(store).to_dicts()}


def _activities(store: Store) -> list[tuple[object, ...]]:
    with store.connect() as conn:
        frame = load_activities(conn)
    columns = ["deal_id", "at", "kind", "direction", "status", "hours", "stage"]
    return [
        tuple(row) for row in frame.select(columns).with_columns(pl.col("hours").round(4)).rows()
    ]


def test_fixtures_are_as_exported() -> None:
    for name in ("opportunities.csv", "opportunity_history.csv", "tasks.csv", "events.csv"):
        data = (FIXTURES / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), f"{name} lost its BOM"
        assert b"\r\n" in data, f"{name} lost its CRLF line endings"


@pytest.mark.parametrize(
    ("deal_id", "expected"),
    [
        (
            WON,
            {
                "outcome": "won",
                "amount": 22050.0,
                "currency": "USD",
                "stage": "Closed Won - Paid",
                "created_at": datetime(2017, 2, 1),
                "closed_at": datetime(2017, 5, 26),
                "expected_close": None,
                "account": "Müller Logistik GmbH",
                "owner": "Dana Whitfield",
            },
        ),
        (
            LOST_NO_DECISION,
            {
                "outcome": "lost",
                "amount": 1200.0,
                "currency": "USD",
                "loss_reason": "no decision",
                "closed_at": datetime(2017, 4, 12),
            },
        ),
        (LOST_PRICE, {"outcome": "lost", "amount": 8400.0, "loss_reason": "Price"}),
        (
            OPEN_BIG,
            {
                "outcome": "open",
                "amount": 48000.0,
                "stage": "Negotiation/Review",
                "closed_at": None,
                "expected_close": date(2017, 8, 15),
                "manual_probability": None,
            },
        ),
        (OPEN_NEW, {"outcome": "open", "amount": 0.0, "expected_close": date(2017, 10, 31)}),
    ],
)
def test_opportunity_report(sqlite_store: Store, deal_id: str, expected: dict[str, object]) -> None:
    summary = import_files(sqlite_store, DEALS)
    assert (summary.format, summary.deals_new) == ("salesforce", 5)  # the footer is no deal
    deal = _deals(sqlite_store)[deal_id]
    assert {key: deal[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("deal_id", "crm_probability"), [(WON, "1.0"), (LOST_PRICE, "0.0"), (OPEN_BIG, "0.9")]
)
def test_stage_probability_is_an_attribute(
    sqlite_store: Store, deal_id: str, crm_probability: str
) -> None:
    import_files(sqlite_store, DEALS)
    attributes = json.loads(str(_deals(sqlite_store)[deal_id]["attributes"]))
    assert attributes["crm_probability"] == crm_probability
    assert "probability" not in attributes and "opportunity_id" not in attributes


def test_other_columns_become_attributes(sqlite_store: Store) -> None:
    import_files(sqlite_store, DEALS)
    attributes = json.loads(str(_deals(sqlite_store)[OPEN_BIG]["attributes"]))
    assert attributes["lead_source"] == "Outbound"
    assert attributes["forecast_category"] == "Commit"
    assert attributes["fiscal_period"] == "Q3-2017"
    assert attributes["next_step"] == "Call CFO Monday\nsend revised order form"


@pytest.mark.parametrize(
    ("activities", "expected"),
    [
        (
            "opportunity_history.csv",  # 15-digit ids, an amount-only edit, rows out of order
            [
                (
                    WON,
                    datetime(2017, 2, 1, 9, 5),
                    "stage_change",
                    None,
                    "done",
                    None,
                    "Qualification",
                ),
                (
                    WON,
                    datetime(2017, 3, 14, 14, 30),
                    "stage_change",
                    None,
                    "done",
                    None,
                    "Proposal/Price Quote",
                ),
                (
                    WON,
                    datetime(2017, 5, 26, 16, 45),
                    "stage_change",
                    None,
                    "done",
                    None,
                    "Closed Won - Paid",
                ),
                (
                    OPEN_BIG,
                    datetime(2017, 3, 2, 8, 0),
                    "stage_change",
                    None,
                    "done",
                    None,
                    "Needs Analysis",
                ),
                (
                    OPEN_BIG,
                    datetime(2017, 6, 1, 10, 0),
                    "stage_change",
                    None,
                    "done",
                    None,
                    "Negotiation/Review",
                ),
            ],
        ),
        (
            "tasks.csv",  # the Not Started task and the account's call are skipped
            [
                (OPEN_BIG, datetime(2017, 6, 2), "email", "outbound", "done", None, None),
                (OPEN_BIG, datetime(2017, 6, 5), "email", "inbound", "done", None, None),
                (OPEN_BIG, datetime(2017, 6, 7), "call", "inbound", "done", 0.25, None),
                (OPEN_BIG, datetime(2017, 6, 9), "call", "outbound", "done", 0.0833, None),
            ],
        ),
        (
            "events.csv",
            [
                (WON, datetime(2017, 2, 3, 10), "meeting", None, "done", 1.0, None),
                (WON, datetime(2017, 2, 20, 14), "demo", None, "done", 1.5, None),
                (WON, datetime(2017, 3, 10, 9), "meeting", None, "cancelled", 0.5, None),
            ],
        ),
    ],
)
def test_activity_exports(
    sqlite_store: Store, activities: str, expected: list[tuple[object, ...]]
) -> None:
    summary = import_files(sqlite_store, DEALS, FIXTURES / activities)
    assert summary.activities_new == len(expected)
    assert _activities(sqlite_store) == expected


def test_reimport_changes_nothing(sqlite_store: Store) -> None:
    import_files(sqlite_store, DEALS, FIXTURES / "tasks.csv")
    again = import_files(sqlite_store, DEALS, FIXTURES / "tasks.csv")
    assert (again.deals_unchanged, again.activities_new, again.activities_unchanged) == (5, 0, 4)


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("001A0000006Vm9r", "001A0000006Vm9rIAC"),
        ("0061U00000AbCdE", "0061U00000AbCdEQAV"),
        ("0061U00000AbCdEQAV", "0061U00000AbCdEQAV"),
        ("OPP-17", "OPP-17"),
    ],
)
def test_long_ids(short: str, long: str) -> None:
    frame = pl.DataFrame({"id": [short]}).select(long_ids(pl.col("id")))
    assert frame.item() == long


HEADER = '"Opportunity ID","Opportunity Name","Stage","Amount","Close Date","Created Date"'
GOOD = {
    "Opportunity ID": "0061U00000AbCdE",
    "Opportunity Name": "Acme",
    "Stage": "Closed Won",
    "Amount": "$1,000.00",
    "Close Date": "5/26/17",
    "Created Date": "2/13/17",  # with a day past 12, so that each date column reads month first
}


@pytest.mark.parametrize(
    ("column", "bad", "expected"),
    [
        ("Amount", "lots", "a number 0–1,000,000,000,000"),
        ("Close Date", "31/31/17", "a date"),
        ("Created Date", "yesterday", "a date"),
    ],
)
def test_a_bad_value_is_one_problem_under_its_header(
    sqlite_store: Store, tmp_path: Path, column: str, bad: str, expected: str
) -> None:
    row = {**GOOD, column: bad}
    line = ",".join(f'"{value}"' for value in row.values())
    path = write(tmp_path / "report.csv", [HEADER, line], newline="\r\n")
    with pytest.raises(ImportFailed) as failure:
        import_files(sqlite_store, path, format="salesforce")
    assert len(failure.value.problems) == 1
    problem = failure.value.problems[0]
    assert problem.startswith(f"report.csv: row 2, column '{column}': '{bad}' is not {expected}")
    assert _deals(sqlite_store) == {}


def test_a_bad_task_date_names_its_header(sqlite_store: Store, tmp_path: Path) -> None:
    tasks = write(
        tmp_path / "tasks.csv",
        [
            '"Subject","Task Subtype","Date","Status","Related To ID"',
            f'"Email: hello","Email","soon","Completed","{OPEN_BIG}"',
        ],
    )
    with pytest.raises(ImportFailed) as failure:
        import_files(sqlite_store, DEALS, tasks)
    assert failure.value.problems == [
        "tasks.csv: row 2, column 'Date': 'soon' is not a date-time (ISO 8601)"
        " between 1980-01-01 and 2100-12-31"
    ]


def test_an_unknown_activities_export_is_refused(sqlite_store: Store, tmp_path: Path) -> None:
    other = write(tmp_path / "contacts.csv", ["First Name,Last Name", "Ada,Lovelace"])
    with pytest.raises(InputError, match="not a Salesforce activities export"):
        import_files(sqlite_store, DEALS, other)
