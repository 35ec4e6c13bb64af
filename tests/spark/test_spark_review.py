"""The review on Spark equals the local review, deal by deal, and sees nothing later."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.spark.conftest import assert_same_review
from walkaway.errors import InputError
from walkaway.models import Pipeline
from walkaway.service import build_demo, sample_files
from walkaway.service.reading import load_pipeline
from walkaway.service.review import review
from walkaway.spark import SourceSpec, read_pipeline, review_on_spark
from walkaway.spark.sources import parquet_history
from walkaway.store import Store

AS_OF = datetime(2026, 1, 15)
EARLY = datetime(2025, 10, 1)  # deals then open were closed later: the snapshot reopens them


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("demo")
    store, _summary = build_demo(f"sqlite:///{folder / 'demo.db'}")
    return store


@pytest.fixture(scope="module")
def parquet_pipeline(demo: Store, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The stored sample pipeline, everything in it, as Parquet files."""
    folder = tmp_path_factory.mktemp("parquet")
    everything = load_pipeline(demo, datetime(2100, 1, 1))
    everything.deals.write_parquet(folder / "deals.parquet")
    everything.activities.write_parquet(folder / "activities.parquet")
    return str(folder / "deals.parquet"), str(folder / "activities.parquet")


def _collect(frame: Any) -> pl.DataFrame:
    collected = pl.from_arrow(frame.toArrow())
    assert isinstance(collected, pl.DataFrame)
    return collected


def _spark_review(spark: Any, spec: SourceSpec, as_of: datetime) -> pl.DataFrame:
    deals, activities = read_pipeline(spark, spec)
    return _collect(review_on_spark(spark, deals, activities, as_of).deals)


def test_the_sample_pipeline_from_its_csv_files_equals_the_local_review(
    spark: Any, demo: Store
) -> None:
    deals_csv, activities_csv = sample_files()
    distributed = _spark_review(
        spark, SourceSpec.from_paths(str(deals_csv), str(activities_csv)), AS_OF
    )
    local = review(demo, AS_OF).deals
    assert_same_review(local, distributed)
    assert set(local["recommendation"]) == {"pursue", "requalify", "walk_away"}
    joined = local.join(distributed, on="deal_id", suffix="_spark")
    gap = (joined["win_probability"] - joined["win_probability_spark"]).abs().max()
    assert gap is not None and gap <= 1e-9


@pytest.mark.parametrize("driver_reads_parquet", [False, True])
def test_parquet_at_an_earlier_date_equals_the_local_review(
    spark: Any, demo: Store, parquet_pipeline: tuple[str, str], driver_reads_parquet: bool
) -> None:
    spec = SourceSpec.from_paths(*parquet_pipeline)
    history = parquet_history(spec, EARLY) if driver_reads_parquet else None
    assert (history is None) != driver_reads_parquet
    deals, activities = read_pipeline(spark, spec)
    result = review_on_spark(spark, deals, activities, EARLY, history=history)
    distributed = _collect(result.deals)
    local = review(demo, EARLY).deals
    assert_same_review(local, distributed)
    everything = load_pipeline(demo, datetime(2100, 1, 1)).deals
    closed_later = everything.filter(pl.col("closed_at") >= EARLY)["deal_id"]
    assert distributed["deal_id"].is_in(closed_later.implode()).sum() > 0


def _with_the_future(pipeline: Pipeline, as_of: datetime) -> Pipeline:
    """The same pipeline plus what happened at and after ``as_of``: every open deal's
    buyer replies, is won at once, and a new deal is created."""
    open_ids = pipeline.deals.filter(pl.col("outcome") == "open")["deal_id"]
    replies = pl.DataFrame(
        {
            "deal_id": open_ids,
            "at": [as_of + timedelta(hours=h % 48) for h in range(open_ids.len())],
            "kind": "email",
            "direction": "inbound",
            "status": "done",
            "hours": 1.0,
        }
    )
    acts = pl.concat([pipeline.activities, replies], how="diagonal_relaxed")
    won = pl.col("outcome") == "open"
    deals = pipeline.deals.with_columns(
        pl.when(won).then(pl.lit("won")).otherwise("outcome").alias("outcome"),
        pl.when(won).then(pl.lit(as_of)).otherwise("closed_at").alias("closed_at"),
    )
    newcomer = deals.head(1).with_columns(
        pl.lit("D-FUTURE").alias("deal_id"), pl.lit(as_of).alias("created_at")
    )
    return Pipeline(pl.concat([deals, newcomer]), acts.cast(pipeline.activities.schema))


def test_nothing_dated_at_or_after_as_of_changes_the_spark_review(
    spark: Any, demo: Store, tmp_path: Path
) -> None:
    as_of = datetime(2025, 11, 3)
    stored = load_pipeline(demo, datetime(2100, 1, 1))
    # Known at as_of: deals created before it, activities before it.
    before = Pipeline(
        stored.deals.filter(pl.col("created_at") < as_of),
        stored.activities.filter(pl.col("at") < as_of),
    )
    future = _with_the_future(before, as_of)
    reviews = []
    for name, pipeline in (("before", before), ("future", future)):
        pipeline.deals.write_parquet(tmp_path / f"{name}-deals.parquet")
        pipeline.activities.write_parquet(tmp_path / f"{name}-acts.parquet")
        spec = SourceSpec.from_paths(
            str(tmp_path / f"{name}-deals.parquet"), str(tmp_path / f"{name}-acts.parquet")
        )
        reviews.append(_spark_review(spark, spec, as_of))
    assert reviews[0].height > 0
    assert "D-FUTURE" not in reviews[1]["deal_id"].to_list()
    assert_same_review(reviews[0], reviews[1])


def test_a_csv_value_of_the_wrong_type_is_one_clear_line(spark: Any, tmp_path: Path) -> None:
    deals_csv, activities_csv = sample_files()
    lines = Path(deals_csv).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("amount")] = "lots"
    bad = tmp_path / "deals.csv"
    bad.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"deals\.csv: column amount has 'lots'.*double"):
        read_pipeline(spark, SourceSpec.from_paths(str(bad), str(activities_csv)))


def test_a_deals_file_without_the_generic_columns_is_refused(spark: Any, tmp_path: Path) -> None:
    other = tmp_path / "deals.csv"
    other.write_text("Opportunity Name,Stage\nAcme,Proposal\n", encoding="utf-8")
    _deals, activities_csv = sample_files()
    with pytest.raises(InputError, match="no deal_id, created_at column"):
        read_pipeline(spark, SourceSpec.from_paths(str(other), str(activities_csv)))
