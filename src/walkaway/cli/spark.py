"""``walkaway spark review``: the review on Apache Spark (PySpark loads only when it runs)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from walkaway import lazy
from walkaway.cli.common import DbOption, TextOrJson, app, as_of_option, edge, open_from, out
from walkaway.cli.review import AsOfOption
from walkaway.errors import InputError
from walkaway.settings import Settings

if TYPE_CHECKING:  # PyArrow and PySpark load only when the Spark review runs
    from walkaway.spark import run as spark_run
    from walkaway.spark import sources as spark_sources
    from walkaway.spark.sources import SourceSpec
else:
    spark_run = lazy.module("walkaway.spark.run")
    spark_sources = lazy.module("walkaway.spark.sources")

spark_app = typer.Typer(
    help="The review on Apache Spark (local mode): 'pip install walkaway[spark]' and Java 17+."
)
app.add_typer(spark_app, name="spark")


@dataclass(frozen=True)
class SparkOptions:
    """Where the Spark review reads and writes."""

    out: str
    deals: str | None = None
    activities: str | None = None
    jdbc: str | None = None
    cores: int = 2
    owner: str | None = None
    stage: str | None = None


def _source(options: SparkOptions, db: str | None) -> SourceSpec:
    if options.deals or options.activities:
        if not (options.deals and options.activities):
            raise InputError("--deals and --activities go together (Parquet or CSV paths)")
        if options.jdbc:
            raise InputError("read either files (--deals, --activities) or --jdbc, not both")
        return spark_sources.SourceSpec.from_paths(options.deals, options.activities)
    if options.jdbc:
        return spark_sources.SourceSpec("jdbc", "deals", "activities", jdbc_url=options.jdbc)
    return spark_run.jdbc_source_for(Settings.from_env(db=db).db_url)


def spark_review(options: SparkOptions, as_of: datetime, db: str | None, *, json_out: bool) -> None:
    """Run the review on a local Spark and say what it wrote."""
    source = _source(options, db)
    from_store = db is not None or (source.kind == "jdbc" and options.jdbc is None)
    store = open_from(db) if from_store else None
    summary = spark_run.run_spark_review(
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


@spark_app.command("review")
@edge
def spark_review_command(
    out_path: Annotated[
        str, typer.Option("--out", help="The Parquet folder to write (replaced once complete).")
    ],
    deals: Annotated[
        str | None,
        typer.Option("--deals", help="Deals in the generic format (Parquet or CSV)."),
    ] = None,
    activities: Annotated[
        str | None, typer.Option("--activities", help="Their activities (Parquet or CSV).")
    ] = None,
    jdbc: Annotated[
        str | None,
        typer.Option("--jdbc", help="A JDBC URL with tables deals and activities."),
    ] = None,
    db: DbOption = None,
    cores: Annotated[int, typer.Option("--cores", help="Local cores.", min=1)] = 2,
    as_of: AsOfOption = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this rep's deals.")] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Only deals in this stage.")] = None,
    format: Annotated[
        TextOrJson, typer.Option("--format", help="text or json (the summary).")
    ] = TextOrJson.text,
) -> None:
    """The review on a local Spark, from files, JDBC or a PostgreSQL store, written as Parquet.

    Without --deals/--activities or --jdbc it reads the store's own tables (PostgreSQL);
    with --db the store's policy and trained model are used."""
    options = SparkOptions(out_path, deals, activities, jdbc, cores, owner, stage)
    spark_review(options, as_of_option(as_of), db, json_out=format is TextOrJson.json)
