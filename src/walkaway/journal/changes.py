"""What changed between two reviews of the same pipeline: one columnar join.

Both reviews are assessment frames (:data:`walkaway.decision.assess.ASSESSMENT_COLUMNS`)
of the same store as of two moments. Each deal that changed is one row, of the one kind
that matters most (:data:`KINDS`, most important first):

- ``crossed_line``: the call went to walk away (from pursue or re-qualify);
- ``came_back``: the call was walk away and is no longer;
- ``flipped``: pursue and re-qualify traded places;
- ``moved``: the same call, but the win probability moved by at least
  :data:`MIN_MOVE` (ten points);
- ``new``: a deal that was not open at the earlier review;
- ``closed``: open at the earlier review, won or lost since, with whether the earlier
  call was right (:func:`call_was`).

``because`` says in words what moved it: a change of stage or amount, the red flags
that appeared or cleared (their evidence), else the reasons for or against that are
new, else time alone.
"""

from __future__ import annotations

import polars as pl

from walkaway.models import Recommendation

KINDS = ("crossed_line", "came_back", "flipped", "moved", "new", "closed")
KIND_TITLES = {
    "crossed_line": "Crossed the walk-away line",
    "came_back": "Came back from the walk-away line",
    "flipped": "Calls that flipped",
    "moved": "The largest moves in win probability",
    "new": "New deals",
    "closed": "Closed since",
}
# The same in a count: "2 crossed the walk-away line, 1 came back from it, ..."
KIND_WORDS = {
    "crossed_line": "crossed the walk-away line",
    "came_back": "came back from it",
    "flipped": "flipped",
    "moved": "moved 10 points or more",
    "new": "new",
    "closed": "closed",
}
MIN_MOVE = 0.10  # ten points of win probability: less is noise a manager need not read
MAX_CAUSES = 3
_SIDE = ("name", "owner", "stage", "amount", "currency", "recommendation", "win_probability")
_LISTS = ("reasons", "reasons_for", "reasons_against")
WALK = Recommendation.WALK_AWAY.value
CALL_WORDS = {r.value: r.label.lower() for r in Recommendation}

CHANGE_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "kind": pl.String(),
    "name": pl.String(),
    "owner": pl.String(),
    "stage_before": pl.String(),
    "stage_now": pl.String(),
    "amount": pl.Float64(),
    "currency": pl.String(),
    "call_before": pl.String(),
    "call_now": pl.String(),
    "p_before": pl.Float64(),
    "p_now": pl.Float64(),
    "outcome": pl.String(),
    "closed_at": pl.Datetime("us"),
    "call_was": pl.String(),
    "because": pl.List(pl.String()),
}
CLOSED_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "outcome": pl.String(),
    "closed_at": pl.Datetime("us"),
}


def _side(frame: pl.DataFrame, suffix: str) -> pl.DataFrame:
    lists = [c for c in _LISTS if c in frame.columns]
    columns = ["deal_id", *_SIDE, *lists]
    return frame.select(columns).rename({c: f"{c}_{suffix}" for c in columns[1:]})


def _kind(min_move: float) -> pl.Expr:
    was, now = pl.col("recommendation_before"), pl.col("recommendation_now")
    moved = (pl.col("win_probability_now") - pl.col("win_probability_before")).abs()
    return (
        pl.when(was.is_null())
        .then(pl.lit("new"))
        .when(now.is_null())
        .then(pl.lit("closed"))
        .when((now == WALK) & (was != WALK))
        .then(pl.lit("crossed_line"))
        .when((was == WALK) & (now != WALK))
        .then(pl.lit("came_back"))
        .when(was != now)
        .then(pl.lit("flipped"))
        .when(moved >= min_move - 1e-12)
        .then(pl.lit("moved"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _lower_first(text: pl.Expr) -> pl.Expr:
    """``A competitor is...`` -> ``a competitor is...`` (``BANT...`` stays)."""
    first, second = text.str.slice(0, 1), text.str.slice(1, 1)
    lower = second == second.str.to_lowercase()
    return pl.when(lower).then(first.str.to_lowercase() + text.str.slice(1)).otherwise(text)


def _flag_rows(frame: pl.DataFrame, suffix: str) -> pl.DataFrame:
    rows = frame.select("deal_id", "flags").explode("flags").drop_nulls("flags")
    return rows.select(
        "deal_id",
        pl.col("flags").struct.field("code").alias("code"),
        pl.col("flags").struct.field("evidence").alias(f"evidence_{suffix}"),
    )


def flag_changes(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Per deal: the evidence of the flags that appeared (``flags_new``), of those that
    cleared (``flags_cleared``, "no longer: ...") and of those still there whose evidence
    changed (``flags_changed``)."""
    both = _flag_rows(before, "before").join(
        _flag_rows(after, "now"), on=["deal_id", "code"], how="full", coalesce=True
    )
    was, now = pl.col("evidence_before"), pl.col("evidence_now")
    return both.group_by("deal_id").agg(
        now.filter(was.is_null()).alias("flags_new"),
        ("No longer: " + _lower_first(was)).filter(now.is_null()).alias("flags_cleared"),
        now.filter(was.is_not_null() & (was != now)).alias("flags_changed"),
    )


def _empty_list() -> pl.Expr:
    return pl.lit([], dtype=pl.List(pl.String))


def _facts_moved() -> pl.Expr:
    """A change of stage, then of amount, in words (null when neither moved)."""
    stage = pl.when(pl.col("stage_before") != pl.col("stage_now")).then(
        pl.concat_str(pl.lit("Moved from "), "stage_before", pl.lit(" to "), "stage_now")
    )
    amount = pl.when(pl.col("amount_before") != pl.col("amount_now")).then(
        pl.format(
            "The amount went from {} to {}",
            pl.col("amount_before").round(0).cast(pl.Int64),
            pl.col("amount_now").round(0).cast(pl.Int64),
        )
    )
    return pl.concat_list(stage, amount).list.drop_nulls()


def _reasons_new(column: str) -> pl.Expr:
    now, before = pl.col(f"{column}_now"), pl.col(f"{column}_before")
    return now.fill_null(_empty_list()).list.set_difference(before.fill_null(_empty_list()))


def _because_moved() -> pl.Expr:
    """What moved an open deal's odds, the likeliest cause first."""
    fell = pl.col("win_probability_now") < pl.col("win_probability_before")
    new, cleared = pl.col("flags_new"), pl.col("flags_cleared")
    flags = pl.when(fell).then(pl.concat_list(new, cleared)).otherwise(pl.concat_list(cleared, new))
    first = pl.concat_list(_facts_moved(), flags)
    reasons = (
        pl.when(fell).then(_reasons_new("reasons_against")).otherwise(_reasons_new("reasons_for"))
    )
    time_alone = (
        pl.when(fell)
        .then(pl.lit(["Nothing new was recorded: time alone lowered the odds"]))
        .otherwise(pl.lit(["Nothing new was recorded on the deal"]))
    )
    worse = pl.col("flags_changed")
    return (
        pl.when(first.list.len() > 0)
        .then(first)
        .when(worse.list.len() > 0)
        .then(worse)
        .when(reasons.list.len() > 0)
        .then(reasons)
        .otherwise(time_alone)
    )


def call_was(call: pl.Expr, outcome: pl.Expr) -> pl.Expr:
    """``right`` (walked away from a loss, pursued a win), ``wrong`` (the other two),
    ``open`` (it was being re-qualified: the question was still open), null without an
    outcome."""
    walk, pursue = call == WALK, call == Recommendation.PURSUE.value
    right = (walk & (outcome == "lost")) | (pursue & (outcome == "won"))
    wrong = (walk & (outcome == "won")) | (pursue & (outcome == "lost"))
    said = pl.when(right).then(pl.lit("right")).when(wrong).then(pl.lit("wrong"))
    return said.when(outcome.is_not_null()).then(pl.lit("open"))


VERDICTS = {
    "right": "the call, {}, was right",
    "wrong": "the call, {}, was wrong",
    "open": "the call was {}: the question was still open",
}


def _because_closed() -> pl.Expr:
    """``Won on 2026-11-12``, then the call of the earlier review and whether it was
    right."""
    label = pl.col("recommendation_before").replace_strict(
        CALL_WORDS, default="none", return_dtype=pl.String
    )
    verdicts = [
        pl.when(pl.col("call_was") == kind).then(pl.format(text, label))
        for kind, text in VERDICTS.items()
    ]
    verdict = pl.coalesce(*verdicts, pl.lit("No outcome was recorded"))
    outcome = pl.col("outcome").fill_null("closed")
    outcome = outcome.str.slice(0, 1).str.to_uppercase() + outcome.str.slice(1)
    when = pl.col("closed_at").dt.strftime("%Y-%m-%d").fill_null("an unknown date")
    return pl.concat_list(pl.format("{} on {}", outcome, when), verdict)


def _because_new() -> pl.Expr:
    return pl.col("reasons_now").fill_null(_empty_list()).list.head(1)


def _order() -> list[pl.Expr]:
    rank = pl.col("kind").replace_strict({k: i for i, k in enumerate(KINDS)}, return_dtype=pl.Int32)
    moved = (pl.col("p_now").fill_null(0) - pl.col("p_before").fill_null(0)).abs()
    weight = pl.when(pl.col("kind") == "moved").then(moved).otherwise(0.0)
    return [rank, -weight, -pl.col("amount").fill_null(0), pl.col("deal_id")]


def compare_reviews(
    before: pl.DataFrame,
    after: pl.DataFrame,
    closed: pl.DataFrame,
    *,
    min_move: float = MIN_MOVE,
) -> pl.DataFrame:
    """Every deal that changed between the review ``before`` and the review ``after``
    (:data:`CHANGE_SCHEMA`), most important first.

    ``closed`` (:data:`CLOSED_SCHEMA`) holds the outcome of deals closed between the two;
    a deal open before and absent after without one is reported as closed with no outcome.
    """
    joined = _side(before, "before").join(
        _side(after, "now"), on="deal_id", how="full", coalesce=True
    )
    joined = joined.with_columns(_kind(min_move).alias("kind")).filter(pl.col("kind").is_not_null())
    joined = (
        joined.join(flag_changes(before, after), on="deal_id", how="left")
        .join(closed.select(list(CLOSED_SCHEMA)), on="deal_id", how="left")
        .with_columns(
            *(
                pl.col(c).fill_null(_empty_list())
                for c in ("flags_new", "flags_cleared", "flags_changed")
            ),
            call_was(pl.col("recommendation_before"), pl.col("outcome")).alias("call_was"),
        )
    )
    because = (
        pl.when(pl.col("kind") == "new")
        .then(_because_new())
        .when(pl.col("kind") == "closed")
        .then(_because_closed())
        .otherwise(_because_moved())
    )
    frame = joined.select(
        "deal_id",
        "kind",
        pl.coalesce("name_now", "name_before").alias("name"),
        pl.coalesce("owner_now", "owner_before").alias("owner"),
        "stage_before",
        "stage_now",
        pl.coalesce("amount_now", "amount_before").alias("amount"),
        pl.coalesce("currency_now", "currency_before").alias("currency"),
        pl.col("recommendation_before").alias("call_before"),
        pl.col("recommendation_now").alias("call_now"),
        pl.col("win_probability_before").alias("p_before"),
        pl.col("win_probability_now").alias("p_now"),
        "outcome",
        "closed_at",
        pl.when(pl.col("kind") == "closed").then(pl.col("call_was")).alias("call_was"),
        because.list.head(MAX_CAUSES).alias("because"),
    )
    return frame.sort(_order()).cast(CHANGE_SCHEMA)  # type: ignore[arg-type]
