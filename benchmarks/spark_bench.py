"""The review on Spark (local mode) against the local path: ``python benchmarks/spark_bench.py``.

Draws, once, the review benchmark's seeded pipeline (:func:`review_bench.make_review_pipeline`:
``--open`` open deals, ``--closed`` closed ones, ``--activities`` activities) and keeps it
as Parquet in ``--workdir``. Then times, on the same files and as of the same date:

a. **local**: read the Parquet with Polars, learn the norms, ``assess_frame`` over the
   whole pipeline, write the assessment as Parquet (what ``walkaway review`` does after
   its store read);
b. **spark**: ``walkaway.spark.review_on_spark`` on a local Spark of ``--cores`` cores,
   from reading the Parquet to the written assessment (the session start is timed
   apart), and checks that both made the same call for every deal.

Examples::

    python benchmarks/spark_bench.py                         # 100k open, 20k closed, 5M
    python benchmarks/spark_bench.py --open 1000000 --closed 200000 --activities 50000000 \
        --driver-memory 14g
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime
from datetime import time as clock
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from review_bench import make_review_pipeline

from walkaway.decision.assess import assess_frame
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline
from walkaway.policy import load_policy
from walkaway.signals.norms import compute_norms


def _conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return frame.select(
        pl.col(n).cast(t) if n in frame.columns else pl.lit(None, dtype=t).alias(n)
        for n, t in schema.items()
    )


def build(folder: Path, args: argparse.Namespace) -> datetime:
    """The pipeline as Parquet in ``folder`` (drawn once per size and seed); its as-of."""
    marker = folder / "built.json"
    if marker.is_file():
        print(f"reusing the Parquet files in {folder}")
        return datetime.fromisoformat(json.loads(marker.read_text())["as_of"])
    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    deals, acts, as_of = make_review_pipeline(args.open, args.closed, args.activities, args.seed)
    _conform(deals, DEAL_SCHEMA).write_parquet(folder / "deals.parquet")
    _conform(acts, ACTIVITY_SCHEMA).write_parquet(
        folder / "activities.parquet", row_group_size=1 << 20
    )
    print(
        f"generated {deals.height:,} deals, {acts.height:,} activities "
        f"in {time.perf_counter() - began:.1f} s"
    )
    marker.write_text(json.dumps({"as_of": as_of.isoformat(), "activities": acts.height}))
    return as_of


def local_review(folder: Path, as_of: datetime, out: Path) -> pl.DataFrame:
    policy = load_policy()
    pipeline = Pipeline(
        pl.read_parquet(folder / "deals.parquet").filter(pl.col("created_at") < as_of),
        pl.read_parquet(folder / "activities.parquet").filter(pl.col("at") < as_of),
    )
    norms = compute_norms(pipeline, datetime.combine(as_of.date(), clock.min), policy)
    frame = assess_frame(pipeline, as_of, policy, norms=norms, readiness=True)
    frame.write_parquet(out)
    return frame


def spark_review(folder: Path, as_of: datetime, out: Path, args: argparse.Namespace) -> Any:
    from walkaway.spark import SourceSpec, local_session, read_pipeline, review_on_spark
    from walkaway.spark.run import write_parquet_whole
    from walkaway.spark.sources import parquet_history

    began = time.perf_counter()
    spark = local_session(args.cores, driver_memory=args.driver_memory)
    print(f"spark session started in {time.perf_counter() - began:.1f} s")
    began = time.perf_counter()
    spec = SourceSpec.from_paths(str(folder / "deals.parquet"), str(folder / "activities.parquet"))
    deals, activities = read_pipeline(spark, spec)
    history = None if args.collect_history else parquet_history(spec, as_of)
    result = review_on_spark(
        spark, deals, activities, as_of, history=history, deals_per_group=args.deals_per_group
    )
    write_parquet_whole(result.deals, out)
    return spark, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=20_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--deals-per-group", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--skip-local", action="store_true", help="time Spark only")
    parser.add_argument(
        "--collect-history",
        action="store_true",
        help="learn the norms from the history collected through Spark (as for CSV or "
        "JDBC) instead of read from the Parquet by Polars",
    )
    args = parser.parse_args()
    folder = (
        args.workdir / f"walkaway-spark-{args.open}-{args.closed}-{args.activities}-{args.seed}"
    )
    as_of = build(folder, args)
    outputs = folder / "out"
    shutil.rmtree(outputs, ignore_errors=True)
    outputs.mkdir()
    local = None
    if not args.skip_local:
        began = time.perf_counter()
        local = local_review(folder, as_of, outputs / "local.parquet")
        print(f"local: {local.height:,} open deals assessed in {time.perf_counter() - began:.1f} s")
    spark, seconds = spark_review(folder, as_of, outputs / "spark", args)
    written = pl.read_parquet(outputs / "spark" / "*.parquet")
    print(f"spark (local[{args.cores}]): {written.height:,} open deals assessed in {seconds:.1f} s")
    if local is not None:
        calls = local.select("deal_id", "recommendation").join(
            written.select("deal_id", "recommendation"), on="deal_id", how="full", suffix="_spark"
        )
        differ = calls.filter(
            pl.col("recommendation").ne_missing(pl.col("recommendation_spark"))
        ).height
        print(f"calls that differ between the two: {differ:,}")
    spark.stop()


if __name__ == "__main__":
    main()
