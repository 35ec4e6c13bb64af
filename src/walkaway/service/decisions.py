"""People's decisions as stored: read below both the review and the journal.

The review lays the latest human decision of each deal over its rows
(:func:`human_decisions`); the journal reads every one of them (:func:`load_decisions`).
Both live here so that neither use case imports the other for them.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from walkaway.journal.scorecard import DECISION_SCHEMA
from walkaway.models import DATETIME
from walkaway.store import Store
from walkaway.store.frames import frame_of

HUMAN = "human"
_FROM_SNAPSHOT = ("hours_needed", "recommendation")
# DECISION_SCHEMA's columns but those read from the snapshot, then the snapshot.
_HUMAN_DECISIONS = """
SELECT id, deal_id, decision, as_of, decided_by, reason, revisit_on, requalify_by,
       win_probability, expected_value, cost_to_pursue, snapshot
FROM decisions WHERE source = ? ORDER BY as_of, id
"""


def load_decisions(store: Store) -> pl.DataFrame:
    """Every human decision as :data:`walkaway.journal.scorecard.DECISION_SCHEMA`
    (+ ``snapshot``)."""
    columns = {k: v for k, v in DECISION_SCHEMA.items() if k not in _FROM_SNAPSHOT}
    columns["snapshot"] = pl.String()
    with store.rows() as rows:
        found = rows(_HUMAN_DECISIONS, (HUMAN,))
    frame = frame_of(found, columns, sqlite=store.dialect == "sqlite")
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
