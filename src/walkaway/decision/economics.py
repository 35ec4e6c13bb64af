"""Expected value of pursuing a deal against what its remaining hours would earn elsewhere.

Per open deal (DECISION.md), in the deal's currency:

- ``value`` V = amount x margin x (1 + expansion), where expansion is the policy's
  share for the account's long-term ``potential`` (none when unknown). No amount: V is
  unknown (null) and so is everything built on it; decide re-qualifies such deals.
- ``hours_needed`` H = hours still needed to a decision (team history by stage, else
  the policy), never below ``economics.min_hours_needed`` - so H = 0 cannot divide.
- ``yield_per_hour`` y = won margin per logged selling hour over the last months, in
  the deal's currency (learned from the deals of that currency, never converted): the
  rep's own when the rep has enough won deals, else the team's, else the policy's.
- ``opportunity_rate`` = max(y, ``economics.hourly_cost``): an hour is never valued
  below what it costs. This is the rate the rule compares with, so
  ``cost_to_pursue`` = H x rate is the value those hours would create elsewhere.
- ``expected_value`` = p x V; ``value_per_hour`` = p x V / H; ``net_value`` = EV - cost.
- ``walk_away_rate`` = k x rate; ``hours_invested`` is shown and never used (sunk).

Amounts in several currencies are not converted; a currency the history says nothing
about takes the policy's y as it stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from walkaway.models import Economics
from walkaway.policy import Policy
from walkaway.signals.norms import Norms

ECONOMICS_COLUMNS = (
    "deal_id",
    "currency",
    "value",
    "win_probability",
    "expected_value",
    "hours_needed",
    "hours_needed_source",
    "yield_per_hour",
    "yield_source",
    "opportunity_rate",
    "cost_to_pursue",
    "value_per_hour",
    "walk_away_rate",
    "hours_invested",
    "net_value",
)


def compute_economics(
    signals: pl.DataFrame, win_probability: pl.Series, norms: Norms, policy: Policy
) -> pl.DataFrame:
    """One row per row of ``signals`` (same order) with :data:`ECONOMICS_COLUMNS`."""
    return economics_with_yield(norms.with_yield(signals), win_probability, policy)


def economics_with_yield(
    frame: pl.DataFrame, win_probability: pl.Series, policy: Policy
) -> pl.DataFrame:
    """:func:`compute_economics` of rows that already carry their ``yield_per_hour`` and
    ``yield_source`` (as training looks do, each with the norms of its own time)."""
    return (
        frame.select(
            "deal_id",
            "currency",
            "amount",
            "margin",
            "potential",
            "hours_needed",
            pl.col("hours_needed_source")
            if "hours_needed_source" in frame.columns
            else pl.lit(None, dtype=pl.String).alias("hours_needed_source"),
            "hours_invested",
            "yield_per_hour",
            "yield_source",
        )
        .with_columns(
            win_probability.alias("win_probability"),
            _value(policy).alias("value"),
            pl.col("hours_needed").clip(lower_bound=policy.economics.min_hours_needed),
        )
        .with_columns(_per_hour(policy))
        .select(ECONOMICS_COLUMNS)
    )


def _value(policy: Policy) -> pl.Expr:
    econ = policy.economics
    shares = {
        "high": econ.expansion_high,
        "medium": econ.expansion_medium,
        "low": econ.expansion_low,
    }
    expansion = pl.col("potential").replace_strict(shares, default=0.0, return_dtype=pl.Float64)
    return pl.col("amount") * pl.col("margin") * (1 + expansion)


def _per_hour(policy: Policy) -> list[pl.Expr]:
    p, value, hours = pl.col("win_probability"), pl.col("value"), pl.col("hours_needed")
    rate = pl.max_horizontal(pl.col("yield_per_hour"), pl.lit(policy.economics.hourly_cost))
    return [
        (p * value).alias("expected_value"),
        rate.alias("opportunity_rate"),
        (hours * rate).alias("cost_to_pursue"),
        (p * value / hours).alias("value_per_hour"),
        (rate * policy.economics.walk_away_factor).alias("walk_away_rate"),
        (p * value - hours * rate).alias("net_value"),
    ]


def economics_of(row: Mapping[str, Any]) -> Economics:
    """An :class:`Economics` from one row with :data:`ECONOMICS_COLUMNS`."""
    return Economics(
        currency=str(row["currency"]),
        value=_maybe(row["value"]),
        win_probability=float(row["win_probability"]),
        expected_value=_maybe(row["expected_value"]),
        hours_needed=float(row["hours_needed"]),
        yield_per_hour=float(row["yield_per_hour"]),
        yield_source=str(row["yield_source"]),
        opportunity_rate=float(row["opportunity_rate"]),
        cost_to_pursue=float(row["cost_to_pursue"]),
        value_per_hour=_maybe(row["value_per_hour"]),
        walk_away_rate=float(row["walk_away_rate"]),
        hours_invested=float(row["hours_invested"]),
    )


def _maybe(value: Any) -> float | None:
    return None if value is None else float(value)
