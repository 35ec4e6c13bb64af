"""Every importer under generated exports, through ``walkaway import`` as a user runs it.

Each case is a file made up from known deals (``exports.py``), some rows poisoned, some
repeating an id, as CSV or XLSX, in the generic, Salesforce, HubSpot, Pipedrive or Maven
layout, imported into a store that already holds a team's deals and a decision. Either
every row is valid and exactly those deals land, or the command exits with status 2,
names each bad row and column in one line, and every table of the store is as it was
(a digest of each table before and after). With ``--skip-invalid`` exactly the valid
rows land and the others are in the rejects file. Damaged files (cut short, bytes
overwritten, other encodings, a column gone) are imported or refused the same way,
never with a traceback. ``benchmarks/fuzz_import.py`` runs the same cases by thousands.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.csvfiles import activities_csv, deals_csv
from tests.importers.exports import (
    LAYOUTS,
    MORE_LAYOUTS,
    Layout,
    Row,
    dates_undecided,
    landing,
    problems_expected,
    rows_of,
    stored_expected,
    to_csv,
    to_xlsx,
    valid_rows,
)
from tests.store_digest import table_digests
from walkaway.cli import app
from walkaway.service import import_files
from walkaway.service.journal import record_decision
from walkaway.store import open_store
from walkaway.store.schema import deals

PROBLEM = re.compile(r"^error: (?P<file>[^:]+): row (?P<row>\d+), column '(?P<column>[^']*)': ")
SUMMARY = re.compile(r"^error: \d+ problem\(s\) found; nothing was imported")
# The same problem down a column, one line: its count and its first rows.
REPEATED = re.compile(
    r"^error: (?P<file>[^:]+): column '(?P<column>[^']*)' (?:empty|is not .*) on "
    r"(?P<count>[\d,]+) rows: (?P<rows>[\d, ]+)(?P<more>, …)?(?:;| \()"
)
CASES = settings(
    max_examples=14,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def team_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_team_store(tmp_path_factory.mktemp("team"))


def make_team_store(folder: Path) -> Path:
    """A store holding three deals, their activities and a person's decision."""
    deals_file = deals_csv(
        folder,
        [
            "BASE-1,Acme rollout,Acme,Ana,Proposal,12000,2026-01-05,,open",
            "BASE-2,Beta pilot,Beta,Ben,Demo,5000,2026-02-01,,open",
            "BASE-3,Gamma,Gamma,Ana,Negotiation,30000,2025-11-01,2026-03-01,lost",
        ],
    )
    acts = activities_csv(folder, ["BASE-1,2026-01-06T10:00:00,email,outbound,done,0.5,,hi,Ana"])
    path = folder / "team.db"
    store = open_store(f"sqlite:///{path}")
    import_files(store, deals_file, acts, format="generic")
    record_decision(store, "BASE-1", "pursue", "champion", as_of=datetime(2026, 3, 1))
    store.close()
    return path


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    url: str
    before: dict[str, tuple[int, str]]
    after: dict[str, tuple[int, str]]

    def problems(self) -> tuple[set[tuple[int, str]], set[str]]:
        """(row, column) of each problem a line names, and the columns whose problems a
        line summed up without naming every row ("column 'X' empty on 49 rows: 2, 3, …");
        fails on any line of another shape."""
        found, unnamed = set(), set()
        for line in self.stderr.strip().splitlines():
            matched, repeated = PROBLEM.match(line), REPEATED.match(line)
            if matched:
                found.add((int(matched["row"]), matched["column"]))
            elif repeated:
                rows = [int(r) for r in repeated["rows"].split(", ")]
                found.update((row, repeated["column"]) for row in rows)
                if repeated["more"]:
                    unnamed.add(repeated["column"])
            else:
                assert SUMMARY.match(line), f"not a problem line: {line!r}"
        return found, unnamed


def run_import(store_file: Path, folder: Path, export: Path, *options: str) -> Outcome:
    db = folder / "store.db"
    shutil.copy(store_file, db)
    url = f"sqlite:///{db}"
    before = table_digests(url)
    result = CliRunner().invoke(app, ["import", str(export), "--db", url, *options])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr, url, before, table_digests(url))


# What a CRM report export writes over its header: a title line and a blank line (the
# rows under it keep the numbers a spreadsheet shows, TITLE_LINES further down).
TITLE = "Opportunity report – Q4 2026\r\n\r\n"
TITLE_LINES = 2


def write_export(
    folder: Path, layout: Layout, rows: list[Row], xlsx: bool, *, titled: bool = False
) -> Path:
    name = "sales_pipeline" if layout.format == "maven" else f"{layout.format}-deals"
    if xlsx:
        path = folder / f"{name}.xlsx"
        path.write_bytes(to_xlsx(layout, rows))
    else:
        path = folder / f"{name}.csv"
        path.write_text((TITLE if titled else "") + to_csv(layout, rows), encoding="utf-8")
    return path


def stored_deals(url: str, ids: list[str]) -> dict[str, dict[str, object]]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.select(deals).where(deals.c.deal_id.in_(ids))).mappings().all()
    engine.dispose()
    return {row["deal_id"]: dict(row) for row in found}


def _day(value: object) -> date | None:
    return value.date() if isinstance(value, datetime) else None


def assert_landed(url: str, layout: Layout, rows: list[Row], xlsx: bool) -> None:
    """Exactly these rows' deals are stored, as their rows say."""
    landed = [landing(layout, row, xlsx=xlsx) for row in rows]
    wanted = {deal.deal_id: stored_expected(layout, deal, xlsx=xlsx) for deal in landed}
    stored = stored_deals(url, [*wanted, *(f"F-{n}" for n in range(10))])
    assert set(stored) == set(wanted)
    for deal_id, expected in wanted.items():
        got = stored[deal_id]
        assert got["name"] == expected["name"]
        assert got["owner"] == expected["owner"]
        assert got["outcome"] == expected["outcome"]
        assert got["amount"] == pytest.approx(expected["amount"])
        assert _day(got["created_at"]) == expected["created"]
        assert _day(got["closed_at"]) == expected["closed"]
        assert got["expected_close"] == expected["expected_close"]


def rejected_rows(path: Path) -> set[int]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {int(row["row"]) for row in csv.DictReader(handle)}


def check_rows_case(
    team_store: Path,
    layout: Layout,
    rows: list[Row],
    *,
    xlsx: bool,
    skip_invalid: bool,
    titled: bool = False,
) -> None:
    """One generated export of ``rows`` (``titled``: under a report's title): exactly the
    valid rows land, or none and every problem is named (also run by thousands by
    benchmarks/fuzz_import.py)."""
    with tempfile.TemporaryDirectory(prefix="walkaway-fuzz-") as case:
        folder = Path(case)
        export = write_export(folder, layout, rows, xlsx, titled=titled)
        rejects = folder / "rejects.csv"
        options = ["--skip-invalid", "--rejects", str(rejects)] if skip_invalid else []
        outcome = run_import(team_store, folder, export, *layout.options, *options)
        if dates_undecided(layout, rows):
            assert outcome.exit_code == 2, outcome.stdout
            lines = outcome.stderr.strip().splitlines()
            assert len(lines) == 1 and "--dayfirst" in lines[0] and "--monthfirst" in lines[0]
            assert outcome.after == outcome.before
            return
        shift = TITLE_LINES if titled else 0
        expected = {(r + shift, c) for r, c in problems_expected(layout, rows, xlsx=xlsx)}
        if skip_invalid:
            assert outcome.exit_code == 0, outcome.stderr
            assert_landed(outcome.url, layout, valid_rows(layout, rows, xlsx=xlsx), xlsx)
            assert rejected_rows(rejects) if expected else not rejects.exists()
            if expected:
                assert rejected_rows(rejects) == {row for row, _column in expected}
        elif expected:
            assert outcome.exit_code == 2, outcome.stdout
            named, summed_up = outcome.problems()
            assert named <= expected
            assert {p for p in expected if p[1] not in summed_up} <= named
            assert outcome.after == outcome.before
        else:
            assert outcome.exit_code == 0, outcome.stderr
            assert_landed(outcome.url, layout, rows, xlsx)
            runs = outcome.after["import_runs"][0] - outcome.before["import_runs"][0]
            assert runs == 1


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
@pytest.mark.parametrize("layout", list(LAYOUTS.values()), ids=list(LAYOUTS))
@CASES
@given(data=st.data(), skip_invalid=st.booleans())
def test_every_row_lands_or_the_import_names_each_bad_one_and_writes_nothing(
    team_store: Path, layout: Layout, xlsx: bool, data: st.DataObject, skip_invalid: bool
) -> None:
    rows = data.draw(rows_of(layout))
    titled = not xlsx and data.draw(st.booleans(), label="under a title")
    check_rows_case(team_store, layout, rows, xlsx=xlsx, skip_invalid=skip_invalid, titled=titled)


@pytest.mark.parametrize("layout", list(MORE_LAYOUTS.values()), ids=list(MORE_LAYOUTS))
@settings(CASES, max_examples=6)
@given(data=st.data(), skip_invalid=st.booleans(), xlsx=st.booleans())
def test_a_mapped_export_and_day_first_dates_land_or_are_refused_whole(
    team_store: Path, layout: Layout, data: st.DataObject, skip_invalid: bool, xlsx: bool
) -> None:
    """The same property for an export read through --map and for day-first dates (a file
    whose dates all read both ways is refused in one line naming --dayfirst/--monthfirst);
    benchmarks/fuzz_import.py runs them by the thousand."""
    rows = data.draw(rows_of(layout))
    titled = not xlsx and data.draw(st.booleans(), label="under a title")
    check_rows_case(team_store, layout, rows, xlsx=xlsx, skip_invalid=skip_invalid, titled=titled)


def _damage(data: bytes, how: str, draw: st.DataObject) -> bytes:
    # Positions as a share of the file: a workbook's bytes (zip times) vary run to run.
    at = draw.draw(st.integers(0, 9_999)) * len(data) // 10_000
    if how == "cut":
        return data[:at]
    if how == "garble":
        start = at
        noise = draw.draw(st.binary(min_size=1, max_size=64))
        return data[:start] + noise + data[start + len(noise) :]
    text = data.decode("utf-8")
    if how == "drop_column":
        reader = list(csv.reader(text.splitlines(keepends=True)))
        gone = draw.draw(st.integers(0, len(reader[0]) - 1))
        return "".join(",".join(f'"{c}"' for i, c in enumerate(r) if i != gone) + "\n"
                       for r in reader).encode()  # fmt: skip
    return text.encode(how)


DAMAGE = ["cut", "garble", "drop_column", "cp1252", "utf-16", "utf-8-sig"]


def check_damaged_case(
    team_store: Path, layout: Layout, data: st.DataObject, how: str, xlsx: bool
) -> None:
    """One valid export, damaged: imported as it now reads, or refused in one line per
    problem, never half, never a traceback."""
    rows = data.draw(rows_of(layout, poisoned=False))
    xlsx = xlsx and how in {"cut", "garble"}
    with tempfile.TemporaryDirectory(prefix="walkaway-fuzz-") as case:
        folder = Path(case)
        export = write_export(folder, layout, rows, xlsx)
        original = export.read_bytes()
        damaged = _damage(original, how, data)
        export.write_bytes(damaged)
        outcome = run_import(team_store, folder, export, *layout.options)
        assert outcome.exit_code in {0, 2}, outcome.stderr
        if outcome.exit_code == 2:
            lines = outcome.stderr.strip().splitlines()
            assert lines and all(line.startswith("error: ") for line in lines)
            assert all(export.name in line or SUMMARY.match(line) for line in lines), lines
            assert outcome.after == outcome.before
        elif how in {"cp1252", "utf-16", "utf-8-sig"} and not _reads_as_utf8(damaged, original):
            assert_landed(outcome.url, layout, rows, xlsx=False)


@pytest.mark.parametrize("layout", list(LAYOUTS.values()), ids=list(LAYOUTS))
@CASES
@given(data=st.data(), how=st.sampled_from(DAMAGE), xlsx=st.booleans())
def test_a_damaged_export_is_imported_or_refused_in_one_line_each_and_never_half(
    team_store: Path, layout: Layout, data: st.DataObject, how: str, xlsx: bool
) -> None:
    check_damaged_case(team_store, layout, data, how, xlsx)


def _reads_as_utf8(damaged: bytes, original: bytes) -> bool:
    """Windows-1252 bytes that are valid UTF-8 too ("Ã©") are read as UTF-8, as any reader
    would: then the text differs, and rightly so."""
    try:
        return damaged != original and damaged.decode("utf-8") != original.decode("utf-8")
    except UnicodeDecodeError:
        return False


@pytest.mark.parametrize("where", ["deals", "activities"])
def test_a_nul_character_is_refused_in_one_line_on_either_database(
    store_url: str, tmp_path: Path, where: str
) -> None:
    """PostgreSQL cannot keep a NUL in text: the import names the cell rather than fail
    mid-write (found by the API's contract test, where a NUL in a deal id gave a 500)."""
    name = "Acme\x00rollout" if where == "deals" else "Acme rollout"
    deals_file = deals_csv(tmp_path, [f"N-1,{name},Acme,Ana,Proposal,12000,2026-01-05,,open"])
    detail = "hi\x00there" if where == "activities" else "hi"
    acts = activities_csv(tmp_path, [f"N-1,2026-01-06T10:00:00,email,outbound,done,,,{detail},"])
    open_store(store_url).close()
    before = table_digests(store_url)
    result = CliRunner().invoke(
        app, ["import", str(deals_file), "--activities", str(acts), "--db", store_url]
    )
    assert result.exit_code == 2
    column = "name" if where == "deals" else "detail"
    assert f"row 2, column '{column}'" in result.stderr and "NUL" in result.stderr
    assert table_digests(store_url) == before
