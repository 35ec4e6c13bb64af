"""Point-in-time signals for every open deal of a pipeline, in one columnar pass.

``compute_signals(pipeline, as_of, policy)`` returns one row per deal open at
``as_of`` (see :mod:`walkaway.signals.snapshot` for what "known at as_of" means), with the
columns listed in :data:`SIGNALS`. The same code path serves one deal: pass a pipeline
and restrict ``deal_ids``; the norms still come from the whole history.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import polars as pl

from walkaway.models import Outcome, Pipeline, as_utc_naive
from walkaway.policy import Policy
from walkaway.signals.activity import activity_signals
from walkaway.signals.norms import Norms, norms_from_snapshot
from walkaway.signals.readiness import advance_readiness
from walkaway.signals.snapshot import (
    Snapshot,
    days_between,
    known_deals_before,
    take_snapshot,
)
from walkaway.signals.stages import criteria_phrases, stage_signals, with_skipped_steps

# Every signal column, with its meaning (custom rules may use any of them by name).
SIGNALS: dict[str, str] = {
    "deal_id": "the deal",
    "name": "deal name",
    "account": "the buyer's organisation",
    "owner": "the rep",
    "stage": "stage entered last before as_of (else the deal's stage)",
    "stage_key": "stage name, trimmed and lower-case",
    "stage_index": "position of the stage in the policy (0 = first); null when not in it",
    "currency": "currency of the amount",
    "amount": "deal amount",
    "margin": "gross margin (the policy's default_margin when not given)",
    "days_open": "days since the deal was created",
    "days_in_stage": "days since the current stage was entered",
    "stage_norm_median": "median days won deals spent in this stage (policy when thin)",
    "stage_norm_p90": "90th percentile of days won deals spent in this stage",
    "stage_norm_source": "history or policy",
    "stage_limit_days": "the policy's time limit for this stage; null when it sets none",
    "stall_threshold_days": "days in stage beyond which the deal is stalled",
    "days_since_inbound": "days since the buyer's last sign of life (or since creation)",
    "days_waiting": "days since the first outbound touch still without a reply",
    "team_reply_gap": "90th percentile of days won deals' buyers took to reply; null if thin",
    "outbound_since_inbound": "outbound touches since the buyer's last sign of life",
    "inbound_touches": "inbound activities in all",
    "no_shows": "meetings the buyer did not show up to",
    "reschedules": "meetings rescheduled",
    "days_since_last_activity": "days since any activity (either side)",
    "proposals_sent": "proposals sent",
    "proposals_unanswered": "proposals sent with no inbound activity after them",
    "days_since_proposal": "days since the last proposal was sent",
    "close_date_pushes": "notes saying the close date moved out",
    "days_past_close": "days since the expected close date (negative: still ahead)",
    "amount_before": "highest earlier amount mentioned in notes ('amount from X to Y')",
    "amount_cut": "share by which the amount fell from amount_before; null if undetectable",
    "stage_regressions": "moves back to an earlier stage of the policy",
    "renegotiations": "notes saying agreed terms were reopened",
    "budget": "confirmed, unknown, none",
    "authority": "economic_buyer, decision_maker, influencer, none, unknown",
    "champion": "yes, no, unknown",
    "need": "clear, vague, none, unknown",
    "competitor": "none, present, incumbent, unknown",
    "stakeholders_aligned": "yes, no, unknown",
    "fit": "high, medium, low",
    "potential": "high, medium, low",
    "discount_requested": "discount asked off list price (fraction)",
    "custom_requests": "custom features or terms asked",
    "missing_features": "asked features the product lacks",
    "rep_confidence": "the rep's gut, 1-5",
    "hours_invested": "hours already spent: logged activities + hours_invested (sunk)",
    "hours_needed": "seller hours still needed to reach a decision",
    "hours_needed_source": "history or policy",
    "skipped_steps": "exit criteria of passed stages that were not met, as text",
    "tracks_budget": "the team records budget on some deal",
    "tracks_authority": "the team records authority on some deal",
    "tracks_need": "the team records need on some deal",
    "tracks_champion": "the team records champion on some deal",
    "tracks_activities": "the team logs activities (some activity is known before as_of)",
}

# What the norms say the team records (a ``tracks_*`` signal each).
TRACKS = ("budget", "authority", "need", "champion", "activities")

_CATEGORICAL = (
    "budget",
    "authority",
    "champion",
    "need",
    "competitor",
    "stakeholders_aligned",
    "fit",
    "potential",
)


def compute_signals(
    pipeline: Pipeline,
    as_of: datetime,
    policy: Policy,
    *,
    norms: Norms | None = None,
    deal_ids: Collection[str] | None = None,
) -> pl.DataFrame:
    """One row per deal open at ``as_of`` (optionally only ``deal_ids``), sorted by id."""
    snap = take_snapshot(pipeline, as_of)
    if norms is None:
        norms = norms_from_snapshot(snap, policy)
    return signals_from_snapshot(snap, policy, norms, deal_ids)


def signals_from_snapshot(
    snap: Snapshot, policy: Policy, norms: Norms, deal_ids: Collection[str] | None = None
) -> pl.DataFrame:
    return _signal_frame(snap, policy, norms, deal_ids).select(list(SIGNALS))


def signals_and_readiness(
    snap: Snapshot, policy: Policy, norms: Norms, deal_ids: Collection[str] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`signals_from_snapshot` and, from the same pass, each deal's readiness to
    leave its stage (:func:`walkaway.signals.readiness.advance_readiness`)."""
    frame = _signal_frame(snap, policy, norms, deal_ids)
    return frame.select(list(SIGNALS)), advance_readiness(frame, policy)


def _signal_frame(
    snap: Snapshot, policy: Policy, norms: Norms, deal_ids: Collection[str] | None
) -> pl.DataFrame:
    """Every signal column, and the moments each exit criterion was met, sorted by id."""
    deals = snap.open_deals
    if deal_ids is not None:
        deals = deals.filter(pl.col("deal_id").is_in(list(deal_ids)))
    acts = _activities_of(snap.activities, deals.select("deal_id"))
    frame = stage_signals(acts, deals, policy)
    frame = frame.join(activity_signals(acts, criteria_phrases(policy)), on="deal_id", how="left")
    frame = _with_norms(frame, policy, norms)
    frame = frame.with_columns(_derive_signals(snap.as_of, policy, norms))
    frame = with_skipped_steps(frame, policy, snap.as_of)
    return frame.sort("deal_id")


CUT_NO, NOW, DEAL = "_cut_no", "_now", "_deal"


def signals_over_cuts(
    pipeline: Pipeline,
    cuts: Sequence[datetime],
    policy: Policy,
    norms: Sequence[Norms],
    deal_ids: Collection[str],
) -> list[pl.DataFrame]:
    """:func:`signals_from_snapshot` of the ``deal_ids`` at each of ``cuts`` (with the
    ``norms`` of each), all cuts in one frame: a row per deal and cut, its own moment
    and norms a column, each deal's activities before each cut grouped as that cut's
    snapshot groups them. The same frames to the last bit, one per cut."""
    if not cuts:
        return []
    ids = list(deal_ids)
    moments = pl.DataFrame(
        {CUT_NO: range(len(cuts)), NOW: [as_utc_naive(c) for c in cuts]},
        schema={CUT_NO: pl.Int64, NOW: pl.Datetime("us")},
    )
    per_cut = moments.with_columns(
        pl.Series("_gap", [n.reply_gap_days for n in norms], dtype=pl.Float64),
        *[
            pl.Series(f"tracks_{f}", [f in n.tracked_fields for n in norms], dtype=pl.Boolean)
            for f in TRACKS
        ],
    )
    # each deal as known at each cut, keyed by deal and cut ("id\0cut" sorts as the ids)
    key = pl.col("deal_id") + pl.lit("\0") + pl.col(CUT_NO).cast(pl.String).str.zfill(6)
    deals = known_deals_before(_open_pairs(pipeline.deals, ids, moments), pl.col(NOW))
    deals = deals.filter(pl.col("outcome") == Outcome.OPEN).with_columns(
        pl.col("deal_id").alias(DEAL), key.alias("deal_id")
    )
    acts = pipeline.activities.filter(pl.col("deal_id").is_in(ids))
    acts = (
        acts.join(
            deals.select(pl.col(DEAL).alias("deal_id"), pl.col("deal_id").alias("_key"), NOW),
            on="deal_id",
            maintain_order="left",
        )
        .filter(pl.col("at") < pl.col(NOW))
        .with_columns(pl.col("_key").alias("deal_id"))
        .drop("_key", NOW)
        .sort("deal_id", maintain_order=True)
    )
    frame = stage_signals(acts, deals, policy)
    frame = frame.join(activity_signals(acts, criteria_phrases(policy)), on="deal_id", how="left")
    table = pl.concat(
        [
            n.stages.with_columns(pl.lit(i, dtype=pl.Int64).alias(CUT_NO))
            for i, n in enumerate(norms)
        ],
        how="vertical_relaxed",
    )
    frame = _with_stage_norms(frame, policy, table, [CUT_NO, "stage_key"])
    frame = frame.join(per_cut.drop(NOW), on=CUT_NO, how="left")
    tracked = [pl.col(f"tracks_{f}") for f in TRACKS]
    frame = frame.with_columns(_derived(pl.col(NOW), pl.col("_gap"), tracked, policy))
    frame = with_skipped_steps(frame, policy, pl.col(NOW)).with_columns(
        pl.col(DEAL).alias("deal_id")
    )
    parts = {n: part for (n,), part in frame.partition_by(CUT_NO, as_dict=True).items()}
    empty = frame.clear().select(list(SIGNALS))
    return [
        parts[i].sort("deal_id").select(list(SIGNALS)) if i in parts else empty
        for i in range(len(cuts))
    ]


def _open_pairs(deals: pl.DataFrame, ids: list[str], moments: pl.DataFrame) -> pl.DataFrame:
    """Each of the deals ``ids`` with each moment (``CUT_NO, NOW``) at which
    :func:`known_deals_before` finds it open: the pairs chosen on four columns, then
    the deals' rows gathered for them (not every column of every deal at every cut)."""
    chosen = deals.filter(pl.col("deal_id").is_in(ids))
    outcome = pl.col("outcome").fill_null(Outcome.OPEN).str.to_lowercase()
    closed_at = pl.col("closed_at")
    closed = (outcome != Outcome.OPEN) & (closed_at.is_null() | (closed_at < pl.col(NOW)))
    pairs = (
        chosen.select("created_at", "closed_at", "outcome")
        .with_row_index("_row")
        .join(moments, how="cross")
        .filter((pl.col("created_at") < pl.col(NOW)) & ~closed)
    )
    return chosen[pairs["_row"]].with_columns(pairs[CUT_NO], pairs[NOW])


def _activities_of(activities: pl.DataFrame, deals: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``activities`` of ``deals``, in their order. A review's activities are
    its open deals' already: when the distinct ids of rows in deal order say so, the
    join over millions of rows is skipped."""
    ids = activities["deal_id"]
    if ids.len() and ids.is_sorted():
        distinct = ids.filter(ids.ne_missing(ids.shift(1))).drop_nulls()
        if ids.null_count() == 0 and distinct.is_in(deals["deal_id"].implode()).all():
            return activities
    return activities.filter(pl.col("deal_id").is_in(deals["deal_id"].implode()))


def _with_norms(frame: pl.DataFrame, policy: Policy, norms: Norms) -> pl.DataFrame:
    return _with_stage_norms(frame, policy, norms.stages, ["stage_key"])


def _with_stage_norms(
    frame: pl.DataFrame, policy: Policy, table: pl.DataFrame, keys: list[str]
) -> pl.DataFrame:
    """``frame`` with its stage's norms: ``table`` (norms' stages) joined on ``keys``."""
    stages = table.select(
        *keys[:-1],
        "stage_key",
        pl.col("median_days").alias("stage_norm_median"),
        pl.col("p90_days").alias("stage_norm_p90"),
        pl.col("days_source").alias("stage_norm_source"),
        "hours_needed",
        pl.col("hours_source").alias("hours_needed_source"),
    )
    fallback = policy.unknown_stage
    limits = {s.key: s.limit_days for s in policy.stages if s.limit_days is not None}
    return frame.join(stages, on=keys, how="left").with_columns(
        pl.col("stage_norm_median").fill_null(fallback.limit_days / 2),
        pl.col("stage_norm_p90").fill_null(fallback.limit_days),
        pl.col("stage_norm_source").fill_null("policy"),
        pl.col("hours_needed").fill_null(fallback.hours_needed),
        pl.col("hours_needed_source").fill_null("policy"),
        pl.col("stage_key")
        .replace_strict(limits, default=None, return_dtype=pl.Float64)
        .alias("stage_limit_days"),
    )


def _derive_signals(as_of: datetime, policy: Policy, norms: Norms) -> list[pl.Expr]:
    now = pl.lit(as_utc_naive(as_of), dtype=pl.Datetime("us"))
    gap = pl.lit(norms.reply_gap_days, dtype=pl.Float64)
    tracked = [pl.lit(f in norms.tracked_fields).alias(f"tracks_{f}") for f in TRACKS]
    return _derived(now, gap, tracked, policy)


def _derived(now: pl.Expr, gap: pl.Expr, tracked: list[pl.Expr], policy: Policy) -> list[pl.Expr]:
    """The signals made from the others as of ``now``, with the norms' reply ``gap`` and
    what the team ``tracked`` (literals for one moment, columns for many)."""
    created = pl.col("created_at")
    before, amount = pl.col("amount_before"), pl.col("amount")
    return [
        pl.col("currency").fill_null(policy.currency),
        pl.col("margin").fill_null(policy.economics.default_margin),
        days_between(now, created).alias("days_open"),
        days_between(now, pl.col("stage_entered_at")).alias("days_in_stage"),
        days_between(now, pl.coalesce("last_inbound_at", created)).alias("days_since_inbound"),
        days_between(now, pl.col("waiting_since")).alias("days_waiting"),
        gap.alias("team_reply_gap"),
        days_between(now, pl.coalesce("last_activity_at", created)).alias(
            "days_since_last_activity"
        ),
        days_between(now, pl.col("last_proposal_at")).alias("days_since_proposal"),
        days_between(now, pl.col("expected_close").cast(pl.Datetime("us"))).alias(
            "days_past_close"
        ),
        pl.min_horizontal("stage_norm_p90", "stage_limit_days").alias("stall_threshold_days"),
        pl.when(before > amount)
        .then((before - amount) / before)
        .when(before.is_not_null())
        .then(0.0)
        .alias("amount_cut"),
        (pl.col("hours_logged").fill_null(0.0) + pl.col("hours_invested").fill_null(0.0)).alias(
            "hours_invested"
        ),
        *_tidy_signals(tracked),
    ]


def _tidy_signals(tracked: list[pl.Expr]) -> list[pl.Expr]:
    """Counts without nulls, categorical fields in lower case, what the team tracks."""
    counts = (
        "outbound_since_inbound",
        "inbound_touches",
        "no_shows",
        "reschedules",
        "proposals_sent",
        "proposals_unanswered",
        "close_date_pushes",
        "renegotiations",
    )
    return [
        *[pl.col(c).fill_null(0).cast(pl.Int64) for c in counts],
        *[pl.col(c).str.strip_chars().str.to_lowercase() for c in _CATEGORICAL],
        *tracked,
    ]
