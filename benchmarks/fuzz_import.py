"""The importers' fuzzing corpus, bounded: ``python benchmarks/fuzz_import.py [options]``.

Runs the property cases of ``tests/importers/test_fuzzing.py`` by the thousand: exports
made up from known deals in every layout (generic, Salesforce, HubSpot, Pipedrive,
Maven; a CRM with no importer read through ``--map``; a Salesforce report with day-first
dates, with and without ``--dayfirst``) as CSV (half of them under a report's title) and
XLSX, rows poisoned or repeating an id, with and without
``--skip-invalid``; and valid exports damaged (cut, garbled, re-encoded, a column gone).
Each case goes through ``walkaway import`` into a copy of a store that holds a team's
deals and a decision, and must land exactly the valid rows or refuse with one line per
problem and leave every table as it was. Then (``--million``) one file of 1,000,000
activity rows with one bad row in the middle: refused in one line, nothing written.

The hostile families of ``tests/importers/test_hostile_fuzzing.py`` run too (``--hostile
N`` cases each, ``--only-hostile`` for them alone): odd encodings, malformed workbooks,
zip bombs (a tenth as many: each packs 100-400 MB), extreme numbers, control characters
and title rows; each must land as it reads or be refused in lines, with no raw control
character on the terminal and nothing stored past a limit. The process's peak memory
(every case runs in it) is printed last.

Prints how many cases were tried and passed, per family, and how long they took; stops
at the first failing case (Hypothesis shrinks it and prints it). Bounded by ``--cases``
per family and ``--seconds`` in all; no network, temporary files only.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tests.importers.exports import LAYOUTS, MORE_LAYOUTS, Layout, rows_of  # noqa: E402
from tests.importers.test_fuzzing import (  # noqa: E402
    DAMAGE,
    check_damaged_case,
    check_rows_case,
    make_team_store,
)
from tests.importers.test_hostile_fuzzing import FAMILIES  # noqa: E402


def _rows_family(team: Path, layout: Layout, xlsx: bool, budget: settings, deadline: float) -> int:
    tried = [0]

    @budget
    @given(data=st.data(), skip_invalid=st.booleans())
    def case(data: st.DataObject, skip_invalid: bool) -> None:
        if time.monotonic() > deadline:
            return
        tried[0] += 1
        rows = data.draw(rows_of(layout))
        titled = not xlsx and data.draw(st.booleans(), label="under a title")
        check_rows_case(team, layout, rows, xlsx=xlsx, skip_invalid=skip_invalid, titled=titled)

    case()
    return tried[0]


def _damaged_family(team: Path, layout: Layout, budget: settings, deadline: float) -> int:
    tried = [0]

    @budget
    @given(data=st.data(), how=st.sampled_from(DAMAGE), xlsx=st.booleans())
    def case(data: st.DataObject, how: str, xlsx: bool) -> None:
        if time.monotonic() > deadline:
            return
        tried[0] += 1
        check_damaged_case(team, layout, data, how, xlsx)

    case()
    return tried[0]


def fuzz(team: Path, cases: int, seconds: float) -> list[tuple[str, int, float]]:
    """Every family of cases in turn; (family, cases tried, seconds) for each."""
    deadline = time.monotonic() + seconds
    budget = settings(
        max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    results = []
    for name, layout in {**LAYOUTS, **MORE_LAYOUTS}.items():
        for xlsx in (False, True):
            began = time.monotonic()
            tried = _rows_family(team, layout, xlsx, budget, deadline)
            kind = "xlsx" if xlsx else "csv"
            results.append((f"{name} {kind} rows", tried, time.monotonic() - began))
            print(f"done: {results[-1][0]}, {tried} cases, {results[-1][2]:.0f} s", flush=True)
        began = time.monotonic()
        tried = _damaged_family(team, layout, budget, deadline)
        results.append((f"{name} damaged", tried, time.monotonic() - began))
        print(f"done: {results[-1][0]}, {tried} cases, {results[-1][2]:.0f} s", flush=True)
    return results


def _hostile_family(team: Path, family: str, budget: settings, deadline: float) -> int:
    tried = [0]
    check = FAMILIES[family]

    @budget
    @given(data=st.data())
    def case(data: st.DataObject) -> None:
        if time.monotonic() > deadline:
            return
        tried[0] += 1
        check(team, data)

    case()
    return tried[0]


def hostile(
    team: Path, cases: int, seconds: float, families: list[str] | None = None
) -> list[tuple[str, int, float]]:
    """The hostile families in turn (bombs a tenth as many); (family, tried, seconds),
    each printed as it ends."""
    deadline = time.monotonic() + seconds
    results = []
    for family in families or list(FAMILIES):
        count = max(1, cases // 10) if family == "zip bombs" else cases
        budget = settings(
            max_examples=count,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        began = time.monotonic()
        tried = _hostile_family(team, family, budget, deadline)
        results.append((f"hostile: {family}", tried, time.monotonic() - began))
        print(f"done: {results[-1][0]}, {tried} cases, {results[-1][2]:.0f} s", flush=True)
    return results


def million(folder: Path) -> tuple[str, float]:
    """1,000,000 activity rows, one of them bad: one line, nothing written."""
    import polars as pl
    from tests.store_digest import table_digests
    from typer.testing import CliRunner

    from walkaway.cli import app

    rows = 1_000_000
    frame = pl.DataFrame(
        {
            "deal_id": ["BASE-1"] * rows,
            "at": [f"2026-02-{1 + n % 27:02d}T{n % 24:02d}:{n % 60:02d}:00" for n in range(rows)],
            "kind": ["email"] * rows,
            "detail": [f"note {n}" for n in range(rows)],
        }
    ).with_columns(
        pl.when(pl.int_range(pl.len()) == rows // 2)
        .then(pl.lit("sometime"))
        .otherwise(pl.col("at"))
        .alias("at")
    )
    big = folder / "million"
    big.mkdir()
    acts = big / "activities.csv"
    frame.write_csv(acts)
    deals = big / "deals.csv"
    deals.write_text(
        "deal_id,name,owner,stage,amount,created_at,outcome\n"
        "BASE-1,Acme rollout,Ana,Proposal,12000,2026-01-05,open\n",
        encoding="utf-8",
    )
    (folder / "million-team").mkdir()
    url = f"sqlite:///{make_team_store(folder / 'million-team')}"
    before = table_digests(url)
    began = time.monotonic()
    done = CliRunner().invoke(app, ["import", str(deals), "--activities", str(acts), "--db", url])
    spent = time.monotonic() - began
    lines = done.stderr.strip().splitlines()
    assert done.exit_code == 2, done.output
    assert len(lines) == 2 and f"row {rows // 2 + 2}, column 'at'" in lines[0], lines
    assert table_digests(url) == before
    return lines[0], spent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="examples per family")
    parser.add_argument("--seconds", type=float, default=1800.0, help="time for all families")
    parser.add_argument("--million", action="store_true", help="also the 1,000,000-row case")
    parser.add_argument("--hostile", type=int, default=200, help="cases per hostile family")
    parser.add_argument("--only-hostile", action="store_true", help="the hostile families alone")
    parser.add_argument(
        "--families", help="hostile families to run, comma-separated (default: all)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="walkaway-fuzz-bench-") as tmp:
        team = make_team_store(Path(tmp))
        began = time.monotonic()
        results = [] if args.only_hostile else fuzz(team, args.cases, args.seconds)
        chosen = args.families.split(",") if args.families else None
        results += hostile(team, args.hostile, args.seconds, chosen)
        total = sum(n for _, n, _ in results)
        print(f"{'family':<32} {'cases':>6} {'seconds':>8}")
        for name, tried, spent in results:
            print(f"{name:<32} {tried:>6} {spent:>8.1f}")
        print(f"{'all':<32} {total:>6} {time.monotonic() - began:>8.1f}   every case passed")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of the process that ran every case: {peak:,.0f} MB")
        if args.million:
            line, spent = million(Path(tmp))
            print(f"1,000,000 activity rows, one bad: refused in {spent:.1f} s: {line}")


if __name__ == "__main__":
    main()
