"""One local Spark session for every Spark test (a JVM takes seconds to start)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from tests.conftest import IN_CI


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """Spark in local mode on 2 cores; in CI a missing Java or PySpark is a failure."""
    problem = None
    if shutil.which("java") is None:
        problem = "no Java runtime (apt-get install openjdk-17-jre-headless)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        problem = "PySpark is not installed (pip install 'walkaway[spark]')"
    if problem:
        if IN_CI:
            pytest.fail(f"the Spark tests run under CI=true: {problem}")
        pytest.skip(problem)
    from walkaway.spark import local_session

    session = local_session(2, driver_memory="2g")
    yield session
    session.stop()


FLOAT_COLUMNS_TOLERANCE = 1e-9


def assert_same_review(local: pl.DataFrame, distributed: pl.DataFrame) -> None:
    """Deal by deal: the same deals, calls, flags and dates; numbers within 1e-9."""
    assert local.height > 0
    assert sorted(distributed["deal_id"]) == sorted(local["deal_id"])
    columns = [c for c in local.columns if c in distributed.columns]
    assert "ready_to_advance" in columns and "flags" in columns
    left = local.select(columns).sort("deal_id")
    right = distributed.select(columns).sort("deal_id")
    for name in columns:
        a, b = left[name], right[name]
        if a.dtype == pl.Float64:
            gap = (a - b).abs().fill_null(0.0)
            assert (a.is_null() == b.is_null()).all(), name
            assert gap.max() <= FLOAT_COLUMNS_TOLERANCE * max(1.0, a.abs().max() or 0.0), name
        else:
            assert a.cast(b.dtype).equals(b), (name, a.head(3).to_list(), b.head(3).to_list())
