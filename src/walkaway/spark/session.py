"""A Spark session in local mode, set up for the review.

On a cluster the session comes from ``spark-submit`` (see docs/benchmarks.md); this is
what ``walkaway spark review`` starts on one machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from walkaway.errors import InputError

# The PostgreSQL JDBC driver from Debian's package libpostgresql-jdbc-java.
DEBIAN_JDBC_JARS = (Path("/usr/share/java/postgresql.jar"),)


def _spark_module() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError(
            "the Spark engine needs PySpark: pip install 'walkaway[spark]' (and Java 17+)"
        ) from None
    return SparkSession


def local_session(
    cores: int = 2,
    *,
    driver_memory: str = "4g",
    shuffle_partitions: int | None = None,
    jars: Sequence[Path] = (),
    app_name: str = "walkaway-review",
) -> Any:
    """A local-mode ``SparkSession`` on ``cores`` cores, its workers running this Python.

    ``jars`` (default: the Debian JDBC drivers that are installed) go on the class path.
    Timestamps are read and written as naive UTC (``TIMESTAMP_NTZ``), like the store.
    """
    session_class = _spark_module()
    # The Python workers must be this interpreter (with Polars); Spark reads the
    # variable when the context starts, so it is set before.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    on_path = [str(j) for j in (jars or DEBIAN_JDBC_JARS) if Path(j).is_file()]
    builder = (
        session_class.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        # The driver collects the history the norms are learned from (when it cannot
        # read it itself): as large as the history, which the memory above bounds.
        .config("spark.driver.maxResultSize", "0")
        # Local mode talks to itself only: on the loopback address, never another interface.
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or 2 * cores))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # A group's rows reach Python in batches this large (10,000 by default): fewer,
        # bigger batches halved the review's time on 5M activities.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "200000")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
    )
    if on_path:
        builder = builder.config("spark.jars", ",".join(on_path))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
