"""Win probability: the first-version prior, behind the interface the learned model shares.

:class:`PriorModel`, in three documented steps:

1. **Stage base rate.** Of the deals closed before ``as_of`` that reached the deal's
   stage, the share that was won, pulled towards the policy's ``win_rate`` for that
   stage by a Beta prior worth ``probability.prior_strength`` deals:
   ``(won + s * prior) / (reached + s)``. With no history this is the policy's rate; a
   stage the policy does not name uses the team's overall win rate (itself pulled
   towards ``unknown_stage.win_rate``).
2. **Facts.** The qualification facts add their log-odds weights
   (:mod:`walkaway.signals.facts`: from published evidence, re-estimated from the
   team's closed deals when it has them, as part of its norms), capped, and centred on
   the closed deals the base rate was counted on (pulled towards 0 by the same Beta
   prior), so the facts move a deal against its peers without moving the average; with
   no history the policy's rate is that of a deal whose facts are unknown (centre 0). A
   deal's good facts (a positive total) fade by the factor its other red flags put on
   the odds (step 3): qualification recorded while the buyer was engaged says less once
   the buyer has gone quiet or asks for what we cannot give; bad facts do not fade.
3. **Flags.** Each other red flag multiplies the odds by the factor of its severity
   (``odds_info``, ``odds_warning``, ``odds_critical``). A flag that states a fact
   (``no_budget``, ``competitor``, ...) or asks about one (``budget_unknown``, ...) is
   left out: the fact counts once, in step 2, and unknown counts 0. ``stalled`` is left
   out too: time is counted by step 4.
4. **Time.** Once a deal has sat in its stage longer than the team's won deals needed
   (their 90th percentile there; without that history, the policy's stage limit; never
   under ``decay_min_days``), or has lived longer than 90% of the team's won deals took
   from creation to close (:attr:`~walkaway.signals.norms.Norms.won_age_days`: this
   counts where no stage history or activity log says anything), its odds are
   multiplied by ``decay_per_p90`` for every further such span (of the two, whichever
   is further along) — unless the team's history shows that sitting does not cost deals
   here (:attr:`~walkaway.signals.norms.Norms.time_decays`: deals that lived longer than
   the won ones needed were won at least as often as the rest).

The result is clipped to [0.001, 0.999]: the prior never claims certainty.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Self

import polars as pl

from walkaway.errors import NotFittedError
from walkaway.models import Pipeline, Severity
from walkaway.policy import Policy
from walkaway.probability import CEILING, FLOOR
from walkaway.signals.facts import (
    FACT_FLAGS,
    QUESTION_FLAGS,
    FactWeights,
    fact_reasons,
    facts_frame,
)
from walkaway.signals.norms import HISTORY, POLICY, Norms, compute_norms
from walkaway.wording import percent, said_once, text, whole, without_nulls

TEAM = "team"  # a stage neither history nor policy knows: the team's overall win rate
TIME_COUNTED_ELSEWHERE = frozenset({"stalled"})
STATED_AS_FACTS = frozenset(FACT_FLAGS) | QUESTION_FLAGS  # their reasons come from the facts
NOT_IN_THE_ODDS = TIME_COUNTED_ELSEWHERE | STATED_AS_FACTS
BASE_SCHEMA: dict[str, pl.DataType] = {
    "stage_key": pl.String(),
    "reached": pl.Int64(),
    "won": pl.Int64(),
    "prior": pl.Float64(),
    "base_rate": pl.Float64(),
    "source": pl.String(),
}


@dataclass(frozen=True)
class Scores:
    """One scoring pass of a win model over a signals frame (its rows, in order).

    ``probability`` is the win probability; ``answered`` the same with the flags named
    by ``without`` cleared (the open questions answered well: what ``recommend`` weighs a
    walk-away on), equal to ``probability`` when nothing was named. ``detail`` is what
    the model's :meth:`WinModel.reasons` reads, so that reasons never score again.
    """

    deal_ids: pl.Series
    probability: pl.Series
    answered: pl.Series
    detail: Mapping[str, Any] = field(default_factory=dict)
    # the prior's qualification facts, as log-odds (they fade as flags rise), when known
    facts: pl.Series | None = None


class WinModel(Protocol):
    """What ``recommend`` needs from a win-probability model (prior or learned)."""

    def fit(self, pipeline: Pipeline, as_of: datetime, *, norms: Norms | None = None) -> Self: ...

    def score(
        self, signals: pl.DataFrame, flags: pl.DataFrame, *, without: Collection[str] = ()
    ) -> Scores: ...

    def predict_proba(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.Series: ...

    def walk_away_floor(self) -> float | None: ...

    def reasons(self, scores: Scores) -> pl.DataFrame: ...

    def summary(self) -> pl.DataFrame: ...


def _odds(p: pl.Expr) -> pl.Expr:
    clipped = p.clip(FLOOR, CEILING)
    return clipped / (1 - clipped)


def decay_span(policy: Policy) -> pl.Expr:
    """Days of one decay span for each deal: what the team's won deals needed in the
    stage (their 90th percentile) when history says, else the stall threshold (the
    policy's limit); never under ``decay_min_days``."""
    learned = pl.col("stage_norm_source") == "history"
    days = pl.when(learned).then(pl.col("stage_norm_p90")).otherwise(pl.col("stall_threshold_days"))
    return pl.max_horizontal(days, pl.lit(policy.probability.decay_min_days))


def overdue_spans(policy: Policy) -> pl.Expr:
    """How many decay spans a deal has sat beyond its stall threshold (0 if not)."""
    span = decay_span(policy)
    return ((pl.col("days_in_stage") - span) / span).clip(lower_bound=0.0).fill_null(0.0)


def flag_log_odds(
    flags: pl.DataFrame, policy: Policy, without: Collection[str] = ()
) -> pl.DataFrame:
    """Each deal's red flags as log-odds (step 3): ``flag_log_odds`` of all of them,
    ``answered_log_odds`` of those not named by ``without``."""
    odds = policy.probability
    log_factor = {s.value: math.log(odds.odds(s)) for s in Severity}
    counted = flags.filter(~pl.col("code").is_in(list(NOT_IN_THE_ODDS)))
    factor = pl.col("severity").replace_strict(log_factor, return_dtype=pl.Float64)
    return counted.group_by("deal_id").agg(
        factor.sum().alias("flag_log_odds"),
        factor.filter(~pl.col("code").is_in(list(without))).sum().alias("answered_log_odds"),
    )


def held_time_spans(
    policy: Policy, decays: bool, won_age_days: float | None, won_age_longest: float | None
) -> pl.Expr:
    """Spans of time held against a deal (module docstring, step 4). Where the history
    shows that sitting does not cost deals here (not ``decays``), only an age beyond the
    oldest won deal's counts: nothing in the history speaks for a deal that old."""
    if decays:
        return time_spans(policy, won_age_days)
    return aged_spans(policy, won_age_longest)


def age_span(policy: Policy, won_age_days: float | None) -> float | None:
    """Days of one decay span by age: how old 90% of the won deals were at their close
    (never under ``decay_min_days``); None without that history."""
    if won_age_days is None:
        return None
    return max(won_age_days, policy.probability.decay_min_days)


def aged_spans(policy: Policy, won_age_days: float | None) -> pl.Expr:
    """How many decay spans a deal has lived beyond the won deals' usual age (0 if not)."""
    span = age_span(policy, won_age_days)
    if span is None:
        return pl.lit(0.0)
    # times the reciprocal, as days_between: Polars divides a column of one row by a
    # number exactly but a longer one by multiplying, and a deal must count the same
    # spans alone (``show``), among the others (the review) and among every cut's deals
    # stacked (the loss review's replay, where the span is a column)
    return ((pl.col("days_open") - span) * (1.0 / span)).clip(lower_bound=0.0).fill_null(0.0)


def time_spans(policy: Policy, won_age_days: float | None) -> pl.Expr:
    """The spans time counts against a deal: by stage or by age, whichever is further."""
    return pl.max_horizontal(overdue_spans(policy), aged_spans(policy, won_age_days))


class PriorModel:
    """Stage base rates from history (Beta prior towards the policy), adjusted by flags
    and time. ``fit`` it on the pipeline as of a date, then ``predict_proba``."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def fit(self, pipeline: Pipeline, as_of: datetime, *, norms: Norms | None = None) -> Self:
        """Learn the stage base rates from the deals closed before ``as_of``."""
        norms = norms if norms is not None else compute_norms(pipeline, as_of, self.policy)
        strength = self.policy.probability.prior_strength
        fallback = self.policy.unknown_stage.win_rate
        total = norms.closed_deals + strength
        self.overall_rate_ = (norms.won_deals + strength * fallback) / total if total else fallback
        priors = {s.key: self.policy.win_rate(s.name) for s in self.policy.stages}
        table = norms.stages.select("stage_key", "reached", "won").with_columns(
            pl.col("stage_key")
            .replace_strict(priors, default=self.overall_rate_, return_dtype=pl.Float64)
            .alias("prior")
        )
        denominator = pl.col("reached") + strength
        rate = pl.when(denominator > 0).then(
            (pl.col("won") + strength * pl.col("prior")) / denominator
        )
        self.base_rates_ = table.with_columns(
            rate.otherwise(pl.col("prior")).alias("base_rate"),
            pl.when(pl.col("reached") > 0)
            .then(pl.lit(HISTORY))
            .otherwise(pl.lit(POLICY))
            .alias("source"),
        )
        self.as_of_ = norms.as_of
        self.closed_deals_, self.won_deals_ = norms.closed_deals, norms.won_deals
        self.facts_, self.fact_centre_ = norms.facts, norms.fact_centre
        self.time_decays_ = norms.time_decays
        self.won_age_days_ = norms.won_age_days
        self.won_age_longest_ = norms.won_age_longest
        return self

    def walk_away_floor(self) -> float | None:
        """None: the prior alone walks away by the policy's k (a trained model adds the
        floor its history sets, :mod:`walkaway.backtest.line`)."""
        return None

    def _check_fitted(self) -> None:
        if not hasattr(self, "base_rates_"):
            raise NotFittedError("PriorModel is not fitted: call fit(pipeline, as_of) first")

    def _base(self, signals: pl.DataFrame) -> pl.DataFrame:
        self._check_fitted()
        priors = {s.key: self.policy.win_rate(s.name) for s in self.policy.stages}
        return signals.join(
            self.base_rates_.drop("prior"), on="stage_key", how="left"
        ).with_columns(
            pl.col("base_rate").fill_null(
                pl.col("stage_key").replace_strict(
                    priors, default=self.overall_rate_, return_dtype=pl.Float64
                )
            ),
            pl.col("reached").fill_null(0),
            pl.col("won").fill_null(0),
            # a stage neither the history nor the policy knows: the team's overall rate
            pl.col("source").fill_null(
                pl.when(pl.col("stage_key").is_in(list(priors)))
                .then(pl.lit(POLICY))
                .otherwise(pl.lit(TEAM))
            ),
            pl.lit(self.closed_deals_, dtype=pl.Int64).alias("team_closed"),
            pl.lit(self.won_deals_, dtype=pl.Int64).alias("team_won"),
        )

    def _flag_factors(self, flags: pl.DataFrame, without: Collection[str]) -> pl.DataFrame:
        return flag_log_odds(flags, self.policy, without)

    def _scored(
        self, signals: pl.DataFrame, flags: pl.DataFrame, without: Collection[str] = ()
    ) -> pl.DataFrame:
        self._check_fitted()
        factors = self._flag_factors(flags, without)
        frame = self._base(signals).join(factors, on="deal_id", how="left", maintain_order="left")
        frame = frame.with_columns(self.facts_.columns())
        return frame.with_columns(
            self._probability("flag_log_odds").alias("win_probability"),
            self._probability("answered_log_odds").alias("answered_probability"),
            (self.facts_.total() - self.fact_centre_).alias("fact_log_odds"),
        )

    def _probability(self, flag_column: str) -> pl.Expr:
        decay = math.log(self.policy.probability.decay_per_p90)
        facts = self.facts_.total() - self.fact_centre_
        flagged = pl.col(flag_column).fill_null(0.0)
        # Good qualification recorded earlier fades as the buyer's behaviour raises flags.
        faded = pl.when(facts > 0).then(facts * flagged.clip(upper_bound=0.0).exp())
        log_odds = (
            _odds(pl.col("base_rate")).log()
            + faded.otherwise(facts)
            + flagged
            + self._time_spans() * decay
        )
        return (1 / (1 + (-log_odds).exp())).clip(FLOOR, CEILING)

    def _time_spans(self) -> pl.Expr:
        return held_time_spans(
            self.policy, self.time_decays_, self.won_age_days_, self.won_age_longest_
        )

    def _time_parts(self) -> list[pl.Expr]:
        if self.time_decays_:
            return _time_parts(self.policy, self.won_age_days_)
        return _time_parts(self.policy, self.won_age_longest_, stage=False)

    def _time_reason(self) -> pl.Expr:
        if self.time_decays_:
            return _time_reason(self.policy, self.won_age_days_)
        return _time_reason(self.policy, self.won_age_longest_, oldest=True)

    def score(
        self, signals: pl.DataFrame, flags: pl.DataFrame, *, without: Collection[str] = ()
    ) -> Scores:
        """Win probability in 0-1 for each row of ``signals`` (same order), in one pass
        with the one without the ``without`` flags, and what :meth:`reasons` needs."""
        scored = self._scored(signals, flags, without)
        return Scores(
            scored["deal_id"],
            scored["win_probability"],
            scored["answered_probability"].alias("win_probability"),
            {"scored": scored, "flags": flags},
            facts=scored["fact_log_odds"],
        )

    def predict_proba(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.Series:
        """Win probability in 0-1 for each row of ``signals`` (same order)."""
        return self.score(signals, flags).probability

    def reasons(self, scores: Scores) -> pl.DataFrame:
        """``deal_id, reasons_for, reasons_against`` (lists of sentences, the strongest
        first) of a :meth:`score` pass."""
        scored: pl.DataFrame = scores.detail["scored"]
        flags: pl.DataFrame = scores.detail["flags"]
        against = (
            flags.filter((pl.col("severity") != "info") & ~pl.col("code").is_in(STATED_AS_FACTS))
            .group_by("deal_id", maintain_order=True)
            .agg(pl.col("evidence").head(3).alias("flag_reasons"))
        )
        scored = scored.join(against, on="deal_id", how="left", maintain_order="left")
        scored = scored.hstack(fact_reasons(scored, self.facts_)).with_columns(self._time_parts())
        empty = pl.lit([], dtype=pl.List(pl.String))
        # the base rate's sentence reads the stage and the counts: a few distinct ones
        scored = scored.with_columns(said_once(scored, _base_reason()).alias(_BASE_SAID))
        return scored.select(
            "deal_id",
            pl.concat_list(_reasons_for(), "facts_for").alias("reasons_for"),
            without_nulls(
                pl.concat_list(
                    pl.col("facts_against").list.head(2),
                    pl.col("flag_reasons").fill_null(empty),
                    self._time_reason(),
                )
            ).alias("reasons_against"),
        )

    def summary(self) -> pl.DataFrame:
        """Per stage: deals that reached it, won, the policy prior and the base rate."""
        self._check_fitted()
        return self.base_rates_.sort("base_rate", "stage_key", descending=[True, False])

    def facts(self) -> pl.DataFrame:
        """Each fact's weight: the evidence's, the one in force, and the history's verdict."""
        self._check_fitted()
        return facts_frame(self.facts_)

    def to_state(self) -> dict[str, Any]:
        """What the fitted prior learned, as JSON-ready data (see ``from_state``)."""
        self._check_fitted()
        rates = self.base_rates_.select(list(BASE_SCHEMA)).cast(BASE_SCHEMA)  # type: ignore[arg-type]
        return {
            "as_of": self.as_of_.isoformat(),
            "overall_rate": self.overall_rate_,
            "base_rates": rates.to_dicts(),
            "facts": self.facts_.to_records(),
            "fact_centre": self.fact_centre_,
            "time_decays": self.time_decays_,
            "won_age_days": self.won_age_days_,
            "won_age_longest": self.won_age_longest_,
            "closed_deals": self.closed_deals_,
            "won_deals": self.won_deals_,
        }

    @classmethod
    def from_state(cls, policy: Policy, state: dict[str, Any]) -> PriorModel:
        """A fitted prior back from :meth:`to_state`; ``policy`` weighs its flags."""
        prior = cls(policy)
        prior.base_rates_ = pl.DataFrame(state["base_rates"], schema=BASE_SCHEMA, orient="row")
        prior.overall_rate_ = float(state["overall_rate"])
        prior.as_of_ = datetime.fromisoformat(state["as_of"])
        cap = policy.probability.max_fact_log_odds
        prior.facts_ = FactWeights.from_records(state["facts"], cap)
        prior.fact_centre_ = float(state["fact_centre"])
        prior.time_decays_ = bool(state["time_decays"])
        age = state.get("won_age_days")  # absent from models stored before it counted
        prior.won_age_days_ = None if age is None else float(age)
        longest = state.get("won_age_longest")
        prior.won_age_longest_ = None if longest is None else float(longest)
        prior.closed_deals_ = int(state.get("closed_deals", 0))
        prior.won_deals_ = int(state.get("won_deals", 0))
        return prior

    def __repr__(self) -> str:
        fitted = f"fitted as of {self.as_of_:%Y-%m-%d}" if hasattr(self, "as_of_") else "not fitted"
        return f"PriorModel({fitted})"


_BASE_SAID = "_base_said"


def _reasons_for() -> pl.Expr:
    """The odds' reasons for: the base rate's sentence (a column, :func:`_base_reason`)
    and a recent reply."""
    recent = (pl.col("days_since_inbound") <= pl.col("team_reply_gap").fill_null(7.0)).fill_null(
        False
    ) & (pl.col("inbound_touches") > 0)
    positives = [
        pl.col(_BASE_SAID),
        pl.when(recent).then(
            text("The buyer replied ", whole(pl.col("days_since_inbound")), " days ago")
        ),
    ]
    return without_nulls(pl.concat_list(positives))


def _base_reason() -> pl.Expr:
    """Where the base rate comes from, in words: the stage's history, the policy's
    figure, the team's record, or a guess."""
    # The share said is the counts' own (the base rate behind p is pulled towards the
    # policy while the history is short; a sentence must agree with its own numbers).
    history = text(
        "Deals that reached ", pl.col("stage"), " were won ",
        whole(pl.col("won")), " of ", whole(pl.col("reached")), " times here (",
        percent(pl.col("won") / pl.col("reached")), ")",
    )  # fmt: skip
    stage = pl.coalesce(pl.col("stage"), pl.lit("an unknown stage"))
    prior = text(
        "Deals in ",
        stage,
        " are won about ",
        percent(pl.col("base_rate")),
        " of the time (the policy's figure: no closed deal here reached it yet)",
    )
    team = text(
        "Deals closed here were won ", whole(pl.col("team_won")), " of ",
        whole(pl.col("team_closed")), " times (",
        percent(pl.col("team_won") / pl.col("team_closed")),
        "); none on record reached ", stage,
    )  # fmt: skip
    guess = text(
        "Deals are won about ", percent(pl.col("base_rate")),
        " of the time (the policy's figure: no history yet)",
    )  # fmt: skip
    return (
        pl.when(pl.col("source") == HISTORY)
        .then(history)
        .when(pl.col("source") == POLICY)
        .then(prior)
        .when(pl.col("team_closed") > 0)
        .then(team)
        .otherwise(guess)
    )


_BY_STAGE, _BY_AGE, _FACTOR = "_spans_by_stage", "_spans_by_age", "_time_factor"


def _time_parts(policy: Policy, won_age_days: float | None, *, stage: bool = True) -> list[pl.Expr]:
    """The spans by stage and by age, and the factor time puts on the odds: columns
    :func:`_time_reason` reads, each computed once (a sentence reads them many times)."""
    by_stage = overdue_spans(policy) if stage else pl.lit(0.0)
    by_age = aged_spans(policy, won_age_days)
    factor = pl.lit(policy.probability.decay_per_p90).pow(pl.max_horizontal(by_stage, by_age))
    return [by_stage.alias(_BY_STAGE), by_age.alias(_BY_AGE), factor.alias(_FACTOR)]


def _time_reason(policy: Policy, won_age_days: float | None, *, oldest: bool = False) -> pl.Expr:
    """Why time lowers the odds: the stage or the age, whichever counts (from the
    columns of :func:`_time_parts`)."""
    by_stage, by_age = pl.col(_BY_STAGE), pl.col(_BY_AGE)
    named = pl.coalesce(pl.col("stage"), pl.lit("this stage"))
    span = age_span(policy, won_age_days)
    than = "any won deal here took" if oldest else "90% of the won deals took"
    in_stage = text(
        whole(pl.col("days_in_stage")), " days in ", named, ", longer than won deals needed, "
    )  # fmt: skip
    aged = text(
        "Open ", whole(pl.col("days_open")), f" days, longer than {than} ({span or 0:.0f} days), "
    )  # fmt: skip
    said = pl.when((by_stage > 0) & (by_stage >= by_age)).then(in_stage).when(by_age > 0).then(aged)
    return pl.concat_str([said, odds_effect(pl.col(_FACTOR))])


# Past this a division of the odds reads as "more than" it: a deal a year in a stage
# won deals leave in a week has its odds halved 50 times over.
MOST_ODDS_DIVIDED = 1000


def odds_effect(factor: pl.Expr) -> pl.Expr:
    """Words for multiplying the odds by ``factor`` (below 1): "lowers the odds by 40%",
    or, once that would read 90% or more, "divides the odds by 12" (at most "divides
    the odds by more than 1,000")."""
    return (
        pl.when(factor > 0.1)
        .then(text("lowers the odds by ", percent(1 - factor)))
        .when(factor * MOST_ODDS_DIVIDED >= 1)
        .then(text("divides the odds by ", whole(1 / factor)))
        .otherwise(pl.lit(f"divides the odds by more than {MOST_ODDS_DIVIDED:,}"))
    )
