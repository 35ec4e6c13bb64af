"""What a manager must know before reading a review's calls, said once at its top.

Each note is one line, and only when it holds:

- **defaults that decide**: the hours a deal still needs, or what an hour earns
  elsewhere, come from the policy (the history cannot tell them: no hours logged) — and
  they decide the economics of every call; the line names the figure and how to set it;
- **where the value of an hour comes from** when the history tells it: won margin over
  the selling hours logged in the policy's window, in each currency of the deals (a rep
  with enough won deals of their own uses theirs);
- **a flat model**: the win probabilities hardly differ from deal to deal, so nothing in
  the history predicts wins beyond the stage, and the calls rest on time and economics
  (said once, not under every deal);
- **a stale review**: the newest dated row of the store is months before the review's
  date, so every open deal looks that much older than it was at the export.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from walkaway.policy import Policy
from walkaway.signals.norms import Norms, yield_window_start
from walkaway.wording import SYMBOLS, money_text, percent_text

FLAT_SPREAD = 0.03  # 10th to 90th percentile of p within 3 points: nothing tells deals apart
MIN_DEALS_FOR_FLAT = 10
STALE_DAYS = 60
SET_POLICY = (
    "`walkaway policy show > policy.toml`, edit `[economics]`, `walkaway policy set policy.toml`"
)


def review_notes(
    frame: pl.DataFrame, norms: Norms | None, as_of: datetime, policy: Policy
) -> list[str]:
    """The notes of a review's assessed ``frame`` (module docstring), most important first."""
    notes = []
    stale = _stale(norms, as_of)
    if stale:
        notes.append(stale)
    notes += _defaults(frame, policy)
    learned = _hour_value(frame, norms, policy)
    if learned:
        notes.append(learned)
    if frame.height >= MIN_DEALS_FOR_FLAT and not stale:  # stale: time flattens everything
        p = pl.col("win_probability")
        low, high = frame.select(p.quantile(0.1).alias("low"), p.quantile(0.9).alias("high")).row(0)
        if low is not None and high is not None and high - low < FLAT_SPREAD:
            notes.append(
                "Nothing in this history predicts wins beyond the stage (every deal between "
                f"{percent_text(low)} and {percent_text(high)}): the calls rest on time and "
                "economics"
            )
    return notes


def _defaults(frame: pl.DataFrame, policy: Policy) -> list[str]:
    if frame.height == 0:
        return []
    from_policy = frame.select(
        (pl.col("hours_needed_source") == "policy").mean().alias("hours"),
        (pl.col("yield_source") == "policy").mean().alias("hour_value"),
        pl.col("hours_needed").filter(pl.col("hours_needed_source") == "policy").median(),
    ).row(0, named=True)
    said = []
    if (from_policy["hours"] or 0) > 0.5:
        said.append(f"{from_policy['hours_needed'] or 0:.0f} hours still needed per deal")
    if (from_policy["hour_value"] or 0) > 0.5:
        currencies = frame["currency"].drop_nulls().unique()
        code = str(currencies[0]) if currencies.len() == 1 else policy.currency
        said.append(
            f"{SYMBOLS.get(code, code + ' ')}{policy.economics.yield_per_hour:,.0f} an hour"
        )
    if not said:
        return []
    return [
        f"The policy's defaults decide these calls ({' and '.join(said)}): your history "
        f"logs no hours to learn them from. Set yours: {SET_POLICY}"
    ]


def _hour_value(frame: pl.DataFrame, norms: Norms | None, policy: Policy) -> str | None:
    """Where the value of an hour of most of these deals comes from, when the history
    told it: each currency's figure, the won margin and the hours it rests on."""
    if norms is None or frame.height == 0 or norms.currency_yield.height == 0:
        return None
    if (frame["yield_source"] != "policy").mean() <= 0.5:  # type: ignore[operator]
        return None
    shown = frame["currency"].drop_nulls().unique()
    rows = norms.currency_yield.filter(pl.col("currency").is_in(shown.implode()))
    if rows.height == 0:
        return None
    figures = " and ".join(
        f"{money_text(r['team_yield'], r['currency'])} "
        f"({money_text(r['won_value'], r['currency'])} of won margin ÷ "
        f"{r['hours']:,.0f} logged selling hours)"
        for r in rows.iter_rows(named=True)
    )
    since = yield_window_start(norms.as_of, policy)
    return (
        f"An hour is worth {figures} here, from the deals won since {since:%Y-%m-%d}; "
        f"reps with {policy.history.min_deals}+ wins use their own figure"
    )


def _stale(norms: Norms | None, as_of: datetime) -> str | None:
    """The stale-review note, from the norms' day (the store's horizon when it is
    earlier than the review's day)."""
    if norms is None:
        return None
    gap = (as_of - norms.as_of).days
    if gap < STALE_DAYS:
        return None
    newest = norms.as_of - timedelta(days=1)
    return (
        f"The newest date in this store is {newest:%Y-%m-%d}, {gap:,} days before this "
        "review: every open deal looks that much older than at the export; "
        f"`--as-of {norms.as_of:%Y-%m-%d}` reviews as of the export"
    )
