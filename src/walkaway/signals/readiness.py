"""Is a deal ready to leave its stage? Its current stage's exit criteria, met or missing.

The policy's stages carry exit criteria the *buyer* must verifiably have done. The
``skipped_step`` flag looks back (criteria of stages a deal already left without them);
this looks ahead: the criteria of the stage the deal is in now, from the same
information (:mod:`walkaway.signals.stages`, :mod:`walkaway.signals.activity`):

- a deal-field criterion (``need_confirmed``, ``budget_confirmed``,
  ``economic_buyer_met``, ``champion_identified``, ``stakeholders_aligned``) is met
  when the field says so now;
- an activity criterion (``meeting_held``, ``demo_attended``, ``proposal_sent``,
  ``proposal_returned``, or a team-named one met by an activity's detail) is met when
  such an activity happened before ``as_of`` (column ``met_<criterion>_at``).

A deal in a stage without criteria, or in a stage the policy does not name (an export's
"Engaging"), has no readiness: ``ready_to_advance`` is null, nothing is missing, and no
sentence says its criteria are met when there were none to meet.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import polars as pl
import polars.selectors as cs

from walkaway.models import Pipeline
from walkaway.policy import Policy
from walkaway.signals.activity import activity_signals, criterion_column
from walkaway.signals.snapshot import take_snapshot
from walkaway.signals.stages import (
    FIELD_CRITERIA,
    criteria_phrases,
    stage_signals,
    with_labels,
    with_skipped_steps,
)

READINESS_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "ready_to_advance": pl.Boolean(),
    "missing_criteria": pl.List(pl.String()),
}


def criteria_signals(
    pipeline: Pipeline,
    as_of: datetime,
    policy: Policy,
    *,
    deal_ids: Collection[str] | None = None,
) -> pl.DataFrame:
    """Per deal open at ``as_of``: its stage, the deal fields, when each activity
    criterion was first met (``met_<criterion>_at``) and its ``skipped_steps``.

    This is the frame :func:`advance_readiness` reads (the signals of
    :mod:`walkaway.signals.frame` keep only the skipped steps, not the moments).
    """
    snap = take_snapshot(pipeline, as_of)
    deals = snap.open_deals
    if deal_ids is not None:
        deals = deals.filter(pl.col("deal_id").is_in(list(deal_ids)))
    acts = snap.activities.join(deals.select("deal_id"), on="deal_id", how="semi")
    frame = stage_signals(acts, deals, policy)
    met = activity_signals(acts, criteria_phrases(policy)).select("deal_id", cs.starts_with("met_"))
    frame = frame.join(met, on="deal_id", how="left").with_columns(
        pl.lit(snap.activities.height > 0).alias("tracks_activities")
    )
    return with_skipped_steps(frame, policy, snap.as_of).sort("deal_id")


def _met(name: str, schema: pl.Schema) -> pl.Expr:
    if name in FIELD_CRITERIA:
        return FIELD_CRITERIA[name].fill_null(False)
    column = criterion_column(name)
    if column not in schema:
        raise ValueError(
            f"signals have no column {column!r}; build them with criteria_signals(...)"
        )
    return pl.col(column).is_not_null()


def advance_readiness(signals: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """``deal_id, ready_to_advance, missing_criteria`` for each deal's current stage.

    ``signals`` needs ``deal_id``, ``stage_key`` (or ``stage``), the deal fields of the
    field criteria and a ``met_<criterion>_at`` column for every activity criterion of
    the policy (ValueError otherwise): :func:`criteria_signals` builds it.
    ``missing_criteria`` names the unmet criteria in the policy's order ("demo
    attended"); empty when ready. ``ready_to_advance`` is null in a stage the policy
    sets no exit criteria for (module docstring).
    """
    frame = signals
    if "stage_key" not in frame.columns:
        frame = frame.with_columns(
            pl.col("stage").str.strip_chars().str.to_lowercase().alias("stage_key")
        )
    conditions = [
        (
            (pl.col("stage_key") == stage.key) & ~_met(name, frame.schema),
            name.replace("_", " "),
        )
        for stage in policy.stages
        for name in stage.exit_criteria
    ]
    judged = pl.col("stage_key").is_in([s.key for s in policy.stages if s.exit_criteria])
    met_all = pl.col("missing_criteria").list.len() == 0
    return (
        with_labels(frame, "missing_criteria", conditions)
        .select(
            "deal_id",
            pl.when(judged.fill_null(False)).then(met_all).alias("ready_to_advance"),
            "missing_criteria",
        )
        .cast(READINESS_SCHEMA)  # type: ignore[arg-type]
    )


def readiness(
    pipeline: Pipeline,
    as_of: datetime,
    policy: Policy,
    *,
    deal_ids: Collection[str] | None = None,
) -> pl.DataFrame:
    """:func:`advance_readiness` of the deals open at ``as_of``, straight from a pipeline."""
    return advance_readiness(criteria_signals(pipeline, as_of, policy, deal_ids=deal_ids), policy)
