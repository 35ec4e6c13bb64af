"""Deals and activities in the generic format, read by Spark from Parquet, CSV or JDBC.

Whatever the source, the frames come out with the columns and types of
:data:`walkaway.models.DEAL_SCHEMA` and :data:`walkaway.models.ACTIVITY_SCHEMA`
(timestamps naive UTC), so the review reads one shape:

- **Parquet**: files or folders of them with the generic columns (missing optional
  columns are null); what ``polars.DataFrame.write_parquet`` or Spark writes.
- **CSV**: the generic format of FORMAT.md with a header row; a value that does not
  read as its column's type stops the review with one line naming the file, the
  column and the value. Deal columns beyond the format are kept as ``attributes``.
- **JDBC**: two tables (default ``deals`` and ``activities``: a Walkaway store on
  PostgreSQL reads as it is) or two ``(SELECT ...) AS t`` queries. (SQLite's JDBC
  driver reads the store's dates as text Spark cannot parse: export to Parquet.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from walkaway import lazy
from walkaway.errors import InputError
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline

if TYPE_CHECKING:
    from pyspark.sql import functions as F
    from pyspark.sql.pandas import types as arrow_types
else:
    F = lazy.module("pyspark.sql.functions")
    arrow_types = lazy.module("pyspark.sql.pandas.types")

SourceKind = Literal["parquet", "csv", "jdbc"]
REQUIRED = {"deals": ("deal_id", "created_at"), "activities": ("deal_id", "at", "kind")}


@dataclass(frozen=True)
class SourceSpec:
    """Where the pipeline is: two paths (Parquet or CSV) or two JDBC tables."""

    kind: SourceKind
    deals: str
    activities: str
    jdbc_url: str | None = None
    jdbc_options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_paths(cls, deals: str, activities: str) -> SourceSpec:
        """Parquet or CSV, told by the deals path's suffix (a folder is Parquet)."""
        kind: SourceKind = "csv" if deals.lower().endswith(".csv") else "parquet"
        return cls(kind, deals, activities)


def spark_schema(schema: dict[str, pl.DataType]) -> Any:
    """The Spark ``StructType`` of a Polars schema (through Arrow, timestamps NTZ)."""
    arrow = pl.DataFrame(schema=schema).to_arrow().schema
    return arrow_types.from_arrow_schema(arrow, prefer_timestamp_ntz=True)


def read_pipeline(spark: Any, spec: SourceSpec) -> tuple[Any, Any]:
    """The deals and activities DataFrames of ``spec``, in the generic schema."""
    readers = {"parquet": _read_parquet, "csv": _read_csv, "jdbc": _read_jdbc}
    deals = readers[spec.kind](spark, spec, spec.deals, "deals")
    activities = readers[spec.kind](spark, spec, spec.activities, "activities")
    return deals, activities


def _local_parquet(path: str) -> str | None:
    """The glob Polars reads for a local Parquet file or folder (None for a URI)."""
    if "://" in path:
        return None
    found = Path(path)
    if found.is_dir():
        return str(found / "**" / "*.parquet")
    return str(found) if found.is_file() else None


def _scan(path: str, schema: dict[str, pl.DataType]) -> pl.LazyFrame:
    frame = pl.scan_parquet(path)
    present = frame.collect_schema().names()
    return frame.select(
        pl.col(n).cast(t) if n in present else pl.lit(None, dtype=t).alias(n)
        for n, t in schema.items()
    )


def parquet_history(spec: SourceSpec, as_of: datetime) -> Pipeline | None:
    """What the driver learns the norms from, for local Parquet: read by Polars from the
    same files (deals created and activities dated before ``as_of``, as the store's
    review loads them) instead of through Spark and back. None for other sources."""
    if spec.kind != "parquet":
        return None
    deals, activities = _local_parquet(spec.deals), _local_parquet(spec.activities)
    if deals is None or activities is None:
        return None
    cutoff = pl.lit(as_of, dtype=pl.Datetime("us"))
    return Pipeline(
        _scan(deals, DEAL_SCHEMA).filter(pl.col("created_at") < cutoff).collect(),
        _scan(activities, ACTIVITY_SCHEMA).filter(pl.col("at") < cutoff).collect(),
    )


def _schema_of(what: str) -> dict[str, pl.DataType]:
    return DEAL_SCHEMA if what == "deals" else ACTIVITY_SCHEMA


def _conform(frame: Any, what: str, label: str) -> Any:
    """The generic columns in order and type; absent optional ones null."""
    present = set(frame.columns)
    missing = [c for c in REQUIRED[what] if c not in present]
    if missing:
        raise InputError(
            f"{label}: no {', '.join(missing)} column; the {what} need the generic "
            f"format's columns (FORMAT.md), found {', '.join(frame.columns[:8]) or 'none'}"
        )
    columns = []
    for spark_field in spark_schema(_schema_of(what)).fields:
        name = spark_field.name
        value = F.col(name) if name in present else F.lit(None)
        if name == "attributes" and name not in present:
            value = F.lit("{}")
        columns.append(value.cast(spark_field.dataType).alias(name))
    return frame.select(columns)


def _read_parquet(spark: Any, spec: SourceSpec, path: str, what: str) -> Any:
    try:
        frame = spark.read.parquet(path)
    except Exception as error:  # AnalysisException: a path that is not there
        raise InputError(f"{path}: cannot read it as Parquet ({_first_line(error)})") from None
    return _conform(frame, what, path)


def _read_csv(spark: Any, spec: SourceSpec, path: str, what: str) -> Any:
    try:
        raw = spark.read.option("header", "true").option("inferSchema", "false").csv(path)
    except Exception as error:
        raise InputError(f"{path}: cannot read it as CSV ({_first_line(error)})") from None
    raw = raw.select([F.trim(F.col(c)).alias(c.strip()) for c in raw.columns])
    raw = raw.select([F.when(F.col(c) != "", F.col(c)).alias(c) for c in raw.columns])
    schema = _schema_of(what)
    extras = [c for c in raw.columns if c not in schema]
    if what == "deals" and extras and "attributes" not in raw.columns:
        raw = raw.withColumn("attributes", F.to_json(F.struct(*extras)))
    frame = _conform(raw, what, path)
    _check_casts(raw, what, path)
    return frame


def _check_casts(raw: Any, what: str, path: str) -> None:
    """One line for the first value that did not read as its column's type."""
    fields = [
        f
        for f in spark_schema(_schema_of(what)).fields
        if f.name in raw.columns and f.name != "attributes"
    ]
    lost = [
        F.first(
            F.when(
                F.col(f.name).isNotNull() & F.col(f.name).try_cast(f.dataType).isNull(),
                F.col(f.name),
            ),
            True,
        ).alias(f.name)
        for f in fields
    ]
    row = raw.agg(*lost).first() if lost else None
    for spark_field in fields:
        if row is not None and row[spark_field.name] is not None:
            raise InputError(
                f"{path}: column {spark_field.name} has {row[spark_field.name]!r}, which is "
                f"not a {spark_field.dataType.simpleString()} value; expected the generic "
                "format (FORMAT.md)"
            )


def _read_jdbc(spark: Any, spec: SourceSpec, table: str, what: str) -> Any:
    if not spec.jdbc_url:
        raise InputError("a JDBC source needs its URL (jdbc:postgresql://host:5432/db)")
    options = {"url": spec.jdbc_url, "dbtable": table, "preferTimestampNTZ": "true"}
    options.update(spec.jdbc_options)
    try:
        frame = spark.read.format("jdbc").options(**options).load()
    except Exception as error:
        raise InputError(
            f"{spec.jdbc_url} {table}: cannot read it ({_first_line(error)})"
        ) from None
    return _conform(frame, what, f"{spec.jdbc_url} {table}")


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__
