"""The review as a Spark application, for ``spark-submit`` on a cluster::

    spark-submit --master yarn --deploy-mode client \\
        --conf spark.executorEnv.PYSPARK_PYTHON=/opt/walkaway/bin/python \\
        "$(python -c 'import walkaway.spark.submit as m; print(m.__file__)')" \\
        --deals s3a://crm/deals.parquet --activities s3a://crm/activities.parquet \\
        --out s3a://crm/review-2026-11-16 --as-of 2026-11-16 [--policy team.toml]

The session is the one ``spark-submit`` configures; every executor needs Walkaway
installed in its Python (the same version as the driver).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from walkaway import lazy
from walkaway.errors import WalkawayError
from walkaway.policy import load_policy, read_policy
from walkaway.spark.run import run_spark_review
from walkaway.spark.sources import SourceSpec

if TYPE_CHECKING:
    from pyspark import sql as pyspark_sql
else:
    pyspark_sql = lazy.module("pyspark.sql")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, review, print the summary as JSON; 2 on bad input."""
    parser = argparse.ArgumentParser(description="Walkaway's review on Spark")
    parser.add_argument("--deals", required=True, help="deals: Parquet or CSV (generic format)")
    parser.add_argument("--activities", required=True, help="their activities")
    parser.add_argument("--out", required=True, help="where the assessment is written")
    parser.add_argument("--as-of", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--policy", type=Path, help="the team's policy (TOML)")
    args = parser.parse_args(argv)
    try:
        policy = read_policy(args.policy) if args.policy else load_policy()
        summary = run_spark_review(
            SourceSpec.from_paths(args.deals, args.activities),
            args.out,
            datetime.combine(args.as_of, datetime.min.time()),
            policy=policy,
            spark=pyspark_sql.SparkSession.builder.appName("walkaway-review").getOrCreate(),
        )
    except WalkawayError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
