"""Each export is recognised from its deal headers, and by one format only."""

from __future__ import annotations

from pathlib import Path

import pytest

from walkaway.errors import InputError
from walkaway.importers.reading import read_table
from walkaway.importers.registry import FORMATS, detect_format

FIXTURES = Path(__file__).parents[1] / "fixtures"

HEADERS = [
    ("generic", "deal_id,name,stage,amount,created_at,outcome"),
    ("generic", "Deal_ID,Amount,Created_At,Stage,Industry"),
    ("generic", "deal_id,amount,created_at,stage,Opportunity Name,Deal Name,Deal Stage"),
    (
        "salesforce",
        "Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Probability (%),"
        "Close Date,Created Date,Type,Lead Source,Opportunity ID (18 Digit)",
    ),
    ("salesforce", "Opportunity ID,Opportunity Name,Stage,Amount,Close Date"),
    ("salesforce", "ID,NAME,STAGENAME,AMOUNT,CLOSEDATE,CREATEDDATE,ISWON,ISCLOSED"),
    (
        "hubspot",
        "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Pipeline",
    ),
    ("hubspot", "Deal ID,Deal Name,Deal Stage,Amount,Create Date"),
    (
        "pipedrive",
        "Deal - ID,Deal - Title,Deal - Organization,Deal - Owner,Deal - Stage,Deal - Value,"
        "Deal - Currency,Deal - Status,Deal - Deal created,Deal - Won time",
    ),
    (
        "pipedrive",
        "ID,Title,Organization,Owner,Stage,Value,Currency,Status,Deal created,Won time",
    ),
    (
        "maven",
        "opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value",
    ),
]


@pytest.mark.parametrize(("expected", "header"), HEADERS)
def test_one_format_claims_each_export(expected: str, header: str) -> None:
    headers = header.split(",")
    claimed = {name for name, f in FORMATS.items() if f.detect(headers) > 0}
    assert claimed == {expected}
    assert detect_format(headers, "deals.csv").name == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (FIXTURES / "salesforce" / "opportunities.csv", "salesforce"),
        (FIXTURES / "hubspot" / "deals.csv", "hubspot"),
        (FIXTURES / "pipedrive" / "deals.csv", "pipedrive"),
    ],
)
def test_fixture_files_are_recognised(path: Path, expected: str) -> None:
    table = read_table(path)
    assert detect_format(table.headers, table.label).name == expected


@pytest.mark.parametrize(
    "header",
    [
        "First Name,Last Name,Email",
        "Opportunity Name,Amount",  # Salesforce-like, but no stage
        "Deal Name,Amount,Close Date",  # HubSpot-like, but no stage
        "Title,Value",  # Pipedrive-like, but no status
    ],
)
def test_unknown_exports_are_refused(header: str) -> None:
    with pytest.raises(InputError, match="cannot tell which export"):
        detect_format(header.split(","), "deals.csv")
