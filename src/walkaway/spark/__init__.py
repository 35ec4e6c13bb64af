"""The bulk review on Apache Spark: the same review, over data too big for one process.

An edge, like the store: it reads deals and activities in the generic format from
Parquet, CSV or a JDBC source into Spark DataFrames (:mod:`walkaway.spark.sources`),
and runs the review over them (:mod:`walkaway.spark.review`) with the core's own
columnar code: the team's norms and the win model are learned once on the driver from
the whole history before ``as_of`` and broadcast; each group of deals (a deal and all of
its activities in one group) is assessed by :func:`walkaway.decision.assess.assess_frame`
over Polars frames built from Arrow batches. No rule is written twice.

PySpark loads only here (``pip install 'walkaway[spark]'`` and a Java 17+ runtime).

May import: the service and everything below it; only the CLI imports it.
"""

from walkaway.spark.review import SparkReview, assessment_schema, review_on_spark
from walkaway.spark.session import local_session
from walkaway.spark.sources import SourceSpec, read_pipeline

__all__ = [
    "SourceSpec",
    "SparkReview",
    "assessment_schema",
    "local_session",
    "read_pipeline",
    "review_on_spark",
]
