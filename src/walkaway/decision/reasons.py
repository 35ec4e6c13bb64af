"""The words and dates of a recommendation, for every deal at once.

Reasons are sentences with the deal's own numbers, most important first: a hard stop,
then the economics ("Expected €38 per remaining hour; your other deals earn €210 an
hour"), the unknown facts and red flags behind it, when the deal will cross the
walk-away line if nothing happens, the re-qualification deadline, the hours already
spent (shown, not counted) and where the rep's gut disagrees with the data.
"""

from __future__ import annotations

import functools

import polars as pl

from walkaway.models import Recommendation
from walkaway.policy import Policy
from walkaway.wording import money, number, percent, said_once, text, whole, without_nulls

EMPTY = pl.lit([], dtype=pl.List(pl.String))


def gut_flags(signals: pl.DataFrame, probability: pl.Series, policy: Policy) -> pl.DataFrame:
    """``gut_vs_data`` flags: the rep's confidence (1-5) against the win probability."""
    if not policy.is_enabled("gut_vs_data"):
        return signals.head(0).select("deal_id")
    rule = policy.rule("gut_vs_data")
    par = rule.params
    confidence, p = pl.col("rep_confidence"), pl.col("win_probability")
    fires = ((confidence >= par["high"]) & (p < par["low_probability"])) | (
        (confidence <= par["low"]) & (p >= par["high_probability"])
    )
    return (
        signals.select("deal_id", "rep_confidence")
        .with_columns(probability.alias("win_probability"))
        .filter(fires.fill_null(False))
        .select(
            "deal_id",
            pl.lit("gut_vs_data").alias("code"),
            pl.lit(rule.severity.value).alias("severity"),
            text(
                "You rate this deal ",
                whole(confidence),
                "/5; the data says ",
                percent(p),
                " to win",
            ).alias("evidence"),
            pl.lit("What do you know about this deal that the data does not show?").alias(
                "question"
            ),
            pl.lit(rule.hard_stop).alias("hard_stop"),
        )
    )


def _elsewhere() -> pl.Expr:
    """What an hour earns elsewhere, and whose figure it is."""
    costs = pl.col("opportunity_rate") > pl.col("yield_per_hour")
    source = pl.col("yield_source")

    def said(cost: str, owner: str, team: str, policy: str) -> pl.Expr:
        # One choice per part of the sentence, the amount written once: an expression
        # is evaluated as often as it is written (a sentence per branch wrote it four times).
        return (
            pl.when(costs)
            .then(pl.lit(cost))
            .when(source == "owner")
            .then(pl.lit(owner))
            .when(source == "team")
            .then(pl.lit(team))
            .otherwise(pl.lit(policy))
        )

    amount = pl.when(costs).then(pl.col("opportunity_rate")).otherwise(pl.col("yield_per_hour"))
    return text(
        said(
            "an hour of your time costs ",
            "your other deals earn ",
            "the team's deals earn ",
            "the policy values an hour at ",
        ),
        money(amount, pl.col("currency")),
        said("", " an hour", " an hour", ""),
    )


def _hour_sentence() -> pl.Expr:
    """The economics, said the way the call reads them: above what an hour earns
    elsewhere (pursue), below the walk-away line (walk away), or in between."""
    currency = pl.col("currency")
    expected = text(
        "Expected ",
        money(pl.col("value_per_hour"), currency),
        " per remaining hour (",
        percent(pl.col("win_probability")),
        " of ",
        money(pl.col("value"), currency),
        " over ",
        pl.col(HOURS_SAID),
        " hours)",
    )
    between = pl.col("cause") == "economics_between"
    line = text("), above the walk-away line of ", pl.col(LINE_SAID))
    return pl.when(pl.col("value").is_not_null()).then(
        text(
            expected,
            pl.when(between)
            .then(pl.lit(": below what an hour earns elsewhere ("))
            .otherwise(pl.lit("; ")),
            pl.col(ELSEWHERE_SAID),
            pl.when(between).then(line).otherwise(pl.lit("")),
        )
    )


def _answered_sentence() -> pl.Expr:
    shown = (pl.col("recommendation") == Recommendation.WALK_AWAY) & pl.col("has_unknown")
    return pl.when(shown & ~pl.col("hard_stop") & pl.col("value").is_not_null()).then(
        text(
            "Even with the open questions answered, expected ",
            money(pl.col("value_per_hour_answered"), pl.col("currency")),
            " per hour stays below the walk-away line of ",
            pl.col(LINE_SAID),
        )
    )


def _floor_sentence() -> pl.Expr:
    """Why a deal below the economic line is not walked away from: the team's history."""
    return pl.when(pl.col("cause") == "history_floor").then(
        text(
            "The hours are worth more elsewhere, but at ",
            percent(pl.col("win_probability")),
            " this team's history wins too many such deals to walk away (the line is ",
            percent(pl.col("walk_away_floor")),
            ")",
        )
    )


def _unlikely_sentence() -> pl.Expr:
    """Why a deal whose hours would pay is not pursued: it is too unlikely to be won."""
    return pl.when(pl.col("cause") == "too_unlikely").then(
        text(
            "At ",
            percent(pl.col("win_probability")),
            " this deal is too unlikely to pursue as it stands (a pursue needs ",
            percent(pl.col("pursue_floor")),
            "): find out what would make it likely",
        )
    )


def _no_value_sentence() -> pl.Expr:
    return pl.when(pl.col("value").is_null()).then(
        pl.lit("No amount is recorded, so the deal's value cannot be weighed against its hours")
    )


def _first(cause: str, *sentences: pl.Expr) -> pl.Expr:
    """``sentences`` when the call was decided by ``cause``, else nothing."""
    return pl.when(pl.col("cause") == cause).then(pl.concat_list(*sentences))


def with_reason_parts(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (the columns assembled by ``assess.recommend``) with the columns
    :func:`reasons_expr` reads: the words that depend only on the rep's yield, the
    walk-away line, the currency or the hours a stage needs (a few distinct values for
    a whole pipeline) written once per value (:func:`~walkaway.wording.said_once`),
    then :func:`reason_parts`."""
    return frame.with_columns(
        said_once(frame, _elsewhere()).alias(ELSEWHERE_SAID),
        said_once(frame, money(pl.col("walk_away_rate"), pl.col("currency"))).alias(LINE_SAID),
        said_once(frame, number(pl.col("hours_needed"))).alias(HOURS_SAID),
    ).with_columns(reason_parts())


ELSEWHERE_SAID, LINE_SAID, HOURS_SAID = "_elsewhere_said", "_line_said", "_hours_said"


@functools.cache
def reason_parts() -> list[pl.Expr]:
    """The sentences :func:`reasons_expr` may say twice (first as what decided the call,
    then in their place), as columns it reads, so each is written once a deal. Needs
    the columns of :func:`with_reason_parts`."""
    hard = pl.col("hard_reasons").list.eval(pl.lit("Hard stop: ") + pl.element())
    return [
        hard.fill_null(EMPTY).alias(HARD),
        _hour_sentence().alias(HOUR),
        _unlikely_sentence().alias(UNLIKELY),
    ]


HARD, HOUR, UNLIKELY = "_hard_said", "_hour_said", "_unlikely_said"


@functools.cache
def reasons_expr() -> pl.Expr:
    """``list[str]`` of reasons, **the one that decided the call first** (its
    ``cause``: the hard stop, the missing amount, the economics, the history's
    floor, the open question or the probability too low to pursue); then the rest.
    Needs the columns of :func:`with_reason_parts`."""
    rec = pl.col("recommendation")
    walking = rec == Recommendation.WALK_AWAY
    hard, hour, unlikely = pl.col(HARD), pl.col(HOUR), pl.col(UNLIKELY)
    unknown = pl.col("unknown_reasons").fill_null(EMPTY)
    crossing = pl.when(~walking & pl.col("walk_away_on").is_not_null()).then(
        text(
            "If nothing changes, it crosses the walk-away line by ",
            pl.col("walk_away_on").dt.to_string("%Y-%m-%d"),
        )
    )
    deadline = pl.when(rec == Recommendation.REQUALIFY).then(
        text("Get answers by ", pl.col("requalify_by").dt.to_string("%Y-%m-%d"), ", or walk away")
    )
    sunk = pl.when(pl.col("hours_invested") > 0).then(
        text(
            number(pl.col("hours_invested")),
            " hours already spent are not counted: only the hours ahead matter",
        )
    )
    deciding = pl.coalesce(
        _first("hard_stop", hard),
        _first("no_value", _no_value_sentence()),
        _first("history_floor", _floor_sentence()),
        _first("open_question", unknown),
        _first("too_unlikely", unlikely),
        pl.concat_list(hour),
    )
    return without_nulls(
        pl.concat_list(
            deciding,
            hard,
            _no_value_sentence(),
            hour,
            _answered_sentence(),
            unlikely,
            unknown,
            pl.col("flag_reasons").fill_null(EMPTY),
            crossing,
            deadline,
            sunk,
            pl.col("gut_reasons").fill_null(EMPTY),
        )
    ).list.unique(maintain_order=True)


@functools.cache
def questions_expr() -> pl.Expr:
    """Questions to ask for a re-qualification (or a walk-away, for the record)."""
    value_question = pl.when(pl.col("value").is_null()).then(
        pl.lit("What is this deal worth: which amount is the buyer considering?")
    )
    likely = pl.when(pl.col("cause") == "too_unlikely").then(
        pl.lit("What would make this deal likely: who decides, with what budget, by when?")
    )
    generic = pl.when(
        (pl.col("recommendation") == Recommendation.REQUALIFY)
        & (pl.col("flag_questions").list.len().fill_null(0) == 0)
        & (pl.col("cause") != "too_unlikely")
    ).then(pl.lit("What would it take for you to decide, and by when?"))
    return without_nulls(
        pl.concat_list(value_question, likely, pl.col("flag_questions").fill_null(EMPTY), generic)
    )
