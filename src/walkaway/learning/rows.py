"""Training rows of the learned win model: closed deals, looked at as they were then.

Every deal closed (won or lost, with a close date) before the training date is looked
at several times during its life, as a review would have seen it at that moment:

- every 7 days from its creation (the first look at the first midnight after it was
  created), and at the first midnight after each of its stage changes,
- while it was still open (the cut is before its close);
- at most ``max_per_deal`` looks, spread evenly over those moments, each weighted by
  moments / looks kept, so a long deal weighs what it would uncapped; one look per deal
  (its first) when the team logs no activities at all: such a deal looks the same every
  week but for its age, and nine copies of it would count as nine deals;
- at most about :data:`MAX_LOOKS` looks in all: beyond, a seeded random share of them
  is kept, weighted up by the inverse of that share (100,000 closed deals give plenty).

Cuts are midnights (UTC). Each look is computed by the engine's own code
(:func:`~walkaway.signals.snapshot.take_snapshot`,
:func:`~walkaway.signals.frame.signals_from_snapshot`,
:func:`~walkaway.flags.rulebook.find_flags_frame`): nothing dated at or after the cut is seen.
Two things the source records only as they were at the end are not trusted:

- a closed deal's ``stage`` field is its stage at the close (often "won" or "lost"),
  so a look sees only the stage changes dated before its cut (none: stage unknown);
- the outcome is the label (1 won, 0 lost), never a feature.

Norms (what is normal for the team) are computed at checkpoints at least
:data:`MIN_CHECKPOINT_DAYS` apart (at most :data:`MAX_CHECKPOINTS` over the history); a
look uses the latest checkpoint at or before its cut.

Grouping: the looks that share a checkpoint are computed in one call. Each look's deal
is copied under an id of its own with its timeline moved so that its cut falls on the
checkpoint; signals depend only on time differences, so the copy's signals at the
checkpoint are the deal's signals at its cut (``tests/learning`` checks this against
``compute_signals`` at each cut).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from walkaway.flags.rulebook import find_flags_frame
from walkaway.learning.folds import SEED
from walkaway.learning.prior import PriorModel
from walkaway.logistic import logit
from walkaway.models import DATETIME, DEAL_COLUMNS, ActivityKind, Outcome, Pipeline, Severity
from walkaway.policy import Policy
from walkaway.signals.frame import SIGNALS, signals_from_snapshot
from walkaway.signals.norms import NormsOverTime
from walkaway.signals.snapshot import days_between, take_snapshot

LOOK_EVERY_DAYS = 7
MAX_PER_DEAL = 12
MAX_LOOKS = 200_000
MIN_CHECKPOINT_DAYS = 28
MAX_CHECKPOINTS = 8
DAY = timedelta(days=1)

FLAG_COUNTS = tuple(f"flags_{s.value}" for s in Severity)
ROW_KEYS = ("deal_id", "cut", "weight", "won", "closed_at")
# Beside the signals, each look carries: the prior's log-odds then, what an hour earned
# elsewhere then, and what walking away at the look would have saved (hours, days).
LOOK_EXTRAS = ("prior_logit", "yield_per_hour", "hours_after", "days_after")


def closed_deals(deals: pl.DataFrame, until: datetime) -> pl.DataFrame:
    """Deals won or lost with a close date before ``until`` (and created before it: a deal
    closed on or before its creation date is looked at once, at its creation)."""
    outcome = pl.col("outcome").str.to_lowercase()
    cutoff = pl.lit(until, dtype=DATETIME)
    return deals.filter(
        outcome.is_in([Outcome.WON.value, Outcome.LOST.value])
        & pl.col("closed_at").is_not_null()
        & (pl.col("closed_at") < cutoff)
        & (pl.col("created_at") < cutoff)
    ).with_columns((outcome == Outcome.WON.value).cast(pl.Int8).alias("won"))


def _next_midnight(column: str) -> pl.Expr:
    return pl.col(column).dt.truncate("1d") + pl.duration(days=1)


def look_moments(closed: pl.DataFrame, activities: pl.DataFrame) -> pl.DataFrame:
    """Every moment each closed deal could be looked at: ``deal_id, cut`` (unique)."""
    first = _next_midnight("created_at")
    weeks = ((pl.col("closed_at") - first).dt.total_seconds() / (LOOK_EVERY_DAYS * 86_400)).ceil()
    weekly = (
        closed.select("deal_id", first.alias("first"), weeks.clip(0).cast(pl.Int64).alias("n"))
        .with_columns(pl.int_ranges(0, pl.col("n")).alias("k"))
        .explode("k")
        .drop_nulls("k")
        .select(
            "deal_id",
            (pl.col("first") + pl.duration(days=pl.col("k") * LOOK_EVERY_DAYS)).alias("cut"),
        )
    )
    changes = (
        activities.filter(pl.col("kind") == ActivityKind.STAGE_CHANGE)
        .join(closed.select("deal_id", "created_at", "closed_at"), on="deal_id")
        .with_columns(_next_midnight("at").alias("cut"))
        .filter((pl.col("cut") > pl.col("created_at")) & (pl.col("cut") < pl.col("closed_at")))
        .select("deal_id", "cut")
    )
    # A deal that closed before any weekly look (within a day, or dated on or before its
    # creation, as some exports have it) is looked at once, just after its creation.
    found = pl.concat([weekly, changes])
    at_creation = closed.join(found, on="deal_id", how="anti").select(
        "deal_id", (pl.col("created_at") + pl.duration(seconds=1)).alias("cut")
    )
    return pl.concat([found, at_creation]).unique().sort("deal_id", "cut")


def look_schedule(
    moments: pl.DataFrame, max_per_deal: int = MAX_PER_DEAL, max_looks: int = MAX_LOOKS
) -> pl.DataFrame:
    """At most ``max_per_deal`` looks per deal, evenly spread, and at most about
    ``max_looks`` in all (a seeded random share of them, weighted up to match):
    ``deal_id, cut, weight``."""
    cap = max(2, max_per_deal)
    n = pl.len().over("deal_id")
    rank = pl.int_range(pl.len()).over("deal_id")
    # Position j of the evenly spread picks nearest this rank, and whether it picks it.
    step = (n - 1).cast(pl.Float64) / (cap - 1)
    nearest = (rank.cast(pl.Float64) / step).round(0)
    kept = (n <= cap) | ((nearest * step).round(0) == rank.cast(pl.Float64))
    frame = moments.sort("deal_id", "cut").with_columns(n.alias("n"), kept.alias("kept"))
    frame = frame.filter(pl.col("kept"))
    frame = frame.select(
        "deal_id", "cut", (pl.col("n") / pl.len().over("deal_id")).cast(pl.Float64).alias("weight")
    )
    if frame.height <= max_looks:
        return frame
    share = max_looks / frame.height
    drawn = np.random.default_rng(SEED).random(frame.height) < share
    return frame.filter(pl.Series(drawn)).with_columns(pl.col("weight") / share)


def checkpoints(cuts: pl.Series) -> tuple[datetime, timedelta]:
    """The first norms checkpoint and the step between checkpoints."""
    first, last = cuts.min(), cuts.max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    first = datetime.combine(first.date(), datetime.min.time())  # checkpoints at midnight
    span = (last - first).days + 1
    days = max(MIN_CHECKPOINT_DAYS, -(-span // MAX_CHECKPOINTS))
    return first, timedelta(days=days)


def training_rows(
    pipeline: Pipeline, until: datetime, policy: Policy, *, max_per_deal: int = MAX_PER_DEAL
) -> pl.DataFrame:
    """One row per look: :data:`ROW_KEYS`, every signal, flag counts by severity,
    ``flag_codes`` (the codes that fired), the deal's ``attributes`` and
    :data:`LOOK_EXTRAS` (with ``yield_source``); sorted by deal and cut. Empty when no
    deal closed before ``until``."""
    closed = closed_deals(pipeline.deals, until)
    acts = pipeline.activities.filter(pl.col("deal_id").is_in(closed["deal_id"].implode()))
    logged = pipeline.activities.filter(pl.col("at") < pl.lit(until, dtype=DATETIME)).height > 0
    moments = look_moments(closed, acts)
    if logged:
        looks = look_schedule(moments, max_per_deal)
    else:
        looks = (
            moments.group_by("deal_id")
            .agg(pl.col("cut").min())
            .with_columns(pl.lit(1.0).alias("weight"))
        )
    if looks.height == 0:
        return _empty_rows()
    first, step = checkpoints(looks["cut"])
    period = (pl.col("cut") - pl.lit(first)).dt.total_days() // step.days  # whole days
    looks = looks.with_columns(period.alias("period"), pl.int_range(pl.len()).alias("look"))
    parts = []
    over_time = NormsOverTime(pipeline, policy)  # the closed deals' lives made once
    for (index,), batch in looks.group_by("period", maintain_order=True):
        anchor = first + step * int(str(index))
        norms = over_time.at(anchor)
        copies = _aligned_copies(closed, acts, batch, anchor)
        signals = signals_from_snapshot(take_snapshot(copies, anchor), policy, norms)
        found = find_flags_frame(signals, policy)
        prior = PriorModel(policy).fit(copies, anchor, norms=norms)
        signals = norms.with_yield(signals).with_columns(
            pl.Series("prior_logit", logit(prior.predict_proba(signals, found).to_numpy()))
        )
        parts.append(_joined(signals, flag_features(found)))
    looked = pl.concat(parts, how="vertical_relaxed").with_columns(pl.col("deal_id").cast(pl.Int64))
    labels = closed.select("deal_id", "won", "closed_at", "attributes")
    rows = looks.drop("period").join(looked.rename({"deal_id": "look"}), on="look")
    rows = rows.drop("look").join(labels, on="deal_id", how="left")
    rows = _with_effort_after(rows, acts)
    return rows.select(*ROW_KEYS, *[c for c in rows.columns if c not in ROW_KEYS]).sort(
        "deal_id", "cut"
    )


def _with_effort_after(rows: pl.DataFrame, activities: pl.DataFrame) -> pl.DataFrame:
    """``hours_after``: seller hours logged on the deal from the look to its close (what
    walking away at the look would have saved), and ``days_after``: days to the close."""
    logged = (
        activities.filter(pl.col("hours") > 0)
        .select("deal_id", "at", "hours")
        .sort("deal_id", "at")
        .with_columns(pl.col("hours").cum_sum().over("deal_id").alias("hours_before"))
    )
    totals = logged.group_by("deal_id").agg(pl.col("hours").sum().alias("hours_total"))
    before = (
        rows.select("deal_id", "cut")
        .sort("cut")
        .join_asof(
            logged.select("deal_id", "at", "hours_before").sort("at"),
            left_on="cut",
            right_on="at",
            by="deal_id",
            strategy="backward",
            allow_exact_matches=False,
            check_sortedness=False,  # both sides are sorted by time above
        )
        .select("deal_id", "cut", "hours_before")
    )
    return (
        rows.join(before, on=["deal_id", "cut"], how="left")
        .join(totals, on="deal_id", how="left")
        .with_columns(
            (pl.col("hours_total").fill_null(0.0) - pl.col("hours_before").fill_null(0.0)).alias(
                "hours_after"
            ),
            days_between(pl.col("closed_at"), pl.col("cut")).alias("days_after"),
        )
        .drop("hours_before", "hours_total")
    )


def _aligned_copies(
    closed: pl.DataFrame, activities: pl.DataFrame, batch: pl.DataFrame, anchor: datetime
) -> Pipeline:
    """Each look's deal as its own deal (id = the look's number), moved in time so its
    cut falls on ``anchor``, with only the activities dated before its cut."""
    shift = pl.lit(anchor, dtype=DATETIME) - pl.col("cut")
    keys = batch.select("look", "deal_id", "cut")
    # A deal dated closed at or before its cut (looked at at creation) is open at it.
    closes = pl.max_horizontal(pl.col("closed_at"), pl.col("cut") + DAY)
    deals = keys.join(closed.drop("won"), on="deal_id").with_columns(
        pl.col("look").cast(pl.String).alias("deal_id"),
        pl.col("created_at") + shift,
        (closes + shift).alias("closed_at"),
        pl.col("expected_close") + shift,
        pl.lit(None, dtype=pl.String).alias("stage"),  # the stage at the close: see above
    )
    acts = (
        keys.join(activities, on="deal_id")
        .filter(pl.col("at") < pl.col("cut"))
        .with_columns(pl.col("look").cast(pl.String).alias("deal_id"), pl.col("at") + shift)
    )
    return Pipeline(deals.select(DEAL_COLUMNS), acts.select(activities.columns))


def flag_features(flags: pl.DataFrame) -> pl.DataFrame:
    """Per deal with flags: how many of each severity and which codes fired."""
    severity = pl.col("severity")
    return flags.group_by("deal_id").agg(
        *[(severity == s.value).sum().cast(pl.Int64).alias(f"flags_{s.value}") for s in Severity],
        pl.col("code").unique().sort().alias("flag_codes"),
    )


def _joined(signals: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
    """Signals with their flag features (0 and no codes for a deal without flags)."""
    frame = signals.join(flags, on="deal_id", how="left")
    return frame.with_columns(
        *[pl.col(c).fill_null(0) for c in FLAG_COUNTS],
        pl.col("flag_codes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )


def _empty_rows() -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {
        "deal_id": pl.String(),
        "cut": DATETIME,
        "weight": pl.Float64(),
        "won": pl.Int8(),
        "closed_at": DATETIME,
    }
    empty = pl.DataFrame(schema=schema)
    return empty.with_columns(
        *[pl.lit(None).alias(c) for c in SIGNALS if c != "deal_id"],
        *[pl.lit(0, dtype=pl.Int64).alias(c) for c in FLAG_COUNTS],
        pl.lit([], dtype=pl.List(pl.String)).alias("flag_codes"),
        pl.lit(None, dtype=pl.String).alias("attributes"),
        *[pl.lit(None, dtype=pl.Float64).alias(c) for c in LOOK_EXTRAS],
        pl.lit(None, dtype=pl.String).alias("yield_source"),
    )
