"""``walkaway review --engine spark``: the options and the printing (PySpark loads here)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from walkaway.cli.common import open_from, out
from walkaway.errors import InputError
from walkaway.settings import Settings

if TYPE_CHECKING:
    from walkaway.spark.sources import SourceSpec


@dataclass(frozen=True)
class SparkOptions:
    """Where the Spark review reads and writes."""

    deals: str | None
    activities: str | None
    jdbc: str | None
    out: str | None
    cores: int = 2
    owner: str | None = None
    stage: str | None = None


def _source(options: SparkOptions, db: str | None) -> SourceSpec:
    from walkaway.spark.run import jdbc_source_for
    from walkaway.spark.sources import SourceSpec

    if options.deals or options.activities:
        if not (options.deals and options.activities):
            raise InputError("--deals and --activities go together (Parquet or CSV paths)")
        if options.jdbc:
            raise InputError("read either files (--deals, --activities) or --jdbc, not both")
        return SourceSpec.from_paths(options.deals, options.activities)
    if options.jdbc:
        return SourceSpec("jdbc", "deals", "activities", jdbc_url=options.jdbc)
    return jdbc_source_for(Settings.from_env(db=db).db_url)


def spark_review(options: SparkOptions, as_of: datetime, db: str | None, *, json_out: bool) -> None:
    """Run the review on a local Spark and say what it wrote."""
    from walkaway.spark.run import run_spark_review

    if not options.out:
        raise InputError("--engine spark writes Parquet: pass --out FOLDER")
    source = _source(options, db)
    from_store = db is not None or (source.kind == "jdbc" and options.jdbc is None)
    store = open_from(db) if from_store else None
    summary = run_spark_review(
        source,
        Path(options.out),
        as_of,
        store=store,
        cores=options.cores,
        owner=options.owner,
        stage=options.stage,
    )
    if json_out:
        sys.stdout.write(json.dumps(summary.to_dict()) + "\n")
        return
    counts = summary.by_recommendation
    out.print(
        f"{summary.open_deals:,} open deals as of {as_of:%Y-%m-%d} reviewed on Spark: "
        f"{counts['walk_away']:,} walk away, {counts['requalify']:,} re-qualify, "
        f"{counts['pursue']:,} pursue; the assessment is in {summary.out}",
        highlight=False,
    )
