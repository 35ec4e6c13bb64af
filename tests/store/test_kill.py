"""SIGKILL in the middle of ``walkaway import`` and ``walkaway review``, on SQLite and
PostgreSQL: afterwards the store holds the whole import or none of it, every other table
is as it was, and the next command works.

The kill lands at random moments across the command's run (its length measured first),
so it falls in the migrations of a fresh store, the reading, the bulk writes and the
commit. Each test takes a few seconds.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from tests.store_digest import row_counts, table_digests

DEALS = 3_000
ACTIVITIES = 60_000
KILLS = 4


def write_export(folder: Path) -> tuple[Path, Path]:
    """A generic export of DEALS deals and ACTIVITIES activities (made, not shipped)."""
    ids = [f"K-{n}" for n in range(DEALS)]
    deals = pl.DataFrame(
        {
            "deal_id": ids,
            "name": [f"Deal {n}" for n in range(DEALS)],
            "owner": [f"Rep {n % 7}" for n in range(DEALS)],
            "stage": ["Proposal"] * DEALS,
            "amount": [1000 + n for n in range(DEALS)],
            "created_at": ["2026-01-05"] * DEALS,
            "outcome": ["open"] * DEALS,
        }
    )
    acts = pl.DataFrame(
        {
            "deal_id": [ids[n % DEALS] for n in range(ACTIVITIES)],
            "at": [f"2026-02-{1 + n % 27:02d}T{n % 24:02d}:00:00" for n in range(ACTIVITIES)],
            "kind": ["email"] * ACTIVITIES,
            "direction": ["outbound" if n % 3 else "inbound" for n in range(ACTIVITIES)],
            "detail": [f"note {n}" for n in range(ACTIVITIES)],
        }
    )
    deals_path, acts_path = folder / "deals.csv", folder / "activities.csv"
    deals.write_csv(deals_path)
    acts.write_csv(acts_path)
    return deals_path, acts_path


def walkaway(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "walkaway", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def finished(*args: str) -> float:
    """Run a command to its end (it must succeed); how long it took."""
    began = time.monotonic()
    process = walkaway(*args)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr.decode()
    return time.monotonic() - began


def killed_at(seconds: float, *args: str) -> int | None:
    """Start a command and SIGKILL it after ``seconds``; its exit code if it ended first."""
    process = walkaway(*args)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return None
    finally:
        assert process.stderr is not None
        process.stderr.close()
    return process.returncode


def assert_the_next_read_works(url: str) -> None:
    """The next command reads the store; or, where the kill came before the first import
    made any table, says in one line that there is no store yet (exit 2), as for a
    database no import ever touched."""
    if "deals" in table_digests(url):
        finished("deals", "--format", "json", "--db", url)
        return
    process = walkaway("deals", "--format", "json", "--db", url)
    _, stderr = process.communicate(timeout=120)
    said = stderr.decode().strip()
    assert process.returncode == 2 and "no Walkaway store" in said and "\n" not in said, said


def assert_whole_or_none(url: str, before: dict[str, tuple[int, str]]) -> bool:
    """The import landed whole (True) or not at all (False); nothing else changed."""
    after = table_digests(url)
    counts = {name: rows for name, (rows, _digest) in after.items()}
    old = {name: rows for name, (rows, _digest) in before.items()}
    landed = counts.get("import_runs", 0) > old.get("import_runs", 0)
    if landed:
        assert counts["deals"] == DEALS and counts["activities"] == ACTIVITIES
        assert counts["import_runs"] == old.get("import_runs", 0) + 1
    elif before:
        assert after == before
    else:  # a fresh store: its schema may be there now, but no rows
        assert not any(rows for name, rows in counts.items() if name != "alembic_version")
    return landed


def kill_imports(url: str, folder: Path, fresh_url: str) -> None:
    deals_path, acts_path = write_export(folder)
    command = ("import", str(deals_path), "--activities", str(acts_path))
    length = finished(*command, "--db", fresh_url)
    chooser = random.Random(12)
    for attempt in range(KILLS):
        before = table_digests(url) if attempt else {}
        moment = chooser.uniform(0.05, length * 1.1)
        ended = killed_at(moment, *command, "--db", url)
        assert ended in (None, 0)
        landed = assert_whole_or_none(url, before)
        assert_the_next_read_works(url)
        if landed:
            return  # whole; later imports would change nothing
    finished(*command, "--db", url)
    assert row_counts(url)["deals"] == DEALS


def test_a_killed_import_leaves_all_or_nothing_on_sqlite(tmp_path: Path) -> None:
    kill_imports(
        f"sqlite:///{tmp_path / 'killed.db'}", tmp_path, f"sqlite:///{tmp_path / 'timed.db'}"
    )


@pytest.mark.postgres
def test_a_killed_import_leaves_all_or_nothing_on_postgresql(
    tmp_path: Path, postgres_url: str, postgres_server: str
) -> None:
    from tests.conftest import fresh_postgres_database

    with fresh_postgres_database(postgres_server) as timed:
        kill_imports(postgres_url, tmp_path, timed)


@pytest.mark.parametrize(
    "which", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_killed_review_leaves_the_store_as_it_was(
    tmp_path: Path, which: str, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'review.db'}"
        if which == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    deals_path, acts_path = write_export(tmp_path)
    finished("import", str(deals_path), "--activities", str(acts_path), "--db", url)
    before = table_digests(url)
    review = ("review", "--as-of", "2026-03-01", "--format", "json", "--db", url)
    chooser = random.Random(7)
    for _ in range(KILLS):
        killed_at(chooser.uniform(0.05, 2.5), *review)
        after = table_digests(url)
        # A review writes one thing: the team norms of the day, in one transaction.
        assert {k: v for k, v in after.items() if k != "norms_cache"} == {
            k: v for k, v in before.items() if k != "norms_cache"
        }
        assert after["norms_cache"][0] in (0, 1)
    finished(*review)
