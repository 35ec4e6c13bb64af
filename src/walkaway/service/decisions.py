"""People's decisions as stored: read below both the review and the journal.

The review lays the latest human decision of each deal over its rows
(:func:`human_decisions`); the journal reads every one of them (:func:`load_decisions`).
Both live here so that neither use case imports the other for them.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import sqlalchemy as sa

from walkaway.journal.scorecard import DECISION_SCHEMA
from walkaway.models import DATETIME
from walkaway.store import Store
from walkaway.store.frames import read_frame
from walkaway.store.schema import decisions

HUMAN = "human"
_FROM_SNAPSHOT = ("hours_needed", "recommendation")


def load_decisions(store: Store) -> pl.DataFrame:
    """Every human decision as :data:`walkaway.journal.scorecard.DECISION_SCHEMA`
    (+ ``snapshot``)."""
    d = decisions.c
    columns = [
        d.id, d.deal_id, d.decision, d.as_of, d.decided_by, d.reason, d.revisit_on,
        d.requalify_by, d.win_probability, d.expected_value, d.cost_to_pursue, d.snapshot,
    ]  # fmt: skip
    schema = {k: v for k, v in DECISION_SCHEMA.items() if k not in _FROM_SNAPSHOT}
    schema["snapshot"] = pl.String()
    query = sa.select(*columns).where(d.source == HUMAN).order_by(d.as_of, d.id)
    with store.connect() as conn:
        frame = read_frame(conn, columns, query, schema)
    snap = pl.col("snapshot")
    return frame.with_columns(
        snap.str.json_path_match("$.hours_needed").cast(pl.Float64).alias("hours_needed"),
        snap.str.json_path_match("$.recommendation").alias("recommendation"),
    )


def human_decisions(store: Store, as_of: datetime | None = None) -> pl.DataFrame:
    """The latest human decision per deal (as of ``as_of``, default all of them).

    Columns: ``deal_id, human_decision, human_reason, decided_by, decided_at`` (the
    moment the decision was made for, its ``--as-of``), ``revisit_on, requalify_by``.
    Give it to :func:`walkaway.journal.scorecard.overlay_decisions` with the review's rows.
    """
    frame = load_decisions(store)
    if as_of is not None:
        frame = frame.filter(pl.col("decided_at") <= pl.lit(as_of, dtype=DATETIME))
    latest = frame.sort("decided_at", "decision_id").group_by("deal_id", maintain_order=True).last()
    return latest.select(
        "deal_id",
        pl.col("decision").alias("human_decision"),
        pl.col("reason").alias("human_reason"),
        "decided_by",
        "decided_at",
        "revisit_on",
        "requalify_by",
    ).sort("deal_id")
