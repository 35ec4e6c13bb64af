"""When a deal will cross the walk-away line if nothing happens: the deal replayed ahead.

"If nothing happens" is a deal whose clocks run on and nothing else: every ``days_*``
signal grows by the days ahead, every count stays. Ahead, the rulebook raises the flags
time raises (the buyer silent past the team's limit, the stage overstayed, the close
date passed), and time decays the odds as the prior counts it (the stage or the age,
:func:`walkaway.learning.prior.held_time_spans`). The deal's probability today moves by
what changes from today: the log-odds of the flags raised since (each severity's
factor, as the prior weighs flags) and of the further spans of time. The first day the
walk-away rule holds (the economics below the line with the open questions answered,
below the history's floor when there is one, or a hard stop raised) is the date.

Because the date counts every flag that time alone will raise, it does not move while
nothing happens: only something that happened (a reply, a new stage, a changed
amount) moves it. It is the first Monday by which the deal has crossed, found by halving
the weeks of the year ahead (a deal is replayed at most seven times, and only the
rules' verdicts are computed, not their words; a few deals are replayed on every Monday
in one look and the halving read off the answers, the same dates), so the same crossing
reads the same date from any day it is looked at. Good qualification
facts fade as flags rise, as the prior counts them.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from walkaway.flags.rulebook import fired_flags, rule_columns, rules_reading
from walkaway.learning.prior import flag_log_odds, held_time_spans
from walkaway.models import Recommendation
from walkaway.policy import Policy
from walkaway.signals.norms import Norms

CLOCKS = (
    "days_open",
    "days_in_stage",
    "days_since_inbound",
    "days_waiting",
    "days_since_last_activity",
    "days_since_proposal",
    "days_past_close",
)
YEAR_DAYS = 365  # beyond a year ahead "if nothing happens" says nothing
STEP_DAYS = 7  # the date is a Monday: the crossing falls in the week before it
# Up to this many deal-Mondays, every Monday of every deal is looked at in one frame
# (one deal alone, as show and a decision assess it: 52 rows instead of seven looks of
# one) and the halving is replayed on the answers; beyond it, only the halving's looks.
GRID_ROWS = 30_000


def walk_away_dates(
    frame: pl.DataFrame,
    signals: pl.DataFrame,
    flags: pl.DataFrame,
    norms: Norms,
    policy: Policy,
    as_of: datetime,
) -> pl.DataFrame:
    """``deal_id, walk_away_on`` for the deals of ``frame`` not walked away from today
    (``frame``: recommend's, with ``win_probability``, ``value``, ``hours_needed``,
    ``walk_away_rate``, ``walk_away_floor`` and the answered probability ratio); null
    where the deal does not cross within a year."""
    deciding = list(policy.decision.requalify_on)
    # the columns first, then the rows: frame carries every flag and reason as lists
    staying = (
        frame.select(
            "deal_id",
            "win_probability",
            "answered_probability",
            "value",
            "hours_needed",
            "walk_away_rate",
            "walk_away_floor",
            pl.col("fact_log_odds").fill_null(0.0),
            walks=pl.col("recommendation") == Recommendation.WALK_AWAY,
        )
        .filter(~pl.col("walks") & pl.col("value").is_not_null())
        .drop("walks")
    )
    kept = signals.join(staying.select("deal_id"), on="deal_id", how="semi")
    if kept.height == 0:
        return frame.select("deal_id", pl.lit(None, dtype=pl.Date).alias("walk_away_on"))
    spans = held_time_spans(
        policy, norms.time_decays, norms.won_age_days, norms.won_age_longest
    ).alias("spans")
    # Only the rules that read a clock can fire or clear as time runs on: ahead, they
    # are replayed, the others stay as they are today.
    clocked = rules_reading(policy, kept.schema, CLOCKS)
    unchanged = flags.filter(~pl.col("code").is_in(list(clocked)))
    all_now = flag_log_odds(flags, policy, deciding)
    kept_now = flag_log_odds(unchanged, policy, deciding).rename(
        {"flag_log_odds": "flags_kept", "answered_log_odds": "answered_kept"}
    )
    today = (
        kept.select("deal_id", spans)
        .join(all_now, on="deal_id", how="left")
        .join(kept_now, on="deal_id", how="left")
        .select(
            "deal_id",
            pl.col("spans").alias("spans_now"),
            pl.col("flag_log_odds").fill_null(0.0).alias("flags_now"),
            pl.col("answered_log_odds").fill_null(0.0).alias("answered_now"),
            pl.col("flags_kept").fill_null(0.0),
            pl.col("answered_kept").fill_null(0.0),
        )
    )
    kept = kept.select(_read_by(policy, kept.schema, clocked, spans))
    base = staying.join(today, on="deal_id")
    # Mondays ahead, so that the same crossing reads the same date from any as-of day.
    first = (7 - as_of.weekday()) % 7 or 7
    mondays = list(range(first, YEAR_DAYS + 1, STEP_DAYS))
    if kept.height * len(mondays) <= GRID_ROWS:
        crossing = _crossing_on_grid(base, kept, mondays, spans, policy, clocked, deciding)
    else:
        crossing = _crossing_by_halving(base, kept, mondays, spans, policy, clocked, deciding)
    dated = crossing.select(
        "deal_id",
        pl.col("hi")
        .replace_strict(dict(enumerate(mondays)), return_dtype=pl.Int64)
        .pipe(lambda d: pl.lit(as_of.date()) + pl.duration(days=d))
        .alias("walk_away_on"),
    )
    return frame.select("deal_id").join(dated, on="deal_id", how="left", maintain_order="left")


def _crossing_by_halving(
    base: pl.DataFrame,
    kept: pl.DataFrame,
    mondays: list[int],
    spans: pl.Expr,
    policy: Policy,
    clocked: set[str],
    deciding: list[str],
) -> pl.DataFrame:
    """``deal_id, hi``: for each deal that walks by the last of ``mondays``, the index of
    the first Monday it walks, found by halving (a look per halving step)."""
    walks = _walks_at(base, kept, pl.lit(mondays[-1]), spans, policy, clocked, deciding)
    crossing = walks.filter("walks").select(
        "deal_id", pl.lit(-1).alias("lo"), pl.lit(len(mondays) - 1).alias("hi")
    )
    # only the deals that cross are looked at again (each look reads a deal's own rows)
    crosses = crossing.select("deal_id")
    kept = kept.join(crosses, on="deal_id", how="semi", maintain_order="left")
    base = base.join(crosses, on="deal_id", how="semi", maintain_order="left")
    # Nothing happening only ever lowers a deal's chances: once walked away from, it
    # stays so. Halve the weeks between the last Monday it holds and the first it walks.
    open_ = pl.col("hi") - pl.col("lo") > 1
    while crossing.filter(open_).height:
        halving = crossing.filter(open_).with_columns(
            ((pl.col("lo") + pl.col("hi")) // 2).alias("mid")
        )
        days = pl.col("mid").replace_strict(dict(enumerate(mondays)), return_dtype=pl.Int64)
        probe = kept.join(halving.select("deal_id", days.alias("__at")), on="deal_id")
        held = _walks_at(base, probe, pl.col("__at"), spans, policy, clocked, deciding)
        halved = halving.join(held, on="deal_id").select(
            "deal_id",
            pl.when("walks").then(pl.col("lo")).otherwise(pl.col("mid")).alias("lo"),
            pl.when("walks").then(pl.col("mid")).otherwise(pl.col("hi")).alias("hi"),
        )
        crossing = crossing.update(halved, on="deal_id")
    return crossing.select("deal_id", "hi")


def _crossing_on_grid(
    base: pl.DataFrame,
    kept: pl.DataFrame,
    mondays: list[int],
    spans: pl.Expr,
    policy: Policy,
    clocked: set[str],
    deciding: list[str],
) -> pl.DataFrame:
    """:func:`_crossing_by_halving`'s answer from one look at every Monday of every deal:
    each (deal, Monday) is a row of its own (a deal's answer on a day reads only its own
    row), and the halving is replayed on the answers, so that a deal that would cross
    and cross back reads the same date either way."""
    look = pl.concat_str(pl.col("deal_id"), pl.lit(_LOOK), pl.col("__step").cast(pl.String))
    steps = pl.DataFrame(
        {"__step": range(len(mondays)), "__at": mondays},
        schema={"__step": pl.Int64, "__at": pl.Int64},
    )
    grid = kept.join(steps, how="cross").with_columns(look.alias("__look"))
    based = base.join(steps.select("__step"), how="cross").with_columns(look.alias("__look"))
    walks = _walks_at(
        based.drop("deal_id").rename({"__look": "deal_id"}),
        grid.rename({"deal_id": "__deal", "__look": "deal_id"}),
        pl.col("__at"),
        spans,
        policy,
        clocked,
        deciding,
    )
    answers: dict[str, list[bool]] = {}
    for key, walked in walks.select("deal_id", "walks").iter_rows():
        deal_id, step = key.rsplit(_LOOK, 1)
        answers.setdefault(deal_id, [False] * len(mondays))[int(step)] = bool(walked)
    crossing = {}
    for deal_id, walked in answers.items():
        if not walked[-1]:
            continue
        lo, hi = -1, len(mondays) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if walked[mid] else (mid, hi)
        crossing[deal_id] = hi
    return pl.DataFrame(
        {"deal_id": list(crossing), "hi": list(crossing.values())},
        schema={"deal_id": pl.String, "hi": pl.Int64},
    )


_LOOK = "\x1f"  # between a deal's id and a Monday's index in a look's key


def _walks_at(
    base: pl.DataFrame,
    signals: pl.DataFrame,
    days: pl.Expr,
    spans: pl.Expr,
    policy: Policy,
    clocked: set[str],
    deciding: list[str],
) -> pl.DataFrame:
    """``deal_id, walks``: whether each deal of ``signals`` would be walked away from
    ``days`` ahead if nothing happened (``days``: one number, or a column per deal)."""
    ahead = signals.with_columns(
        *[(pl.col(c) + days).alias(c) for c in CLOCKS if c in signals.columns]
    )
    flags = fired_flags(ahead, policy, clocked)
    # the deals a hard stop fires on (seldom any): a look-up, not a group_by and a join
    stopped = flags.filter(pl.col("hard_stop"))["deal_id"].implode()
    odds = flag_log_odds(flags, policy, deciding).rename(
        {"flag_log_odds": "flags_then", "answered_log_odds": "answered_then"}
    )
    moved = (
        ahead.select("deal_id", spans, pl.col("deal_id").is_in(stopped).alias("hard"))
        .join(odds, on="deal_id", how="left")
        .join(base, on="deal_id", how="inner")
    )
    decay = pl.lit(policy.probability.decay_per_p90).log()
    time = (pl.col("spans") - pl.col("spans_now")) * decay
    facts = pl.col("fact_log_odds")

    def faded(flagged: pl.Expr) -> pl.Expr:
        """Good facts fade by the factor the flags put on the odds (the prior's step 2)."""
        return pl.when(facts > 0).then(facts * flagged.clip(upper_bound=0.0).exp()).otherwise(facts)

    def later(p: str, now: str, kept: str, then: str) -> pl.Expr:
        flagged = pl.col(kept) + pl.col(then).fill_null(0.0)
        shift = flagged - pl.col(now) + time + faded(flagged) - faded(pl.col(now))
        logit = (pl.col(p) / (1 - pl.col(p))).log() + shift
        return 1 / (1 + (-logit).exp())

    p = later("win_probability", "flags_now", "flags_kept", "flags_then")
    answered = later("answered_probability", "answered_now", "answered_kept", "answered_then")
    below_line = answered * pl.col("value") / pl.col("hours_needed") < pl.col("walk_away_rate")
    below_floor = (p < pl.col("walk_away_floor")).fill_null(True)
    walks = pl.col("hard").fill_null(False) | (below_line & below_floor)
    return moved.select("deal_id", walks.alias("walks"))


def _read_by(policy: Policy, schema: pl.Schema, codes: set[str], spans: pl.Expr) -> list[str]:
    """The signals the replay reads: the deal, the clocked rules' and the time spans'."""
    wanted = {"deal_id", *rule_columns(policy, schema, codes), *spans.meta.root_names()}
    return [c for c in schema.names() if c in wanted]
