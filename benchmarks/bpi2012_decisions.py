"""Were the walk-away calls right on real data? ``python benchmarks/bpi2012_decisions.py``.

Imports ``../shared/data/bpi2012`` (the BPI Challenge 2012 loan applications: the bank
keeps calling the customer after an offer) into a temporary SQLite store with
``walkaway.service.import_files``, cuts it at several past dates and runs the review
(``walkaway.service.review.review``, the default policy) as of each: only what was known
then is used. Each recommendation is then checked against the final stored outcome:

- **right**: the deal was lost in the end (``cancelled``: the customer went away, the
  rest the bank declined); **wins given up**: it was won (count, amount requested);
- **effort saved**: outbound calls, and hours of activities, dated at or after the cut
  on the deals that were lost anyway; **effort on wins**: the same on the won ones (the
  work that walking away would have cut short, and that paid).

The same for ``requalify``, and for two baselines: never walk away, and walk away when
a deal has been idle (no activity of any kind) for more than ``--idle-days`` (14) days
before the cut; and, to compare at equal volume, the most idle deals, as many as the
review walks away from. "Applied at every cut" pools the cuts the way a team would use them:
each deal is walked away from at the first cut that says so, and counted once.

Examples::

    python benchmarks/bpi2012_decisions.py
    python benchmarks/bpi2012_decisions.py --cuts 2011-11-15 2011-12-15 --idle-days 21
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from walkaway.models import Outcome
from walkaway.service import import_files
from walkaway.service.reading import load_pipeline
from walkaway.service.review import review
from walkaway.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BPI = ROOT.parent / "shared" / "data" / "bpi2012"
CUTS = ("2011-11-01", "2011-11-15", "2011-12-01", "2011-12-15", "2012-01-01")
IDLE_DAYS = 14
FOREVER = datetime(9999, 1, 1)
COLUMNS = (
    ("method", "{}", 34),
    ("flagged", "{:,}", 7),
    ("lost", "{:,}", 6),
    ("cancelled", "{:,}", 9),
    ("won", "{:,}", 5),
    ("open", "{:,}", 4),
    ("right", "{:.0%}", 5),
    ("won_amount", "{:,.0f}", 11),
    ("calls_saved", "{:,}", 11),
    ("hours_saved", "{:,.1f}", 11),
    ("calls_on_wins", "{:,}", 13),
    ("hours_on_wins", "{:,.1f}", 13),
)


def final_state(store: Store) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every deal with its final outcome and amount, and every activity, as stored."""
    pipeline = load_pipeline(store, FOREVER)
    deals = pipeline.deals.select("deal_id", "created_at", "outcome", "loss_reason", "amount")
    calls = (pl.col("kind") == "call") & (pl.col("direction") == "outbound")
    acts = pipeline.activities.select(
        "deal_id", "at", calls.alias("is_call"), pl.col("hours").fill_null(0.0)
    )
    return deals, acts


def effort_after(acts: pl.DataFrame, cut: datetime) -> pl.DataFrame:
    """Per deal: outbound calls and logged hours dated at or after ``cut``."""
    return (
        acts.filter(pl.col("at") >= cut)
        .group_by("deal_id")
        .agg(pl.col("is_call").sum().alias("calls"), pl.col("hours").sum())
    )


def idle_days_before(
    open_ids: pl.Series, deals: pl.DataFrame, acts: pl.DataFrame, cut: datetime
) -> pl.DataFrame:
    """``deal_id, idle``: days each open deal had gone without any activity at ``cut``."""
    last = acts.filter(pl.col("at") < cut).group_by("deal_id").agg(pl.col("at").max())
    seen = pl.coalesce("at", "created_at")
    return (
        deals.filter(pl.col("deal_id").is_in(open_ids.implode()))
        .join(last, on="deal_id", how="left")
        .select("deal_id", ((pl.lit(cut) - seen).dt.total_seconds() / 86_400).alias("idle"))
    )


def score(
    method: str, flagged: pl.Series, deals: pl.DataFrame, effort: pl.DataFrame
) -> dict[str, Any]:
    """What walking away from ``flagged`` would have given up and saved."""
    frame = (
        deals.filter(pl.col("deal_id").is_in(flagged.implode()))
        .join(effort, on="deal_id", how="left")
        .with_columns(pl.col("calls").fill_null(0), pl.col("hours").fill_null(0.0))
    )
    lost, won = pl.col("outcome") == Outcome.LOST, pl.col("outcome") == Outcome.WON
    row = frame.select(
        pl.len().alias("flagged"),
        lost.sum().alias("lost"),
        (lost & (pl.col("loss_reason") == "cancelled")).sum().alias("cancelled"),
        won.sum().alias("won"),
        (pl.col("outcome") == Outcome.OPEN).sum().alias("open"),
        pl.col("amount").filter(won).sum().alias("won_amount"),
        pl.col("calls").filter(lost).sum().alias("calls_saved"),
        pl.col("hours").filter(lost).sum().alias("hours_saved"),
        pl.col("calls").filter(won).sum().alias("calls_on_wins"),
        pl.col("hours").filter(won).sum().alias("hours_on_wins"),
    ).row(0, named=True)
    decided = row["lost"] + row["won"]
    return {"method": method, **row, "right": row["lost"] / decided if decided else None}


def flagged_at_cut(
    store: Store, deals: pl.DataFrame, acts: pl.DataFrame, cut: datetime, idle_days: int
) -> tuple[dict[str, pl.Series], float]:
    """The deals each method would act on at ``cut``, and the seconds the review took."""
    began = time.perf_counter()
    frame = review(store, cut).deals
    seconds = time.perf_counter() - began
    walk = frame.filter(pl.col("recommendation") == "walk_away")["deal_id"]
    requalify = frame.filter(pl.col("recommendation") == "requalify")["deal_id"]
    idle = idle_days_before(frame["deal_id"], deals, acts, cut).sort("idle", "deal_id")
    return {
        "every open deal (context)": frame["deal_id"],
        "walkaway: walk_away": walk,
        "walkaway: requalify": requalify,
        "never walk away": frame["deal_id"].clear(),
        f"idle > {idle_days} days": idle.filter(pl.col("idle") > idle_days)["deal_id"],
        "most idle, as many as walk_away": idle.tail(walk.len())["deal_id"],
    }, seconds


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(
        "  "
        + " ".join(
            f"{name:>{width}}" if i else f"{name:<{width}}"
            for i, (name, _, width) in enumerate(COLUMNS)
        )
    )
    for row in rows:
        cells = []
        for i, (name, fmt, width) in enumerate(COLUMNS):
            value = row.get(name)
            text = "—" if value is None else fmt.format(value)
            cells.append(f"{text:>{width}}" if i else f"{text:<{width}}")
        print("  " + " ".join(cells))


def first_flagged(
    per_cut: list[tuple[datetime, dict[str, pl.Series]]], method: str
) -> pl.DataFrame:
    """Each deal the method flagged at some cut, with the first such cut."""
    frames = [
        pl.DataFrame(
            {"deal_id": flagged[method], "cut": [cut] * flagged[method].len()},
            schema={"deal_id": pl.String, "cut": pl.Datetime("us")},
        )
        for cut, flagged in per_cut
    ]
    return pl.concat(frames).group_by("deal_id").agg(pl.col("cut").min())


def pooled(
    per_cut: list[tuple[datetime, dict[str, pl.Series]]], deals: pl.DataFrame, acts: pl.DataFrame
) -> list[dict[str, Any]]:
    """Every method applied at every cut: each deal acted on at its first flagged cut."""
    rows = []
    for method in per_cut[0][1]:
        first = first_flagged(per_cut, method)
        effort = (
            acts.join(first, on="deal_id")
            .filter(pl.col("at") >= pl.col("cut"))
            .group_by("deal_id")
            .agg(pl.col("is_call").sum().alias("calls"), pl.col("hours").sum())
        )
        rows.append(score(method, first["deal_id"], deals, effort))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bpi", type=Path, default=DEFAULT_BPI, help="the BPI 2012 folder")
    parser.add_argument("--cuts", nargs="+", default=list(CUTS), help="review dates")
    parser.add_argument("--idle-days", type=int, default=IDLE_DAYS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="walkaway-bpi-") as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'bpi2012.db'}")
        began = time.perf_counter()
        summary = import_files(store, args.bpi / "deals.csv", args.bpi / "activities.csv")
        print(
            f"imported {summary.deals_new:,} deals, {summary.activities_new:,} activities "
            f"in {time.perf_counter() - began:.1f} s"
        )
        deals, acts = final_state(store)
        per_cut = []
        for text in args.cuts:
            cut = datetime.fromisoformat(text)
            flagged, seconds = flagged_at_cut(store, deals, acts, cut, args.idle_days)
            per_cut.append((cut, flagged))
            effort = effort_after(acts, cut)
            rows = [score(m, ids, deals, effort) for m, ids in flagged.items()]
            print_table(f"as of {text} (review took {seconds:.2f} s)", rows)
        print_table(
            "applied at every cut (each deal once, at its first flagged cut)",
            pooled(per_cut, deals, acts),
        )
        store.close()


if __name__ == "__main__":
    main()
