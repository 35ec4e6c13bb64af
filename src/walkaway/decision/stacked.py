"""The calls of many moments in one frame: a row per deal and moment (a look), each
row carrying its moment's prior and norms as columns, for a replay that reads back only
the calls, numbers and flags (the loss review's timeline).

:func:`calls_over_looks` gives, for each look, what ``recommend(ahead=False,
words=False)`` gives for its deals — the same numbers to the last bit — in one pass
over all of them instead of some fifty small Polars steps per moment: every step of the
prior (:class:`~walkaway.learning.prior.PriorModel`), the economics and the cause is
row by row, with the moment's base rates, fact weights, fact centre, time spans and
yields joined on by the look's index, and the sums are grouped by look and deal. A
division by a moment's number is a multiplication by its reciprocal in both ways
(Polars divides a column by a literal so, a column by a column exactly).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from walkaway.decision.assess import CAUSES, Look, _cause, _per_deal_flags, _with_gut_flags
from walkaway.decision.economics import economics_with_yield
from walkaway.learning.prior import NOT_IN_THE_ODDS, PriorModel, overdue_spans
from walkaway.models import Severity
from walkaway.policy import Policy
from walkaway.probability import CEILING, FLOOR
from walkaway.signals.norms import chosen_yield, grouped_in_runs

LOOK = "_look"
CALL_COLUMNS = (
    LOOK,
    "deal_id",
    "stage",
    "win_probability",
    "walk_away_rate",
    "hours_needed",
    "value",
    "recommendation",
    "flags",
)


def stackable(models: Sequence[PriorModel]) -> bool:
    """Whether the looks' facts can share columns: the same fields in the same order
    (a deal's fact weights are summed in that order), as every look of one policy has."""
    fields = [list(m.facts_.mapping()) for m in models]
    return all(f == fields[0] for f in fields)


def calls_over_looks(
    looks: Sequence[Look],
    flags: Sequence[pl.DataFrame],
    models: Sequence[PriorModel],
    policy: Policy,
) -> pl.DataFrame:
    """:data:`CALL_COLUMNS` of every deal of every look (``_look``: its index), its
    rows in each look's order; ``models`` fitted as of each look on its norms."""
    deciding = list(policy.decision.requalify_on)
    signals = pl.concat(
        [
            look.signals.with_columns(pl.lit(i, dtype=pl.Int32).alias(LOOK))
            for i, look in enumerate(looks)
        ],
        how="vertical_relaxed",
    )
    found = pl.concat(
        [f.with_columns(pl.lit(i, dtype=pl.Int32).alias(LOOK)) for i, f in enumerate(flags)],
        how="vertical_relaxed",
    )
    scored = _scored(signals, found, models, policy, deciding)
    probability = scored["win_probability"]
    gut_input = signals.with_columns(
        pl.concat_str(LOOK, "deal_id", separator="\x1f").alias("deal_id")
    )
    keyed = found.with_columns(pl.concat_str(LOOK, "deal_id", separator="\x1f").alias("deal_id"))
    with_gut = _with_gut_flags(keyed.drop(LOOK), gut_input, probability, policy)
    per_deal = _per_deal_flags(with_gut, deciding).select(
        "deal_id", "flags", "hard_stop", "has_unknown"
    )
    economics = economics_with_yield(_with_yields(signals, looks), probability, policy)
    answered = scored["answered_probability"]
    frame = (
        signals.select(
            LOOK, pl.concat_str(LOOK, "deal_id", separator="\x1f").alias("_key"), "stage"
        )
        .hstack(economics)
        .with_columns(
            (answered * pl.col("value") / pl.col("hours_needed")).alias("value_per_hour_answered")
        )
        .join(per_deal.rename({"deal_id": "_key"}), on="_key", how="left", maintain_order="left")
        .with_columns(
            pl.col("hard_stop").fill_null(False),
            pl.col("has_unknown").fill_null(False),
            pl.lit(None, dtype=pl.Float64).alias("walk_away_floor"),
        )
        .with_columns(_cause(policy).alias("cause"))
        .with_columns(
            pl.col("cause")
            .replace_strict({k: v.value for k, v in CAUSES.items()}, return_dtype=pl.String)
            .alias("recommendation")
        )
    )
    return frame.select(CALL_COLUMNS)


def _scored(
    signals: pl.DataFrame,
    flags: pl.DataFrame,
    models: Sequence[PriorModel],
    policy: Policy,
    deciding: list[str],
) -> pl.DataFrame:
    """The prior's ``win_probability`` and ``answered_probability`` of every row
    (:meth:`PriorModel._scored`, each row with its look's fit)."""
    priors = {s.key: policy.win_rate(s.name) for s in policy.stages}
    per_look = pl.DataFrame(
        {
            LOOK: list(range(len(models))),
            "_overall": [m.overall_rate_ for m in models],
            "_centre": [m.fact_centre_ for m in models],
            "_decays": [m.time_decays_ for m in models],
            "_age_span": [_span(policy, m.won_age_days_) for m in models],
            "_longest_span": [_span(policy, m.won_age_longest_) for m in models],
        },
        schema_overrides={LOOK: pl.Int32, "_age_span": pl.Float64, "_longest_span": pl.Float64},
    )
    rates = pl.concat(
        [
            m.base_rates_.drop("prior").with_columns(pl.lit(i, dtype=pl.Int32).alias(LOOK))
            for i, m in enumerate(models)
        ],
        how="vertical_relaxed",
    )
    factors = _flag_log_odds(flags, policy, deciding)
    frame = (
        signals.join(rates, on=[LOOK, "stage_key"], how="left", maintain_order="left")
        .join(per_look, on=LOOK, how="left", maintain_order="left")
        .with_columns(
            pl.col("base_rate").fill_null(
                pl.col("stage_key")
                .replace_strict(priors, default=None, return_dtype=pl.Float64)
                .fill_null(pl.col("_overall"))
            )
        )
        .join(factors, on=[LOOK, "deal_id"], how="left", maintain_order="left")
    )
    names = []
    for field in models[0].facts_.mapping() if models else ():
        weights = pl.DataFrame(
            [
                (i, value, weight)
                for i, m in enumerate(models)
                for value, weight in m.facts_.mapping()[field].items()
            ],
            schema={LOOK: pl.Int32, "_value": pl.String, f"fact_{field}": pl.Float64},
            orient="row",
        )
        frame = (
            frame.with_columns(pl.col(field).cast(pl.String).alias("_value"))
            .join(weights, on=[LOOK, "_value"], how="left", maintain_order="left")
            .with_columns(pl.col(f"fact_{field}").fill_null(0.0))
            .drop("_value")
        )
        names.append(f"fact_{field}")
    cap = models[0].facts_.cap if models else 1.0
    total = (pl.sum_horizontal(names) * (1.0 / cap)).tanh() * cap if names else pl.lit(0.0)
    facts = total - pl.col("_centre")
    decay = math.log(policy.probability.decay_per_p90)
    return frame.with_columns(
        _probability("flag_log_odds", facts, decay, policy).alias("win_probability"),
        _probability("answered_log_odds", facts, decay, policy).alias("answered_probability"),
    )


def _flag_log_odds(flags: pl.DataFrame, policy: Policy, without: list[str]) -> pl.DataFrame:
    """:func:`~walkaway.learning.prior.flag_log_odds` grouped by look and deal."""
    odds = policy.probability
    log_factor = {s.value: math.log(odds.odds(s)) for s in Severity}
    counted = flags.filter(~pl.col("code").is_in(list(NOT_IN_THE_ODDS)))
    factor = pl.col("severity").replace_strict(log_factor, return_dtype=pl.Float64)
    # each group summed in one piece, its rows in their order, as a look's own frame is
    return grouped_in_runs(
        counted,
        [LOOK, "deal_id"],
        factor.sum().alias("flag_log_odds"),
        factor.filter(~pl.col("code").is_in(without)).sum().alias("answered_log_odds"),
    )


def _span(policy: Policy, won_age_days: float | None) -> float | None:
    if won_age_days is None:
        return None
    return max(won_age_days, policy.probability.decay_min_days)


def _aged(span: pl.Expr) -> pl.Expr:
    # as learning.prior.aged_spans, the span a column (null: no history, no span)
    spans = ((pl.col("days_open") - span) * (1.0 / span)).clip(lower_bound=0.0).fill_null(0.0)
    return pl.when(span.is_null()).then(pl.lit(0.0)).otherwise(spans)


def _probability(flag_column: str, facts: pl.Expr, decay: float, policy: Policy) -> pl.Expr:
    flagged = pl.col(flag_column).fill_null(0.0)
    faded = pl.when(facts > 0).then(facts * flagged.clip(upper_bound=0.0).exp())
    spans = (
        pl.when(pl.col("_decays"))
        .then(pl.max_horizontal(overdue_spans(policy), _aged(pl.col("_age_span"))))
        .otherwise(_aged(pl.col("_longest_span")))
    )
    clipped = pl.col("base_rate").clip(FLOOR, CEILING)
    log_odds = (clipped / (1 - clipped)).log() + faded.otherwise(facts) + flagged + spans * decay
    return (1 / (1 + (-log_odds).exp())).clip(FLOOR, CEILING)


def _with_yields(signals: pl.DataFrame, looks: Sequence[Look]) -> pl.DataFrame:
    """:meth:`Norms.with_yield` of every row, with its look's norms."""
    owner = pl.concat(
        [
            look.norms.owner_yield.with_columns(pl.lit(i, dtype=pl.Int32).alias(LOOK))
            for i, look in enumerate(looks)
        ],
        how="vertical_relaxed",
    )
    team = pl.concat(
        [
            look.norms.currency_yield.select("currency", "team_yield").with_columns(
                pl.lit(i, dtype=pl.Int32).alias(LOOK)
            )
            for i, look in enumerate(looks)
        ],
        how="vertical_relaxed",
    )
    fallback = pl.DataFrame(
        {
            LOOK: list(range(len(looks))),
            "_policy_yield": [
                n.yield_per_hour if n.policy_yield is None else n.policy_yield
                for n in (look.norms for look in looks)
            ],
        },
        schema_overrides={LOOK: pl.Int32, "_policy_yield": pl.Float64},
    )
    joined = (
        signals.join(owner, on=[LOOK, "owner", "currency"], how="left", maintain_order="left")
        .join(team, on=[LOOK, "currency"], how="left", maintain_order="left")
        .join(fallback, on=LOOK, how="left", maintain_order="left")
    )
    return joined.with_columns(chosen_yield(pl.col("_policy_yield")))
