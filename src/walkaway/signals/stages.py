"""Where each open deal stands in the sales process, from its stage changes.

A deal's stage is the last stage it entered before ``as_of``; with no stage change
before ``as_of`` it is the deal's ``stage`` field, entered when the deal was created.
A stage regression is a move to a stage earlier in the policy's order than the one
before it. A skipped step is an exit criterion of a stage the deal has moved past
that was not met by the time it left (deal fields, which carry no date, are checked
as they are now).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import polars as pl

from walkaway.models import ActivityKind
from walkaway.policy import Policy
from walkaway.signals.activity import ACTIVITY_CRITERIA, criterion_column
from walkaway.signals.snapshot import STAGE_KEY, by_deal, drop_group, group_id

# Criteria read from the deal's fields (the others are met by activities).
FIELD_CRITERIA: Mapping[str, pl.Expr] = {
    "need_confirmed": pl.col("need") == "clear",
    "budget_confirmed": pl.col("budget") == "confirmed",
    "economic_buyer_met": pl.col("authority").is_in(["economic_buyer", "decision_maker"]),
    "champion_identified": pl.col("champion") == "yes",
    "stakeholders_aligned": pl.col("stakeholders_aligned") == "yes",
}
BUILT_IN_CRITERIA = frozenset(FIELD_CRITERIA) | frozenset(ACTIVITY_CRITERIA)


def criteria_phrases(policy: Policy) -> dict[str, str]:
    """Team-named criteria, met when an activity's detail mentions them."""
    names = {c for s in policy.stages for c in s.exit_criteria} - BUILT_IN_CRITERIA
    return {name: name.replace("_", " ").strip().lower() for name in sorted(names)}


def _left_column(index: int) -> str:
    return f"left_stage_{index}_at"


def stage_index_expr(key: pl.Expr, policy: Policy) -> pl.Expr:
    mapping = {s.key: i for i, s in enumerate(policy.stages)}
    return key.replace_strict(mapping, default=None, return_dtype=pl.Int32)


def stage_signals(activities: pl.DataFrame, deals: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Per deal: ``stage, stage_key, stage_index, stage_entered_at, stage_regressions``
    and, for stages with exit criteria, when the deal first moved past them."""
    rows = (
        activities.filter(
            (pl.col("kind") == ActivityKind.STAGE_CHANGE) & pl.col("stage").is_not_null()
        )
        .select("deal_id", "at", "stage", STAGE_KEY.alias("key"))
        .sort("deal_id", "at", maintain_order=True)
        .with_columns(stage_index_expr(pl.col("key"), policy).alias("idx"))
    )
    rows, group = by_deal(rows)
    left = [pl.col(_left_column(i)).min() for i, s in enumerate(policy.stages) if s.exit_criteria]
    history = (
        rows.select(*dict.fromkeys([group, "deal_id"]), "stage", *_stage_moves(policy, group))
        .group_by(group)
        .agg(
            *([] if group == "deal_id" else group_id()),
            pl.col("stage").last().alias("last_stage"),
            # the rows are in time order within a deal: the last run's start is the latest
            pl.col(ENTERED).max().alias("entered_at"),
            pl.col(REGRESSION).sum().alias("stage_regressions"),
            *left,
        )
    )
    frame = deals.join(drop_group(history), on="deal_id", how="left")
    stage = pl.coalesce("last_stage", "stage")
    return frame.with_columns(
        stage.alias("stage"),
        stage.str.strip_chars().str.to_lowercase().alias("stage_key"),
        pl.coalesce("entered_at", "created_at").alias("stage_entered_at"),
        pl.col("stage_regressions").fill_null(0),
    ).with_columns(stage_index_expr(pl.col("stage_key"), policy).alias("stage_index"))


ENTERED, REGRESSION = "_entered_at", "_regression"


def _stage_moves(policy: Policy, group: str) -> list[pl.Expr]:
    """Per stage change (rows in deal and time order), worked out over all rows at once
    rather than deal by deal: when a run of the same stage starts (``ENTERED``, null
    elsewhere), whether it moves back to an earlier stage of the policy than the last
    known one before it in the deal (``REGRESSION``), and the moment for each stage with
    exit criteria that the deal has moved past it (null before)."""
    key, idx, at, deal = pl.col("key"), pl.col("idx"), pl.col("at"), pl.col(group)
    first_of_deal = (deal != deal.shift(1)).fill_null(True)
    new_run = (key != key.shift(1)).fill_null(True) | first_of_deal
    # the last stage index known before each row, and the deal it was known in
    known, known_in = idx.forward_fill(), pl.when(idx.is_not_null()).then(deal).forward_fill()
    before = pl.when(known_in.shift(1) == deal).then(known.shift(1))
    return [
        pl.when(new_run).then(at).alias(ENTERED),
        (idx < before).alias(REGRESSION),
        *[
            pl.when(idx > i).then(at).alias(_left_column(i))
            for i, s in enumerate(policy.stages)
            if s.exit_criteria
        ],
    ]


def skipped_step_conditions(policy: Policy, as_of: datetime | pl.Expr) -> list[tuple[pl.Expr, str]]:
    """Each "criterion (stage)" label and when a deal left that stage without it
    (``as_of``: a moment, or a column holding each row's own)."""
    items: list[tuple[pl.Expr, str]] = []
    now = as_of if isinstance(as_of, pl.Expr) else pl.lit(as_of, dtype=pl.Datetime("us"))
    for i, stage in enumerate(policy.stages):
        passed = pl.col("stage_index") > i
        left_at = pl.coalesce(pl.col(_left_column(i)), now) if stage.exit_criteria else now
        for name in stage.exit_criteria:
            if name in FIELD_CRITERIA:
                met = FIELD_CRITERIA[name].fill_null(False)
            else:  # unknowable where the team keeps no activity log: not a skipped step
                done = (pl.col(criterion_column(name)) <= left_at).fill_null(False)
                met = done | ~pl.col("tracks_activities")
            label = f"{name.replace('_', ' ')} ({stage.name})"
            # Without an activity log nobody knows how the deal got to its stage.
            items.append((passed & ~met & pl.col("tracks_activities"), label))
    return items


def with_skipped_steps(
    frame: pl.DataFrame, policy: Policy, as_of: datetime | pl.Expr
) -> pl.DataFrame:
    """``frame`` with ``skipped_steps``: the ``list[str]`` of "criterion (stage)" each
    deal left a stage without (:func:`skipped_step_conditions`, :func:`with_labels`)."""
    return with_labels(frame, "skipped_steps", skipped_step_conditions(policy, as_of))


def with_labels(
    frame: pl.DataFrame, name: str, conditions: list[tuple[pl.Expr, str]]
) -> pl.DataFrame:
    """``frame`` with a column ``name``: for each row the labels whose condition holds
    (null counts as not), in the order given; empty when none.

    What ``concat_list`` of ``when(condition).then(label)`` and ``drop_nulls`` gives,
    several times faster: the conditions make one bit each of a number per row, and
    each distinct number (a handful, for thousands of rows) gets its list once, joined
    back on the number."""
    empty = pl.lit([], dtype=pl.List(pl.String))
    if not conditions or len(conditions) > 62:
        listed = [pl.when(c).then(pl.lit(label)) for c, label in conditions]
        value = pl.concat_list(listed).list.drop_nulls() if listed else empty
        return frame.with_columns(value.alias(name))
    bits = [c.fill_null(False).cast(pl.Int64) * (1 << i) for i, (c, _) in enumerate(conditions)]
    masks = frame.select(pl.sum_horizontal(bits).alias("mask"))
    distinct = masks["mask"].unique().sort().to_list()
    labels = [[label for i, (_, label) in enumerate(conditions) if m >> i & 1] for m in distinct]
    table = pl.DataFrame(
        {"mask": distinct, name: labels}, schema={"mask": pl.Int64, name: pl.List(pl.String)}
    )
    found = masks.join(table, on="mask", how="left", maintain_order="left")[name]
    return frame.with_columns(found)
