"""Twenty clients at once, for a few seconds: deciding, recording outcomes and importing,
on PostgreSQL and on SQLite (WAL). Each client has a store of its own (its own engine
and connections, as a separate process would). Afterwards every decision and outcome
a client was told had been recorded is in the store exactly once, nothing is there that
no client was told of, every import that said so landed, no client hung, and a client
turned away was told so in one line (a Walkaway error, never a raw database one).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.csvfiles import deals_csv
from walkaway.errors import WalkawayError
from walkaway.models import as_utc_naive
from walkaway.sample import SAMPLE_AS_OF
from walkaway.service import build_demo, import_files, sample_files
from walkaway.service.journal import record_decision, record_outcome
from walkaway.service.review import review
from walkaway.store import open_store
from walkaway.store.schema import deals, decisions, outcomes

CLIENTS = 20
SECONDS = 4.0
AS_OF = as_utc_naive(SAMPLE_AS_OF)


@dataclass
class Told:
    """What one client was told succeeded, and the one-line refusals it got."""

    decisions: list[tuple[int, str]] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    crashes: list[BaseException] = field(default_factory=list)


def _import(store: object, folder: Path, client: int, turn: int, told: Told) -> None:
    own = [f"C-{client}-{turn}-{n}" for n in range(3)]
    shared = [f"SHARED-{n}" for n in range(3)]  # every client imports these too
    rows = [f"{d},Deal {d},Acme,Ana,Proposal,{1000 + turn},2026-01-05,,open" for d in own]
    rows += [f"{d},Shared {d},Acme,Ana,Proposal,2500,2026-01-05,,open" for d in shared]
    path = deals_csv(folder, rows, name=f"deals-{client}-{turn}.csv")
    import_files(store, path, format="generic")  # type: ignore[arg-type]
    told.imported += own + shared


def client(
    url: str,
    folder: Path,
    number: int,
    open_ids: list[str],
    stop: float,
    told: Told,
    busy_seconds: float,
) -> None:
    store = open_store(url, busy_seconds=busy_seconds)
    chooser = random.Random(number)
    turn = 0
    try:
        while time.monotonic() < stop:
            turn += 1
            token = f"client {number} turn {turn}"
            action = chooser.choice(["decide", "decide", "outcome", "import"])
            try:
                if action == "decide":
                    deal = chooser.choice(open_ids)
                    call = chooser.choice(["pursue", "requalify", "walk_away"])
                    made = record_decision(store, deal, call, token, as_of=AS_OF)
                    told.decisions.append((made.decision_id, token))
                elif action == "outcome":
                    record_outcome(store, chooser.choice(open_ids), "no_decision", note=token)
                    told.outcomes.append(token)
                else:
                    _import(store, folder, number, turn, told)
            except WalkawayError as refused:
                told.refusals.append(str(refused))
    except BaseException as error:  # anything else is a failure of the test
        told.crashes.append(error)
    finally:
        store.close()


def run_clients(url: str, folder: Path, busy_seconds: float = 30.0) -> list[Told]:
    store = open_store(url)
    result = review(store, AS_OF)
    open_ids = result.deals["deal_id"].to_list()[:40]
    store.close()
    stop = time.monotonic() + SECONDS
    told = [Told() for _ in range(CLIENTS)]
    threads = [
        threading.Thread(
            target=client, args=(url, folder, n, open_ids, stop, told[n], busy_seconds)
        )
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS + 60)
    assert not any(thread.is_alive() for thread in threads), "a client hung (deadlock?)"
    return told


def check(url: str, told: list[Told]) -> None:
    crashes = [error for t in told for error in t.crashes]
    assert not crashes, f"{len(crashes)} client(s) failed: {crashes[0]!r}"
    for refusal in (r for t in told for r in t.refusals):
        assert "\n" not in refusal and refusal.strip(), refusal
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(decisions.c.id, decisions.c.reason).where(decisions.c.source == "human")
        ).all()
        notes = conn.execute(sa.select(outcomes.c.note).where(outcomes.c.source == "human"))
        stored_notes = Counter(row[0] for row in notes)
        ids = {row[0] for row in conn.execute(sa.select(deals.c.deal_id))}
    engine.dispose()
    made = sorted(d for t in told for d in t.decisions)
    assert sorted((row[0], row[1]) for row in stored) == made  # none lost, none doubled
    assert len(made) >= 5  # they really ran
    assert stored_notes == Counter(o for t in told for o in t.outcomes)
    assert {d for t in told for d in t.imported} <= ids


@pytest.mark.parametrize("busy_seconds", [30.0, 0.02], ids=["waiting", "impatient"])
def test_twenty_clients_on_sqlite_lose_and_double_nothing(
    tmp_path: Path, busy_seconds: float
) -> None:
    """Writers wait for SQLite's one write lock; a store told to wait only 20 ms turns
    many away, each with one line ("the database is busy ...") and nothing written."""
    path = tmp_path / "team.db"
    store, _ = build_demo(str(path))
    store.close()
    url = f"sqlite:///{path}"
    told = run_clients(url, tmp_path, busy_seconds)
    check(url, told)
    refusals = [r for t in told for r in t.refusals]
    if busy_seconds < 1:
        assert refusals and all(r.startswith("the database is busy") for r in refusals)


@pytest.mark.postgres
def test_twenty_clients_on_postgresql_lose_and_double_nothing(
    tmp_path: Path, postgres_url: str
) -> None:
    store = open_store(postgres_url)
    import_files(store, *sample_files(), format="generic")
    store.close()
    check(postgres_url, run_clients(postgres_url, tmp_path))
