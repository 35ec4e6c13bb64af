"""The Spark review over the real BPI 2012 funnel, over a PostgreSQL store through
JDBC, and from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.spark.conftest import IN_CI, assert_same_review
from walkaway.cli import app
from walkaway.service import build_demo, import_files, sample_files
from walkaway.service.review import review
from walkaway.spark import SourceSpec, read_pipeline, review_on_spark
from walkaway.spark.session import DEBIAN_JDBC_JARS
from walkaway.store import open_store

BPI_AS_OF = datetime(2011, 12, 1)  # mid-funnel: hundreds of applications open
SAMPLE_AS_OF = "2026-01-15"


@pytest.mark.shared
def test_bpi2012_on_spark_equals_the_local_review(
    spark: Any, shared_data: Path, tmp_path: Path
) -> None:
    folder = shared_data / "bpi2012"
    store = open_store(f"sqlite:///{tmp_path / 'bpi.db'}")
    import_files(store, folder / "deals.csv", folder / "activities.csv")
    local = review(store, BPI_AS_OF).deals
    deals, activities = read_pipeline(
        spark, SourceSpec.from_paths(str(folder / "deals.csv"), str(folder / "activities.csv"))
    )
    distributed = pl.from_arrow(
        review_on_spark(spark, deals, activities, BPI_AS_OF).deals.toArrow()
    )
    assert isinstance(distributed, pl.DataFrame)
    assert local.height > 500
    assert_same_review(local, distributed)
    store.close()


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    return result


def test_spark_review_writes_the_assessment_as_parquet(spark: Any, tmp_path: Path) -> None:
    deals_csv, activities_csv = sample_files()
    store, _ = build_demo(f"sqlite:///{tmp_path / 'demo.db'}")
    out = tmp_path / "review"
    result = _run(
        "spark", "review", "--deals", str(deals_csv), "--activities",
        str(activities_csv), "--out", str(out), "--as-of", SAMPLE_AS_OF, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    written = pl.read_parquet(out / "*.parquet")
    local = review(store, datetime.fromisoformat(SAMPLE_AS_OF)).deals
    assert summary["open_deals"] == written.height == local.height
    assert (
        summary["by_recommendation"]["walk_away"] == (local["recommendation"] == "walk_away").sum()
    )
    assert_same_review(local, written)
    store.close()


def test_spark_review_keeps_one_owner(spark: Any, tmp_path: Path) -> None:
    deals_csv, activities_csv = sample_files()
    owner = pl.read_csv(deals_csv)["owner"][0]
    out = tmp_path / "one-owner"
    result = _run(
        "spark", "review", "--deals", str(deals_csv), "--activities",
        str(activities_csv), "--out", str(out), "--as-of", SAMPLE_AS_OF, "--owner", owner.upper(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    written = pl.read_parquet(out / "*.parquet")
    assert written.height > 0 and set(written["owner"]) == {owner}
    assert "reviewed on Spark" in result.stdout


@pytest.mark.postgres
def test_a_postgresql_store_over_jdbc_equals_its_local_review(
    spark: Any, postgres_url: str, tmp_path: Path
) -> None:
    if not any(jar.is_file() for jar in DEBIAN_JDBC_JARS):
        problem = "no PostgreSQL JDBC driver (apt-get install libpostgresql-jdbc-java)"
        if IN_CI:
            pytest.fail(f"the Spark tests run under CI=true: {problem}")
        pytest.skip(problem)
    store = open_store(postgres_url)
    deals_csv, activities_csv = sample_files()
    import_files(store, deals_csv, activities_csv, format="generic")
    out = tmp_path / "pg-review"
    result = _run(
        "spark", "review", "--db", postgres_url, "--out", str(out),
        "--as-of", SAMPLE_AS_OF,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    local = review(store, datetime.fromisoformat(SAMPLE_AS_OF)).deals
    assert_same_review(local, pl.read_parquet(out / "*.parquet"))
    store.close()


def test_spark_without_out_or_with_a_sqlite_store_is_one_line(tmp_path: Path) -> None:
    deals_csv, activities_csv = sample_files()
    no_out = _run("spark", "review", "--deals", str(deals_csv), "--activities", str(activities_csv))
    assert no_out.exit_code == 2 and "Missing option '--out'" in no_out.output
    sqlite = _run("spark", "review", "--out", str(tmp_path / "o"), "--db", str(tmp_path / "x.db"))
    assert sqlite.exit_code == 2 and "needs PostgreSQL" in sqlite.output
    half = _run("spark", "review", "--deals", str(deals_csv), "--out", str(tmp_path / "o"))
    assert half.exit_code == 2 and "--deals and --activities go together" in half.output


def test_the_spark_submit_entry_point_reviews_and_says_what_it_wrote(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from walkaway.spark.submit import main

    deals_csv, activities_csv = sample_files()
    out = tmp_path / "submitted"
    args = ["--deals", str(deals_csv), "--activities", str(activities_csv), "--out", str(out)]
    assert main([*args, "--as-of", SAMPLE_AS_OF]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["open_deals"] == pl.read_parquet(out / "*.parquet").height > 0
    assert main([*args, "--as-of", SAMPLE_AS_OF, "--policy", str(tmp_path / "none.toml")]) == 2


def test_the_local_review_takes_no_spark_options(tmp_path: Path) -> None:
    for option in ("--engine", "--out", "--deals", "--activities", "--jdbc", "--cores"):
        result = _run("review", option, "x", "--db", str(tmp_path / "x.db"))
        assert result.exit_code == 2 and f"No such option: {option}" in result.output, option
