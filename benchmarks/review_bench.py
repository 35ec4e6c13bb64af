"""How fast is the review? ``python benchmarks/review_bench.py [options]``.

Builds, once, a seeded SQLite store of ``--open`` open deals and ``--closed`` closed
ones (so the team norms are learned from history) with ``--activities`` activities,
drawn by :func:`import_bench.make_pipeline` and imported with
``walkaway.service.import_files``. The store is kept in ``--workdir`` and reused by
later runs with the same sizes and seed.

Then times, ``--runs`` times each, reporting the median (and the range):

a. ``walkaway review --format json --as-of DATE`` as a subprocess, stdout to /dev/null;
b. ``walkaway show DEAL_ID --as-of DATE`` as a subprocess (start-up included);

and breaks each down in-process: load from the store, assess, serialise. Also times
importing the libraries ``show`` stands on (Polars, Typer, Rich: the floor under it),
importing what ``show`` loads before its own work, and
``walkaway --help`` (which loads every command). ``--profile`` adds a cProfile of one
in-process review. Walkaway's modules are compiled to bytecode before the subprocesses
run, as an installed copy has them (a checkout run with PYTHONDONTWRITEBYTECODE set
compiles each module it imports at every start instead).

Examples::

    python benchmarks/review_bench.py                          # 100k open, 20k closed, 5M
    python benchmarks/review_bench.py --open 10000 --closed 2000 --activities 500000
    python benchmarks/review_bench.py --back 120    # as of 120 days before the horizon

With ``--as-of DAY`` or ``--back DAYS`` the review (and ``show``, of the first deal open
then) is as of a day inside the history, as "as of last Monday", ``--since`` and every
backtest cut are; the DuckDB floor is then printed for that day and for the horizon.
"""

from __future__ import annotations

import argparse
import compileall
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_bench import make_pipeline, timed, write_pipeline

import walkaway
from walkaway.service import import_files
from walkaway.store import Store, open_store

SHOW_RUNS = 15
OPEN_SPREAD_DAYS = 40  # an open deal's last activity falls in the 40 days before as_of
CLOSE_AHEAD_DAYS = 60  # and its expected close in the 60 days after


def make_review_pipeline(
    open_deals: int, closed_deals: int, activities: int, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame, datetime]:
    """The import benchmark's pipeline with exactly ``open_deals`` open deals, all still
    alive at ``as_of`` (their lives shifted to end shortly before it), and
    ``closed_deals`` closed ones (a third won) over the three years before. Returns the
    deals, the activities and ``as_of``."""
    deals, acts = make_pipeline(open_deals + closed_deals, activities, seed)
    rng = np.random.default_rng(seed + 1)
    total = deals.height
    is_open = np.zeros(total, dtype=bool)
    is_open[rng.choice(total, open_deals, replace=False)] = True
    outcome = np.where(is_open, "open", np.where(rng.random(total) < 1 / 3, "won", "lost"))
    end = pl.col("expected_close").cast(pl.Datetime("us")) + pl.duration(hours=17)
    deals = deals.with_columns(
        pl.Series("outcome", outcome),
        pl.when(pl.Series(is_open)).then(None).otherwise(end).alias("closed_at"),
    ).with_columns(
        pl.when(pl.col("outcome") == "lost").then(pl.lit("no decision")).alias("loss_reason")
    )
    closed = deals.filter(pl.col("outcome") != "open").select("deal_id", "closed_at")
    last_close = closed["closed_at"].max()
    assert isinstance(last_close, datetime)
    as_of = datetime.combine(last_close.date() + timedelta(days=2), datetime.min.time())
    return (*_shift_open_deals(deals, acts, as_of, rng), as_of)


def _shift_open_deals(
    deals: pl.DataFrame, acts: pl.DataFrame, as_of: datetime, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Move each open deal's whole life (creation, activities) so that it ends in the
    weeks before ``as_of``; its expected close moves to the weeks after."""
    total = deals.height
    ends_at = pl.lit(as_of) - pl.duration(
        seconds=pl.lit(pl.Series(rng.integers(3_600, OPEN_SPREAD_DAYS * 86_400, total)))
    )
    ahead = pl.duration(days=pl.lit(pl.Series(rng.integers(1, CLOSE_AHEAD_DAYS, total))))
    last = acts.group_by("deal_id").agg(pl.col("at").max().alias("last_at"))
    life_end = pl.coalesce("last_at", pl.col("expected_close").cast(pl.Datetime("us")))
    deals = deals.join(last, on="deal_id", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("outcome") == "open")
        .then(ends_at - life_end)
        .otherwise(pl.duration(seconds=0))
        .alias("shift"),
    )
    shift = deals.select("deal_id", "shift")
    deals = deals.with_columns(
        pl.col("created_at") + pl.col("shift"),
        pl.when(pl.col("outcome") == "open")
        .then((pl.lit(as_of) + ahead).dt.date())
        .otherwise(pl.col("expected_close"))
        .alias("expected_close"),
    ).drop("shift", "last_at")
    acts = (
        acts.join(shift, on="deal_id", how="left", maintain_order="left")
        .with_columns(pl.col("at") + pl.col("shift"))
        .drop("shift")
    )
    return deals, acts


def build_store(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Generate and import the pipeline into ``folder/review.db`` unless already there:
    in ``--chunks`` imports of a share of the deals each (as a team's pipeline grows,
    and so no import holds all of a big one), the norms learned after the last."""
    marker = folder / "built.json"
    if marker.is_file():
        built: dict[str, Any] = json.loads(marker.read_text())
        print(f"reusing the store in {folder} (built {built['built_at']})")
        return built
    folder.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{folder / 'review.db'}")
    chunks, as_of, first_open, imported, activities = max(1, args.chunks), None, None, 0.0, 0
    for chunk in range(chunks):
        (deals, acts, chunk_as_of), seconds = timed(
            lambda chunk=chunk: make_review_pipeline(
                args.open // chunks,
                args.closed // chunks,
                args.activities // chunks,
                args.seed + chunk,
            )
        )
        if chunks > 1:  # each chunk's deals are its own
            renamed = pl.concat_str(pl.lit(f"C{chunk:02d}-"), pl.col("deal_id"))
            deals = deals.with_columns(renamed.alias("deal_id"))
            acts = acts.with_columns(renamed.alias("deal_id"))
        paths = write_pipeline(deals, acts, folder / f"chunk-{chunk:02d}" if chunks > 1 else folder)
        print(f"generated {deals.height:,} deals, {acts.height:,} activities in {seconds:.1f} s")
        last = chunk == chunks - 1
        summary, seconds = timed(
            lambda paths=paths, last=last: import_files(store, *paths, format="generic", warm=last)
        )
        print(f"imported in {seconds:.1f} s (rejected {summary.rejected})")
        imported += seconds
        activities += acts.height
        as_of = chunk_as_of if as_of is None else max(as_of, chunk_as_of)
        opened = deals.filter(pl.col("outcome") == "open")["deal_id"]
        if first_open is None and opened.len():  # none with --open 0: see --back
            first_open = opened[0]
    store.close()
    assert as_of is not None
    built = {
        "built_at": datetime.now().isoformat(timespec="seconds"),
        "as_of": as_of.date().isoformat(),
        "deal_id": first_open,
        "open": args.open,
        "closed": args.closed,
        "activities": activities,
        "chunks": chunks,
        "import_seconds": round(imported, 1),
    }
    marker.write_text(json.dumps(built, indent=2))
    return built


class Stopwatch:
    """Seconds spent in named functions, wrapped where the service looks them up; a call
    made inside another timed one counts for the outer one only."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._inside = False
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            if self._inside:
                return original(*args, **kwargs)
            self._inside, began = True, time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._inside = False
                spent = time.perf_counter() - began
                self.seconds[label] = self.seconds.get(label, 0.0) + spent

        setattr(module, name, timed_call)
        self._undo.append((module, name, original))

    def restore(self) -> None:
        for module, name, original in reversed(self._undo):
            setattr(module, name, original)
        self._undo.clear()


STEPS = (  # (module, function, label), in the order they run
    ("walkaway.service.review", "current_policy", "read the policy and the norms cache"),
    ("walkaway.service.deal", "current_policy", "read the policy and the norms cache"),
    ("walkaway.service.review", "norms_key", "read the policy and the norms cache"),
    ("walkaway.service.deal", "norms_key", "read the policy and the norms cache"),
    ("walkaway.service.review", "cached_norms", "read the policy and the norms cache"),
    ("walkaway.service.norms", "cached_norms", "read the policy and the norms cache"),
    ("walkaway.service.review", "ensure_copy", "find (or rebuild) the columnar copy"),
    ("walkaway.service.deal", "_stored_deal", "read the deals"),
    ("walkaway.service.deal", "load_deals", "read the deals"),
    ("walkaway.service.deal", "load_activities", "read the activities"),
    ("walkaway.service.review", "read_pipeline", "read the whole pipeline (cache miss)"),
    ("walkaway.service.reading", "read_pipeline", "read a batch of open deals and activities"),
    ("walkaway.service.review", "learn_norms", "learn and store the team norms (cache miss)"),
    (
        "walkaway.service.review",
        "learn_norms_from_copy",
        "learn and store the team norms (cache miss)",
    ),
    (
        "walkaway.service.norms",
        "learn_norms_from_copy",
        "learn and store the team norms (cache miss)",
    ),
    ("walkaway.service.norms", "learn_norms", "learn and store the team norms (cache miss)"),
    ("walkaway.decision.assess", "take_snapshot", "assess: snapshot as of"),
    ("walkaway.decision.assess", "signals_from_snapshot", "assess: signals"),
    ("walkaway.decision.assess", "signals_and_readiness", "assess: signals and stage readiness"),
    ("walkaway.decision.assess", "find_flags_frame", "assess: red flags"),
    ("walkaway.decision.assess", "recommend", "assess: probability, economics, decision"),
    ("walkaway.decision.assess", "assessments_from_frame", "assess: Assessment objects"),
    ("walkaway.service.review", "summarise", "summary"),
    ("walkaway.service.export", "review_json_bytes", "serialise (JSON)"),
)


def timed_steps(call: Callable[[], object]) -> dict[str, float]:
    """Run ``call`` with the steps of :data:`STEPS` timed (and the whole of it)."""
    import importlib

    watch = Stopwatch()
    for module, name, label in STEPS:
        found = importlib.import_module(module)
        if hasattr(found, name):  # an older tree (before/after runs) may lack a step
            watch.wrap(found, name, label)
    try:
        _, total = timed(call)
    finally:
        watch.restore()
    steps = dict.fromkeys(dict.fromkeys(label for _, _, label in STEPS), 0.0)
    steps.update(watch.seconds)
    steps = {label: seconds for label, seconds in steps.items() if seconds > 0}
    steps["total in-process"] = total
    return steps


def clear_norms_cache(store: Store) -> None:
    from walkaway.store.schema import norms_cache

    with store.begin() as conn:
        conn.execute(norms_cache.delete())


def review_in_process(store: Store, as_of: datetime) -> Callable[[], object]:
    import walkaway.service.export as export
    import walkaway.service.review as service

    def call() -> object:
        return len(export.review_json_bytes(service.review(store, as_of)))

    return call


def show_in_process(store: Store, deal_id: str, as_of: datetime) -> Callable[[], object]:
    import walkaway.service.deal as service

    def call() -> object:
        view = service.show(store, deal_id, as_of)
        return view.assessment.to_dict()

    return call


def median_steps(runs: list[dict[str, float]]) -> dict[str, float]:
    labels = dict.fromkeys(label for run in runs for label in run)
    return {label: statistics.median(run.get(label, 0.0) for run in runs) for label in labels}


def print_steps(title: str, runs: list[dict[str, float]]) -> None:
    print(f"  {title} (medians of {len(runs)} runs):")
    for label, seconds in median_steps(runs).items():
        print(f"    {label:<62} {seconds:7.2f} s")


def median_of(runs: int, call: Callable[[], object]) -> tuple[float, float, float]:
    """Median, fastest and slowest wall-clock seconds of ``runs`` calls."""
    seconds = [timed(call)[1] for _ in range(runs)]
    return statistics.median(seconds), min(seconds), max(seconds)


def run_cli(arguments: Sequence[str]) -> None:
    """``walkaway ARGUMENTS`` in a fresh process, stdout to /dev/null; fails loudly."""
    command = [sys.executable, "-m", "walkaway", *arguments]
    with open(os.devnull, "w") as sink:
        done = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-2000:]}")


def import_show() -> None:
    """A fresh interpreter importing what ``walkaway show`` loads before its own work:
    the command line's plumbing and the review commands' module (the others load only
    for their own commands)."""
    subprocess.run([sys.executable, "-c", "import walkaway.cli.review"], check=True)


SHOW_LIBRARIES = "import polars, typer, rich.console, rich.panel, rich.table"


def import_libraries() -> None:
    """A fresh interpreter importing only the libraries ``show`` stands on (Polars for
    the signals, Typer and Rich for the command line; its store reads need only
    sqlite3): the floor under any ``show`` built on them, before a line of ours."""
    subprocess.run([sys.executable, "-c", SHOW_LIBRARIES], check=True)


def line(label: str, figures: tuple[float, float, float]) -> None:
    middle, low, high = figures
    print(f"  {label:<62} {middle:7.2f} s   ({low:.2f}–{high:.2f})")


def machine() -> str:
    import sqlite3

    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, load average {load}; Python {sys.version.split()[0]}, "
        f"Polars {pl.__version__}, SQLite {sqlite3.sqlite_version}"
    )


def inside(built: dict[str, Any]) -> str:
    horizon = built.get("horizon")
    return f" (inside the history: the data's horizon is {horizon})" if horizon else ""


def at_as_of(url: str, built: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """``built`` reviewed as of ``--as-of`` (or ``--back`` days before its horizon): the
    day, and a deal open on it for ``show``, the first in id order (as the default is)."""
    if args.as_of is None and args.back is None:
        return built
    day = (
        date.fromisoformat(args.as_of)
        if args.as_of
        else date.fromisoformat(built["as_of"]) - timedelta(days=args.back)
    )
    moment = datetime.combine(day, datetime.min.time())
    store = open_store(url)
    try:
        from walkaway.store.schema import deals

        alive = (deals.c.created_at < moment) & (
            deals.c.closed_at.is_(None) | (deals.c.closed_at >= moment)
        )
        query = sa.select(deals.c.deal_id).where(alive).order_by(deals.c.deal_id).limit(1)
        with store.connect() as conn:
            deal_id = conn.execute(query).scalar()
    finally:
        store.close()
    if deal_id is None:
        raise SystemExit(f"no deal is open on {day}: pick a day inside the history")
    return {**built, "as_of": day.isoformat(), "deal_id": deal_id, "horizon": built["as_of"]}


def compile_walkaway() -> str:
    """Walkaway's modules compiled to bytecode beforehand, as an installed copy has them.
    A checkout never run, or run with PYTHONDONTWRITEBYTECODE set (as these sessions
    are), compiles every module it imports at each start: about 0.1 s of ``show``'s."""
    package = Path(walkaway.__file__).parent
    compileall.compile_dir(package, quiet=1)
    said = os.environ.get("PYTHONDONTWRITEBYTECODE")
    return f"walkaway's bytecode compiled first (PYTHONDONTWRITEBYTECODE={said or 'unset'})"


def bench_subprocesses(store: Store, url: str, built: dict[str, Any], runs: int) -> None:
    as_of, deal_id = built["as_of"], built["deal_id"]
    review = ["review", "--format", "json", "--as-of", as_of, "--db", url]
    show = ["show", deal_id, "--as-of", as_of, "--db", url]

    def cold(arguments: list[str]) -> Callable[[], None]:
        def call() -> None:
            clear_norms_cache(store)
            run_cli(arguments)

        return call

    print(
        f"\nsubprocesses (wall clock, median of {runs}, range in brackets; {compile_walkaway()}):"
    )
    quick = max(runs, SHOW_RUNS)  # a second each, and noisy: more runs
    line(f"python -c '{SHOW_LIBRARIES[:40]}…' ({quick} runs)", median_of(quick, import_libraries))
    line(f"python -c 'import walkaway.cli.review' ({quick} runs)", median_of(quick, import_show))
    line("walkaway --help", median_of(runs, lambda: run_cli(["--help"])))
    line("walkaway review --format json, norms not cached", median_of(runs, cold(review)))
    line("walkaway review --format json, norms cached", median_of(runs, lambda: run_cli(review)))
    shown = median_of(quick, lambda: run_cli(show))
    line(f"walkaway show DEAL_ID, norms cached ({quick} runs)", shown)
    line("walkaway show DEAL_ID, norms not cached (1 run)", median_of(1, cold(show)))


def csv_files(folder: Path, args: argparse.Namespace) -> tuple[Path, Path]:
    """The store's pipeline as the CSV files it was imported from (drawn again from the
    seed when they are gone), for the DuckDB floor."""
    if args.chunks > 1:  # DuckDB reads every chunk's file through a glob
        return folder / "chunk-*" / "deals.csv", folder / "chunk-*" / "activities.csv"
    paths = folder / "deals.csv", folder / "activities.csv"
    if not all(path.is_file() for path in paths):
        deals, acts, _ = make_review_pipeline(args.open, args.closed, args.activities, args.seed)
        write_pipeline(deals, acts, folder)
    return paths


def bench_floor(folder: Path, built: dict[str, Any], args: argparse.Namespace) -> None:
    """The DuckDB floor (benchmarks/duckdb_floor.py), measured in this run."""
    import importlib.util

    if importlib.util.find_spec("duckdb") is None:
        print("\nDuckDB floor: not measured (pip install -e '.[bench]')")
        return
    from duckdb_floor import floor_seconds

    deals, acts = csv_files(folder, args)
    days = [("", built["as_of"])]
    if built.get("horizon"):  # inside the history: the floor at the horizon too
        days = [(f" as of {built['as_of']}", built["as_of"]), (" at the horizon", built["horizon"])]
    for label, day in days:
        middle, low, high, rows = floor_seconds(deals, acts, day, args.runs)
        print(f"\nDuckDB floor{label}, one query over the CSV files ({rows:,} open deals):")
        line("duckdb_floor.QUERY", (middle, low, high))
        line("2x the floor", (2 * middle, 2 * low, 2 * high))


def bench_in_process(store: Store, built: dict[str, Any], runs: int) -> None:
    as_of = datetime.fromisoformat(built["as_of"])
    review = review_in_process(store, as_of)
    show = show_in_process(store, built["deal_id"], as_of)
    print("\nin-process breakdown:")
    cold = []
    for _ in range(runs):
        clear_norms_cache(store)
        cold.append(timed_steps(review))
    print_steps("review, norms not cached", cold)
    print_steps("review, norms cached", [timed_steps(review) for _ in range(runs)])
    print_steps("show, norms cached", [timed_steps(show) for _ in range(runs)])
    clear_norms_cache(store)
    print_steps("show, norms not cached", [timed_steps(show)])


def profile_review(store: Store, built: dict[str, Any], top: int = 35) -> None:
    as_of = datetime.fromisoformat(built["as_of"])
    profiler = cProfile.Profile()
    profiler.runcall(review_in_process(store, as_of))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(f"\n--- profile of one in-process review (norms cached) ---\n{out.getvalue()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=20_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=1, help="build the store in N imports")
    parser.add_argument("--workdir", type=Path, help="where the store is kept (default: tmp)")
    parser.add_argument("--build-only", action="store_true", help="build the store and stop")
    parser.add_argument("--skip-cli", action="store_true", help="no subprocess timings")
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process review")
    parser.add_argument(
        "--as-of",
        help="review as of this day (YYYY-MM-DD) inside the history instead of the data's horizon",
    )
    parser.add_argument(
        "--back", type=int, help="review as of this many days before the data's horizon"
    )
    args = parser.parse_args()
    name = f"walkaway-review-bench-{args.open}-{args.closed}-{args.activities}-{args.seed}"
    if args.chunks > 1:
        name += f"-{args.chunks}"
    folder = args.workdir or Path(tempfile.gettempdir()) / name
    built = build_store(folder, args)
    if args.build_only:
        return
    url = f"sqlite:///{folder / 'review.db'}"
    built = at_as_of(url, built, args)
    print(
        f"{built['open']:,} open deals, {built['closed']:,} closed, {built['activities']:,} "
        f"activities; as of {built['as_of']}{inside(built)}; show {built['deal_id']}\n"
        f"{machine()}"
    )
    bench_floor(folder, built, args)
    store = open_store(url)
    try:
        if not args.skip_cli:
            bench_subprocesses(store, url, built, args.runs)
        bench_in_process(store, built, args.runs)
        if args.profile:
            profile_review(store, built)
    finally:
        store.close()


if __name__ == "__main__":
    main()
