"""The import's steps one at a time: ``python benchmarks/import_steps.py FOLDER [N]``.

``FOLDER`` holds ``deals.csv`` and ``activities.csv`` (``import_bench.py --keep`` leaves
them). Each step runs ``N`` times (7 by default) in this process, on what the step before
it made, and prints its fastest and median wall-clock seconds: reading the activities
file (Polars' CSV reader, then every cell stripped), the checks of the activities
(their choices, their moments), all of the reading and checking, the deals' INSERTs into
an empty store, finding the new activities among those of an empty store, and what the
copy's thread does beside the INSERTs (the columnar copy written, the closed deals' lives
made, the norms learned). Steps, not a whole import: for the whole, ``import_bench.py``;
for a before/after of the whole, ``import_ab.py``. Run under ``PYTHONPATH=<tree>/src`` to
time another tree's steps (each must still have the functions named here).

Example::

    python benchmarks/import_bench.py --keep --bpi /nonexistent     # prints the folder kept
    python benchmarks/import_steps.py /tmp/walkaway-bench-XXXX
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

import polars as pl

from walkaway.importers import loading, parsing, validate
from walkaway.importers.reading import _tidy, read_csv_bytes
from walkaway.importers.registry import get_format
from walkaway.models import ActivityKind, ActivityStatus, Direction
from walkaway.service import norms
from walkaway.service.pipeline import current_policy
from walkaway.store import open_store
from walkaway.store.columnar import copy_base, copy_folder
from walkaway.store.writing import new_activities, start_run, write_deals

T = TypeVar("T")


def timed(label: str, step: Callable[[], T], rounds: int) -> T:
    seconds, result = [], None
    for _ in range(rounds):
        began = time.perf_counter()
        result = step()
        seconds.append(time.perf_counter() - began)
    print(f"  {label:<50} {min(seconds):6.3f} s  (median {statistics.median(seconds):.3f})")
    return result  # type: ignore[return-value]


@contextmanager
def transaction() -> Iterator[tuple[object, object, int]]:
    """An import run's transaction in an empty SQLite store, rolled back."""
    folder = Path(tempfile.mkdtemp(prefix="walkaway-steps-"))
    store = open_store(f"sqlite:///{folder / 'store.db'}")
    try:
        with store.engine.connect() as conn:
            begun = conn.begin()
            yield store, conn, start_run(conn, "generic", "deals.csv", "activities.csv")
            begun.rollback()
    finally:
        store.close()
        shutil.rmtree(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="holds deals.csv and activities.csv")
    parser.add_argument("rounds", type=int, nargs="?", default=7)
    args = parser.parse_args()
    deals_csv, acts_csv, n = args.folder / "deals.csv", args.folder / "activities.csv", args.rounds
    generic = get_format("generic")
    print(f"reading and checking ({acts_csv}):")
    body = acts_csv.read_bytes()
    raw = timed(
        "Polars' CSV reader, every cell text", lambda: pl.read_csv(body, infer_schema=False), n
    )
    timed("every cell stripped, empty ones null (reading._tidy)", lambda: _tidy(raw), n)
    table = timed("the activities file read (read_table)", lambda: read_csv_bytes(body, "a"), n)
    check = validate._Checker(generic.map_activities(table))
    for name, allowed in (
        ("kind", ActivityKind),
        ("direction", Direction),
        ("status", ActivityStatus),
    ):
        values = tuple(member.value for member in allowed)
        timed(f"the {name} column as one of its choices", partial(check.choice, name, values), n)
    timed("the at column read as moments", lambda: parsing.parse_datetime(check.col("at")), n)
    prepared = timed(
        "both files read and checked (prepare_import)",
        lambda: loading.prepare_import(deals_csv, acts_csv),
        max(3, n // 2),
    )
    assert prepared.activities is not None
    print("writing, in an empty SQLite store (each round rolled back):")

    def deals_written() -> float:
        with transaction() as (_store, conn, run):
            began = time.perf_counter()
            write_deals(conn, prepared.deals, "generic", run)  # type: ignore[arg-type]
            return time.perf_counter() - began

    seconds = [deals_written() for _ in range(n)]
    label = f"{prepared.deals.height:,} deals written (write_deals)"
    print(f"  {label:<50} {min(seconds):6.3f} s  (median {statistics.median(seconds):.3f})")
    with transaction() as (store, conn, run):
        written = write_deals(conn, prepared.deals, "generic", run)  # type: ignore[arg-type]
        added = timed(
            "the new activities found (new_activities)",
            lambda: new_activities(conn, prepared.activities, run, None),  # type: ignore[arg-type]
            n,
        )
        base = copy_base(conn, run, copy_folder(store))  # type: ignore[arg-type]
        policy = current_policy(store)  # type: ignore[arg-type]
        if base is not None:
            timed(
                "the copy's thread alone (stage_after_import)",
                lambda: norms.stage_after_import(base, run, written.stored, added, policy),
                max(3, n // 2),
            )


if __name__ == "__main__":
    main()
