"""Pursue, re-qualify or walk away: the rule of DECISION.md, for every open deal at once.

With V, H, p and the opportunity rate from :mod:`walkaway.decision.economics`:

1. a **hard stop** flag (policy ``hard_stop = true``) -> ``walk_away``, whatever the
   numbers, and the first reason says so;
2. no amount -> ``requalify`` (the value is the question);
3. p x V / H below k x rate even with the open questions answered well (p recomputed
   without the ``decision.requalify_on`` flags) -> ``walk_away`` — when the model carries
   a walk-away line from the team's history (``model.walk_away_floor()``), only if p is
   also below that floor; above it the deal is re-qualified, and the reason says why;
4. a deciding fact unknown (a ``requalify_on`` flag: budget, authority, need unknown,
   a requirement unmet, the buyer possibly gone) -> ``requalify``;
5. p x V / H at or above the rate -> ``pursue``, if p is at least
   ``decision.min_pursue_probability`` (below it: ``requalify``, what would make the
   deal likely?); otherwise ``requalify``.

Each call keeps the one cause that decided it (:data:`CAUSES`, the column
``cause``), and its first reason is that cause's sentence.

A re-qualification carries the questions of its flags (unknown facts first) and a
deadline (``as_of`` + ``decision.requalify_days``); a walk-away a revisit date
(``as_of`` + ``decision.revisit_months``). Deterministic; most urgent first: walk-aways
(hard stops first, then the costliest), re-qualifications, then deals to pursue by the
date they will cross the walk-away line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from walkaway.decision.ahead import walk_away_dates
from walkaway.decision.economics import compute_economics, economics_of
from walkaway.decision.reasons import (
    EMPTY,
    gut_flags,
    questions_expr,
    reasons_expr,
    with_reason_parts,
)
from walkaway.flags.rulebook import SEVERITY_RANK, find_flags_frame, find_flags_frames
from walkaway.learning.prior import PriorModel, WinModel
from walkaway.models import Assessment, Flag, Pipeline, Recommendation, Severity, as_utc_naive
from walkaway.policy import Policy
from walkaway.signals.frame import signals_and_readiness, signals_from_snapshot
from walkaway.signals.norms import Norms, norms_from_snapshot
from walkaway.signals.snapshot import Snapshot, take_snapshot

URGENCY = {Recommendation.WALK_AWAY: 0, Recommendation.REQUALIFY: 1, Recommendation.PURSUE: 2}
# What decided a call, and the call it makes.
CAUSES: dict[str, Recommendation] = {
    "hard_stop": Recommendation.WALK_AWAY,
    "no_value": Recommendation.REQUALIFY,
    "economics_walk": Recommendation.WALK_AWAY,
    "history_floor": Recommendation.REQUALIFY,
    "open_question": Recommendation.REQUALIFY,
    "too_unlikely": Recommendation.REQUALIFY,
    "economics_pursue": Recommendation.PURSUE,
    "economics_between": Recommendation.REQUALIFY,
}
MAX_FLAG_REASONS = 3
MAX_QUESTIONS = 4

ASSESSMENT_COLUMNS = (
    "deal_id",
    "name",
    "account",
    "owner",
    "stage",
    "amount",
    "currency",
    "recommendation",
    "cause",
    "win_probability",
    "expected_value",
    "cost_to_pursue",
    "value_per_hour",
    "opportunity_rate",
    "walk_away_rate",
    "yield_per_hour",
    "yield_source",
    "value",
    "hours_needed",
    "hours_needed_source",
    "hours_invested",
    "net_value",
    "rep_confidence",
    "hard_stop",
    "flags",
    "reasons",
    "questions",
    "requalify_by",
    "revisit_on",
    "walk_away_on",
    "reasons_for",
    "reasons_against",
)


def assess_frame(
    pipeline: Pipeline,
    as_of: datetime,
    policy: Policy,
    model: WinModel | None = None,
    *,
    deal_ids: Collection[str] | None = None,
    norms: Norms | None = None,
    readiness: bool = False,
    ahead: bool = True,
    words: bool = True,
) -> pl.DataFrame:
    """One row per deal open at ``as_of`` (:data:`ASSESSMENT_COLUMNS`), most urgent first.

    ``model`` must be fitted; without one a :class:`PriorModel` is fitted as of ``as_of``.
    ``norms`` (e.g. cached ones) are used instead of learning them from ``pipeline``;
    they may be as of an earlier moment, never a later one. With ``readiness``, two more
    columns from the same pass: ``ready_to_advance`` and ``missing_criteria``
    (:mod:`walkaway.signals.readiness`). Without ``ahead`` the deals are not replayed
    ahead and ``walk_away_on`` stays empty (a look back, such as a loss review's
    timeline, needs no date ahead). Without ``words`` the sentences are not written
    (``reasons``, ``questions``, ``reasons_for``, ``reasons_against`` stay empty): the
    calls, numbers and flags are the same, at a fraction of the cost of a replay.
    """
    snap = take_snapshot(pipeline, as_of)
    if norms is None:
        norms = norms_from_snapshot(snap, policy)
    return assess_snapshot(
        pipeline,
        snap,
        policy,
        model,
        norms=norms,
        deal_ids=deal_ids,
        readiness=readiness,
        ahead=ahead,
        words=words,
    )


def assess_snapshot(
    pipeline: Pipeline,
    snap: Snapshot,
    policy: Policy,
    model: WinModel | None = None,
    *,
    norms: Norms,
    deal_ids: Collection[str] | None = None,
    readiness: bool = False,
    ahead: bool = True,
    words: bool = True,
) -> pl.DataFrame:
    """:func:`assess_frame` as of a snapshot already taken of ``pipeline`` and norms
    already learned (e.g. by :class:`~walkaway.signals.norms.NormsOverTime` from the
    same snapshot), so that a replay over many moments takes each snapshot once."""
    if norms.as_of > snap.as_of:
        raise ValueError(f"norms as of {norms.as_of} are later than as_of {snap.as_of}")
    if readiness:
        signals, ready = signals_and_readiness(snap, policy, norms, deal_ids)
    else:
        signals = signals_from_snapshot(snap, policy, norms, deal_ids)
    flags = find_flags_frame(signals, policy)
    if model is None:
        model = PriorModel(policy).fit(pipeline, snap.as_of, norms=norms)
    assessed = recommend(signals, flags, model, norms, policy, snap.as_of, ahead=ahead, words=words)
    if not readiness:
        return assessed
    return assessed.join(ready, on="deal_id", how="left", maintain_order="left")


@dataclass(frozen=True)
class Look:
    """One moment of a replay: the signals of the deals open then, and the norms then."""

    as_of: datetime
    signals: pl.DataFrame
    norms: Norms


def assess_looks(
    pipeline: Pipeline,
    looks: Sequence[Look],
    policy: Policy,
    *,
    ahead: bool = True,
    words: bool = True,
) -> list[pl.DataFrame]:
    """:func:`assess_snapshot` of each look (its signals already found), the flags of all
    of them found in one pass (:func:`~walkaway.flags.rulebook.find_flags_frames`): the
    same frames, without paying the rulebook's cost once per moment."""
    flags = find_flags_frames([look.signals for look in looks], policy)
    assessed = []
    for look, found in zip(looks, flags, strict=True):
        model = PriorModel(policy).fit(pipeline, look.as_of, norms=look.norms)
        assessed.append(
            recommend(
                look.signals, found, model, look.norms, policy, look.as_of, ahead=ahead, words=words
            )
        )
    return assessed


def assess(
    pipeline: Pipeline,
    as_of: datetime,
    policy: Policy,
    model: WinModel | None = None,
    *,
    deal_ids: Collection[str] | None = None,
) -> list[Assessment]:
    """:func:`assess_frame` as :class:`Assessment` objects, most urgent first."""
    return assessments_from_frame(assess_frame(pipeline, as_of, policy, model, deal_ids=deal_ids))


def recommend(
    signals: pl.DataFrame,
    flags: pl.DataFrame,
    model: WinModel,
    norms: Norms,
    policy: Policy,
    as_of: datetime,
    *,
    ahead: bool = True,
    words: bool = True,
) -> pl.DataFrame:
    """The decision for every deal in ``signals`` given its flags and a fitted model
    (``ahead``: with the date it crosses the walk-away line; ``words``: with its
    sentences, :func:`assess_frame`)."""
    as_of = as_utc_naive(as_of)
    deciding = list(policy.decision.requalify_on)
    scores = model.score(signals, flags, without=deciding)
    probability, answered = scores.probability, scores.answered
    reasons = model.reasons(scores) if words else _no_model_reasons(scores.deal_ids)
    flags = _with_gut_flags(flags, signals, probability, policy)
    economics = compute_economics(signals, probability, norms, policy).with_columns(
        (answered * pl.col("value") / pl.col("hours_needed")).alias("value_per_hour_answered")
    )
    frame = (
        signals.select(
            "deal_id",
            "name",
            "account",
            "owner",
            "stage",
            "amount",
            "rep_confidence",
            "days_in_stage",
            "stall_threshold_days",
            "stage_norm_p90",
            "stage_norm_source",
        )
        .join(economics, on="deal_id", how="left", maintain_order="left")
        .with_columns(
            answered.alias("answered_probability"),
            (scores.facts if scores.facts is not None else pl.lit(0.0)).alias("fact_log_odds"),
        )
        .join(_per_deal_flags(flags, deciding), on="deal_id", how="left", maintain_order="left")
        .join(reasons, on="deal_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("hard_stop").fill_null(False),
            pl.col("has_unknown").fill_null(False),
            pl.lit(model.walk_away_floor(), dtype=pl.Float64).alias("walk_away_floor"),
        )
        .with_columns(_cause(policy).alias("cause"))
        .with_columns(
            pl.col("cause")
            .replace_strict({k: v.value for k, v in CAUSES.items()}, return_dtype=pl.String)
            .alias("recommendation"),
            pl.lit(policy.decision.min_pursue_probability).alias("pursue_floor"),
        )
        .with_columns(_dates(policy, as_of))
    )
    if ahead:
        dates = walk_away_dates(frame, signals, flags, norms, policy, as_of)
        frame = frame.join(dates, on="deal_id", how="left", maintain_order="left")
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Date).alias("walk_away_on"))
    if words:
        frame = with_reason_parts(frame).with_columns(
            reasons_expr().alias("reasons"), questions_expr().alias("questions")
        )
    else:
        frame = frame.with_columns(EMPTY.alias("reasons"), EMPTY.alias("questions"))
    # the columns kept first: the sort then moves none of the lists worked from
    return most_urgent_first(frame.select(ASSESSMENT_COLUMNS))


def _no_model_reasons(deal_ids: pl.Series) -> pl.DataFrame:
    """The model's reasons left unwritten (``recommend(words=False)``)."""
    return pl.DataFrame({"deal_id": deal_ids}).with_columns(
        EMPTY.alias("reasons_for"), EMPTY.alias("reasons_against")
    )


def _with_gut_flags(
    flags: pl.DataFrame, signals: pl.DataFrame, probability: pl.Series, policy: Policy
) -> pl.DataFrame:
    gut = gut_flags(signals, probability, policy)
    if "code" not in gut.columns or gut.height == 0:
        return flags
    rank = pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int32)
    both = pl.concat([flags, gut.cast(flags.schema)])
    return both.sort(["deal_id", rank], maintain_order=True)


def _per_deal_flags(flags: pl.DataFrame, deciding: list[str]) -> pl.DataFrame:
    evidence, question = pl.col("evidence"), pl.col("question")
    is_deciding, hard = pl.col("code").is_in(deciding), pl.col("hard_stop")
    is_gut = pl.col("code") == "gut_vs_data"
    plain = ~hard & ~is_deciding & ~is_gut & (pl.col("severity") != Severity.INFO)
    # the deciding facts' questions first, then the others', each in the flags' order;
    # asked once each, the first few (on the lists: cheaper than sorting in each group)
    first, then = "_asked_first", "_asked_then"
    asked = pl.concat_list(first, then).list.eval(
        pl.element().unique(maintain_order=True).head(MAX_QUESTIONS)
    )
    return (
        flags.group_by("deal_id", maintain_order=True)
        .agg(
            pl.struct("code", "severity", "evidence", "question").alias("flags"),
            hard.any().alias("hard_stop"),
            is_deciding.any().alias("has_unknown"),
            evidence.filter(hard).alias("hard_reasons"),
            evidence.filter(is_deciding & ~hard).alias("unknown_reasons"),
            evidence.filter(plain).head(MAX_FLAG_REASONS).alias("flag_reasons"),
            evidence.filter(is_gut).alias("gut_reasons"),
            question.filter(~is_gut & is_deciding).alias(first),
            question.filter(~is_gut & ~is_deciding).alias(then),
        )
        .with_columns(asked.alias("flag_questions"))
        .drop(first, then)
    )


def _cause(policy: Policy) -> pl.Expr:
    """What decides each call (the module docstring's steps, in order)."""
    value_per_hour, line = pl.col("value_per_hour"), pl.col("walk_away_rate")
    below_floor = (pl.col("win_probability") < pl.col("walk_away_floor")).fill_null(True)
    below_line = pl.col("value_per_hour_answered") < line
    likely = pl.col("win_probability") >= policy.decision.min_pursue_probability
    return (
        pl.when(pl.col("hard_stop"))
        .then(pl.lit("hard_stop"))
        .when(pl.col("value").is_null())
        .then(pl.lit("no_value"))
        .when(below_line & below_floor)
        .then(pl.lit("economics_walk"))
        .when(below_line)
        .then(pl.lit("history_floor"))
        .when(pl.col("has_unknown"))
        .then(pl.lit("open_question"))
        .when((value_per_hour >= pl.col("opportunity_rate")) & ~likely)
        .then(pl.lit("too_unlikely"))
        .when(value_per_hour >= pl.col("opportunity_rate"))
        .then(pl.lit("economics_pursue"))
        .otherwise(pl.lit("economics_between"))
    )


def _dates(policy: Policy, as_of: datetime) -> list[pl.Expr]:
    rec = pl.col("recommendation")
    deadline = as_of.date() + timedelta(days=policy.decision.requalify_days)
    months = policy.decision.revisit_months
    revisit = pl.select(pl.lit(as_of).dt.offset_by(f"{months}mo").dt.date()).item()
    none = pl.lit(None, dtype=pl.Date)
    return [
        pl.when(rec == Recommendation.REQUALIFY)
        .then(pl.lit(deadline))
        .otherwise(none)
        .alias("requalify_by"),
        pl.when(rec == Recommendation.WALK_AWAY)
        .then(pl.lit(revisit))
        .otherwise(none)
        .alias("revisit_on"),
    ]


def stake() -> pl.Expr:
    """What is at stake in a call, in money: for a walk-away, the value given up times
    how far below the walk-away line the deal's hours pay (a big deal far below it
    first: the clearest cleaning of the pipeline); for a re-qualification or a pursue,
    the expected value riding on it. Without a value, the amount."""
    value = pl.coalesce(pl.col("value"), pl.col("amount"), pl.lit(0.0))
    below = (1 - pl.col("value_per_hour") / pl.col("walk_away_rate")).clip(0.0, 1.0)
    walking = pl.col("recommendation") == Recommendation.WALK_AWAY
    at_risk = pl.when(pl.col("hard_stop")).then(value).otherwise(value * below.fill_null(1.0))
    expected = pl.coalesce(pl.col("expected_value"), pl.col("amount"), pl.lit(0.0))
    return pl.when(walking).then(at_risk).otherwise(expected).fill_nan(0.0)


def most_urgent_first(frame: pl.DataFrame) -> pl.DataFrame:
    """The order of a review: walk-aways (hard stops first), re-qualifications, then
    deals to pursue by the date they cross the walk-away line; within each, by what is
    at stake (:func:`stake`), never by id alone (it breaks only exact ties)."""
    if frame.height < 2:  # one deal alone is in order: its sort keys need not be computed
        return frame
    urgency = pl.col("recommendation").replace_strict(
        {k.value: v for k, v in URGENCY.items()}, return_dtype=pl.Int32
    )
    pursuing = pl.col("recommendation") == Recommendation.PURSUE
    crossing = pl.when(pursuing).then(pl.col("walk_away_on"))
    return frame.sort(
        [urgency, pl.col("hard_stop"), crossing, stake(), "amount", "deal_id"],
        descending=[False, True, False, True, True, False],
        nulls_last=True,
    )


def assessments_from_frame(frame: pl.DataFrame) -> list[Assessment]:
    """:class:`Assessment` objects from the rows of :func:`assess_frame`."""
    # Flattening the flags first is several times faster than converting nested structs.
    flat = frame.select("deal_id", "flags").explode("flags").unnest("flags").drop_nulls("code")
    severities = {s.value: s for s in Severity}
    flags: dict[str, list[Flag]] = {}
    for deal_id, code, severity, evidence, question in flat.iter_rows():
        flags.setdefault(deal_id, []).append(Flag(code, severities[severity], evidence, question))
    rows = frame.drop("flags").iter_rows(named=True)
    return [_assessment(row, tuple(flags.get(row["deal_id"], ()))) for row in rows]


def _assessment(row: Mapping[str, Any], flags: tuple[Flag, ...]) -> Assessment:
    return Assessment(
        deal_id=str(row["deal_id"]),
        name=row["name"],
        owner=row["owner"],
        stage=row["stage"],
        amount=row["amount"],
        recommendation=Recommendation(row["recommendation"]),
        win_probability=float(row["win_probability"]),
        economics=economics_of(row),
        flags=flags,
        reasons=tuple(row["reasons"]),
        questions=tuple(row["questions"]),
        requalify_by=row["requalify_by"],
        revisit_on=row["revisit_on"],
        walk_away_on=row["walk_away_on"],
        rep_confidence=row["rep_confidence"],
        hard_stop=bool(row["hard_stop"]),
        reasons_for=tuple(row["reasons_for"] or ()),
        reasons_against=tuple(row["reasons_against"] or ()),
        account=row["account"],
        cause=row.get("cause"),
    )
