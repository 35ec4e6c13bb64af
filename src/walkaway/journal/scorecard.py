"""The decision journal: what became of every decision, and the scorecard (pure core).

A human decision (``walkaway decide``) is kept with the numbers of its moment. Later:

- **what happened after** a decision: the outcomes dated at or after it (``won``,
  ``lost``, ``came_back``, ``no_decision``, from an import or recorded by hand), the
  buyer's inbound activity after it, and the next decision on the same deal;
- **the fate** of a walk-away, from what happened while it was in force (until the next
  decision on the deal): ``won`` (the deal was won after all: a win given up),
  ``came_back`` (a ``came_back`` outcome or new inbound activity), ``stayed_lost`` (a
  ``lost`` or ``no_decision`` outcome and no sign of the buyer since), ``taken_back``
  (another decision replaced it first), ``no_news`` (nothing yet). Of a pursue or
  re-qualify: ``won``, ``lost`` or ``open``;
- **a re-qualify deadline** (``requalify_by``, the whole day) is ``met`` when the buyer
  answered by then (inbound activity), a later human decision was recorded by then, or
  the deal closed by then; ``missed`` when the day has passed without any of them;
  ``pending`` before it.

Only what is dated before the journal's ``as_of`` counts. :func:`scorecard` adds it up
per rep: walk-aways that stayed lost, ones that came back, wins given up (walk-aways
later won: count and amount), hours freed (the ``hours_needed`` estimate at decision
time of walk-aways that stayed lost), deadlines met and missed.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from walkaway.models import DATETIME, Recommendation, as_utc_naive
from walkaway.wording import percent

ALL_REPS = "all reps"
OUTCOME_WORDS = ("won", "lost", "came_back", "no_decision")
LOST_WORDS = ("lost", "no_decision")

# What the core needs of each input frame (the service builds them from the store).
DECISION_SCHEMA: dict[str, pl.DataType] = {
    "decision_id": pl.Int64(),
    "deal_id": pl.String(),
    "decision": pl.String(),
    "decided_at": DATETIME,
    "decided_by": pl.String(),
    "reason": pl.String(),
    "revisit_on": pl.Date(),
    "requalify_by": pl.Date(),
    "win_probability": pl.Float64(),
    "expected_value": pl.Float64(),
    "cost_to_pursue": pl.Float64(),
    "hours_needed": pl.Float64(),
    "recommendation": pl.String(),
}
JOURNAL_DEAL_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "name": pl.String(),
    "owner": pl.String(),
    "amount": pl.Float64(),
    "currency": pl.String(),
    "stage": pl.String(),
    "outcome": pl.String(),
    "closed_at": DATETIME,
}
OUTCOME_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "outcome": pl.String(),
    "happened_at": DATETIME,
}
INBOUND_SCHEMA: dict[str, pl.DataType] = {"deal_id": pl.String(), "at": DATETIME}

WORDS = {
    Recommendation.PURSUE.value: "pursue",
    Recommendation.REQUALIFY.value: "re-qualify",
    Recommendation.WALK_AWAY.value: "walk away",
}


def _words(column: str) -> pl.Expr:
    return pl.col(column).replace_strict(WORDS, default=pl.col(column), return_dtype=pl.String)


def overlay_decisions(assessments: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """The review's rows with the team's own decision beside the data's recommendation.

    ``decisions`` is one row per deal (``human_decisions``): ``deal_id, human_decision,
    human_reason, decided_by, decided_at, revisit_on, requalify_by``. Added columns:
    ``human_decision, human_reason, decided_by, decided_at, human_revisit_on,
    human_requalify_by`` (renamed so the engine's own dates stay), ``decision_in_force``
    (the human decision, else the recommendation), ``data_disagrees`` (bool) and
    ``disagreement`` (a sentence, null when they agree). The recommendation itself is
    left as the data says: the decision is shown beside it, never overwritten.
    """
    wanted = ["deal_id", "human_decision", "human_reason", "decided_by", "decided_at"]
    renamed = decisions.select(
        *wanted,
        pl.col("revisit_on").alias("human_revisit_on"),
        pl.col("requalify_by").alias("human_requalify_by"),
    )
    joined = assessments.join(renamed, on="deal_id", how="left", maintain_order="left")
    human = pl.col("human_decision")
    disagrees = (human.is_not_null() & (human != pl.col("recommendation"))).fill_null(False)
    sentence = pl.format(
        "You decided to {} on {}; the data now says {} (p {})",
        _words("human_decision"),
        pl.col("decided_at").dt.strftime("%Y-%m-%d"),
        _words("recommendation"),
        percent(pl.col("win_probability")),
    )
    return joined.with_columns(
        pl.coalesce(human, pl.col("recommendation")).alias("decision_in_force"),
        disagrees.alias("data_disagrees"),
        pl.when(disagrees).then(sentence).otherwise(None).alias("disagreement"),
    )


def follow_up(
    decisions: pl.DataFrame,
    deals: pl.DataFrame,
    outcomes: pl.DataFrame,
    inbound: pl.DataFrame,
    as_of: datetime,
) -> pl.DataFrame:
    """Every decision with what happened after it, its fate and its deadline's status.

    Inputs follow :data:`DECISION_SCHEMA`, :data:`JOURNAL_DEAL_SCHEMA`,
    :data:`OUTCOME_SCHEMA` and :data:`INBOUND_SCHEMA`; nothing dated at or after
    ``as_of`` is used. One row per decision, oldest first.
    """
    now = pl.lit(as_utc_naive(as_of), dtype=DATETIME)
    known = outcomes.filter(pl.col("happened_at") < now)
    replies = inbound.filter(pl.col("at") < now)
    ordered = decisions.sort("deal_id", "decided_at", "decision_id").with_columns(
        pl.col("decision").shift(-1).over("deal_id").alias("next_decision"),
        pl.col("decided_at").shift(-1).over("deal_id").alias("next_decided_at"),
    )
    frame = (
        ordered.join(_outcomes_after(ordered, known), on="decision_id", how="left")
        .join(_inbound_after(ordered, replies), on="decision_id", how="left")
        .with_columns(pl.col("inbound_after").fill_null(0))
        .join(_deal_state(deals, now), on="deal_id", how="left")
    )
    frame = frame.with_columns(_fate().alias("fate"), _deadline(now).alias("requalify_status"))
    return frame.sort("decided_at", "decision_id")


def _join_after(decisions: pl.DataFrame, events: pl.DataFrame, at: str) -> pl.DataFrame:
    """The events of each decision's deal while it was in force: from the decision on,
    until the next decision on the deal (a walk-away the rep took back is not answerable
    for the win that came after they pursued it again)."""
    keys = decisions.select("decision_id", "deal_id", "decided_at", "next_decided_at")
    joined = keys.join(events, on="deal_id", how="inner")
    in_force = (pl.col(at) < pl.col("next_decided_at")).fill_null(True)
    return joined.filter((pl.col(at) >= pl.col("decided_at")) & in_force).drop("next_decided_at")


def _outcomes_after(decisions: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    after = _join_after(decisions, outcomes, "happened_at").sort("happened_at")
    word, at = pl.col("outcome"), pl.col("happened_at")
    return after.group_by("decision_id").agg(
        at.filter(word == "won").min().alias("won_at"),
        at.filter(word == "came_back").min().alias("came_back_at"),
        at.filter(word.is_in(LOST_WORDS)).min().alias("lost_at"),
        at.min().alias("first_outcome_at"),
        word.last().alias("outcome_after"),
        at.last().alias("outcome_after_at"),
    )


def _inbound_after(decisions: pl.DataFrame, inbound: pl.DataFrame) -> pl.DataFrame:
    after = _join_after(decisions, inbound, "at").filter(pl.col("at") > pl.col("decided_at"))
    return after.group_by("decision_id").agg(
        pl.col("at").min().alias("first_inbound_after"),
        pl.len().cast(pl.Int64).alias("inbound_after"),
    )


def _deal_state(deals: pl.DataFrame, now: pl.Expr) -> pl.DataFrame:
    """The deal as known at ``as_of``: a close dated later is not known yet."""
    closed = (pl.col("outcome") != "open") & (pl.col("closed_at") < now).fill_null(True)
    return deals.select(
        "deal_id",
        "name",
        "owner",
        "amount",
        "currency",
        "stage",
        pl.when(closed).then(pl.col("outcome")).otherwise(pl.lit("open")).alias("deal_outcome"),
        pl.when(closed).then(pl.col("closed_at")).alias("closed_at"),
    )


def _fate() -> pl.Expr:
    won = pl.col("won_at").is_not_null()
    back = pl.col("came_back_at").is_not_null() | (pl.col("inbound_after") > 0)
    lost = pl.col("lost_at").is_not_null()
    walk = pl.col("decision") == Recommendation.WALK_AWAY
    return (
        pl.when(won)
        .then(pl.lit("won"))
        .when(walk & back)
        .then(pl.lit("came_back"))
        .when(walk & lost)
        .then(pl.lit("stayed_lost"))
        .when(walk & pl.col("next_decision").is_not_null())
        .then(pl.lit("taken_back"))
        .when(walk)
        .then(pl.lit("no_news"))
        .when(lost)
        .then(pl.lit("lost"))
        .otherwise(pl.lit("open"))
    )


def _deadline(now: pl.Expr) -> pl.Expr:
    """met / missed / pending for re-qualify decisions; null for the others."""
    end = pl.col("requalify_by").cast(DATETIME) + pl.duration(days=1)
    answered = pl.min_horizontal("first_inbound_after", "next_decided_at", "first_outcome_at")
    requalify = pl.col("decision") == Recommendation.REQUALIFY
    return (
        pl.when(~requalify | pl.col("requalify_by").is_null())
        .then(None)
        .when((answered < end).fill_null(False))
        .then(pl.lit("met"))
        .when(end <= now)
        .then(pl.lit("missed"))
        .otherwise(pl.lit("pending"))
    )


def _score_exprs() -> list[pl.Expr]:
    decision, fate, status = pl.col("decision"), pl.col("fate"), pl.col("requalify_status")
    walk = decision == Recommendation.WALK_AWAY
    pursue = decision == Recommendation.PURSUE

    def count(condition: pl.Expr, name: str) -> pl.Expr:
        return condition.fill_null(False).sum().cast(pl.Int64).alias(name)

    stayed = walk & (fate == "stayed_lost")
    given_up = walk & (fate == "won")
    return [
        pl.len().cast(pl.Int64).alias("decisions"),
        count(walk, "walk_aways"),
        count(stayed, "stayed_lost"),
        count(walk & fate.is_in(["came_back", "won"]), "came_back"),
        count(walk & (fate == "no_news"), "no_news"),
        count(given_up, "wins_given_up"),
        pl.col("amount").filter(given_up).sum().fill_null(0.0).alias("wins_given_up_value"),
        pl.col("hours_needed").filter(stayed).sum().fill_null(0.0).alias("hours_freed"),
        count(decision == Recommendation.REQUALIFY, "requalifications"),
        count(status == "met", "deadlines_met"),
        count(status == "missed", "deadlines_missed"),
        count(status == "pending", "deadlines_pending"),
        count(pursue, "pursued"),
        count(pursue & (fate == "won"), "pursued_won"),
        count(pursue & (fate == "lost"), "pursued_lost"),
    ]


def scorecard(entries: pl.DataFrame) -> pl.DataFrame:
    """Per rep (``owner``), then the team (``owner`` = "all reps"): the scorecard columns.

    ``came_back`` includes walk-aways later won; ``wins_given_up_value`` is their amount;
    ``hours_freed`` the hours still needed, estimated when the decision was made, of the
    walk-aways that stayed lost.
    """
    owner = pl.col("owner").fill_null("(no owner)")
    per_rep = entries.with_columns(owner.alias("owner")).group_by("owner").agg(_score_exprs())
    team = entries.select(pl.lit(ALL_REPS).alias("owner"), *_score_exprs())
    return pl.concat([per_rep.sort("owner"), team.cast(per_rep.schema)])  # type: ignore[arg-type]


def due_decisions(decisions: pl.DataFrame, on: date, *, decided_before: datetime) -> pl.DataFrame:
    """The decisions in force whose re-qualify deadline or revisit date is ``on`` or earlier.

    ``decisions`` as :data:`DECISION_SCHEMA`; the decision in force on a deal is its
    latest made before ``decided_before``. One row per date that has come, with ``kind``
    (``requalify_deadline`` or ``revisit``) and ``due_on``, earliest first.
    """
    cutoff = pl.lit(as_utc_naive(decided_before), dtype=DATETIME)
    latest = (
        decisions.filter(pl.col("decided_at") < cutoff)
        .sort("decided_at", "decision_id")
        .group_by("deal_id", maintain_order=True)
        .last()
    )
    requalify = pl.col("decision") == Recommendation.REQUALIFY
    deadline = latest.filter(requalify & (pl.col("requalify_by") <= on)).with_columns(
        pl.lit("requalify_deadline").alias("kind"), pl.col("requalify_by").alias("due_on")
    )
    revisit = latest.filter(pl.col("revisit_on") <= on).with_columns(
        pl.lit("revisit").alias("kind"), pl.col("revisit_on").alias("due_on")
    )
    return pl.concat([deadline, revisit]).sort("due_on", "deal_id")
