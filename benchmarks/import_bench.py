"""How fast does a pipeline import? ``python benchmarks/import_bench.py [options]``.

Makes a seeded generic-format pipeline (``--deals`` deals, ``--activities`` activities,
built with NumPy and Polars in one pass), writes it as CSV to a temporary folder, then
times ``walkaway.service.import_files`` twice: the first import into an empty store and
an idempotent re-import of the same files (nothing new to write). When the BPI 2012
extract (``../shared/data/bpi2012`` or ``--bpi``) is there, it is timed the same way.
Prints rows per second, where each import's time went (by the steps it reports), and
the SQLite floor of the same run: the same activities, their Python values made
beforehand in index order, put into an empty store of our schema by one bare
``executemany`` (one row, then 99 rows per ``INSERT``) and a commit (no reading,
checking, copy or norms). ``--profile`` adds a cProfile of each import.

Examples::

    python benchmarks/import_bench.py                      # SQLite in a temp file
    python benchmarks/import_bench.py --db postgresql+psycopg://postgres@127.0.0.1:5432/walkaway_bench
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import polars as pl

from walkaway.models import ImportSummary
from walkaway.service import import_files
from walkaway.settings import Settings
from walkaway.store import Store, open_store

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BPI = ROOT.parent / "shared" / "data" / "bpi2012"
STAGES = ["Qualify", "Discovery", "Demo", "Proposal", "Negotiation"]
KINDS = ["email", "call", "meeting", "demo", "proposal", "note", "stage_change"]
KIND_SHARE = [0.45, 0.18, 0.08, 0.03, 0.04, 0.12, 0.10]
DETAILS = ["Follow-up", "Recap and next steps", "Re: pricing", "Call notes", "Agenda"]
START = datetime(2023, 1, 2)


def make_pipeline(deals: int, activities: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A generic-format pipeline as frames of the right types, drawn in one pass."""
    rng = np.random.default_rng(seed)
    reps = np.array([f"Rep {i:02d}" for i in range(40)])
    created_s = rng.integers(0, 3 * 365 * 86_400, deals)
    life_s = rng.gamma(2.0, 30 * 86_400, deals).astype(np.int64) + 86_400
    outcome = rng.choice(["open", "won", "lost"], deals, p=[0.2, 0.25, 0.55])
    closed = outcome != "open"
    start = np.datetime64(START, "s")
    created = start + created_s.astype("timedelta64[s]")
    deal_frame = pl.DataFrame(
        {
            "deal_id": [f"B-{i:07d}" for i in range(deals)],
            "name": [f"Bench deal {i}" for i in range(deals)],
            "account": [f"Account {i % (deals // 3 + 1)}" for i in range(deals)],
            "owner": reps[rng.integers(0, reps.size, deals)],
            "stage": np.array(STAGES)[rng.integers(0, 5, deals)],
            "amount": np.round(np.exp(rng.normal(10.2, 0.8, deals)), -2),
            "currency": "EUR",
            "created_at": created.astype("datetime64[us]"),
            "expected_close": (created + life_s.astype("timedelta64[s]")).astype("datetime64[D]"),
            "closed_at": np.where(
                closed, created + life_s.astype("timedelta64[s]"), np.datetime64("NaT")
            ).astype("datetime64[us]"),
            "outcome": outcome,
            "margin": np.round(rng.uniform(0.2, 0.8, deals), 2),
            "budget": rng.choice(["confirmed", "unknown", "none"], deals),
            "authority": rng.choice(["economic_buyer", "influencer", "unknown"], deals),
            "champion": rng.choice(["yes", "no", "unknown"], deals),
            "discount_requested": np.round(rng.uniform(0, 0.3, deals), 2),
            "rep_confidence": rng.integers(1, 6, deals),
            "industry": rng.choice(["Retail", "Logistics", "Manufacturing"], deals),
        }
    ).with_columns(
        loss_reason=pl.when(pl.col("outcome") == "lost").then(pl.lit("no decision")),
    )
    owner = deal_frame["owner"].to_numpy()
    which = np.sort(rng.integers(0, deals, activities))
    offset = (rng.random(activities) * life_s[which]).astype(np.int64)
    at = (created[which] + offset.astype("timedelta64[s]")).astype("datetime64[us]")
    kind = np.array(KINDS)[rng.choice(len(KINDS), activities, p=KIND_SHARE)]
    inbound = (kind == "email") & (rng.random(activities) < 0.4)
    direction = np.where(
        np.isin(kind, ["note", "stage_change"]),
        "internal",
        np.where(inbound, "inbound", "outbound"),
    )
    seller = direction == "outbound"
    missed = np.isin(kind, ["meeting", "demo"]) & (rng.random(activities) < 0.1)
    activity_frame = pl.DataFrame(
        {
            "deal_id": deal_frame["deal_id"].to_numpy()[which],
            "at": at,
            "kind": kind,
            "direction": direction,
            "status": np.where(missed, "no_show", "done"),
            "hours": np.where(seller, np.round(rng.uniform(0.25, 3.0, activities), 2), np.nan),
            "stage": np.array(STAGES)[which % 5],
            "detail": np.array(DETAILS)[rng.integers(0, len(DETAILS), activities)],
            "actor": owner[which],
        }
    ).with_columns(
        pl.col("hours").fill_nan(None),
        pl.when(pl.col("kind") == "stage_change").then(pl.col("stage")).alias("stage"),
    )
    return deal_frame, activity_frame


def write_pipeline(
    deals: pl.DataFrame, activities: pl.DataFrame, folder: Path
) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "deals.csv", folder / "activities.csv"
    for frame, path in zip((deals, activities), paths, strict=True):
        frame.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S", date_format="%Y-%m-%d")
    return paths


def timed(call: Callable[[], T]) -> tuple[T, float]:
    began = time.perf_counter()
    result = call()
    return result, time.perf_counter() - began


def report(
    label: str, summary: ImportSummary, seconds: float, cpu: float, deals: int, acts: int
) -> None:
    written = summary.deals_new + summary.deals_updated + summary.activities_new
    print(
        f"{label:<28} {seconds:8.2f} s  {acts / seconds:>10,.0f} activity rows/s  "
        f"{(deals + acts) / seconds:>10,.0f} rows/s  (cpu {cpu:.2f} s; wrote {written:,}, "
        f"rejected {summary.rejected})"
    )


def profiled(call: Callable[[], T], profile: bool, top: int = 30) -> tuple[T, float, float, str]:
    """Run ``call`` timed and, when asked, under cProfile (the timing then includes it).

    Returns the result, wall-clock seconds, CPU seconds of this process (all threads:
    on a busy shared machine the steadier figure) and the profile text.
    """
    cpu = time.process_time()
    if not profile:
        result, seconds = timed(call)
        return result, seconds, time.process_time() - cpu, ""
    profiler = cProfile.Profile()
    result, seconds = timed(lambda: profiler.runcall(call))
    cpu = time.process_time() - cpu
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return result, seconds, cpu, out.getvalue()


class Steps:
    """The import's progress calls, timed: how long each step it names took."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, step: str) -> None:
        self.marks.append((step, time.perf_counter()))

    def print(self, ended: float) -> None:
        ends = [t for _, t in self.marks[1:]] + [ended]
        for (step, began), end in zip(self.marks, ends, strict=True):
            print(f"    {step:<56} {end - began:6.2f} s")


def sqlite_floor(
    folder: Path, activities: pl.DataFrame, per_statement: int, tag: str = ""
) -> tuple[float, float]:
    """Wall-clock and CPU seconds SQLite itself takes to store ``activities`` in an empty
    store of our schema (PRAGMAs, index and foreign key included): one bare
    ``executemany`` of ``per_statement``-row ``INSERT``s whose values were made
    beforehand (in index order, equal values one object), and the commit (which writes
    the pages to the WAL: the import's figure has its own)."""
    store = open_store(f"sqlite:///{folder / f'floor-{per_statement}{tag}.db'}")
    frame = activities.sort("deal_id", "at", maintain_order=True).with_columns(
        pl.col("at").dt.strftime("%Y-%m-%d %H:%M:%S%.6f"), import_run_id=pl.lit(1)
    )
    whole = frame.height // per_statement * per_statement
    # Equal values as one object, as the import makes them: SQLite's driver then
    # encodes each distinct text once.
    shared: dict[object, object] = {}
    flat = [shared.setdefault(v, v) for row in frame.head(whole).iter_rows() for v in row]
    step = per_statement * frame.width
    values = [flat[i : i + step] for i in range(0, len(flat), step)]
    row = f"({', '.join('?' for _ in frame.columns)})"
    sql = f"INSERT INTO activities ({', '.join(frame.columns)}) VALUES " + ", ".join(
        [row] * per_statement
    )
    ids = [(d,) for d in activities["deal_id"].unique().to_list()]
    try:
        with store.begin() as conn:
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.executemany(
                "INSERT INTO deals (deal_id, amount, created_at, outcome, updated_at) VALUES "
                "(?, 0, '2023-01-01 00:00:00', 'open', '2023-01-01 00:00:00')",
                ids,
            )
            began, cpu = time.perf_counter(), time.process_time()
            cursor.executemany(sql, values)
        # the clock stops after the commit (leaving the block), as the import's does
        return time.perf_counter() - began, time.process_time() - cpu
    finally:
        store.close()


def bench_files(
    store: Store, name: str, deals_csv: Path, acts_csv: Path, profile: bool
) -> tuple[float, float]:
    """Time a first import and a re-import of the files; the first's wall and CPU seconds."""
    deals = pl.scan_csv(deals_csv, infer_schema=False).select(pl.len()).collect().item()
    acts = pl.scan_csv(acts_csv, infer_schema=False).select(pl.len()).collect().item()
    print(f"\n{name}: {deals:,} deals, {acts:,} activities ({store.dialect})")
    steps = Steps()
    first, seconds, cpu, first_profile = profiled(
        lambda: import_files(store, deals_csv, acts_csv, progress=steps), profile
    )
    ended = time.perf_counter()
    report("first import", first, seconds, cpu, deals, acts)
    steps.print(ended)
    first_seconds, first_cpu = seconds, cpu
    steps = Steps()
    again, seconds, cpu, again_profile = profiled(
        lambda: import_files(store, deals_csv, acts_csv, progress=steps), profile
    )
    ended = time.perf_counter()
    report("re-import (nothing new)", again, seconds, cpu, deals, acts)
    steps.print(ended)
    assert again.activities_new == 0 and again.deals_new == 0, "re-import was not idempotent"
    for label, text in (("first import", first_profile), ("re-import", again_profile)):
        if text:
            print(f"--- profile of the {label} ---\n{text}")
    return first_seconds, first_cpu


def paired_ratio(folder: Path, paths: tuple[Path, Path], acts: pl.DataFrame, pairs: int) -> None:
    """``pairs`` first imports, each into a fresh SQLite file and followed by the 99-row
    floor; prints each pair, the ratio of the fastest floor to the fastest import (wall
    and CPU) and the median of the pairs' own ratios. Alternating the two keeps a swing
    in the machine's load from falling on one side only."""
    imports, floors = [], []
    for pair in range(pairs):
        store = open_store(f"sqlite:///{folder / f'pair-{pair}.db'}")
        try:
            _, seconds, cpu, _ = profiled(partial(import_files, store, *paths), profile=False)
        finally:
            store.close()
        floor = sqlite_floor(folder, acts, 99, tag=f"-pair-{pair}")
        imports.append((seconds, cpu))
        floors.append(floor)
        print(
            f"  pair {pair + 1}: import {seconds:.2f} s (cpu {cpu:.2f} s), "
            f"floor {floor[0]:.2f} s (cpu {floor[1]:.2f} s)"
        )
    wall, cpu = min(s for s, _ in imports), min(c for _, c in imports)
    floor_wall, floor_cpu = min(s for s, _ in floors), min(c for _, c in floors)
    print(
        f"fastest of {pairs} pairs: import {wall:.2f} s (cpu {cpu:.2f} s), floor "
        f"{floor_wall:.2f} s (cpu {floor_cpu:.2f} s): {floor_wall / wall:.2f}x wall, "
        f"{floor_cpu / cpu:.2f}x CPU (aim: 0.6x)"
    )
    # each pair's own ratio: its import and its floor ran one after the other, so a
    # swing in the machine's speed falls on both
    ratios = [f[0] / i[0] for i, f in zip(imports, floors, strict=True)]
    print(
        f"median of the {pairs} pairs' own ratios: {statistics.median(ratios):.2f}x wall "
        f"(each: {', '.join(f'{r:.2f}' for r in ratios)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--bpi", type=Path, default=DEFAULT_BPI, help="BPI 2012 folder")
    parser.add_argument("--keep", action="store_true", help="keep the CSVs and SQLite files")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each import")
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="then N more first imports into fresh SQLite files, each followed by the "
        "99-row floor: the ratio of the fastest of each (steadier on a busy machine)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="walkaway-bench-"))
    try:
        (deals, acts), seconds = timed(
            lambda: make_pipeline(args.deals, args.activities, args.seed)
        )
        paths, write_s = timed(lambda: write_pipeline(deals, acts, folder))
        print(f"generated in {seconds:.2f} s, wrote CSV in {write_s:.2f} s to {folder}")
        copies = Settings.from_env().copy_dir  # as the command line: $WALKAWAY_COPY_DIR, ...
        stores = {
            name: open_store(args.db or f"sqlite:///{folder / (name + '.db')}", copy_dir=copies)
            for name in ("synthetic", "bpi2012")
        }
        first, first_cpu = bench_files(stores["synthetic"], "synthetic", *paths, args.profile)
        if stores["synthetic"].dialect == "sqlite":
            print("SQLite floor: the same activities' bare insert and commit, values made before")
            floors = []
            for per in (1, 99):
                floor, floor_cpu = sqlite_floor(folder, acts, per)
                floors.append((floor, floor_cpu, per))
                label = f"  {per} row{'s' if per > 1 else ''} per INSERT"
                print(
                    f"{label:<28} {floor:8.2f} s  {acts.height / floor:>10,.0f} activity rows/s  "
                    f"(cpu {floor_cpu:.2f} s)"
                )
            # the faster of the two is the floor: the import's INSERTs are the 99-row kind
            floor, floor_cpu, per = min(floors)
            print(
                f"first import at {floor / first:.2f}x the floor ({per} rows per INSERT) "
                f"wall, {floor_cpu / first_cpu:.2f}x CPU (aim: 0.6x)"
            )
        if args.pairs and stores["synthetic"].dialect == "sqlite":
            paired_ratio(folder, paths, acts, args.pairs)
        bpi = args.bpi
        if (bpi / "deals.csv").is_file() and (bpi / "activities.csv").is_file():
            bench_files(
                stores["bpi2012"],
                "bpi2012",
                bpi / "deals.csv",
                bpi / "activities.csv",
                args.profile,
            )
        else:
            print(f"\nbpi2012: skipped ({bpi} not found)")
        for store in stores.values():
            store.close()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
