"""Hostile files, generated: every one lands as it reads or is refused in lines, never a
traceback, never a raw control character on the terminal, never a stored value past
the limits, nothing written on refusal.

Six families, each drawn by Hypothesis from a valid generic export (``exports.py``):
odd encodings (UTF-16/32 with and without BOM, code pages, cut to any length, stray
bytes), malformed workbooks (a cell of any type holding junk), zip bombs (honest or
understating their size), extreme numbers (NaN, infinities, 1e308, 2^63, within and
past each limit), control characters (in headers, cells and the file's name) and title
rows above the header. ``benchmarks/fuzz_import.py`` runs them by the thousand.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.importers.exports import LAYOUTS, rows_of, to_csv, to_xlsx
from tests.importers.hostile_files import bomb, cell_value, with_sheet
from tests.importers.test_fuzzing import Outcome, run_import
from walkaway.importers.validate import BEFORE, EARLIEST, MAX_AMOUNT, MAX_COUNT, MAX_DEAL_HOURS
from walkaway.store.schema import activities, deals
from walkaway.wording import CONTROL_CHARACTERS

GENERIC = LAYOUTS["generic"]
CASES = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ENCODINGS = (
    "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-8-sig", "cp1252",
    "latin-1", "shift_jis", "gb18030", "cp437", "koi8-r", "utf-7",
)  # fmt: skip
EXTREMES = (
    "NaN", "nan", "-NaN", "inf", "-inf", "Infinity", "1e308", "1e309", "-1e308", "1e20",
    "1e19", "9223372036854775807", "9223372036854775808", "18446744073709551616",
    "-9223372036854775809", "1e-320", "-0", "0x10", "1_000", "١٢٣", "１２３", "1e400",
    "99999999999999999999999999999999999999", "4.9e-324", "1,000,000,000,001",
    f"{MAX_AMOUNT}", f"{MAX_AMOUNT + 1}", f"{MAX_COUNT}", f"{MAX_COUNT + 1}",
)  # fmt: skip
NUMERIC_COLUMNS = ("amount", "hours_invested", "custom_requests", "missing_features",
                   "rep_confidence", "margin", "discount_requested")  # fmt: skip
DATES = ("9999-12-31", "0001-01-01", "1979-12-31", "1980-01-01", "2100-12-31", "2101-01-01",
         "275760-09-13", "-0001-01-01", "2026-02-29", "99999", "1e10", "00:00")  # fmt: skip
CELL_TYPES = (b"n", b"s", b"b", b"e", b"str", b"inlineStr", b"d", None)
TITLES = ("Opportunity report \u2013 Q4 2026", "Report,Generated 2026-12-01", ",,,", "\ufeffTitle")
CONTROL_TEXT = st.text(
    alphabet=st.sampled_from([*CONTROL_CHARACTERS, "a", "é", "\u202e", ";", '"', ","]),
    min_size=1,
    max_size=12,
)


def assert_safe(outcome: Outcome, name: str) -> None:
    """Lands, or is refused in lines starting ``error:`` with every table as it was; no
    raw control character on either stream; nothing stored past a limit."""
    assert outcome.exit_code in {0, 2}, outcome.stderr
    for stream in (outcome.stdout, outcome.stderr):
        raw = {c for c in stream if c in CONTROL_CHARACTERS and c != "\n"}
        assert not raw, (raw, stream)
    if outcome.exit_code == 2:
        lines = outcome.stderr.strip().splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), lines
        changed = {t for t in outcome.before if outcome.before[t] != outcome.after.get(t)}
        assert not changed, (changed, lines)
        return
    assert_within_limits(outcome.url)


def assert_within_limits(url: str) -> None:
    engine = sa.create_engine(url)
    d = deals.c
    with engine.connect() as conn:
        past = conn.execute(
            sa.select(sa.func.count()).where(
                (d.amount > MAX_AMOUNT) | (d.amount < 0) | (d.amount != d.amount)
                | (d.hours_invested > MAX_DEAL_HOURS) | (d.custom_requests > MAX_COUNT)
                | (d.created_at < EARLIEST) | (d.created_at >= BEFORE)
            )
        ).scalar_one()  # fmt: skip
        hours = conn.execute(sa.select(sa.func.max(activities.c.hours))).scalar()
    engine.dispose()
    assert past == 0
    assert hours is None or hours <= 1000


def _import(team: Path, name: str, data: bytes, *options: str) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="walkaway-hostile-") as case:
        folder = Path(case)
        export = folder / name
        export.write_bytes(data)
        outcome = run_import(team, folder, export, *options)
        assert_safe(outcome, name)
        return outcome


def check_encoding_case(team: Path, data: st.DataObject) -> None:
    rows = data.draw(rows_of(GENERIC, poisoned=False))
    text = to_csv(GENERIC, rows)
    encoding = data.draw(st.sampled_from(ENCODINGS))
    raw = text.encode(encoding, errors="replace")
    cut = data.draw(st.integers(0, len(raw)))
    raw = raw[:cut] if data.draw(st.booleans()) else raw
    raw += data.draw(st.binary(max_size=3))
    _import(team, "deals.csv", raw, "--format", "generic")


def check_workbook_case(team: Path, data: st.DataObject) -> None:
    rows = data.draw(rows_of(GENERIC, poisoned=False))
    book = to_xlsx(GENERIC, rows)
    for _ in range(data.draw(st.integers(1, 3))):
        column = data.draw(st.sampled_from("ABCDEFGHIJ"))
        cell = f"{column}{data.draw(st.integers(1, len(rows) + 2))}"
        junk = data.draw(
            st.one_of(
                st.sampled_from([b"lots", b"-1", b"999999", b"1e300", b"nan", b"", b"#REF!"]),
                st.binary(max_size=8).map(lambda b: b.replace(b"<", b"").replace(b"&", b"")),
            )
        )
        book = cell_value(book, cell, junk, data.draw(st.sampled_from(CELL_TYPES)))
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, 4000))
        book = with_sheet(book, lambda sheet: sheet[:at] + sheet[at + 7 :])
    _import(team, "deals.xlsx", book, "--format", "generic")


def check_bomb_case(team: Path, data: st.DataObject) -> None:
    megabytes = data.draw(st.integers(101, 400))
    _import(team, "deals.xlsx", bomb(megabytes << 20, lying=data.draw(st.booleans())))


def check_extreme_case(team: Path, data: st.DataObject) -> None:
    rows = data.draw(rows_of(GENERIC, poisoned=False))
    lines = to_csv(GENERIC, rows).splitlines()
    header = [*lines[0].split(","), *NUMERIC_COLUMNS]
    body = []
    for line in lines[1:]:
        extras = [
            data.draw(st.sampled_from(EXTREMES)) if data.draw(st.booleans()) else "1"
            for _ in NUMERIC_COLUMNS
        ]
        body.append(",".join([line, *(f'"{e}"' for e in extras)]))
    if data.draw(st.booleans()):  # a date out of range in created_at
        first = body[0].split(",")
        first[header.index("created_at")] = data.draw(st.sampled_from(DATES))
        body[0] = ",".join(first)
    text = "\n".join([",".join(header), *body]) + "\n"
    _import(team, "deals.csv", text.encode(), "--format", "generic")


def check_control_case(team: Path, data: st.DataObject) -> None:
    rows = data.draw(rows_of(GENERIC, poisoned=False))
    lines = to_csv(GENERIC, rows).splitlines()
    hostile = data.draw(CONTROL_TEXT).replace("\n", "\x1b").replace("\r", "\x9b")
    where = data.draw(st.sampled_from(["header", "cell", "extra header", "amount"]))
    cells = lines[0].split(",")
    if where == "header":
        cells[data.draw(st.integers(0, len(cells) - 1))] = f'"{hostile}"'
        lines[0] = ",".join(cells)
    elif where == "extra header":
        lines = [f'{lines[0]},"{hostile}"', *(f"{line},x" for line in lines[1:])]
    else:
        quoted = '"' + hostile.replace('"', '""') + '"'
        row = lines[1].split(",")
        row[cells.index("amount") if where == "amount" else 1] = quoted
        lines[1] = ",".join(row)
    layout = data.draw(st.sampled_from(["generic", "hubspot", "auto"]))
    options = ["--format", layout] if layout != "auto" else []
    _import(team, "deals.csv", ("\n".join(lines) + "\n").encode(), *options)


def check_title_case(team: Path, data: st.DataObject) -> None:
    rows = data.draw(rows_of(GENERIC, poisoned=False))
    titles = data.draw(st.lists(st.sampled_from(TITLES), min_size=1, max_size=3))
    text = "\n".join(titles) + "\n" + to_csv(GENERIC, rows)
    if data.draw(st.booleans()):
        _import(team, "deals.csv", text.encode(), "--format", "generic")
    else:
        _import(team, "deals.csv", text.encode())


FAMILIES = {
    "odd encodings": check_encoding_case,
    "malformed workbooks": check_workbook_case,
    "zip bombs": check_bomb_case,
    "extreme numbers": check_extreme_case,
    "control characters": check_control_case,
    "title rows": check_title_case,
}


@pytest.fixture(scope="module")
def team_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.importers.test_fuzzing import make_team_store

    return make_team_store(tmp_path_factory.mktemp("team"))


@pytest.mark.parametrize("family", [f for f in FAMILIES if f != "zip bombs"])
@CASES
@given(data=st.data())
def test_a_hostile_file_lands_or_is_refused_safely(
    team_store: Path, family: str, data: st.DataObject
) -> None:
    FAMILIES[family](team_store, data)


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_zip_bomb_is_refused_safely(team_store: Path, data: st.DataObject) -> None:
    check_bomb_case(team_store, data)
