"""A lost deal's history replayed: win probability and flags at each cut, and the turn.

**Cuts.** A deal is assessed point-in-time (:func:`walkaway.decision.assess.assess_frame`, which
treats a deal closed at or after the cut as open) just after it was created, just after
each of its activities (so the cut includes it), every ``every_days`` days, and at the
moment it was lost (the state the loss found it in). Beyond ``max_cuts`` cuts, evenly
spaced ones are kept (always the first and the last). Every cut is one assessment over
the pipeline loaded once: nothing is read again per cut.

**The turn** (:func:`turning_points`, columnar over many deals at once) is where the
deal went from likely to unlikely: the largest fall of its win probability between two
cuts, if at least :data:`MIN_DROP` (two points; the earliest of equal falls); without
one there is no turn. Beside it, ``crossed_on``: the cut from which the call stayed
``walk_away`` to the end (the deal crossed the policy's walk-away line for good), if
it ever crossed.

The cut shows when the turn was *visible*; its **onset** is when it began: when the new
flags at the turn are about silence or time (or there are none), the buyer's last sign
of life before the turn (else the deal's creation), provided it came before the
previous cut: the turn began with the first touch of ours the buyer left unanswered
after it (or that last sign itself). Otherwise the first activity between the previous
cut and the turn.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import polars as pl

from walkaway.decision.assess import Look, assess_looks
from walkaway.decision.stacked import LOOK, calls_over_looks, stackable
from walkaway.flags.rulebook import find_flags_frames
from walkaway.learning.prior import PriorModel
from walkaway.models import DATETIME, Direction, Pipeline, Recommendation, as_utc_naive
from walkaway.policy import Policy
from walkaway.signals.frame import signals_over_cuts
from walkaway.signals.norms import NormsOverTime
from walkaway.signals.snapshot import days_between

MAX_CUTS = 30
EVERY_DAYS = 7
MIN_DROP = 0.02
# Flags that say the buyer went quiet or time ran: the turn began at the last reply.
SILENCE_FLAGS = frozenset({"unresponsive", "proposal_unanswered", "idle", "stalled"})
# About the rep's gut, not the buyer: never a warning sign nor part of a turn.
NOT_SIGNS = ("gut_vs_data",)
JUST_AFTER = timedelta(seconds=1)

_FLAG = pl.Struct(
    {"code": pl.String, "severity": pl.String, "evidence": pl.String, "question": pl.String}
)
TIMELINE_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "cut": DATETIME,
    "win_probability": pl.Float64(),
    "walk_away_line": pl.Float64(),
    "recommendation": pl.String(),
    "stage": pl.String(),
    "flag_codes": pl.List(pl.String()),
    "flags": pl.List(_FLAG),
}


def thin(cuts: Sequence[datetime], max_cuts: int) -> list[datetime]:
    """At most ``max_cuts`` of ``cuts`` (sorted), evenly spaced, first and last kept."""
    ordered = sorted(set(cuts))
    if len(ordered) <= max_cuts:
        return ordered
    if max_cuts < 2:
        return ordered[len(ordered) - max_cuts :]
    step = (len(ordered) - 1) / (max_cuts - 1)
    return sorted({ordered[round(i * step)] for i in range(max_cuts)})


def deal_cuts(
    created_at: datetime,
    lost_at: datetime,
    activity_times: Collection[datetime],
    *,
    every_days: int = EVERY_DAYS,
    max_cuts: int = MAX_CUTS,
) -> list[datetime]:
    """The moments one deal is assessed at (see the module docstring)."""
    cuts = {created_at + JUST_AFTER, lost_at}
    weekly = created_at + timedelta(days=every_days)
    while weekly < lost_at:
        cuts.add(weekly)
        weekly += timedelta(days=every_days)
    cuts |= {at + JUST_AFTER for at in activity_times}
    inside = [c for c in cuts if created_at < c <= lost_at]
    return thin(inside, max_cuts)


def _walk_away_line() -> pl.Expr:
    """The probability below which the economics walk away: k x rate x H / V."""
    value = pl.col("value")
    line = pl.col("walk_away_rate") * pl.col("hours_needed") / value
    return pl.when(value > 0).then(line.clip(upper_bound=1.0)).alias("walk_away_line")


def assess_cuts(
    pipeline: Pipeline,
    cuts: Sequence[datetime],
    policy: Policy,
    *,
    deal_ids: Collection[str] | None = None,
) -> pl.DataFrame:
    """:data:`TIMELINE_SCHEMA` rows: each deal open at each cut, assessed as of it."""
    over_time = NormsOverTime(pipeline, policy)  # the closed deals' lives made once
    # Each cut's norms from what they read as of it (no snapshot); the signals of every
    # cut in one frame (a row per deal and cut), split back per cut.
    moments = [as_utc_naive(cut) for cut in cuts]
    norms = [over_time.on(moment) for moment in moments]
    ids = pipeline.deals["deal_id"].to_list() if deal_ids is None else list(deal_ids)
    found = signals_over_cuts(pipeline, moments, policy, norms, ids)
    looks, seen = [], []
    for cut, moment, signals, cut_norms in zip(cuts, moments, found, norms, strict=True):
        if signals.height:
            looks.append(Look(moment, signals, cut_norms))
            seen.append(cut)
    models = [PriorModel(policy).fit(pipeline, look.as_of, norms=look.norms) for look in looks]
    if looks and stackable(models):
        # every cut's calls in one frame, a row per deal and cut
        flags = find_flags_frames([look.signals for look in looks], policy)
        calls = calls_over_looks(looks, flags, models, policy)
        cut_of = pl.DataFrame(
            {LOOK: range(len(seen)), "cut": seen}, schema={LOOK: pl.Int32, "cut": DATETIME}
        )
        return _timeline(_rows(calls.join(cut_of, on=LOOK, how="left").drop(LOOK)))
    assessed = assess_looks(pipeline, looks, policy, ahead=False, words=False)
    # each cut's rows made alone: a column concatenated from one-row frames of one deal
    # may be flagged sorted, and Polars then divides by it as by a number (multiplying
    # by its reciprocal), a last bit off the line an assessment per cut draws
    parts = [
        _rows(frame.with_columns(pl.lit(cut, dtype=DATETIME).alias("cut")))
        for cut, frame in zip(seen, assessed, strict=True)
    ]
    if not parts:
        return pl.DataFrame(schema=TIMELINE_SCHEMA)
    return _timeline(pl.concat(parts, how="vertical_relaxed"))


def _rows(calls: pl.DataFrame) -> pl.DataFrame:
    """The timeline's columns of the calls of each deal at each cut (``cut``)."""
    codes = pl.col("flags").list.eval(pl.element().struct.field("code"))
    return calls.select(
        "deal_id",
        "cut",
        "win_probability",
        _walk_away_line(),
        "recommendation",
        "stage",
        codes.list.set_difference(list(NOT_SIGNS)).alias("flag_codes"),
        "flags",
    )


def _timeline(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.cast(TIMELINE_SCHEMA).sort("deal_id", "cut")  # type: ignore[arg-type]


def _candidates(timeline: pl.DataFrame) -> pl.DataFrame:
    """Every cut after a deal's first, with its fall and whether it crossed for good."""
    deal = "deal_id"
    walk = pl.col("recommendation") == Recommendation.WALK_AWAY
    frame = timeline.sort(deal, "cut").with_columns(
        pl.col("win_probability").shift(1).over(deal).alias("p_before"),
        pl.col("cut").shift(1).over(deal).alias("previous_cut"),
        pl.col("flag_codes").shift(1).over(deal).alias("codes_before"),
        walk.shift(1).over(deal).alias("walk_before"),
        walk.cast(pl.Int8).reverse().cum_min().reverse().over(deal).alias("walk_to_end"),
    )
    crossed = walk & (pl.col("walk_to_end") == 1) & ~pl.col("walk_before")
    return frame.filter(pl.col("p_before").is_not_null()).with_columns(
        (pl.col("p_before") - pl.col("win_probability")).alias("drop"),
        crossed.fill_null(False).alias("crossed"),
    )


def turning_points(
    timeline: pl.DataFrame, deals: pl.DataFrame, activities: pl.DataFrame
) -> pl.DataFrame:
    """One row per deal of ``timeline`` with a turn (see the module docstring).

    ``deals`` needs ``deal_id, created_at``; ``activities`` the activity schema. Columns:
    ``deal_id, turned_at, previous_cut, p_before, p_after, drop, crossed_on, stage,
    new_flags, last_buyer_reply, onset, days_to_turn, days_to_onset``.
    """
    candidates = _candidates(timeline)
    picked = (
        candidates.filter(pl.col("drop") >= MIN_DROP)
        .sort(["deal_id", "drop", "cut"], descending=[False, True, False])
        .group_by("deal_id", maintain_order=True)
        .first()
    )
    crossings = candidates.filter(pl.col("crossed")).select(
        "deal_id", pl.col("cut").alias("crossed_on")
    )
    new = pl.col("flag_codes").list.set_difference(pl.col("codes_before").fill_null([]))
    turns = (
        picked.select(
            "deal_id",
            pl.col("cut").alias("turned_at"),
            "previous_cut",
            "p_before",
            pl.col("win_probability").alias("p_after"),
            "drop",
            "stage",
            new.alias("new_flags"),
        )
        .join(crossings, on="deal_id", how="left")
        .join(deals.select("deal_id", "created_at"), on="deal_id", how="left")
    )
    return _with_onset(turns, activities)


def _with_onset(turns: pl.DataFrame, activities: pl.DataFrame) -> pl.DataFrame:
    acts = activities.join(turns.select("deal_id", "turned_at"), on="deal_id", how="inner")
    acts = acts.filter(pl.col("at") < pl.col("turned_at"))
    inbound = pl.col("direction") == Direction.INBOUND
    last_reply = (
        acts.filter(inbound).group_by("deal_id").agg(pl.col("at").max().alias("last_buyer_reply"))
    )
    frame = turns.join(last_reply, on="deal_id", how="left").with_columns(
        pl.coalesce("last_buyer_reply", "created_at").alias("quiet_since")
    )
    acts = acts.join(frame.select("deal_id", "quiet_since", "previous_cut"), on="deal_id")
    unanswered = acts.filter(
        (pl.col("direction") == Direction.OUTBOUND) & (pl.col("at") > pl.col("quiet_since"))
    )
    window = acts.filter(pl.col("at") >= pl.col("previous_cut"))
    frame = frame.join(
        unanswered.group_by("deal_id").agg(pl.col("at").min().alias("first_unanswered")),
        on="deal_id",
        how="left",
    ).join(
        window.group_by("deal_id").agg(pl.col("at").min().alias("first_event")),
        on="deal_id",
        how="left",
    )
    return _onset(frame)


def _onset(frame: pl.DataFrame) -> pl.DataFrame:
    new = pl.col("new_flags")
    silence = (new.list.len() == 0) | new.list.eval(
        pl.element().is_in(list(SILENCE_FLAGS))
    ).list.any()
    went_quiet = pl.coalesce("first_unanswered", "quiet_since")
    onset = (
        pl.when(silence & (pl.col("quiet_since") < pl.col("previous_cut")))
        .then(went_quiet)
        .otherwise(pl.coalesce("first_event", "previous_cut"))
    )
    return (
        frame.with_columns(onset.alias("onset"))
        .with_columns(
            days_between(pl.col("turned_at"), pl.col("created_at")).alias("days_to_turn"),
            days_between(pl.col("onset"), pl.col("created_at")).alias("days_to_onset"),
        )
        .drop("first_event", "first_unanswered", "quiet_since", "created_at")
    )
