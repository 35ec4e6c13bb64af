"""What is normal for this team, learned only from deals closed before ``as_of``.

Per stage: how long won deals stayed in it (median and 90th percentile), how many
deals reached it and how many of those were won, and how many seller hours deals
still took after entering it. For the team: how long won deals' buyers took to reply
(90th percentile), and what a selling hour earned over the last months. When a stage
has fewer than ``policy.history.min_deals`` deals behind a number, the policy's number
is used instead, and ``*_source`` says which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from walkaway.bounds import SKIPPED_SCHEMA, activity_past_limits, out_of_bounds, without
from walkaway.models import ActivityKind, Direction, Outcome, Pipeline, as_utc_naive
from walkaway.policy import Policy
from walkaway.signals.facts import FactWeights, learn_fact_weights, mean_total
from walkaway.signals.snapshot import (
    STAGE_KEY,
    Snapshot,
    days_between,
    known_activities,
    known_deals,
    take_snapshot,
)

TRACKABLE_FIELDS = ("budget", "authority", "need", "champion", "stakeholders_aligned")
ACTIVITIES = "activities"  # in tracked_fields when the team logs activities
MIN_OVERDUE = 30
HISTORY = "history"
# What an hour earns per currency, learned: won deals and their margin in the yield
# window, the selling hours logged on the deals of that currency, margin / hours.
YIELD_SCHEMA: dict[str, pl.DataType] = {
    "currency": pl.String(),
    "won_deals": pl.Int64(),
    "won_value": pl.Float64(),
    "hours": pl.Float64(),
    "team_yield": pl.Float64(),
}
POLICY = "policy"
# The column types a Norms frame can hold, by name, to read a serialised one back.
_DTYPES: dict[str, pl.DataType] = {
    str(dtype): dtype
    for dtype in (pl.String(), pl.Int64(), pl.Int32(), pl.UInt32(), pl.Float64(), pl.Boolean())
}


def chosen_yield(fallback: pl.Expr) -> list[pl.Expr]:
    """``yield_per_hour`` and ``yield_source`` from the columns ``owner_yield`` and
    ``team_yield``: the rep's own when there is one (``owner``), else the team's
    (``team``), else ``fallback`` (``policy``)."""
    return [
        pl.coalesce("owner_yield", "team_yield", fallback).alias("yield_per_hour"),
        pl.when(pl.col("owner_yield").is_not_null())
        .then(pl.lit("owner"))
        .when(pl.col("team_yield").is_not_null())
        .then(pl.lit("team"))
        .otherwise(pl.lit(POLICY))
        .alias("yield_source"),
    ]


@dataclass(frozen=True, eq=False)
class Norms:
    """The team's norms as of a date, with the policy filling in where history is thin.

    ``stages`` has one row per stage key (the policy's stages and every stage seen in
    history): ``stage_key, won_deals, median_days, p90_days, days_source, reached,
    won, hours_deals, hours_needed, hours_source``. A stage missing from it uses the
    policy's ``unknown_stage`` numbers.
    """

    as_of: datetime
    stages: pl.DataFrame
    reply_gap_days: float | None
    reply_gap_samples: int
    yield_per_hour: float  # the team's, in the policy's currency (else the policy's)
    yield_source: str
    owner_yield: pl.DataFrame  # owner, currency, owner_yield: a rep's own, per currency
    closed_deals: int
    won_deals: int
    tracked_fields: frozenset[str]
    facts: FactWeights  # the qualification facts' weights (walkaway.signals.facts)
    fact_centre: float  # the closed deals' average fact total
    time_lift: float | None = None  # odds ratio of winning once past the won deals' age
    # how old 90% of the won deals were at their close (None with fewer than
    # history.min_deals of them): a deal older than that has outlived the usual win
    won_age_days: float | None = None
    won_age_longest: float | None = None  # the oldest a won deal ever was at its close
    # what an hour earns per currency where the history can tell (:data:`YIELD_SCHEMA`)
    currency_yield: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=YIELD_SCHEMA))
    policy_yield: float | None = None  # the policy's figure, for a currency not learned
    # the deals left out for a value past its limit (walkaway.bounds.SKIPPED_SCHEMA):
    # a store can hold one written by hand, and it would poison every norm
    skipped: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SKIPPED_SCHEMA))

    @property
    def time_decays(self) -> bool:
        """Whether sitting costs deals here: false once the history shows deals open
        longer than the won ones needed were won at least as often (:func:`time_lift`)."""
        return self.time_lift is None or self.time_lift < 1.0

    def with_yield(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (with ``owner`` and ``currency``) plus ``yield_per_hour`` and
        ``yield_source``, in the deal's currency: the rep's own when there is one
        (``owner``), else the team's (``team``), else the policy's (``policy``)."""
        policy = self.yield_per_hour if self.policy_yield is None else self.policy_yield
        team = self.currency_yield.select("currency", "team_yield")
        joined = frame.join(
            self.owner_yield, on=["owner", "currency"], how="left", maintain_order="left"
        ).join(team, on="currency", how="left", maintain_order="left")
        return joined.with_columns(chosen_yield(pl.lit(policy))).drop("owner_yield", "team_yield")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data that :meth:`from_dict` turns back into equal norms (floats
        exactly, frames with their column types), e.g. to cache them."""
        return {
            "as_of": self.as_of.isoformat(),
            "stages": _frame_to_dict(self.stages),
            "reply_gap_days": self.reply_gap_days,
            "reply_gap_samples": self.reply_gap_samples,
            "yield_per_hour": self.yield_per_hour,
            "yield_source": self.yield_source,
            "owner_yield": _frame_to_dict(self.owner_yield),
            "closed_deals": self.closed_deals,
            "won_deals": self.won_deals,
            "tracked_fields": sorted(self.tracked_fields),
            "facts": self.facts.to_records(),
            "fact_cap": self.facts.cap,
            "fact_centre": self.fact_centre,
            "time_lift": self.time_lift,
            "won_age_days": self.won_age_days,
            "won_age_longest": self.won_age_longest,
            "currency_yield": _frame_to_dict(self.currency_yield),
            "policy_yield": self.policy_yield,
            "skipped": _frame_to_dict(self.skipped),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Norms:
        """The norms :meth:`to_dict` wrote; ``ValueError`` when ``data`` is not such."""
        try:
            gap = data["reply_gap_days"]
            return cls(
                as_of=datetime.fromisoformat(data["as_of"]),
                stages=_frame_from_dict(data["stages"]),
                reply_gap_days=None if gap is None else float(gap),
                reply_gap_samples=int(data["reply_gap_samples"]),
                yield_per_hour=float(data["yield_per_hour"]),
                yield_source=str(data["yield_source"]),
                owner_yield=_frame_from_dict(data["owner_yield"]),
                closed_deals=int(data["closed_deals"]),
                won_deals=int(data["won_deals"]),
                tracked_fields=frozenset(data["tracked_fields"]),
                facts=FactWeights.from_records(data["facts"], float(data["fact_cap"])),
                fact_centre=float(data["fact_centre"]),
                time_lift=None if data["time_lift"] is None else float(data["time_lift"]),
                won_age_days=None if data["won_age_days"] is None else float(data["won_age_days"]),
                won_age_longest=_number(data["won_age_longest"]),
                currency_yield=_frame_from_dict(data["currency_yield"]),
                policy_yield=_number(data["policy_yield"]),
                skipped=_skipped_from_dict(data.get("skipped")),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not serialised norms: {error!r}") from error


def _skipped_from_dict(data: Mapping[str, Any] | None) -> pl.DataFrame:
    # absent from norms written before they named the deals left out
    return pl.DataFrame(schema=SKIPPED_SCHEMA) if data is None else _frame_from_dict(data)


def _frame_to_dict(frame: pl.DataFrame) -> dict[str, Any]:
    return {
        "schema": {name: str(dtype) for name, dtype in frame.schema.items()},
        "columns": frame.to_dict(as_series=False),
    }


def _frame_from_dict(data: Mapping[str, Any]) -> pl.DataFrame:
    unknown = set(data["schema"].values()) - set(_DTYPES)
    if unknown:
        raise ValueError(f"serialised norms hold unknown column types {sorted(unknown)}")
    schema = {name: _DTYPES[dtype] for name, dtype in data["schema"].items()}
    return pl.DataFrame(data["columns"], schema=schema)


def compute_norms(pipeline: Pipeline, as_of: datetime, policy: Policy) -> Norms:
    """The team's norms from the deals closed before ``as_of``."""
    return norms_from_snapshot(take_snapshot(pipeline, as_of), policy)


def norms_from_snapshot(snap: Snapshot, policy: Policy) -> Norms:
    skipped = out_of_bounds(snap.deals, snap.activities)
    deals, activities = without(snap.deals, snap.activities, skipped)
    closed = without(snap.closed_deals, snap.activities.clear(), skipped)[0]
    start = yield_window_start(snap.as_of, policy)
    return norms_from_parts(
        snap.as_of,
        deals,
        closed_lives(closed, activities),
        hours_by_deal(activities.lazy(), start).collect(),
        logged=snap.activities.height > 0,
        policy=policy,
        skipped=skipped,
    )


HOURS_READ = ("deal_id", "at", "hours")  # what NormsOverTime.of reads of the activities


class NormsOverTime:
    """:func:`compute_norms` of one pipeline on many days (the looks a model learns
    from, the cuts of a backtest), the closed deals' lives made once for all of them:
    each day keeps those closed by then (:meth:`ClosedLives.known_on`). The same norms to
    the last bit; a pipeline with a closed deal that has no close date learns each
    day's afresh (that deal's life cannot be dated)."""

    def __init__(self, pipeline: Pipeline, policy: Policy) -> None:
        self.pipeline, self.policy = pipeline, policy
        final = known_deals(pipeline.deals, datetime.max)
        closed = final.filter(pl.col("outcome") != Outcome.OPEN)
        dated = closed["closed_at"].null_count() == 0
        self._lives = closed_lives(closed, pipeline.activities) if dated else None
        self._hours: pl.DataFrame | None = None  # the activities that log hours
        self._first_known: datetime | None = None  # the first moment one is known
        self._past = pl.DataFrame()  # the activities holding a value past its limit
        self._clean = False  # whether no deal holds one
        self._dated: _DatedOnce | None = None  # when clean: the rows dated once

    def on(self, as_of: datetime) -> Norms:
        """:meth:`of` a snapshot as of ``as_of``, without taking one: the deals known
        then, and of the activities only those logging hours (the rows the norms' hours
        sum, in their order) and whether any was known then. The same norms to the last
        bit, the snapshot's copy of every activity left out."""
        if self._lives is None:
            return self.at(as_of)
        moment = as_utc_naive(as_of)
        if self._hours is None:
            self._hours, self._first_known = self._logged()
            past = self.pipeline.activities.select(HOURS_READ).filter(activity_past_limits())
            self._past = past
            # none of the deals' rows past a limit (the usual case): none is on any day
            # (a day's deals are those rows, with outcomes and close dates blanked)
            self._clean = past.height == 0 and out_of_bounds(self.pipeline.deals, past).is_empty()
            if self._clean:
                self._dated = _DatedOnce.of(self.pipeline.deals, self._hours, self._lives)
        everyone = self.pipeline.deals
        deals = known_deals(everyone, moment)
        # the deals holding a value past its limit then, left out and named, as a
        # snapshot's norms do (of the activities, only those past a limit say so)
        if self._dated is not None:
            skipped = pl.DataFrame(schema=SKIPPED_SCHEMA)
            hours, lives = self._dated.hours_on(moment), self._dated.lives_on(moment)
        else:
            skipped = out_of_bounds(deals, known_activities(everyone, self._past, moment))
            deals, hours = without(deals, known_activities(everyone, self._hours, moment), skipped)
            lives = self._lives.known_on(moment, deals)
        start = yield_window_start(moment, self.policy)
        return norms_from_parts(
            moment,
            deals,
            lives,
            hours_by_deal(hours.lazy(), start).collect(),
            logged=self._first_known is not None and self._first_known < moment,
            policy=self.policy,
            skipped=skipped,
        )

    def _logged(self) -> tuple[pl.DataFrame, datetime | None]:
        """The activities with hours (:data:`HOURS_READ`, in their order), and the first
        moment a snapshot knows some activity: its date, or its deal's creation when
        later (a snapshot drops the activities of deals not yet created)."""
        acts = self.pipeline.activities
        created = self.pipeline.deals.group_by("deal_id").agg(pl.col("created_at").max())
        known = acts.select("deal_id", "at").join(created, on="deal_id", how="left")
        at, since = pl.col("at"), pl.col("created_at")
        moment = pl.when(since > at).then(since).otherwise(at)
        first = known.select(moment.min()).item()
        with_hours = acts.select(HOURS_READ).filter(pl.col("hours") > 0)
        return with_hours, first

    def at(self, as_of: datetime) -> Norms:
        return self.of(take_snapshot(self.pipeline, as_of))

    def of(self, snap: Snapshot) -> Norms:
        """The norms as of ``snap`` (a snapshot of this pipeline, taken once for these
        norms and whatever else is assessed as of the same moment)."""
        if self._lives is None:
            return norms_from_snapshot(snap, self.policy)
        start = yield_window_start(snap.as_of, self.policy)
        # a deal's life is its own: leaving one out leaves the others' as they are
        known = out_of_bounds(snap.deals, snap.activities)
        deals, activities = without(snap.deals, snap.activities, known)
        return norms_from_parts(
            snap.as_of,
            deals,
            self._lives.known_on(snap.as_of, deals),
            hours_by_deal(activities.lazy(), start).collect(),
            logged=snap.activities.height > 0,
            policy=self.policy,
            skipped=known,
        )


KNOWN_FROM = "_known_from"


@dataclass(frozen=True, eq=False)
class _DatedOnce:
    """The rows :meth:`NormsOverTime.on` reads on each day, each dated once with the
    first moment a snapshot keeps it, so that a day's are a filter (same rows, same
    order) instead of :func:`known_activities`' and :meth:`ClosedLives.known_on`'s
    look-ups of the deals created by then. Only for a pipeline none of whose deals is
    left out for a value past its limit (then a day's deals are all those known)."""

    hours: pl.DataFrame  # the activities with hours, from when a snapshot keeps each, by deal
    lives: ClosedLives  # every row with its deal's first creation (KNOWN_FROM), hours by stage

    @classmethod
    def of(cls, deals: pl.DataFrame, hours: pl.DataFrame, lives: ClosedLives) -> _DatedOnce:
        # known_activities drops an activity while any row of its deal is created at or
        # after the day (a null creation never does); known_deals keeps a deal from its
        # first row's creation on
        created = deals.filter(pl.col("deal_id").is_not_null()).group_by("deal_id")
        late = created.agg(pl.col("created_at").max().alias("_created"))
        first = created.agg(pl.col("created_at").min().alias(KNOWN_FROM))
        joined = hours.join(late, on="deal_id", how="left", maintain_order="left")
        since = pl.max_horizontal("at", "_created").alias(KNOWN_FROM)

        def with_first(frame: pl.DataFrame) -> pl.DataFrame:
            return frame.join(first, on="deal_id", how="left", maintain_order="left")

        dated = joined.with_columns(
            pl.when(pl.col("at").is_null()).then(None).otherwise(since).alias(KNOWN_FROM)
        ).drop("_created")
        return cls(
            # in deal order once (stably, as hours_by_deal sorts a day's): a day's rows
            # then stay flagged sorted, and its sort finds nothing to do
            dated.sort("deal_id", maintain_order=True, nulls_last=True),
            ClosedLives(
                with_first(lives.visits),
                # by stage once (stably, as _stage_history sorts a day's), likewise
                with_first(lives.hours).sort("stage_key", maintain_order=True, nulls_last=True),
                with_first(lives.gaps),
            ),
        )

    def hours_on(self, day: datetime) -> pl.DataFrame:
        """:func:`known_activities` of the activities with hours on ``day``, sorted by
        deal (each deal's in their order): all :func:`hours_by_deal` reads of them."""
        return self.hours.filter(pl.col(KNOWN_FROM) < day).drop(KNOWN_FROM)

    def lives_on(self, day: datetime) -> ClosedLives:
        """:meth:`ClosedLives.known_on` on ``day`` of the deals known then."""

        def kept(frame: pl.DataFrame) -> pl.DataFrame:
            known = (pl.col("closed_at") < day) & (pl.col(KNOWN_FROM) < day)
            return frame.filter(known).drop(KNOWN_FROM)

        lives = self.lives
        return ClosedLives(kept(lives.visits), kept(lives.hours), kept(lives.gaps))


@dataclass(frozen=True, eq=False)
class ClosedLives:
    """What each closed deal's own life says, from its activities up to its close:
    whatever the day the norms are learned, a deal closed before it says the same.

    ``visits``: every stage it went through (``deal_id, stage_key, at, days, won``);
    ``hours``: the seller hours it logged from entering each stage to its close
    (``deal_id, stage_key, h``); ``gaps``: on won deals, the days from each first
    unanswered touch to the buyer's reply (``deal_id, gap``). Every row carries its
    deal's ``closed_at``, so :meth:`known_on` keeps the lives known on a day.
    """

    visits: pl.DataFrame
    hours: pl.DataFrame
    gaps: pl.DataFrame

    def known_on(self, day: datetime, deals: pl.DataFrame) -> ClosedLives:
        """The lives of the ``deals`` known on ``day`` (created before it) that had
        closed before it (a deal can be dated closed before its creation)."""
        ids = deals.select("deal_id")

        def kept(frame: pl.DataFrame) -> pl.DataFrame:
            closed = frame.filter(pl.col("closed_at") < day)
            return closed.join(ids, on="deal_id", how="semi", maintain_order="left")

        return ClosedLives(kept(self.visits), kept(self.hours), kept(self.gaps))


def closed_lives(closed: pl.DataFrame, activities: pl.DataFrame) -> ClosedLives:
    """The :class:`ClosedLives` of the ``closed`` deals from ``activities`` (any, in
    the store's order): each deal's own up to its close (all of them when it has no
    close date)."""
    ends = closed.select("deal_id", "closed_at")
    acts = activities.join(ends, on="deal_id", maintain_order="left").filter(
        pl.col("closed_at").is_null() | (pl.col("at") <= pl.col("closed_at"))
    )
    visits = stage_visits(closed, acts)
    hours = _hours_after_stage(acts, visits)
    gaps = _reply_gaps(closed, acts)

    def dated(frame: pl.DataFrame, *order: str) -> pl.DataFrame:
        # one order, whatever the joins did: the sums made from the lives are then
        # the same to the last bit on every day and from every source
        joined = frame.join(ends, on="deal_id", how="left")
        return joined.sort(order, maintain_order=True)

    return ClosedLives(
        dated(visits, "deal_id", "at", "stage_key", "days"),
        dated(hours, "deal_id", "stage_key", "h"),
        dated(gaps, "deal_id", "gap"),
    )


def yield_window_start(as_of: datetime, policy: Policy) -> datetime:
    """Where "the last months" of what an hour earns begin for norms as of ``as_of``."""
    months = policy.economics.yield_window_months
    start: datetime = pl.select(pl.lit(as_of).dt.offset_by(f"-{months}mo")).item()
    return start


def hours_by_deal(activities: pl.LazyFrame, start: datetime) -> pl.LazyFrame:
    """Seller hours logged per deal from ``start`` on (``deal_id, hours``), of
    ``activities`` already dated before the norms' day."""
    logged = activities.filter((pl.col("at") >= start) & (pl.col("hours") > 0))
    # in deal order: the sums made from it then do not depend on the rows' order
    summed = grouped_in_runs(logged.collect(), ["deal_id"], pl.col("hours").sum())
    return summed.sort("deal_id").lazy()


RUN = "_run"


def grouped_in_runs(frame: pl.DataFrame, keys: list[str], *aggs: pl.Expr) -> pl.DataFrame:
    """``frame.group_by(keys).agg(*aggs)`` (keys first, groups in no set order), each
    group's rows in their order and summed in one piece: sorted into runs (stably), a
    run a group. A hash group_by over many rows sums a group in parts across threads,
    a last bit apart from one call to the next on the same rows."""
    ordered = frame.sort(keys, maintain_order=True, nulls_last=True)
    runs = ordered.with_columns(pl.struct(keys).rle_id().set_sorted().alias(RUN))
    summed = runs.group_by(RUN).agg(*[pl.col(k).first() for k in keys], *aggs)
    return summed.drop(RUN)


def norms_from_parts(
    as_of: datetime,
    deals: pl.DataFrame,
    lives: ClosedLives,
    hours: pl.DataFrame,
    *,
    logged: bool,
    policy: Policy,
    skipped: pl.DataFrame | None = None,
) -> Norms:
    """The norms as of ``as_of`` from the ``deals`` known then (their outcomes as of
    then), the ``lives`` of those closed before it, the ``hours`` each deal logged in
    the window of what an hour earns (:func:`hours_by_deal`) and whether the team logs
    activities at all; ``skipped``: the deals left out of them for a value past its
    limit (:func:`walkaway.bounds.out_of_bounds`), named in the norms."""
    closed = deals.filter(pl.col("outcome") != Outcome.OPEN)
    gap, samples = _reply_gap(lives.gaps, policy)
    currency_yield, owner_yield = _yields(as_of, closed, deals, hours, policy)
    home = currency_yield.filter(pl.col("currency") == policy.currency)["team_yield"]
    team_yield = float(home[0]) if home.len() else None
    won = closed.filter(pl.col("outcome") == Outcome.WON).height
    # In deal order: floating-point sums then do not depend on the rows' order.
    ordered = closed.sort("deal_id")
    facts = learn_fact_weights(ordered, policy)
    # an export without an activity log says nothing about a deal's silence
    logs = frozenset({ACTIVITIES}) if logged else frozenset()
    return Norms(
        as_of=as_of,
        stages=_resolve_stages(_stage_history(lives), policy),
        reply_gap_days=gap,
        reply_gap_samples=samples,
        yield_per_hour=team_yield if team_yield is not None else policy.economics.yield_per_hour,
        yield_source=HISTORY if team_yield is not None else POLICY,
        owner_yield=owner_yield,
        currency_yield=currency_yield,
        policy_yield=policy.economics.yield_per_hour,
        closed_deals=closed.height,
        won_deals=won,
        tracked_fields=_tracked_fields(deals) | logs,
        facts=facts,
        fact_centre=_fact_centre(ordered, facts, policy),
        time_lift=time_lift(closed),
        won_age_days=won_age_days(closed, policy.history.min_deals),
        won_age_longest=won_age_days(closed, policy.history.min_deals, quantile=1.0),
        skipped=pl.DataFrame(schema=SKIPPED_SCHEMA) if skipped is None else skipped,
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def won_age_days(closed: pl.DataFrame, least: int, quantile: float = 0.9) -> float | None:
    """How old ``quantile`` of the won deals were at their close, in days (None with
    fewer than ``least`` won deals closed after their creation)."""
    won = closed.filter(
        (pl.col("outcome") == Outcome.WON) & (pl.col("closed_at") > pl.col("created_at"))
    )
    if won.height < max(least, 1):
        return None
    days = won.select(days_between(pl.col("closed_at"), pl.col("created_at")))
    value = days.to_series().quantile(quantile, "linear")
    return None if value is None else float(value)


def time_lift(closed: pl.DataFrame) -> float | None:
    """The odds of winning of the closed deals that lived longer than 90% of the won
    ones, against all of them (None with fewer than :data:`MIN_OVERDUE` such deals):
    below 1, sitting costs deals here, as the prior's time decay assumes."""
    life = days_between(pl.col("closed_at"), pl.col("created_at"))
    lived = closed.filter(pl.col("closed_at").is_not_null()).select(
        life.alias("days"), (pl.col("outcome") == Outcome.WON).alias("won")
    )
    limit = lived.filter("won")["days"].quantile(0.9, "linear")
    if limit is None:
        return None
    over = lived.filter(pl.col("days") > limit)
    if over.height < MIN_OVERDUE:
        return None

    def odds(frame: pl.DataFrame) -> float:
        won = float(frame["won"].sum())
        return (won + 0.5) / (frame.height - won + 0.5)

    return odds(over) / odds(lived)


def stage_visits(closed_deals: pl.DataFrame, activities: pl.DataFrame) -> pl.DataFrame:
    """Every stage each closed deal went through: ``deal_id, stage_key, at, days, won``.

    A closed deal without stage changes spent its whole life in ``deals.stage``.
    """
    closed = closed_deals.select(
        "deal_id",
        "created_at",
        "closed_at",
        (pl.col("outcome") == Outcome.WON).alias("won"),
        STAGE_KEY.alias("stage_key"),
    )
    rows = activities.filter(
        (pl.col("kind") == ActivityKind.STAGE_CHANGE) & pl.col("stage").is_not_null()
    ).select("deal_id", "at", STAGE_KEY.alias("stage_key"))
    without = closed.join(rows, on="deal_id", how="anti").select(
        "deal_id", pl.col("created_at").alias("at"), "stage_key"
    )
    visits = pl.concat([rows, without]).sort("deal_id", "at", maintain_order=True)
    visits = visits.join(closed.select("deal_id", "closed_at", "won"), on="deal_id")
    left = pl.col("at").shift(-1).over("deal_id").fill_null(pl.col("closed_at"))
    return visits.with_columns(days_between(left, pl.col("at")).clip(0.0).alias("days")).drop(
        "closed_at"
    )


def _stage_history(lives: ClosedLives) -> pl.DataFrame:
    visits = lives.visits  # in one order (closed_lives)
    won_days = (
        grouped_in_runs(
            visits.filter(pl.col("won")), ["deal_id", "stage_key"], pl.col("days").sum()
        )
        .group_by("stage_key")
        .agg(
            pl.len().alias("won_deals"),
            pl.col("days").median().alias("hist_median"),
            pl.col("days").quantile(0.9, "linear").alias("hist_p90"),
        )
    )
    reached = visits.group_by("stage_key").agg(
        pl.col("deal_id").n_unique().alias("reached"),
        pl.col("deal_id").filter(pl.col("won")).n_unique().alias("won"),
    )
    hours = grouped_in_runs(
        lives.hours,
        ["stage_key"],
        pl.len().alias("hours_deals"),
        pl.col("h").mean().alias("hist_hours"),
    )
    return reached.join(won_days, on="stage_key", how="full", coalesce=True).join(
        hours, on="stage_key", how="full", coalesce=True
    )


def _hours_after_stage(activities: pl.DataFrame, visits: pl.DataFrame) -> pl.DataFrame:
    """Seller hours each deal logged from entering each stage until its close:
    ``deal_id, stage_key, h`` (deals that logged no hours have none)."""
    logged = (
        activities.filter(pl.col("hours") > 0)
        .select("deal_id", "at", "hours")
        .sort("at")
        .with_columns(pl.col("hours").cum_sum().over("deal_id").alias("before"))
    )
    totals = logged.group_by("deal_id").agg(pl.col("hours").sum().alias("total"))
    entries = (visits.group_by("deal_id", "stage_key").agg(pl.col("at").min()).sort("at")).join(
        totals, on="deal_id"
    )  # deals that logged no hours say nothing about hours
    after = entries.sort("at").join_asof(
        logged.select("deal_id", "at", "before"),
        on="at",
        by="deal_id",
        strategy="backward",
        allow_exact_matches=False,
        check_sortedness=False,  # both sides are sorted by "at" just above
    )
    h = (pl.col("total") - pl.col("before").fill_null(0.0)).alias("h")
    return after.select("deal_id", "stage_key", h)


def _resolve_stages(history: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    policy_rows = pl.DataFrame(
        {
            "stage_key": [s.key for s in policy.stages],
            "limit": [policy.limit_days(s.name) for s in policy.stages],
            "policy_hours": [policy.hours_needed(s.name) for s in policy.stages],
        },
        schema={"stage_key": pl.String, "limit": pl.Float64, "policy_hours": pl.Float64},
    )
    table = history.join(policy_rows, on="stage_key", how="full", coalesce=True)
    fallback = policy.unknown_stage
    limit = pl.col("limit").fill_null(fallback.limit_days)
    enough = policy.history.min_deals
    days_ok = pl.col("won_deals").fill_null(0) >= enough
    hours_ok = pl.col("hours_deals").fill_null(0) >= enough
    return table.select(
        "stage_key",
        pl.col("won_deals").fill_null(0).cast(pl.Int64),
        pl.when(days_ok).then(pl.col("hist_median")).otherwise(limit / 2).alias("median_days"),
        pl.when(days_ok).then(pl.col("hist_p90")).otherwise(limit).alias("p90_days"),
        pl.when(days_ok).then(pl.lit(HISTORY)).otherwise(pl.lit(POLICY)).alias("days_source"),
        pl.col("reached").fill_null(0).cast(pl.Int64),
        pl.col("won").fill_null(0).cast(pl.Int64),
        pl.col("hours_deals").fill_null(0).cast(pl.Int64),
        pl.when(hours_ok)
        .then(pl.col("hist_hours"))
        .otherwise(pl.col("policy_hours").fill_null(fallback.hours_needed))
        .alias("hours_needed"),
        pl.when(hours_ok).then(pl.lit(HISTORY)).otherwise(pl.lit(POLICY)).alias("hours_source"),
    ).sort("stage_key")


def _reply_gaps(closed: pl.DataFrame, activities: pl.DataFrame) -> pl.DataFrame:
    """On won deals, days from each first unanswered touch to the buyer's reply:
    ``deal_id, gap``."""
    won = closed.filter(pl.col("outcome") == Outcome.WON).select("deal_id")
    direction = pl.col("direction")
    io = (
        activities.filter(direction.is_in([Direction.INBOUND, Direction.OUTBOUND]))
        .join(won, on="deal_id", how="semi")
        .select("deal_id", "at", "direction")
        .sort("deal_id", "at", maintain_order=True)
    )
    inbound_at = pl.when(direction == Direction.INBOUND).then(pl.col("at"))
    previous = direction.shift(1).over("deal_id")
    starts = io.with_columns(
        inbound_at.backward_fill().over("deal_id").alias("reply_at"), previous.alias("prev")
    ).filter(
        (direction == Direction.OUTBOUND)
        & (pl.col("prev").is_null() | (pl.col("prev") == Direction.INBOUND))
        & pl.col("reply_at").is_not_null()
    )
    return starts.select("deal_id", days_between(pl.col("reply_at"), pl.col("at")).alias("gap"))


def _reply_gap(gaps: pl.DataFrame, policy: Policy) -> tuple[float | None, int]:
    """90th percentile of the won deals' reply ``gaps``; None when there are fewer than
    ``min_deals`` of them."""
    if gaps.height < policy.history.min_deals:
        return None, gaps.height
    return float(gaps["gap"].quantile(0.9, "linear") or 0.0), gaps.height


def _yields(
    as_of: datetime,
    closed: pl.DataFrame,
    deals: pl.DataFrame,
    hours_logged: pl.DataFrame,
    policy: Policy,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Won margin per logged selling hour over the last months, per currency (money is
    never summed across currencies): the team's where it has ``history.min_deals`` won
    deals and some hours (:data:`YIELD_SCHEMA`), and each owner's (``owner, currency,
    owner_yield``)."""
    start = yield_window_start(as_of, policy)
    margin = pl.col("margin").fill_null(policy.economics.default_margin)
    currency = pl.col("currency").fill_null(policy.currency)
    keys = ["owner", "currency"]
    won = grouped_in_runs(
        closed.filter(
            (pl.col("outcome") == Outcome.WON) & (pl.col("closed_at") >= start)
        ).with_columns(currency),
        keys,
        (pl.col("amount").fill_null(0.0) * margin).sum().alias("value"),
        pl.len().alias("n"),
    )
    hours = grouped_in_runs(
        hours_logged.join(
            deals.select("deal_id", "owner", currency), on="deal_id", maintain_order="left"
        ),
        keys,
        pl.col("hours").sum(),
    )
    # one order, so that the team's sums are the same to the last bit on every day
    per_owner = (
        won.join(hours, on=keys, how="full", coalesce=True)
        .with_columns(pl.col("value", "n", "hours").fill_null(0))
        .sort(keys, nulls_last=True)
    )
    enough = (pl.col("n") >= policy.history.min_deals) & (pl.col("hours") > 0)
    owner_yield = per_owner.filter(enough & pl.col("owner").is_not_null()).select(
        *keys, (pl.col("value") / pl.col("hours")).alias("owner_yield")
    )
    team = per_owner.group_by("currency", maintain_order=True).agg(
        pl.col("n").sum().cast(pl.Int64).alias("won_deals"),
        pl.col("value").sum().cast(pl.Float64).alias("won_value"),
        pl.col("hours").sum().cast(pl.Float64).alias("hours"),
    )
    learned = (pl.col("won_deals") >= policy.history.min_deals) & (pl.col("hours") > 0)
    team = team.filter(learned).with_columns(
        (pl.col("won_value") / pl.col("hours")).alias("team_yield")
    )
    return team.select(list(YIELD_SCHEMA)).cast(YIELD_SCHEMA).sort("currency"), owner_yield  # type: ignore[arg-type]


def _fact_centre(closed: pl.DataFrame, facts: FactWeights, policy: Policy) -> float:
    """The closed deals' average fact total, pulled towards 0 (the policy's rate is that
    of a deal whose facts are unknown) by the Beta prior that pulls the base rates."""
    strength = policy.probability.prior_strength
    share = closed.height / (closed.height + strength) if closed.height + strength else 0.0
    return share * mean_total(closed, facts)


def _tracked_fields(deals: pl.DataFrame) -> frozenset[str]:
    """Qualification fields the team records on some deal (the rest are not tracked)."""
    known = deals.select(
        ((pl.col(f).is_not_null()) & (pl.col(f) != "unknown")).any().alias(f)
        for f in TRACKABLE_FIELDS
    )
    return frozenset(f for f in TRACKABLE_FIELDS if known.height and known[f][0])
