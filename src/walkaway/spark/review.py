"""The pipeline review on Spark, through the core's own columnar code.

1. **As of**: Spark keeps only deals created before ``as_of`` and activities dated
   before it (pushed down into Parquet and JDBC reads): nothing later reaches Python.
2. **Once, on the driver**: the team's norms (from the start of the as-of day, as the
   local review learns them) and the win model (the prior fitted on them, or the model
   given) from the whole history, with :func:`walkaway.signals.norms.compute_norms`;
   both are broadcast.
3. **Per group of deals**: every deal that may be open at ``as_of`` is hashed into a
   group of about ``deals_per_group`` deals; its activities go to the same group
   (``cogroup(...).applyInArrow``). Each group becomes two Polars frames and is assessed
   by :func:`walkaway.decision.assess.assess_frame` with the broadcast norms and model,
   exactly as the local review assesses the whole pipeline; the snapshot there decides
   what is open. The rows come back as Arrow.

The result has the columns of the local review (the assessment frame and the two
readiness columns), one row per open deal; it is not sorted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from walkaway import lazy
from walkaway.decision.assess import assess_frame
from walkaway.learning.prior import PriorModel, WinModel
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Outcome, Pipeline, as_utc_naive
from walkaway.policy import Policy, load_policy
from walkaway.service.norms import learned_norms, norms_day
from walkaway.signals.norms import Norms, compute_norms

if TYPE_CHECKING:
    from pyspark.sql import functions as F
    from pyspark.sql.pandas import types as arrow_types
else:
    F = lazy.module("pyspark.sql.functions")
    arrow_types = lazy.module("pyspark.sql.pandas.types")

GROUP = "_walkaway_group"
DEALS_PER_GROUP = 10_000


@dataclass(frozen=True)
class SparkReview:
    """The assessment of every deal open at ``as_of`` (a Spark DataFrame), and the norms
    and model it was made with."""

    as_of: datetime
    deals: Any  # pyspark.sql.DataFrame with assessment_schema()
    norms: Norms
    model: WinModel


@dataclass(frozen=True)
class _Work:
    """What every group needs, broadcast once."""

    as_of: datetime
    policy: Policy
    norms: Norms
    model: WinModel
    schema: pa.Schema


def known_at(deals: Any, activities: Any, as_of: datetime) -> tuple[Any, Any]:
    """Deals created before ``as_of`` and activities dated before it (what the local
    review loads from the store); outcomes after it are blanked by the snapshot."""
    cutoff = F.lit(as_of).cast("timestamp_ntz")
    return deals.filter(F.col("created_at") < cutoff), activities.filter(F.col("at") < cutoff)


def _maybe_open(deals: Any, as_of: datetime) -> Any:
    """A superset of the deals open at ``as_of``: all but those that surely closed
    before it. The snapshot in each group decides."""
    closed = F.lower(F.col("outcome")).isin(Outcome.WON.value, Outcome.LOST.value)
    before = F.col("closed_at") < F.lit(as_of).cast("timestamp_ntz")
    return deals.filter(~(closed & before).eqNullSafe(True))


def to_polars(table: pa.Table, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An Arrow table from Spark as a frame of ``schema`` (its columns, in order)."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.select([pl.col(name).cast(dtype) for name, dtype in schema.items()])


def collect_pipeline(deals: Any, activities: Any) -> Pipeline:
    """Spark frames in the generic schema, collected to the driver as Polars."""
    return Pipeline(
        to_polars(deals.toArrow(), DEAL_SCHEMA),
        to_polars(activities.toArrow(), ACTIVITY_SCHEMA).sort("deal_id", "at"),
    )


def _plain(kind: pa.DataType) -> pa.DataType:
    """The Arrow type Spark takes for a Polars one: no large or view types, no unsigned."""
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_unsigned_integer(kind):
        return pa.int64()
    if pa.types.is_large_list(kind) or pa.types.is_list(kind):
        return pa.list_(_plain(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _plain(f.type)) for f in kind])
    return kind


def _arrow_schema(frame: pl.DataFrame) -> pa.Schema:
    return pa.schema([pa.field(f.name, _plain(f.type)) for f in frame.to_arrow().schema])


def assessment_arrow_schema(policy: Policy, norms: Norms, model: WinModel) -> pa.Schema:
    """The Arrow schema of the review's rows: what the core returns for no deals."""
    empty = Pipeline(pl.DataFrame(schema=DEAL_SCHEMA), pl.DataFrame(schema=ACTIVITY_SCHEMA))
    frame = assess_frame(empty, norms.as_of, policy, model, norms=norms, readiness=True)
    return _arrow_schema(frame)


def assessment_schema(policy: Policy | None = None) -> Any:
    """The Spark schema of :attr:`SparkReview.deals` (with the default policy)."""
    policy = policy or load_policy()
    empty = Pipeline(pl.DataFrame(schema=DEAL_SCHEMA), pl.DataFrame(schema=ACTIVITY_SCHEMA))
    norms = compute_norms(empty, datetime(2000, 1, 1), policy)
    model = PriorModel(policy).fit(empty, norms.as_of, norms=norms)
    return arrow_types.from_arrow_schema(assessment_arrow_schema(policy, norms, model))


def assess_group(work: Any, deals: pa.Table, activities: pa.Table) -> pa.Table:
    """One group's deals and activities, assessed by the core (runs on the workers)."""
    job: _Work = work.value
    pipeline = Pipeline(
        to_polars(deals, DEAL_SCHEMA),
        to_polars(activities, ACTIVITY_SCHEMA).sort("deal_id", "at"),
    )
    frame = assess_frame(
        pipeline, job.as_of, job.policy, job.model, norms=job.norms, readiness=True
    )
    return frame.to_arrow().cast(job.schema)


def review_on_spark(
    spark: Any,
    deals: Any,
    activities: Any,
    as_of: datetime,
    policy: Policy | None = None,
    model: WinModel | None = None,
    *,
    history: Pipeline | None = None,
    deals_per_group: int = DEALS_PER_GROUP,
) -> SparkReview:
    """Every deal open at ``as_of``, assessed as the local review assesses it.

    ``deals`` and ``activities`` are Spark DataFrames in the generic schema
    (:func:`walkaway.spark.sources.read_pipeline`). ``model`` must be fitted and have
    learned only from before ``as_of``; without one the prior is fitted on the norms.
    ``history`` is the same pipeline before ``as_of`` as Polars frames, when the driver
    can read it itself (:func:`walkaway.spark.sources.parquet_history`); otherwise it
    is collected from Spark.
    """
    moment = as_utc_naive(as_of)
    policy = policy or load_policy()
    deals, activities = known_at(deals, activities, moment)
    if history is None:
        history = collect_pipeline(deals, activities)
    norms = learned_norms(history, norms_day(moment), policy)
    if model is None:
        model = PriorModel(policy).fit(history, moment, norms=norms)
    schema = assessment_arrow_schema(policy, norms, model)
    work = spark.sparkContext.broadcast(_Work(moment, policy, norms, model, schema))
    candidates = _maybe_open(deals, moment)
    groups = max(1, math.ceil(history.deals.height / max(1, deals_per_group)))
    group = F.pmod(F.xxhash64("deal_id"), F.lit(groups))
    # Only the candidates' activities travel (the deal ids are small enough to broadcast).
    theirs = activities.join(F.broadcast(candidates.select("deal_id")), "deal_id", "left_semi")
    left = candidates.withColumn(GROUP, group).groupBy(GROUP)
    right = theirs.withColumn(GROUP, group).groupBy(GROUP)
    assessed = left.cogroup(right).applyInArrow(
        partial(_assess_without_group, work), schema=arrow_types.from_arrow_schema(schema)
    )
    return SparkReview(moment, assessed, norms, model)


def _assess_without_group(work: Any, deals: pa.Table, activities: pa.Table) -> pa.Table:
    return assess_group(work, deals.drop_columns([GROUP]), activities.drop_columns([GROUP]))
