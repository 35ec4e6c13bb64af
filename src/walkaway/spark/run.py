"""``walkaway spark review``: read, review on Spark, write Parquet, count.

The assessment is written to a folder beside the target and moved into place once
Spark has committed every file, so a failed run leaves the previous result (or
nothing), never half of one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from walkaway import lazy
from walkaway.errors import InputError
from walkaway.models import Recommendation, as_utc_naive
from walkaway.policy import Policy
from walkaway.service.model_lookup import model_for
from walkaway.service.pipeline import current_policy
from walkaway.spark.review import review_on_spark
from walkaway.spark.session import local_session
from walkaway.spark.sources import SourceSpec, parquet_history, read_pipeline
from walkaway.store import Store
from walkaway.store.database import normalise_url

if TYPE_CHECKING:
    from pyspark.sql import functions as F
else:
    F = lazy.module("pyspark.sql.functions")


@dataclass(frozen=True)
class SparkRunSummary:
    """What a Spark review wrote: where, as of when, and the calls it made."""

    out: str
    as_of: datetime
    open_deals: int
    by_recommendation: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": self.out,
            "as_of": self.as_of.isoformat(),
            "open_deals": self.open_deals,
            "by_recommendation": self.by_recommendation,
        }


def jdbc_source_for(store_url: str) -> SourceSpec:
    """The store's own ``deals`` and ``activities`` tables over JDBC (PostgreSQL)."""
    url = sa.engine.make_url(normalise_url(store_url))
    if not url.drivername.startswith("postgresql"):
        raise InputError(
            f"the Spark review reads a store over JDBC, which needs PostgreSQL; {store_url!r} "
            "is not: pass --deals and --activities (Parquet or CSV) instead"
        )
    port = f":{url.port}" if url.port else ""
    options = {"driver": "org.postgresql.Driver", "user": url.username or "postgres"}
    if url.password:
        options["password"] = str(url.password)
    jdbc = f"jdbc:postgresql://{url.host or '127.0.0.1'}{port}/{url.database}"
    return SourceSpec("jdbc", "deals", "activities", jdbc_url=jdbc, jdbc_options=options)


def _matches(column: str, wanted: str | None) -> Any:
    if not wanted:
        return F.lit(True)
    return F.lower(F.col(column)) == wanted.lower()


def write_parquet_whole(frame: Any, out: Path | str) -> None:
    """Write ``frame`` as a Parquet folder at ``out``, replacing it only once complete.

    A URI (``s3a://``, ``hdfs://``) is left to Spark's own output committer."""
    if "://" in str(out):
        frame.write.mode("overwrite").parquet(str(out))
        return
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        frame.write.mode("error").parquet(str(partial))
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if out.is_dir():
        shutil.rmtree(out)
    elif out.exists():
        out.unlink()
    partial.rename(out)


def run_spark_review(
    source: SourceSpec,
    out: Path | str,
    as_of: datetime,
    *,
    store: Store | None = None,
    policy: Policy | None = None,
    spark: Any = None,
    cores: int = 2,
    owner: str | None = None,
    stage: str | None = None,
) -> SparkRunSummary:
    """Review the pipeline at ``source`` on Spark and write it to ``out``.

    ``spark`` is the session to run on (default: a local one on ``cores`` cores). With
    ``store``, its policy and its trained model (when it learned only from before
    ``as_of``) are used; otherwise ``policy`` (default: the default one) and the prior.
    """
    if store is not None:
        policy = current_policy(store)
    model = model_for(store, as_of).model if store is not None else None
    spark = spark or local_session(cores)
    deals, activities = read_pipeline(spark, source)
    history = parquet_history(source, as_utc_naive(as_of))
    result = review_on_spark(spark, deals, activities, as_of, policy, model, history=history)
    frame = result.deals.filter(_matches("owner", owner) & _matches("stage", stage))
    write_parquet_whole(frame, out)
    written = spark.read.parquet(str(out))
    rows = written.groupBy("recommendation").count().collect()
    counts = {row["recommendation"]: int(row["count"]) for row in rows}
    by_recommendation = {r.value: counts.get(r.value, 0) for r in Recommendation}
    total = int(written.select(F.count(F.lit(1))).first()[0])
    return SparkRunSummary(str(out), result.as_of, total, by_recommendation)
